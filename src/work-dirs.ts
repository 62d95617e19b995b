// The steps' private folders under the runner's temp folder (the build's image ID file, the
// scan's report), recorded as they are made so that the post step removes them however the main
// step ended: a cancelled run never gets to its own clean-up.
import { mkdtempSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { State } from './constants.js'

const made: string[] = []

/** A new private folder under `tempRoot`, saved for the post step. */
export function makeWorkDir(tempRoot: string, prefix: string): string {
  const dir = mkdtempSync(path.join(tempRoot, prefix))
  made.push(dir)
  core.saveState(State.WorkDirs, JSON.stringify(made))
  return dir
}
