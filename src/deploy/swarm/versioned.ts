// Swarm secrets and configs are immutable: a stack deploy that changes one's content under the
// same name fails. So each secret and config the compose files define from a `file:` or from
// `environment:` gets a name with a hash of its content (`<stack>_<key>_<12 hex>`): a changed
// value is a new object, the service switches to it in the same rolling update, and the older
// versions are removed once the update succeeded (cleanup.ts).
// `docker stack deploy` refuses `environment:` (its schema only knows `file:`), so a file that
// defines one is handed to it rewritten: that entry becomes `file:` of a private file holding
// the value, outside the workspace. Pure: the files are read through the reader given.
import { createHash } from 'node:crypto'
import { parseDocument } from 'yaml'
import { ComposeFileError } from '../compose/file/model.js'
import { isMapping } from '../compose/file/values.js'

export type SwarmObjectKind = 'secret' | 'config'

/** The compose file's top-level section of a kind. */
export const SECTION: Record<SwarmObjectKind, 'secrets' | 'configs'> = {
  secret: 'secrets',
  config: 'configs'
}

/** Docker refuses longer secret and config names. */
const NAME_LIMIT = 64

export interface VersionedObject {
  kind: SwarmObjectKind
  /** Its key in the compose file. */
  key: string
  /** `<stack>_<key>_<12 hex of its content's sha256>`. */
  name: string
  /** What every version's name starts with: `<stack>_<key>_`. */
  prefix: string
  /** Set when it comes from `file:`: the path as the compose file gives it. */
  file?: string
  /** Set when it comes from `environment:`: the variable, and its value. */
  variable?: string
  value?: string
}

/** `<stack>_<key>_` and the first 12 hex digits of the content's sha256. */
export function versionName(stack: string, key: string, content: Buffer | string): string {
  const hash = createHash('sha256').update(content).digest('hex').slice(0, 12)
  return `${stack}_${key}_${hash}`
}

/** A version's name is the prefix and 12 hex digits, nothing else. */
export function isVersionOf(name: string, prefix: string): boolean {
  return name.startsWith(prefix) && /^[0-9a-f]{12}$/.test(name.slice(prefix.length))
}

/** Each file's top-level entries of a section, merged by key in file order (the last file's wins). */
function definitions(
  layers: { path: string; document: Record<string, unknown> }[],
  section: 'secrets' | 'configs'
): Map<string, { definition: Record<string, unknown>; files: string[] }> {
  const found = new Map<string, { definition: Record<string, unknown>; files: string[] }>()
  for (const layer of layers) {
    const entries = layer.document[section]
    if (!isMapping(entries)) continue
    for (const [key, value] of Object.entries(entries)) {
      if (!isMapping(value)) continue
      const before = found.get(key)
      found.set(key, {
        definition: { ...before?.definition, ...value },
        files: [...(before?.files ?? []), layer.path]
      })
    }
  }
  return found
}

/**
 * The secrets and configs to version: those defined from `file:` (read with `readFile`, its path
 * as the compose file gives it) or `environment:` (its value from `env`), not external and not
 * named by the file. Throws ComposeFileError for a file that cannot be read, a variable that is
 * unset or a name that would be too long.
 */
export function versionedObjects(
  layers: { path: string; document: Record<string, unknown> }[],
  stack: string,
  env: Record<string, string>,
  readFile: (file: string) => Buffer
): VersionedObject[] {
  const objects: VersionedObject[] = []
  const problems: string[] = []
  for (const kind of ['secret', 'config'] as const) {
    for (const [key, { definition }] of definitions(layers, SECTION[kind])) {
      if (definition.external === true || definition.external === 'true' || definition.name) continue
      const prefix = `${stack}_${key}_`
      let object: VersionedObject | undefined
      if (typeof definition.environment === 'string') {
        const variable = definition.environment
        const value = env[variable]
        if (value === undefined) {
          problems.push(
            `compose-file: ${SECTION[kind]}.${key} comes from the variable ${variable}, which is not set (set it in the env input)`
          )
          continue
        }
        object = { kind, key, name: versionName(stack, key, value), prefix, variable, value }
      } else if (typeof definition.file === 'string') {
        try {
          object = {
            kind,
            key,
            name: versionName(stack, key, readFile(definition.file)),
            prefix,
            file: definition.file
          }
        } catch (error) {
          problems.push(
            `compose-file: ${SECTION[kind]}.${key}: cannot read ${definition.file}: ${(error as Error).message}`
          )
          continue
        }
      }
      if (!object) continue
      if (object.name.length > NAME_LIMIT) {
        problems.push(
          `compose-file: ${SECTION[kind]}.${key}: its versioned name ${object.name} is longer than Docker's ${NAME_LIMIT} characters; use a shorter stack (compose-project) or key`
        )
        continue
      }
      objects.push(object)
    }
  }
  if (problems.length > 0) throw new ComposeFileError(problems)
  return objects
}

/** The generated file's top-level secrets:/configs: entries naming each file-fed version. */
export function versionedSections(objects: VersionedObject[]): Record<string, unknown> {
  const out: Record<string, Record<string, unknown>> = {}
  for (const object of objects) {
    if (object.file === undefined) continue // env-fed: named in the rewritten file
    const section = SECTION[object.kind]
    // The file again: the docker CLI reads an entry without one as its folder, which then wins.
    out[section] = { ...out[section], [object.key]: { name: object.name, file: object.file } }
  }
  return out
}

/** The paths of the files that define one of these objects from `environment:`. */
export function filesToRewrite(
  layers: { path: string; document: Record<string, unknown> }[],
  objects: VersionedObject[]
): string[] {
  const fromEnv = objects.filter((object) => object.variable !== undefined)
  return layers
    .filter((layer) =>
      fromEnv.some((object) => {
        const entry = (layer.document[SECTION[object.kind]] as Record<string, unknown> | undefined)?.[
          object.key
        ]
        return isMapping(entry) && entry.environment !== undefined
      })
    )
    .map((layer) => layer.path)
    .filter((file, index, all) => all.indexOf(file) === index)
}

/**
 * A compose file's text with each env-fed entry it defines made `file: <valueFile(object)>` with
 * the versioned name; everything else as written (the docker CLI interpolates it).
 */
export function rewriteEnvObjects(
  text: string,
  objects: VersionedObject[],
  valueFile: (object: VersionedObject) => string
): string {
  const document = parseDocument(text, { merge: true })
  for (const object of objects) {
    if (object.variable === undefined) continue
    const at = [SECTION[object.kind], object.key]
    const entry: unknown = document.getIn(at)
    if (entry === undefined || entry === null) continue
    const kept = isMapping((entry as { toJSON?: () => unknown }).toJSON?.())
      ? ((entry as { toJSON: () => Record<string, unknown> }).toJSON() as Record<string, unknown>)
      : {}
    delete kept.environment
    document.setIn(at, document.createNode({ ...kept, file: valueFile(object), name: object.name }))
  }
  return document.toString()
}
