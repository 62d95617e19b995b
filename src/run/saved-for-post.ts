// The main step's side of the state it hands the post step (GITHUB_STATE, read back as
// STATE_<name>): every value goes through here, so the main step also knows, when it ends, what
// it left for the post step to finish (a held lock, a rollout under way).
import * as core from '@actions/core'

const lastSaved = new Map<string, string>()

export function saveForPost(name: string, value: string): void {
  lastSaved.set(name, value)
  core.saveState(name, value)
}

/** The value last saved under `name` in this run ('' when none). */
export function savedForPost(name: string): string {
  return lastSaved.get(name) ?? ''
}

/**
 * Saves every name empty first. The runner applies a step's state file when the step ends, over
 * any value a printed `::save-state` line set meanwhile: with every name in the file, nothing
 * printed can add state the post step would read.
 */
export function claimEveryState(names: readonly string[]): void {
  for (const name of names) saveForPost(name, '')
}
