// What the post step hands each step's cleanup: the state that step saved (STATE_<name>), the
// inputs (the runner hands them to the post step too), the checked private Docker config and a
// log. A cleanup checks every value it reads (nothing in the state is trusted), never throws,
// and says what it cannot do in a warning.

export interface PostLog {
  info(message: string): void
  warning(message: string): void
}

export interface PostContext {
  /** A value the main step saved for the post step, '' when none; not yet checked. */
  saved(name: string): string
  /** An input as the runner hands it to the post step too (INPUT_<NAME>), trimmed. */
  input(name: string): string
  /** The runner's temp folder, where the action's own folders must be. */
  tempRoot: string
  /** The private Docker config, checked to be the action's; undefined when none was left. */
  configDir: string | undefined
  /** The runner's PATH, for the programs a cleanup runs (ssh). */
  path: string | undefined
  log: PostLog
}

/** A step's part of the post step. */
export interface StepCleanup {
  readonly name: string
  cleanUp(post: PostContext): Promise<void>
}
