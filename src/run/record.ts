// What a run learned so far: turned into the outputs and the summary however the run ends.
import type { StepName } from '../inputs/inputs.js'
import type { RunView } from './step.js'
import type { BuildResult } from '../build/step.js'
import type { DeployResult } from '../deploy/step.js'
import type { PushResult } from '../push/step.js'
import type { ScanResult } from '../scan/step.js'

export interface StepResults {
  build?: BuildResult
  scan?: ScanResult
  push?: PushResult
  deploy?: DeployResult
}

export interface RunRecord extends RunView {
  results: StepResults
  error?: string
}

/** Every step's result is recorded under the step's name. */
export type RecordedStep = StepName & keyof StepResults
