// Every input of this pipeline as one typed object: the run's (steps, image, tags, registry) and
// each step's own, read and checked the way the run reads them (run/run-inputs.ts).
import type { BuildInputs } from '../build/inputs.js'
import type { DeployInputs } from '../deploy/inputs.js'
import type { InputReader } from '../inputs/fields.js'
import type { ReleaseInputs } from '../release/inputs.js'
import { readInputs } from '../run/run-inputs.js'
import type { ScanInputs } from '../scan/inputs.js'
import { STEPS, type StepName } from './steps.js'

export interface Inputs extends ReleaseInputs {
  steps: StepName[]
  build: BuildInputs
  scan: ScanInputs
  deploy: DeployInputs
}

export function getInputs(read: InputReader, cwd: string = process.cwd()): Inputs {
  const { run, own } = readInputs(STEPS, read, cwd)
  return { ...run, ...own } as Inputs
}
