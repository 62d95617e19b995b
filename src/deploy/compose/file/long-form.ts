// The long form of the service attributes Compose takes in several forms: `build` (a path or a
// mapping), `networks` and `depends_on` (a list or a mapping), `environment` and `labels`
// (KEY=VALUE lists or mappings), `ports` entries (a number, the short syntax or the long one).
// The merge (merge.ts) and the typed service (service.ts) both work on these forms.
import type { ComposePort } from './model.js'
import { describe, isMapping } from './values.js'

const PORT_RANGE = /^\d+(?:-\d+)?$/

export function toBuild(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value === 'string') return { context: value }
  if (isMapping(value)) return value
  throw new Error(`build is ${describe(value)}, not a path or a mapping`)
}

export function toMapping(value: unknown, at: string[]): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (isMapping(value)) return value
  if (Array.isArray(value))
    return Object.fromEntries(value.map((item, index) => [listKey(item, at, index), null]))
  throw new Error(`${at.join('.')} is ${describe(value)}, not a list or a mapping`)
}

/** An entry of a list of names (`networks: [front, back]`): a name, never a mapping or list. */
function listKey(item: unknown, at: string[], index: number): string {
  if (typeof item === 'string' || typeof item === 'number' || typeof item === 'boolean') return String(item)
  throw new Error(`${at.join('.')}[${index}] is ${describe(item)}, not a name`)
}

export function toDependsOn(value: unknown, at: string[]): Record<string, unknown> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((item) => [String(item), { condition: 'service_started', required: true }])
    )
  }
  return toMapping(value, at)
}

/** `KEY=VALUE` lists and mappings alike, as a mapping; `KEY` alone (or `KEY:` null) is null. */
export function toKeyValues(value: unknown, at: string[]): Record<string, string | null> {
  const out: Record<string, string | null> = {}
  if (value === undefined || value === null) return out
  if (Array.isArray(value)) {
    for (const item of value) {
      const text = String(item)
      const equals = text.indexOf('=')
      if (equals === -1) out[text] = null
      else out[text.slice(0, equals)] = text.slice(equals + 1)
    }
    return out
  }
  if (isMapping(value)) {
    for (const [key, item] of Object.entries(value)) out[key] = item === null ? null : String(item)
    return out
  }
  throw new Error(`${at.join('.')} is ${describe(value)}, not a list or a mapping`)
}

export function toSequence(value: unknown, at: string[]): unknown[] {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value
  throw new Error(`${at.join('.')} is ${describe(value)}, not a list`)
}

/**
 * One `ports` entry: a number (`80`), the short syntax `[[host_ip:][published]:]target[/protocol]`
 * (IPv6 host addresses in brackets) or the long syntax mapping.
 */
export function parsePort(entry: unknown): ComposePort {
  if (typeof entry === 'number') return { target: String(entry), protocol: 'tcp', raw: String(entry) }
  if (isMapping(entry)) {
    const raw = JSON.stringify(entry)
    if (entry.target === undefined || entry.target === null || entry.target === '') {
      throw new Error(`ports entry ${raw} has no target`)
    }
    /** A field of the long syntax, as text: a scalar, never a mapping or a list. */
    const scalar = (key: string, what: string): string | undefined => {
      const value = entry[key]
      if (value === undefined || value === null) return undefined
      if (typeof value === 'string' || typeof value === 'number' || typeof value === 'boolean')
        return String(value)
      throw new Error(`ports entry ${raw} has ${key} ${describe(value)}, not ${what}`)
    }
    const target = scalar('target', 'a port') as string
    const published = scalar('published', 'a port')
    const hostIp = scalar('host_ip', 'an address')
    const protocol = scalar('protocol', 'a protocol')
    return {
      target,
      ...(published !== undefined ? { published } : {}),
      ...(entry.host_ip ? { hostIp } : {}),
      protocol: entry.protocol ? (protocol as string) : 'tcp',
      raw
    }
  }
  if (typeof entry !== 'string') throw new Error(`ports entry ${describe(entry)} is not a port`)
  const raw = entry
  let text = entry.trim()
  let protocol = 'tcp'
  const slash = text.lastIndexOf('/')
  if (slash !== -1) {
    protocol = text.slice(slash + 1)
    text = text.slice(0, slash)
  }
  const colon = text.lastIndexOf(':')
  const target = text.slice(colon + 1)
  const port: ComposePort = { target, protocol, raw }
  if (colon !== -1) {
    const front = text.slice(0, colon)
    const hostColon = front.startsWith('[') ? front.indexOf(']:') + 1 : front.lastIndexOf(':')
    if (hostColon > 0) {
      port.hostIp = front.slice(0, hostColon).replace(/^\[|\]$/g, '')
      port.published = front.slice(hostColon + 1)
    } else {
      port.published = front
    }
  }
  if (!PORT_RANGE.test(port.target) || (port.published && !PORT_RANGE.test(port.published))) {
    throw new Error(`ports entry "${raw}" is not [[host_ip:]published:]target[/protocol]`)
  }
  return port
}
