// The one shape every step has, and all the orchestrator knows of any step. A step declares its
// inputs (read and checked with every other input before anything runs), what must be settled
// before any step runs (prepare), its run, and the outputs and summary rows its result makes;
// what it leaves for the post step goes through state it names, cleaned up by its StepCleanup
// (cleanup.ts). Adding a step is a folder, one line in pipeline/steps.ts and its inputs in
// action.yml.
import type { InputFields, InputScope } from '../inputs/fields.js'
import type { SecretInputs } from '../inputs/secrets.js'
import type { Release } from '../release/release.js'
import type { RunContext, RunInputs } from './context.js'
import type { StepReport } from './report.js'

export type { InputScope } from '../inputs/fields.js'

/** What a step is handed to prepare and to run. */
export interface StepCall<Own> {
  context: RunContext
  release: Release
  /** The step's own inputs, as its readInputs returned them. */
  inputs: Own
}

/** What a step's report may look at besides its own result (any may be missing on an early failure). */
export interface ReportView<Own> {
  inputs?: Own
  run?: RunInputs
  release?: Release
}

export interface Step<Name extends string, Result, Own = undefined, Needs = object, Prepared = undefined> {
  readonly name: Name
  /** The log group the step runs in. */
  readonly title: string
  /** Steps that must be in `steps` too, and why (scan and push work on the image build makes). */
  readonly requires?: readonly { step: string; because: string }[]
  /** Its inputs that hold secrets: masked before any input is read. */
  readonly secretInputs?: SecretInputs
  /**
   * Names of the state it saves for the post step (some may depend on its inputs: one per deploy
   * host): each is claimed empty when the run starts.
   */
  readonly states?: readonly string[] | ((inputs: Own | undefined) => readonly string[])
  /** Reads its inputs; a problem is recorded in `fields`, naming the input, and nothing throws. */
  readInputs?(fields: InputFields, scope: InputScope): Own
  /** Refuses the run before anything is set up (an InputError), e.g. for the event it runs on. */
  admit?(inputs: Own, run: { steps: readonly string[]; eventName: string }): void
  /** A reason not to run although the step is in `steps` (logged as a notice), or undefined. */
  skip?(inputs: Own, run: { steps: readonly string[]; release: Release }): string | undefined
  /** What must be settled before any step runs (the deploy host reached before the build). */
  prepare?(call: StepCall<Own>): Promise<Prepared>
  /**
   * Runs the step with the results of the steps before it. A step that fails half-way throws a
   * StepError carrying what it did get done.
   */
  run(
    call: StepCall<Own> & {
      earlier: Needs
      prepared: Prepared | undefined
      /** What another step prepared, if it was (the scan reads the deploy host's running image). */
      preparedBy?: (step: string) => unknown
    }
  ): Promise<Result>
  /** Every output of this step (empty values when it did not run) and its summary rows. */
  report(result: Result | undefined, view: ReportView<Own>): StepReport
  /** When the main step ends, however it ends: closes what prepare opened. */
  finish?(prepared: Prepared | undefined): void
  /** True when it left work for the post step that needs the run's credentials (a held lock). */
  leftForPost?(): boolean
}

/** A step as the orchestrator handles it, whatever its types. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export type AnyStep = Step<string, any, any, any, any>

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
