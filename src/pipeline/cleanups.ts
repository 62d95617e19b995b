// What the post step runs for the steps of pipeline/steps.ts: the cleanup of each step that
// leaves anything for it. Kept apart from the steps, so the post bundle loads none of their code.
import { deployCleanup } from '../deploy/cleanup.js'
import type { StepCleanup } from '../run/cleanup.js'

export const CLEANUPS: readonly StepCleanup[] = [deployCleanup]
