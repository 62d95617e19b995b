// The plain values a Compose file's YAML becomes (mappings, lists, scalars) and the marker of a
// value tagged `!reset` or `!override`, with the tests and descriptions every step (loading,
// interpolating, merging, typing, checking) uses to tell them apart and name them in messages.

/** Markers for Compose's `!reset` and `!override` YAML tags. */
export class Tagged {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown
  ) {}
}

export function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Tagged)
}

export function asMapping(value: unknown): Record<string, unknown> | undefined {
  return isMapping(value) ? value : undefined
}

export function describe(value: unknown): string {
  if (value instanceof Tagged) {
    const inner = value.value === null || value.value === undefined ? 'an empty value' : describe(value.value)
    return `${inner} tagged ${value.tag}`
  }
  if (value === null || value === undefined) return 'empty'
  if (Array.isArray(value)) return 'a list'
  if (isMapping(value)) return 'a mapping'
  if (typeof value === 'string') return `the text "${value}"`
  return `the ${typeof value} ${String(value)}`
}
