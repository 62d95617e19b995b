// What a run learned so far: turned into the outputs and the summary however the run ends.
import type { Release } from '../release/release.js'
import type { RunInputs } from './context.js'

export interface RunRecord {
  /** The run's shared inputs, once every input was read and checked. */
  inputs?: RunInputs
  /** Each step's own inputs, by step name. */
  own?: Record<string, unknown>
  release?: Release
  /** Each step's result (or what it got done before failing), by step name. */
  results: Record<string, unknown>
  error?: string
}
