// Merging several Compose files: the compose-spec's merge rules (13-merge.md) as compose-go's
// override/merge.go and override/uncity.go implement them (override.MergeYaml with the special
// rules for the attributes used here). `!reset` removes a value, `!override` replaces it.
import { parsePort, toBuild, toDependsOn, toKeyValues, toMapping, toSequence } from './long-form.js'
import { describe, isMapping, Tagged } from './values.js'

type Merger = (base: unknown, over: unknown, at: string[]) => unknown

const SPECIAL: [pattern: string, merge: Merger][] = [
  ['services.*.build', (base, over, at) => mergeMappings(toBuild(base), toBuild(over), at)],
  ['services.*.command', (_base, over) => resolveTags(over)],
  ['services.*.entrypoint', (_base, over) => resolveTags(over)],
  ['services.*.healthcheck.test', (_base, over) => resolveTags(over)],
  [
    'services.*.depends_on',
    (base, over, at) => mergeMappings(toDependsOn(base, at), toDependsOn(over, at), at)
  ],
  ['services.*.networks', (base, over, at) => mergeMappings(toMapping(base, at), toMapping(over, at), at)],
  ['services.*.environment', mergeKeyValues],
  ['services.*.labels', mergeKeyValues],
  ['services.*.deploy.labels', mergeKeyValues],
  [
    'services.*.ports',
    (base, over, at) => uniquePorts([...toSequence(base, at), ...toSequence(resolveTags(over), at)])
  ]
]

/** Compose appends the KEY=VALUE entries and keeps the last one of each key. */
function mergeKeyValues(base: unknown, over: unknown, at: string[]): Record<string, string | null> {
  const out = toKeyValues(resolveTags(base), at)
  if (isMapping(over)) {
    for (const [key, value] of Object.entries(over)) {
      if (value instanceof Tagged && value.tag === '!reset') delete out[key]
      else Object.assign(out, toKeyValues({ [key]: resolveTags(value) }, at))
    }
    return out
  }
  return Object.assign(out, toKeyValues(resolveTags(over), at))
}

function special(at: string[]): Merger | undefined {
  for (const [pattern, merge] of SPECIAL) {
    const parts = pattern.split('.')
    if (parts.length === at.length && parts.every((part, i) => part === '*' || part === at[i])) return merge
  }
  return undefined
}

/** Merges `over` onto `base` at path `at`; `!reset` removes, `!override` replaces. */
export function mergeValue(base: unknown, over: unknown, at: string[]): unknown {
  if (over instanceof Tagged) return over.tag === '!reset' ? undefined : resolveTags(over.value)
  const merge = special(at)
  // A value met for the first time still gets its canonical form (depends_on list -> mapping).
  if (merge) return merge(base, over, at)
  if (base === undefined) return resolveTags(over)
  if (over === null || over === undefined) return base
  if (isMapping(base)) {
    if (!isMapping(over)) throw new Error(`cannot override ${at.join('.')}: a mapping with ${describe(over)}`)
    return mergeMappings(base, over, at)
  }
  if (Array.isArray(base)) {
    if (!Array.isArray(over))
      throw new Error(`cannot override ${at.join('.')}: a sequence with ${describe(over)}`)
    return [...base, ...(resolveTags(over) as unknown[])]
  }
  return resolveTags(over)
}

function mergeMappings(
  base: Record<string, unknown>,
  over: Record<string, unknown>,
  at: string[]
): Record<string, unknown> {
  const out: Record<string, unknown> = { ...base }
  for (const [key, value] of Object.entries(over)) {
    const merged = mergeValue(out[key], value, [...at, key])
    if (merged === undefined) delete out[key]
    else out[key] = merged
  }
  return out
}

/** Drops `!reset` values and unwraps `!override` ones where there is nothing to merge with. */
function resolveTags(value: unknown): unknown {
  if (value instanceof Tagged) return value.tag === '!reset' ? undefined : resolveTags(value.value)
  if (Array.isArray(value)) return value.map(resolveTags).filter((item) => item !== undefined)
  if (isMapping(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) {
      const resolved = resolveTags(item)
      if (resolved !== undefined) out[key] = resolved
    }
    return out
  }
  return value
}

/** Compose keeps one entry per {host_ip, published, target, protocol}: a later one replaces it. */
function uniquePorts(entries: unknown[]): unknown[] {
  const out: unknown[] = []
  const seen = new Map<string, number>()
  for (const entry of entries) {
    const port = parsePort(entry)
    const key = `${port.hostIp ?? '0.0.0.0'}:${port.published ?? ''}:${port.target}/${port.protocol}`
    const index = seen.get(key)
    if (index === undefined) {
      seen.set(key, out.length)
      out.push(entry)
    } else {
      out[index] = entry
    }
  }
  return out
}
