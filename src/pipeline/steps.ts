// The action's steps, in the order they run: the one list that makes them a pipeline.
import { buildStep } from '../build/step.js'
import { deployStep } from '../deploy/step.js'
import { pushStep } from '../push/step.js'
import type { AnyStep } from '../run/step.js'
import { scanStep } from '../scan/step.js'

export const STEPS = [buildStep, scanStep, pushStep, deployStep] as const satisfies readonly AnyStep[]

export type StepName = (typeof STEPS)[number]['name']
export const STEP_NAMES: readonly StepName[] = STEPS.map((step) => step.name)
