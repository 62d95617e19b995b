// Reading inputs: each parser's error becomes a problem naming the input, and every problem of
// every input is reported together (InputError) before any program runs. Each step reads its own
// inputs through one InputFields; the parsers here are the ones more than one step uses.
import { existsSync, statSync } from 'node:fs'
import { ACTION_DEFAULTS } from './action-defaults.js'
import { renamedInputReader } from './renamed.js'

/** What inputs may depend on: which steps run. */
export interface InputScope {
  steps: readonly string[]
}

/** Reads one input as the runner passes it (INPUT_<NAME>), trimmed; '' when unset. */
export type InputReader = (name: string) => string

export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs:\n${problems.map((problem) => `- ${problem}`).join('\n')}`
    )
    this.name = 'InputError'
  }
}

/** The inputs being read, and the problems found so far. */
export class InputFields {
  readonly problems: string[]
  /** Old input names used (renamed.ts): for the log, not failures. */
  readonly warnings: string[]
  private readonly given: InputReader

  constructor(
    given: InputReader,
    /** The workspace, against which paths in inputs are resolved. */
    readonly cwd: string
  ) {
    const renamed = renamedInputReader(given)
    this.given = renamed.read
    this.problems = [...renamed.problems]
    this.warnings = renamed.warnings
  }

  /** An input's value; an empty one gets action.yml's default, as the runner gives it. */
  readonly read = (name: string): string => this.given(name) || ACTION_DEFAULTS[name] || ''

  /** Runs one input's parser; a thrown message becomes a problem naming the input. */
  field<T>(name: string, parse: (raw: string) => T, fallback: T): T {
    try {
      return parse(this.read(name))
    } catch (error) {
      this.problems.push(`${name}: ${(error as Error).message}`)
      return fallback
    }
  }

  /** A problem found by looking at several inputs together; it starts with the input's name. */
  problem(message: string): void {
    this.problems.push(message)
  }

  /** Throws every problem found, if any. */
  check(): void {
    if (this.problems.length > 0) throw new InputError(this.problems)
  }
}

/** YAML 1.2 core booleans, as core.getBooleanInput accepts them. */
export function parseBoolean(raw: string): boolean {
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE', ''].includes(raw)) return false
  throw new Error(`"${raw}" is not a boolean (true or false)`)
}

export function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const lower = raw.toLowerCase()
  const found = choices.find((choice) => choice === lower)
  if (!found) throw new Error(`"${raw}" is not one of ${choices.join(', ')}`)
  return found
}

/** Checks that PEM text has the expected block; never quotes the text (it may be a key). */
export function checkPem(fields: InputFields, name: string, text: string, kind: string): void {
  if (!text) return
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text) || !/-----END [A-Z ]+-----/.test(text)) {
    fields.problem(`${name}: is not PEM text with a ${kind} block (-----BEGIN ...${kind}-----)`)
  }
}

export function isDirectory(target: string): boolean {
  return existsSync(target) && statSync(target).isDirectory()
}

export function isFile(target: string): boolean {
  return existsSync(target) && statSync(target).isFile()
}
