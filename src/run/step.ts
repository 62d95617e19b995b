// The one shape every step has. A step runs with the results of the steps it needs, returns a
// typed result, and derives its own outputs and summary rows from it, so adding a step touches
// the step and the list of steps, not the orchestrator, the summary or the outputs.
import type { Inputs, StepName } from '../inputs/inputs.js'
import type { Release } from '../release/release.js'
import type { StepReport } from './report.js'
import type { RunContext } from './context.js'

/** What a step's report may look at besides its own result. */
export interface RunView {
  inputs?: Inputs
  release?: Release
}

export interface Step<Name extends StepName, Result, Needs = object> {
  name: Name
  /** The log group the step runs in. */
  title: string
  /** A reason not to run although the step is in `steps` (logged as a notice), or undefined. */
  skip?(context: RunContext, release: Release): string | undefined
  /**
   * Runs the step with the results of the steps before it. A step that fails half-way throws a
   * StepError carrying what it did get done.
   */
  run(context: RunContext, release: Release, earlier: Needs): Promise<Result>
  /** Every output of this step (empty values when it did not run) and its summary rows. */
  report(result: Result | undefined, run: RunView): StepReport
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
