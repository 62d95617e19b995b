// The build step's inputs: what to build (context, Dockerfile, target) and how.
import path from 'node:path'
import { isDirectory, isFile, parseBoolean, type InputFields } from '../inputs/fields.js'
import { parseKeyValueLines, parseLines, parseList, type KeyValue } from '../lib/key-value.js'
import type { InputScope } from '../run/step.js'

export interface BuildInputs {
  context: string
  /** True when context is a folder on this machine (not a Git or HTTP URL). */
  contextIsLocal: boolean
  file: string
  buildArgs: KeyValue[]
  labels: KeyValue[]
  secrets: KeyValue[]
  target: string
  platforms: string[]
  cacheFrom: string[]
  cacheTo: string[]
  pull: boolean
  noCache: boolean
}

/** Build secrets: each value is masked. */
export const BUILD_SECRET_INPUTS = { whole: [], values: ['secrets'] } as const

const BUILD_ARG_KEY = /^[^\s=]+$/
const SECRET_ID = /^[A-Za-z0-9_.-]+$/
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/
const REMOTE_CONTEXT = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i

export function readBuildInputs(fields: InputFields, scope: InputScope): BuildInputs {
  const { read, cwd } = fields
  const context = read('context')
  const contextIsLocal = !REMOTE_CONTEXT.test(context)
  // A remote context brings its own Dockerfile unless one is named.
  const file = read('file') || (contextIsLocal ? path.join(context, 'Dockerfile') : '')
  if (scope.steps.includes('build') && contextIsLocal) {
    if (!isDirectory(path.resolve(cwd, context))) fields.problem(`context: "${context}" is not a folder`)
    else if (file && !isFile(path.resolve(cwd, file))) fields.problem(`file: "${file}" does not exist`)
  }
  const named = 'a name without spaces'
  return {
    context,
    contextIsLocal,
    file,
    buildArgs: fields.field('build-args', (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, named), []),
    labels: fields.field('labels', (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, named), []),
    secrets: fields.field(
      'secrets',
      (raw) => parseKeyValueLines(raw, SECRET_ID, 'an id of letters, digits, . _ -'),
      []
    ),
    target: read('target'),
    platforms: fields.field('platforms', parsePlatforms, []),
    cacheFrom: parseLines(read('cache-from')),
    cacheTo: parseLines(read('cache-to')),
    pull: fields.field('pull', parseBoolean, false),
    noCache: fields.field('no-cache', parseBoolean, false)
  }
}

function parsePlatforms(raw: string): string[] {
  const platforms = parseList(raw)
  for (const platform of platforms) {
    if (!PLATFORM.test(platform)) throw new Error(`"${platform}" is not os/arch[/variant], e.g. linux/amd64`)
  }
  if (platforms.length > 1) {
    throw new Error(
      'only one platform is supported for now: the image is loaded into the local engine to be scanned, and the engine holds one platform per tag'
    )
  }
  return platforms
}
