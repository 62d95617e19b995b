// Masking the inputs that hold secrets, before anything can print them. Each step declares its
// own (Step.secretInputs); the run masks them all before it reads any input.
import * as core from '@actions/core'
import { keyValueLines } from '../lib/key-value.js'

export interface SecretInputs {
  /** Inputs whose whole value is a secret. */
  whole: readonly string[]
  /** KEY=VALUE inputs whose values are secrets (or may be: env feeds the deployed service). */
  values: readonly string[]
}
/**
 * Shorter values are not masked: the runner would hide every occurrence of those characters
 * (a build secret DEBUG=1 would turn every `1` in the log into ***).
 */
export const MIN_MASKED_LENGTH = 4

export interface MaskPlan {
  /** Values to register with the runner. */
  masked: string[]
  /** Why some values are not masked, naming the input and the key, never the value. */
  warnings: string[]
}

export function planMasks(read: (name: string) => string, secrets: SecretInputs): MaskPlan {
  const masked: string[] = []
  const warnings: string[] = []
  for (const name of secrets.whole) {
    const value = read(name)
    if (!value) continue
    masked.push(value)
    // The runner masks the log line by line: a key printed whole would match no mask of it all.
    for (const line of value.split(/\r?\n/).map((text) => text.trim())) {
      if (line !== value && line.length >= MIN_MASKED_LENGTH && !masked.includes(line)) masked.push(line)
    }
  }
  for (const name of secrets.values) {
    for (const { pair, lineNumber } of keyValueLines(read(name))) {
      if (!pair?.value) continue
      if (pair.value.length >= MIN_MASKED_LENGTH) masked.push(pair.value)
      else
        warnings.push(
          `${name}: the value of ${keyName(pair.key, lineNumber)} is shorter than ${MIN_MASKED_LENGTH} characters, too short to mask in the log without hiding every occurrence of those characters; it is not masked, so do not use it for anything secret`
        )
    }
  }
  return { masked, warnings }
}

export function maskSecretInputs(
  secrets: SecretInputs,
  read: (name: string) => string = (name) => core.getInput(name)
): void {
  const plan = planMasks(read, secrets)
  for (const value of plan.masked) core.setSecret(value)
  for (const warning of plan.warnings) core.warning(warning)
}

function keyName(key: string, lineNumber: number): string {
  return /^[\w.-]+$/.test(key) ? key : `line ${lineNumber}`
}

/** The secret inputs of several declarations, together. */
export function allSecretInputs(declared: readonly (SecretInputs | undefined)[]): SecretInputs {
  return {
    whole: declared.flatMap((secrets) => secrets?.whole ?? []),
    values: declared.flatMap((secrets) => secrets?.values ?? [])
  }
}
