// The Compose files of the deploy step, read and checked before anything changes on the host.
// Pure: no program runs and no file is read here (readComposeFiles takes a reader), so the rules
// can be tested on text. What this follows, and where it comes from:
// - merging several files: the compose-spec's merge rules (13-merge.md) as compose-go's
//   override/merge.go and override/uncity.go implement them;
// - interpolation: the compose-spec's 12-interpolation.md as compose-go's template/template.go
//   implements it, applied to every string value of each file before the merge;
// - the project name: compose-go's cli/options.go (withNamePrecedenceLoad) and
//   loader/loader.go (projectName, NormalizeProjectName).
import path from 'node:path'
import { isScalar, LineCounter, parseAllDocuments, Scalar, visit, type Document, type Node } from 'yaml'

export interface ComposeFileText {
  path: string
  text: string
}

/** Reads one compose file's text; throws when it cannot. */
export type ComposeFileReader = (file: string) => string

/** A problem with the compose files or the rolled-out service; the message names the input. */
export class ComposeFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : problems.map((problem) => `- ${problem}`).join('\n'))
    this.name = 'ComposeFileError'
  }
}

/** One `ports` entry in Compose's long form; `raw` is how the file wrote it, for messages. */
export interface ComposePort {
  /** Container port or range (`80`, `8000-8001`). */
  target: string
  /** Host port or range; undefined (or '') when the engine picks a free port. */
  published?: string
  hostIp?: string
  protocol: string
  raw: string
}

export interface ComposeDependency {
  condition: string
  required: boolean
  restart?: boolean
}

/** A service of the merged model, with the attributes the rollout reads. */
export interface ComposeService {
  name: string
  image?: string
  /** `build`, always in its long form (`build: .` becomes `{ context: '.' }`). */
  build?: Record<string, unknown>
  containerName?: string
  ports: ComposePort[]
  healthcheck?: Record<string, unknown>
  /** `deploy.replicas`. */
  replicas?: number
  scale?: number
  /** As written, e.g. `1m30s`; see parseComposeDuration. */
  stopGracePeriod?: string
  networkMode?: string
  /** Service-level networks (the list form becomes keys with null values). */
  networks: Record<string, Record<string, unknown> | null>
  dependsOn: Record<string, ComposeDependency>
  labels: Record<string, string | null>
  environment: Record<string, string | null>
  /**
   * The merged mapping. Only the attributes above follow every Compose merge rule; others (volumes,
   * secrets, configs) are appended without Compose's uniqueness rules.
   */
  raw: Record<string, unknown>
}

export interface ComposeModel {
  /** The files, in the order they were merged. */
  files: string[]
  /** The last non-empty top-level `name:`, interpolated, not normalised; undefined when none. */
  name?: string
  services: Record<string, ComposeService>
  /** Top-level networks, merged. */
  networks: Record<string, Record<string, unknown> | null>
  /** Compose's warnings (unset variables defaulting to a blank string), to be logged. */
  warnings: string[]
  /** Each file's interpolated documents, to say which file set an attribute. */
  layers: { path: string; document: Record<string, unknown> }[]
}

/** What the rollout needs to know about the service it rolls out. */
export interface RolloutService {
  name: string
  /** The image reference, interpolated (so `${APP_VERSION}` is the version deployed). */
  image: string
  /**
   * `compose`: the compose file defines a healthcheck; `disabled`: it turns the image's off
   * (`disable: true` or `test: ["NONE"]`); `image`: not set in the files, the image's HEALTHCHECK
   * applies if it has one.
   */
  healthcheck: 'compose' | 'disabled' | 'image'
  /** `deploy.replicas`, else `scale`; undefined when neither is set. */
  replicas?: number
  /** `stop_grace_period` in seconds; undefined when not set (the engine's default is 10 s). */
  stopGracePeriodSeconds?: number
  /** The service's network keys (`default` when it names none); see networkName. */
  networks: string[]
  /** Ports published on a host port the engine picks (`"80"`, `"127.0.0.1::80"`, a host range). */
  ports: ComposePort[]
}

const NAME = /^[_a-z][_a-z0-9]*/i
const PORT_RANGE = /^\d+(?:-\d+)?$/

// ---------------------------------------------------------------------------------------------
// Reading and loading

/** Reads the files with `read`, naming the file when one cannot be read. */
export function readComposeFiles(files: string[], read: ComposeFileReader): ComposeFileText[] {
  const problems: string[] = []
  const texts: ComposeFileText[] = []
  for (const file of files) {
    try {
      texts.push({ path: file, text: read(file) })
    } catch (error) {
      problems.push(`compose-file: cannot read ${file}: ${(error as Error).message}`)
    }
  }
  if (problems.length > 0) throw new ComposeFileError(problems)
  return texts
}

/**
 * Parses, interpolates (with `env` only: pass exactly the variables Compose will see) and merges
 * the files in order, as Compose does. Throws ComposeFileError naming the file and what is wrong.
 */
export function loadCompose(files: ComposeFileText[], env: Record<string, string>): ComposeModel {
  if (files.length === 0) throw new ComposeFileError(['compose-file: no compose file given'])
  const warnings: string[] = []
  const layers: ComposeModel['layers'] = []
  let merged: Record<string, unknown> = {}
  let name: string | undefined
  for (const file of files) {
    for (const document of parseFile(file)) {
      const rawName = document.name
      let interpolated: Record<string, unknown>
      try {
        interpolated = interpolateTree(document, env, [], (warning) =>
          warnings.push(`${file.path}: ${warning}`)
        ) as Record<string, unknown>
      } catch (error) {
        throw new ComposeFileError([`compose-file: ${file.path}: ${(error as Error).message}`])
      }
      checkShape(file.path, interpolated)
      layers.push({ path: file.path, document: interpolated })
      // compose-go takes the last file whose raw `name:` is not empty, then interpolates it.
      if (rawName !== undefined && rawName !== null && rawName !== '') name = String(interpolated.name)
      try {
        merged = mergeValue(merged, interpolated, []) as Record<string, unknown>
      } catch (error) {
        throw new ComposeFileError([`compose-file: ${file.path}: ${(error as Error).message}`])
      }
    }
  }
  const names = files.map((file) => file.path).join(', ')
  const services = asMapping(merged.services)
  if (!services || Object.keys(services).length === 0) {
    throw new ComposeFileError([`compose-file: ${names} define no services`])
  }
  const problems: string[] = []
  const model: ComposeModel = {
    files: files.map((file) => file.path),
    name,
    services: {},
    networks: (asMapping(merged.networks) ?? {}) as ComposeModel['networks'],
    warnings,
    layers
  }
  for (const [serviceName, value] of Object.entries(services)) {
    try {
      if (!isMapping(value)) throw new Error(`the service is ${describe(value)}, not a mapping`)
      model.services[serviceName] = toService(serviceName, value)
    } catch (error) {
      problems.push(`compose-file: services.${serviceName}: ${(error as Error).message}`)
    }
  }
  if (problems.length > 0) throw new ComposeFileError(problems)
  return model
}

/** Markers for Compose's `!reset` and `!override` YAML tags. */
class Tagged {
  constructor(
    readonly tag: '!reset' | '!override',
    readonly value: unknown
  ) {}
}

function parseFile(file: ComposeFileText): Record<string, unknown>[] {
  const lineCounter = new LineCounter()
  const parsed = parseAllDocuments(file.text, { merge: true, prettyErrors: false, lineCounter })
  const documents: Document[] = Array.isArray(parsed) ? (parsed as Document[]) : []
  if (documents.length === 0 || (documents.length === 1 && documents[0]?.contents === null)) {
    throw new ComposeFileError([`compose-file: ${file.path} is empty`])
  }
  const results: Record<string, unknown>[] = []
  for (const document of documents) {
    const error = document.errors[0]
    if (error) {
      const { line, col } = lineCounter.linePos(error.pos[0])
      const message = error.message.split('\n')[0]
      throw new ComposeFileError([
        `compose-file: ${file.path} is not valid YAML: line ${line}, column ${col}: ${message}`
      ])
    }
    visit(document, {
      Node(key, node) {
        // A key keeps its plain value: the tags apply to values.
        if (key !== 'key' && (node.tag === '!reset' || node.tag === '!override')) markTagged(node, node.tag)
      }
    })
    let value: unknown
    try {
      value = document.toJS({ maxAliasCount: 1000 })
    } catch (error) {
      throw new ComposeFileError([
        `compose-file: ${file.path} is not valid YAML: ${(error as Error).message}`
      ])
    }
    if (value === null || value === undefined) continue
    if (value instanceof Tagged) {
      throw new ComposeFileError([
        `compose-file: ${file.path} is not a Compose file: its top level is ${describe(value)}; ${value.tag} applies to the values inside a file, not to the file`
      ])
    }
    if (!isMapping(value)) {
      throw new ComposeFileError([
        `compose-file: ${file.path} is not a Compose file: its top level is ${describe(value)}, not a mapping`
      ])
    }
    results.push(value)
  }
  return results
}

/**
 * Makes a node tagged `!reset` or `!override` convert to a Tagged marker holding its value. The
 * node stays in the document, so anchors in it (or on it) resolve for aliases anywhere, as
 * go-yaml resolves them for Compose; an alias to the tagged node itself gives the same marker.
 */
function markTagged(node: Node, tag: Tagged['tag']): void {
  type ToJSContext = { onCreate?: (res: unknown) => void }
  type ToJSON = (arg?: unknown, ctx?: ToJSContext, type?: unknown) => unknown
  const convert = (node.toJSON as ToJSON).bind(node)
  // `image: !reset` is an empty plain scalar, which YAML reads as "" under a tag it does not know.
  const empty = isScalar(node) && node.type === Scalar.PLAIN && node.value === ''
  const toJSON: ToJSON = (arg, ctx, type) => {
    // A `<<` merge key reads the mapping's entries (as a Map): they merge in as plain values.
    if (type !== undefined) return convert(arg, ctx, type)
    // An anchored mapping or list records itself for aliases through onCreate, before its items
    // are read: it records the marker instead. A scalar does not call it: toJS records the result.
    const onCreate = ctx?.onCreate
    let tagged: Tagged | undefined
    if (ctx && onCreate) {
      ctx.onCreate = (res) => {
        tagged = new Tagged(tag, res)
        onCreate(tagged)
      }
    }
    const value = convert(arg, ctx)
    if (tagged) return tagged
    if (ctx && onCreate) ctx.onCreate = onCreate
    return new Tagged(tag, empty ? null : value)
  }
  Object.assign(node, { toJSON })
}

/** Checks that `services` (unless reset) is a mapping of services that are each a mapping. */
function checkShape(file: string, document: Record<string, unknown>): void {
  if (!('services' in document)) return // an override may only add networks, volumes...
  const services = overridden(document.services)
  if (services instanceof Tagged) return // !reset
  if (!isMapping(services)) {
    throw new ComposeFileError([`compose-file: ${file}: services is ${describe(services)}, not a mapping`])
  }
  for (const [name, value] of Object.entries(services)) {
    const service = overridden(value)
    if (!isMapping(service) && !(service instanceof Tagged)) {
      throw new ComposeFileError([
        `compose-file: ${file}: services.${name} is ${describe(service)}, not a mapping`
      ])
    }
  }
}

/** The value an `!override` tag replaces with (the same checks apply to it); anything else as is. */
function overridden(value: unknown): unknown {
  return value instanceof Tagged && value.tag === '!override' ? value.value : value
}

// ---------------------------------------------------------------------------------------------
// Interpolation

/**
 * Interpolates one string as Compose does: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` (nested inside the
 * default, error or alternative), `$$` for a literal `$`. A `$` before anything else is kept.
 * An unset variable with no default becomes '' and `warn` is told.
 */
export function interpolate(
  text: string,
  env: Record<string, string>,
  warn: (message: string) => void = () => undefined
): string {
  const lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined
  let out = ''
  let i = 0
  while (i < text.length) {
    const dollar = text.indexOf('$', i)
    if (dollar === -1) {
      out += text.slice(i)
      break
    }
    out += text.slice(i, dollar)
    const next = text[dollar + 1]
    if (next === '$') {
      out += '$'
      i = dollar + 2
      continue
    }
    if (next === '{') {
      const close = closingBrace(text, dollar + 2)
      if (close === -1) throw new Error(`invalid interpolation "${text}": \${ without a closing }`)
      out += substitute(text.slice(dollar + 2, close), text, env, lookup, warn)
      i = close + 1
      continue
    }
    const named = NAME.exec(text.slice(dollar + 1))
    if (named) {
      const value = lookup(named[0])
      if (value === undefined) warn(unsetWarning(named[0]))
      out += value ?? ''
      i = dollar + 1 + named[0].length
      continue
    }
    out += '$'
    i = dollar + 1
  }
  return out
}

function unsetWarning(name: string): string {
  return `the "${name}" variable is not set. Defaulting to a blank string.`
}

/** Index of the `}` closing a `${` whose content starts at `from`, counting nested `{`. */
function closingBrace(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

function substitute(
  inner: string,
  whole: string,
  env: Record<string, string>,
  lookup: (name: string) => string | undefined,
  warn: (message: string) => void
): string {
  const named = NAME.exec(inner)
  if (!named) throw new Error(`invalid interpolation "${whole}": "\${${inner}}" does not start with a name`)
  const name = named[0]
  const rest = inner.slice(name.length)
  const value = lookup(name)
  if (rest === '') {
    if (value === undefined) warn(unsetWarning(name))
    return value ?? ''
  }
  const operator = /^:?[-?+]/.exec(rest)?.[0]
  if (!operator) {
    throw new Error(
      `invalid interpolation "${whole}": "\${${inner}}" is not supported (Compose takes :- - :? ? :+ +)`
    )
  }
  const word = rest.slice(operator.length)
  const colon = operator.startsWith(':')
  const present = value !== undefined && (!colon || value !== '')
  switch (operator.slice(-1)) {
    case '-':
      return present ? (value as string) : interpolate(word, env, warn)
    case '+':
      return present ? interpolate(word, env, warn) : (value ?? '')
    default: {
      if (present) return value as string
      const reason = interpolate(word, env, warn)
      throw new Error(`required variable ${name} is missing a value${reason ? `: ${reason}` : ''}`)
    }
  }
}

function interpolateTree(
  value: unknown,
  env: Record<string, string>,
  at: string[],
  warn: (message: string) => void
): unknown {
  if (typeof value === 'string') {
    try {
      return interpolate(value, env, warn)
    } catch (error) {
      throw new Error(`${at.join('.') || 'value'}: ${(error as Error).message}`)
    }
  }
  if (value instanceof Tagged) return new Tagged(value.tag, interpolateTree(value.value, env, at, warn))
  if (Array.isArray(value))
    return value.map((item, index) => interpolateTree(item, env, [...at, `[${index}]`], warn))
  if (isMapping(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, env, [...at, key], warn)
    return out
  }
  return value
}

// ---------------------------------------------------------------------------------------------
// Merging (compose-go override.MergeYaml with the special rules for the attributes used here)

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
function mergeValue(base: unknown, over: unknown, at: string[]): unknown {
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

function toBuild(value: unknown): Record<string, unknown> {
  if (value === undefined || value === null) return {}
  if (typeof value === 'string') return { context: value }
  if (isMapping(value)) return value
  throw new Error(`build is ${describe(value)}, not a path or a mapping`)
}

function toMapping(value: unknown, at: string[]): Record<string, unknown> {
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

function toDependsOn(value: unknown, at: string[]): Record<string, unknown> {
  if (Array.isArray(value)) {
    return Object.fromEntries(
      value.map((item) => [String(item), { condition: 'service_started', required: true }])
    )
  }
  return toMapping(value, at)
}

/** `KEY=VALUE` lists and mappings alike, as a mapping; `KEY` alone (or `KEY:` null) is null. */
function toKeyValues(value: unknown, at: string[]): Record<string, string | null> {
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

function toSequence(value: unknown, at: string[]): unknown[] {
  if (value === undefined || value === null) return []
  if (Array.isArray(value)) return value
  throw new Error(`${at.join('.')} is ${describe(value)}, not a list`)
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

// ---------------------------------------------------------------------------------------------
// The typed service

function toService(name: string, raw: Record<string, unknown>): ComposeService {
  const deploy = asMapping(raw.deploy)
  const healthcheck = raw.healthcheck
  if (healthcheck !== undefined && healthcheck !== null && !isMapping(healthcheck)) {
    throw new Error(`healthcheck is ${describe(healthcheck)}, not a mapping`)
  }
  return {
    name,
    image: optionalString(raw.image, 'image'),
    build: raw.build === undefined ? undefined : toBuild(raw.build),
    containerName: optionalString(raw.container_name, 'container_name'),
    ports: toSequence(raw.ports, ['ports']).map(parsePort),
    healthcheck: isMapping(healthcheck) ? healthcheck : undefined,
    replicas: optionalCount(deploy?.replicas, 'deploy.replicas'),
    scale: optionalCount(raw.scale, 'scale'),
    stopGracePeriod: optionalString(raw.stop_grace_period, 'stop_grace_period', true),
    networkMode: optionalString(raw.network_mode, 'network_mode'),
    networks: toMapping(raw.networks, ['networks']) as ComposeService['networks'],
    dependsOn: toDependsOn(raw.depends_on, ['depends_on']) as Record<string, ComposeDependency>,
    labels: toKeyValues(raw.labels, ['labels']),
    environment: toKeyValues(raw.environment, ['environment']),
    raw
  }
}

function optionalString(value: unknown, key: string, strict = false): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (!strict && (typeof value === 'number' || typeof value === 'boolean')) return String(value)
  throw new Error(`${key} is ${describe(value)}, not a string`)
}

/** A whole number of containers; interpolation leaves strings such as "3". */
function optionalCount(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${key} is ${describe(value)}, not a whole number`)
  }
  const text = String(value).trim()
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`${key} "${String(value)}" is not a whole number`)
  }
  return Number(text)
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

// ---------------------------------------------------------------------------------------------
// Project name

/** compose-go's NormalizeProjectName: lowercase, keep [a-z0-9_-], drop leading _ and -. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '')
}

/**
 * The project name as Compose settles it: the compose-project input (`-p`), else a non-empty
 * COMPOSE_PROJECT_NAME in `env` (both must already be valid: Compose refuses, not normalises,
 * them), else the top-level `name:` of the files, else the folder of the first file (resolved
 * against `cwd`), both normalised.
 */
export function composeProjectName(
  model: ComposeModel,
  options: { composeProject?: string; env?: Record<string, string>; cwd?: string } = {}
): string {
  const imperative: [string, string | undefined][] = [
    ['compose-project', options.composeProject],
    ['env: COMPOSE_PROJECT_NAME', options.env?.COMPOSE_PROJECT_NAME]
  ]
  for (const [source, value] of imperative) {
    if (!value) continue
    if (normalizeProjectName(value) !== value) {
      throw new ComposeFileError([
        `${source}: "${value}" is not a Compose project name (lowercase letters, digits, _ and -, starting with a letter or digit)`
      ])
    }
    return value
  }
  if (model.name !== undefined) {
    const named = normalizeProjectName(model.name)
    if (named) return named
    throw new ComposeFileError([
      `compose-file: the name "${model.name}" leaves no valid project name; set compose-project`
    ])
  }
  const first = model.files[0] ?? '.'
  const folder = path.basename(path.dirname(path.resolve(options.cwd ?? process.cwd(), first)))
  const named = normalizeProjectName(folder)
  if (!named) {
    throw new ComposeFileError([
      `compose-file: the folder name "${folder}" leaves no valid project name; set compose-project or name: in the file`
    ])
  }
  return named
}

/** The engine's name of a service-level network key: `name:` if set, else external as is, else project_key. */
export function networkName(model: ComposeModel, project: string, key: string): string {
  const definition = model.networks[key]
  if (definition && typeof definition.name === 'string' && definition.name) return definition.name
  if (definition && (definition.external === true || definition.external === 'true')) return key
  return `${project}_${key}`
}

// ---------------------------------------------------------------------------------------------
// Durations

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800
}

/**
 * A Compose duration in seconds: Go-style `1m30s`, `1.5h`, `500ms`, `10s` (compose-go parses them
 * with str2duration: ns us ms s m h d w). `0` alone is zero; a bare number is refused (Compose's
 * schema wants a string with units).
 */
export function parseComposeDuration(text: string): number {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y
  let seconds = 0
  let index = 0
  while (index < trimmed.length) {
    part.lastIndex = index
    const match = part.exec(trimmed)
    if (!match) break
    seconds += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number)
    index = part.lastIndex
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw new Error(`"${text}" is not a duration such as 10s, 1m30s or 500ms`)
  }
  return Math.round(seconds * 1e6) / 1e6
}

// ---------------------------------------------------------------------------------------------
// The service rolled out

/**
 * Checks that `service` can run twice side by side (old and new containers at once) and returns
 * what the rollout needs. Throws ComposeFileError listing every problem; messages name the input.
 */
export function checkRolloutService(model: ComposeModel, service: string): RolloutService {
  const files = model.files.join(', ')
  const found = Object.prototype.hasOwnProperty.call(model.services, service)
    ? model.services[service]
    : undefined
  if (!found) {
    const names = Object.keys(model.services).sort()
    throw new ComposeFileError([
      `service: "${service}" is not a service of ${files}; the services there are ${names.join(', ')}`
    ])
  }
  const problems: string[] = []
  const at = (key: string): string => definedIn(model, service, key)

  const image = found.image?.trim() ?? ''
  if (image === '') {
    problems.push(
      `compose-file: service ${service} has no image (in ${files}): the rollout pulls the pushed image, so set image: to it with the tag \${APP_VERSION}`
    )
  } else if (/[:@]$/.test(image) || /\s/.test(image)) {
    problems.push(
      `compose-file: service ${service} has image "${image}" (in ${at('image')}), not a valid image reference: is a variable in it unset?`
    )
  }
  if (found.containerName !== undefined) {
    problems.push(
      `compose-file: service ${service} sets container_name "${found.containerName}" (in ${at('container_name')}): a fixed container name cannot run twice side by side; remove it`
    )
  }
  if (found.networkMode === 'host') {
    problems.push(
      `compose-file: service ${service} uses network_mode: host (in ${at('network_mode')}): the new containers would bind the same host ports as the old ones`
    )
  }
  const ports: ComposePort[] = []
  for (const port of found.ports) {
    const fixed = fixedHostPort(port)
    if (fixed) {
      problems.push(
        `compose-file: service ${service} publishes ${fixed} "${port.raw}" (in ${portDefinedIn(model, service, port)}): the new containers cannot bind it while the old ones run; publish the container port only (e.g. "${port.target}") behind a proxy, or a host port range`
      )
    } else {
      ports.push(port)
    }
  }
  let replicas = found.replicas ?? found.scale
  if (found.replicas !== undefined && found.scale !== undefined && found.replicas !== found.scale) {
    problems.push(
      `compose-file: service ${service} sets distinct values on scale (${found.scale}) and deploy.replicas (${found.replicas})`
    )
    replicas = undefined
  }
  let stopGracePeriodSeconds: number | undefined
  if (found.stopGracePeriod !== undefined) {
    try {
      stopGracePeriodSeconds = parseComposeDuration(found.stopGracePeriod)
    } catch (error) {
      problems.push(
        `compose-file: service ${service} stop_grace_period (in ${at('stop_grace_period')}): ${(error as Error).message}`
      )
    }
  }
  const networks = found.networkMode ? [] : Object.keys(found.networks)
  if (!found.networkMode && networks.length === 0) networks.push('default')
  for (const network of networks) {
    if (network !== 'default' && !Object.prototype.hasOwnProperty.call(model.networks, network)) {
      problems.push(
        `compose-file: service ${service} is on network ${network}, which no top-level networks: entry defines (in ${files})`
      )
    }
  }
  if (problems.length > 0) throw new ComposeFileError(problems)
  return {
    name: service,
    image,
    healthcheck: healthcheckKind(found.healthcheck),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(stopGracePeriodSeconds !== undefined ? { stopGracePeriodSeconds } : {}),
    networks,
    ports
  }
}

/**
 * What makes a port fixed on the host, or undefined when the engine picks the host port: no
 * published port (`"80"`, `"127.0.0.1::80"`), or a range of at least two host ports for one
 * container port (`"8000-8010:80"`: the engine takes a free one per container).
 */
function fixedHostPort(port: ComposePort): string | undefined {
  if (port.published === undefined || port.published === '') return undefined
  const ip = port.hostIp ? ` on ${port.hostIp}` : ''
  const [low, high] = port.published.split('-').map(Number) as [number, number | undefined]
  if (high === undefined) return `the fixed host port ${port.published}${ip}`
  const size = high - low + 1
  if (port.target.includes('-')) return `the host port range ${port.published}${ip} one to one`
  if (size < 2) return `the host port range ${port.published}${ip} of one port`
  return undefined
}

function healthcheckKind(healthcheck: Record<string, unknown> | undefined): RolloutService['healthcheck'] {
  if (!healthcheck || Object.keys(healthcheck).length === 0) return 'image'
  const disable = healthcheck.disable
  if (disable === true || disable === 'true') return 'disabled'
  const test = healthcheck.test
  if (Array.isArray(test) && test[0] === 'NONE') return 'disabled'
  if (test === undefined) return 'image' // only intervals: they tune the image's HEALTHCHECK
  return 'compose'
}

/** The files whose documents set services.<service>.<key>. */
function definedIn(model: ComposeModel, service: string, key: string): string {
  const files = model.layers
    .filter((layer) => {
      const definition = asMapping(asMapping(layer.document.services)?.[service])
      return definition !== undefined && key in definition
    })
    .map((layer) => layer.path)
  return [...new Set(files)].join(', ') || model.files.join(', ')
}

function portDefinedIn(model: ComposeModel, service: string, port: ComposePort): string {
  const files = model.layers
    .filter((layer) => {
      const definition = asMapping(asMapping(layer.document.services)?.[service])
      const ports = definition?.ports
      const list = ports instanceof Tagged ? ports.value : ports
      return Array.isArray(list) && list.some((entry) => portText(entry) === port.raw)
    })
    .map((layer) => layer.path)
  return [...new Set(files)].join(', ') || model.files.join(', ')
}

function portText(entry: unknown): string {
  return typeof entry === 'string' ? entry : typeof entry === 'number' ? String(entry) : JSON.stringify(entry)
}

// ---------------------------------------------------------------------------------------------

function isMapping(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value) && !(value instanceof Tagged)
}

function asMapping(value: unknown): Record<string, unknown> | undefined {
  return isMapping(value) ? value : undefined
}

function describe(value: unknown): string {
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
