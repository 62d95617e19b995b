// Every input read once and checked before any program runs: the run's own (steps, and the
// release's image, tags and registry), then each step's through its readInputs. All problems of
// all inputs are reported together, each naming its input.
import { InputFields, type InputReader } from '../inputs/fields.js'
import { parseList } from '../lib/key-value.js'
import { readReleaseInputs } from '../release/inputs.js'
import type { RunInputs } from './context.js'
import type { AnyStep, Step } from './step.js'

export interface ReadInputs {
  run: RunInputs
  /** Each step's own inputs, by step name (steps without inputs of their own have none). */
  own: Record<string, unknown>
  /** Old input names used, each with the name to use instead. */
  warnings: string[]
}

export function readInputs(steps: readonly AnyStep[], read: InputReader, cwd: string): ReadInputs {
  const fields = new InputFields(read, cwd)
  const names = steps.map((step) => step.name)
  const chosen = fields.field('steps', (raw) => parseSteps(raw, steps), names)
  const run: RunInputs = { steps: chosen, ...readReleaseInputs(fields, { steps: chosen }) }
  const own: Record<string, unknown> = {}
  for (const step of steps) {
    if (step.readInputs) own[step.name] = step.readInputs(fields, { steps: chosen })
  }
  fields.check()
  return { run, own, warnings: fields.warnings }
}

/** The steps input: names of the given steps, in the order they run, with what each requires. */
export function parseSteps(
  raw: string,
  steps: readonly Pick<Step<string, unknown>, 'name' | 'requires'>[]
): string[] {
  const names = steps.map((step) => step.name)
  const named = parseList(raw || names.join(','))
  if (named.length === 0) throw new Error(`name at least one of ${names.join(', ')}`)
  for (const step of named) {
    if (!names.includes(step.toLowerCase())) throw new Error(`"${step}" is not one of ${names.join(', ')}`)
  }
  const lower = named.map((step) => step.toLowerCase())
  const chosen = steps.filter((step) => lower.includes(step.name))
  for (const step of chosen) {
    for (const { step: required, because } of step.requires ?? []) {
      if (!lower.includes(required)) throw new Error(`${step.name} ${because}: add ${required}`)
    }
  }
  return chosen.map((step) => step.name)
}
