// Helpers shared by the property tests (__tests__/unit/**/*.properties.test.ts): running a parser and
// keeping what it gave or threw, counting which branches a property's runs took, and the checks a
// plain Error must pass.
import { expect } from '@jest/globals'
import { FORBIDDEN } from './arbitraries.js'

/** Runs `parse`, returning what it gave or the error it threw. */
export function attempt<T>(parse: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: parse() }
  } catch (error) {
    return { ok: false, error }
  }
}

/** Counts how a property's runs went, to check afterwards that each branch was exercised. */
export function tally(): { add: (what: string) => void; count: (what: string) => number } {
  const counts = new Map<string, number>()
  return {
    add: (what) => counts.set(what, (counts.get(what) ?? 0) + 1),
    count: (what) => counts.get(what) ?? 0
  }
}

/** A plain Error (not a TypeError, RangeError or SyntaxError) whose message is its own. */
export function expectPlainError(error: unknown, message: RegExp = /./): void {
  expect(error).toBeInstanceOf(Error)
  expect((error as Error).constructor).toBe(Error)
  expect((error as Error).message).toMatch(message)
  expect((error as Error).message).not.toMatch(FORBIDDEN)
}
