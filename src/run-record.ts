// What a run learned so far, and the one shape every step has. Outputs and summary rows are
// derived from each step's typed result by the step itself, so adding a step touches the step
// and the list of steps, not the orchestrator, the summary or the outputs.
import type { Output } from './constants.js'
import type { Inputs, StepName } from './inputs.js'
import type { Release } from './release.js'
import type { RunContext } from './run-context.js'
import type { BuildResult } from './steps/build.js'
import type { DeployResult } from './steps/deploy.js'
import type { PushResult } from './steps/push.js'
import type { ScanResult } from './steps/scan.js'

export interface StepResults {
  build?: BuildResult
  scan?: ScanResult
  push?: PushResult
  deploy?: DeployResult
}

export interface RunRecord {
  inputs?: Inputs
  release?: Release
  results: StepResults
  error?: string
}

/** What one step contributes to the outputs and the step summary. */
export interface StepReport {
  outputs: Partial<Record<Output, string>>
  /** Rows of the summary table: name, Markdown value. */
  rows: [string, string][]
  /** Markdown list items under the table. */
  notes?: string[]
}

export interface Step<Name extends StepName> {
  name: Name
  /** The log group the step runs in. */
  title: string
  /** A reason not to run although the step is in `steps` (logged as a notice), or undefined. */
  skip?(context: RunContext, release: Release): string | undefined
  /**
   * Runs the step with the results of the steps before it. A step that fails half-way throws a
   * StepError carrying what it did get done.
   */
  run(context: RunContext, release: Release, earlier: StepResults): Promise<NonNullable<StepResults[Name]>>
  /** Every output of this step (empty values when it did not run) and its summary rows. */
  report(result: StepResults[Name], record: RunRecord): StepReport
}

/** A step's failure with the part of its result that is still true (e.g. the tags pushed). */
export class StepError<Result> extends Error {
  constructor(
    message: string,
    readonly partial: Result
  ) {
    super(message)
    this.name = 'StepError'
  }
}
