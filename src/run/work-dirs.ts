// The steps' private working folders under the runner's temp folder (the build's image ID and
// metadata files), recorded as they are made so that the post step removes them however the main
// step ended: a cancelled run never gets to its own clean-up. (The scan's folder is not one: it
// holds report-file, an output later steps read.)
import { mkdtempSync } from 'node:fs'
import path from 'node:path'
import { saveForPost } from './saved-for-post.js'
import { State } from './names.js'

const made: string[] = []

/** A new private folder under `tempRoot`, saved for the post step. */
export function makeWorkDir(tempRoot: string, prefix: string): string {
  const dir = mkdtempSync(path.join(tempRoot, prefix))
  made.push(dir)
  saveForPost(State.WorkDirs, JSON.stringify(made))
  return dir
}
