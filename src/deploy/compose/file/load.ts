// Reading the deploy step's Compose files: their text, each YAML document parsed (with Compose's
// `!reset` and `!override` tags), interpolated, checked for shape and merged in order into one
// ComposeModel, as `docker compose` loads them. Pure: no program runs and no file is read here
// (readComposeFiles takes a reader), so the rules can be tested on text.
import { isScalar, LineCounter, parseAllDocuments, Scalar, visit, type Document, type Node } from 'yaml'
import { interpolateTree } from './interpolate.js'
import { mergeValue } from './merge.js'
import { ComposeFileError, type ComposeModel } from './model.js'
import { toService } from './service.js'
import { asMapping, describe, isMapping, Tagged } from './values.js'

export interface ComposeFileText {
  path: string
  text: string
}

/** Reads one compose file's text; throws when it cannot. */
export type ComposeFileReader = (file: string) => string

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
