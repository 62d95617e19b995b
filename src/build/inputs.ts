// The build step's inputs: what to build (context, Dockerfile, target) and how.
import path from 'node:path'
import { isDirectory, isFile, parseBoolean, type InputFields, type InputScope } from '../inputs/fields.js'
import { parseKeyValueLines, parseLines, parseList, type KeyValue } from '../lib/key-value.js'
import { parseAnnotations } from './annotations.js'

export interface BuildInputs {
  context: string
  /** True when context is a folder on this machine (not a Git or HTTP URL). */
  contextIsLocal: boolean
  file: string
  buildArgs: KeyValue[]
  labels: KeyValue[]
  /** OCI annotations, each a docker buildx build --annotation value (annotations.ts). */
  annotations: string[]
  secrets: KeyValue[]
  target: string
  /** A buildx builder's name; '' for the current one. */
  builder: string
  platforms: string[]
  provenance: Provenance
  sbom: boolean
  cacheFrom: string[]
  cacheTo: string[]
  pull: boolean
  noCache: boolean
}

/**
 * The provenance input as build-push-action takes it: not given (the action picks the mode), or
 * `false`, or buildx's attributes (`true` is `mode=min`).
 */
export interface Provenance {
  /** The input was given. */
  set: boolean
  /** An attestation is asked for. */
  attest: boolean
  /** buildx's --provenance attributes when given, e.g. `mode=max`. */
  attrs: string
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
    annotations: fields.field('annotations', parseAnnotations, []),
    secrets: fields.field(
      'secrets',
      (raw) => parseKeyValueLines(raw, SECRET_ID, 'an id of letters, digits, . _ -'),
      []
    ),
    target: read('target'),
    builder: fields.field('builder', parseBuilderName, ''),
    platforms: fields.field('platforms', parsePlatforms, []),
    provenance: fields.field('provenance', parseProvenance, { set: false, attest: true, attrs: '' }),
    sbom: fields.field('sbom', parseBoolean, false),
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
  const repeated = platforms.find((platform, index) => platforms.indexOf(platform) !== index)
  if (repeated) throw new Error(`"${repeated}" is named twice`)
  return platforms
}

const BUILDER_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

function parseBuilderName(raw: string): string {
  const name = raw.trim()
  if (!name) return ''
  if (!BUILDER_NAME.test(name)) throw new Error(`"${name}" is not a buildx builder name`)
  return name
}

const PROVENANCE_ATTR = /^([a-z][a-z-]*)=([^,=\s]+)$/

export function parseProvenance(raw: string): Provenance {
  const value = raw.trim()
  if (!value) return { set: false, attest: true, attrs: '' }
  if (value === 'false') return { set: true, attest: false, attrs: '' }
  if (value === 'true') return { set: true, attest: true, attrs: 'mode=min' }
  const attrs = value.split(',').map((attr) => attr.trim())
  for (const attr of attrs) {
    const match = PROVENANCE_ATTR.exec(attr)
    if (!match) throw new Error(`"${attr}" is not true, false or key=value attributes such as mode=max`)
    if (match[1] === 'mode' && match[2] !== 'min' && match[2] !== 'max')
      throw new Error(`mode is min or max, not "${match[2]}"`)
  }
  return { set: true, attest: true, attrs: attrs.join(',') }
}
