// The action's steps, in the order they run: the one list that makes them a pipeline.
import { buildStep } from '../build/step.js'
import { deployStep } from '../deploy/step.js'
import { pushStep } from '../push/step.js'
import type { AnyStep } from '../run/step.js'
import { scanStep } from '../scan/step.js'

export const STEPS: readonly AnyStep[] = [buildStep, scanStep, pushStep, deployStep]

export const STEP_NAMES = ['build', 'scan', 'push', 'deploy'] as const
export type StepName = (typeof STEP_NAMES)[number]
