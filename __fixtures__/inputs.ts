// Real Inputs objects for unit tests, parsed by getInputs from the given input values (unset
// ones read '' as the runner passes them) in a throwaway workspace with a Dockerfile.
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { getInputs, type Inputs } from '../src/pipeline/inputs.js'

export function makeInputs(
  given: Record<string, string>,
  files: Record<string, string> = { Dockerfile: 'FROM scratch\n' }
): Inputs {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'inputs-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true })
    writeFileSync(path.join(cwd, name), content)
  }
  return getInputs((name) => given[name] ?? '', cwd)
}
