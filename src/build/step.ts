// Build: `docker buildx build` into an OCI image layout folder when the builder can export one
// (every platform, with attestations: the scan reads it and the push uploads it as it is), else
// loaded into the local engine, else the classic `docker build` for the inputs it supports.
// An image loaded into the engine gets every computed tag at once.
import { mkdtempSync, readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import type { KeyValue } from '../lib/key-value.js'
import { code } from '../lib/markdown.js'
import type { Release } from '../release/release.js'
import type { RunContext } from '../run/context.js'
import type { Step, StepCall } from '../run/step.js'
import { makeWorkDir } from '../run/work-dirs.js'
import { BUILD_SECRET_INPUTS, readBuildInputs, type BuildInputs } from './inputs.js'
import { buildTime, mergeLabels, ociLabels } from './labels.js'
import { writeSboms } from './sbom.js'
import { chooseBuilder, describeBuilder, type Builder } from './builder.js'
import { runUrlFrom } from '../github/context.js'

/** One build as the builders' arguments say it: the inputs, with the release's tags and labels. */
export interface BuildSpec extends Pick<
  BuildInputs,
  | 'context'
  | 'file'
  | 'buildArgs'
  | 'annotations'
  | 'target'
  | 'platforms'
  | 'cacheFrom'
  | 'cacheTo'
  | 'pull'
  | 'noCache'
  | 'sbom'
> {
  /** Full references, `name:tag`. */
  tags: string[]
  /** The OCI labels with the labels input over them. */
  labels: KeyValue[]
  /** Secret ids; their values reach buildx through the environment, never the arguments. */
  secretIds: string[]
  /** buildx's --provenance value: attributes such as `mode=max`, or `false`. */
  provenance: string
}

/** Where buildx puts the image: an OCI layout folder, or the engine (--load). */
export type BuildxOutput = { kind: 'oci-layout'; dir: string } | { kind: 'load' }

/** An image built into an OCI image layout folder: nothing of it is in the engine. */
export interface BuiltLayout {
  dir: string
  /** The digest of what index.json names: the image index (or the one manifest). */
  digest: string
}

export interface BuildResult {
  /** The image's config digest; '' for an image of several platforms. */
  imageId: string
  references: string[]
  builder: Builder
  /** Set when the image was built into an OCI layout rather than loaded into the engine. */
  layout?: BuiltLayout
  /** Each platform's SBOM as an SPDX JSON file, when the sbom input asked for one. */
  sbomFiles?: Record<string, string>
  /** buildx's reference of the build (`buildx.build.ref` of --metadata-file), to find it in buildx's history. */
  buildRef?: string
  /** The Dockerfile built ('' for a remote context's own), for the steps that point at its lines. */
  dockerfile: string
  /** The build stage built ('' for the last). */
  target: string
  /** The metadata output: buildx's --metadata-file JSON, or for the classic builder what it knows. */
  metadata: string
}

/** Environment variable that carries the i-th build secret to buildx (`--secret id=X,env=VAR`). */
export function secretEnvName(index: number): string {
  return `CONTAINER_SHIP_BUILD_SECRET_${index}`
}

export function buildxArgs(
  spec: BuildSpec,
  files: { iidFile: string; metadataFile: string },
  output: BuildxOutput = { kind: 'load' },
  builderName = ''
): string[] {
  const args = ['buildx', 'build']
  if (builderName) args.push('--builder', builderName)
  // The layout's index is named by the metadata file; an image ID is the config's, one platform's.
  if (output.kind === 'load') args.push('--iidfile', files.iidFile)
  args.push('--metadata-file', files.metadataFile)
  if (spec.file) args.push('--file', spec.file)
  // Tags name the image in the engine; a layout is pushed under them by the push step.
  if (output.kind === 'load') for (const tag of spec.tags) args.push('--tag', tag)
  for (const { key, value } of spec.buildArgs) args.push('--build-arg', `${key}=${value}`)
  for (const { key, value } of spec.labels) args.push('--label', `${key}=${value}`)
  for (const annotation of spec.annotations) args.push('--annotation', annotation)
  spec.secretIds.forEach((id, index) => args.push('--secret', `id=${id},env=${secretEnvName(index)}`))
  if (spec.target) args.push('--target', spec.target)
  if (spec.platforms.length > 0) args.push('--platform', spec.platforms.join(','))
  for (const source of spec.cacheFrom) args.push('--cache-from', source)
  for (const destination of spec.cacheTo) args.push('--cache-to', destination)
  if (spec.pull) args.push('--pull')
  if (spec.noCache) args.push('--no-cache')
  if (output.kind === 'oci-layout') {
    // Said either way: buildx's own default would add a min provenance the input did not ask for.
    args.push('--provenance', spec.provenance, '--sbom', String(spec.sbom))
    // A name gives the attestations their subject (without one BuildKit leaves it empty).
    const name = spec.tags[0] ? `,name=${spec.tags[0]}` : ''
    args.push('--output', `type=oci,dest=${output.dir},tar=false${name}`)
  } else {
    // The image must land in the local engine to be scanned.
    args.push('--load')
  }
  args.push(spec.context)
  return args
}

export function classicArgs(spec: BuildSpec, files: { iidFile: string }): string[] {
  const args = ['build', '--iidfile', files.iidFile]
  if (spec.file) args.push('--file', spec.file)
  for (const tag of spec.tags) args.push('--tag', tag)
  for (const { key, value } of spec.buildArgs) args.push('--build-arg', `${key}=${value}`)
  for (const { key, value } of spec.labels) args.push('--label', `${key}=${value}`)
  if (spec.target) args.push('--target', spec.target)
  for (const source of spec.cacheFrom) args.push('--cache-from', source)
  if (spec.pull) args.push('--pull')
  if (spec.noCache) args.push('--no-cache')
  args.push(spec.context)
  return args
}

/** The build step: the image, into an OCI layout or loaded into the engine with every reference of the release. */
export async function build(
  { context: run, release, inputs }: StepCall<BuildInputs>,
  chosen?: Builder
): Promise<BuildResult> {
  const builder = chosen ?? (await chooseBuilder(run.docker, inputs))
  const spec = buildSpec({ build: inputs, github: run.github }, release, buildTime())
  const secretValues = inputs.secrets.map((secret) => secret.value)
  // Removed by the post step too: a layout here is what the scan reads and the push uploads.
  const workDir = makeWorkDir(run.tempRoot, 'container-ship-build-')
  const iidFile = path.join(workDir, 'iid')
  const metadataFile = path.join(workDir, 'metadata.json')
  const layoutDir = path.join(workDir, 'layout')
  let keep = false
  try {
    let result: BuildResult
    if (builder.kind === 'buildx') {
      const secretEnv = Object.fromEntries(secretValues.map((value, index) => [secretEnvName(index), value]))
      const output: BuildxOutput =
        builder.output === 'oci-layout' ? { kind: 'oci-layout', dir: layoutDir } : { kind: 'load' }
      await run.docker.run(buildxArgs(spec, { iidFile, metadataFile }, output, inputs.builder), {
        extraEnv: secretEnv
      })
      const metadata = readMetadata(metadataFile)
      const base = {
        metadata: metadata.json,
        references: spec.tags,
        builder,
        buildRef: metadata.ref,
        dockerfile: inputs.file,
        target: inputs.target
      }
      if (output.kind === 'oci-layout') {
        if (!metadata.digest) throw new Error(`buildx wrote no containerimage.digest to ${metadataFile}`)
        result = {
          ...base,
          imageId: metadata.configDigest ?? '',
          layout: { dir: layoutDir, digest: metadata.digest }
        }
        keep = true
        // Not in the build's folder, which the post step removes: sbom-files is an output later steps read.
        if (inputs.sbom) {
          result.sbomFiles = await writeSboms(
            layoutDir,
            mkdtempSync(path.join(run.tempRoot, 'container-ship-sbom-'))
          )
        }
      } else result = { ...base, imageId: readFileSync(iidFile, 'utf8').trim() }
    } else {
      // DOCKER_BUILDKIT=0: without buildx, a newer CLI would otherwise refuse to build.
      await run.docker.run(classicArgs(spec, { iidFile }), { extraEnv: { DOCKER_BUILDKIT: '0' } })
      const imageId = readFileSync(iidFile, 'utf8').trim()
      result = {
        imageId,
        // What buildx would say of a loaded image that the classic builder knows too.
        metadata: JSON.stringify({
          'containerimage.config.digest': imageId,
          'image.name': spec.tags.join(',')
        }),
        references: spec.tags,
        builder,
        dockerfile: inputs.file,
        target: inputs.target
      }
    }
    const what = result.layout ? `${result.layout.digest} into an OCI layout` : result.imageId
    core.info(
      `Built ${what} with ${describeBuilder(builder)}${result.buildRef ? ` (build ${result.buildRef})` : ''}`
    )
    return result
  } finally {
    if (!keep) rmSync(workDir, { recursive: true, force: true })
  }
}

export function buildSpec(
  { build, github }: { build: BuildInputs } & Pick<RunContext, 'github'>,
  release: Pick<Release, 'plan' | 'references'>,
  created: Date
): BuildSpec {
  return {
    context: build.context,
    file: build.file,
    tags: release.references,
    buildArgs: build.buildArgs,
    annotations: build.annotations,
    labels: mergeLabels(ociLabels({ github, version: release.plan.version, created }), build.labels),
    secretIds: build.secrets.map((secret) => secret.key),
    target: build.target,
    platforms: build.platforms,
    cacheFrom: build.cacheFrom,
    cacheTo: build.cacheTo,
    pull: build.pull,
    noCache: build.noCache,
    sbom: build.sbom,
    provenance: provenanceAttrs(build.provenance, github)
  }
}

/**
 * The --provenance value. Not given: as docker/build-push-action, mode=max on a public
 * repository and mode=min on a private one (or one the event does not say), with the run's URL
 * as the builder's id.
 */
export function provenanceAttrs(provenance: BuildInputs['provenance'], github: RunContext['github']): string {
  if (!provenance.attest) return 'false'
  if (provenance.set) return provenance.attrs
  const mode = github.repositoryPrivate === false ? 'mode=max' : 'mode=min'
  const runUrl = runUrlFrom()
  return runUrl ? `${mode},builder-id=${runUrl}` : mode
}

export const buildStep: Step<'build', BuildResult, BuildInputs, object, Builder> = {
  name: 'build',
  title: 'Build',
  secretInputs: BUILD_SECRET_INPUTS,
  readInputs: readBuildInputs,
  // Before any login or build: inputs only buildx takes are refused at once without it.
  prepare: ({ context, inputs }) => chooseBuilder(context.docker, inputs),
  run: (call) => build(call, call.prepared),
  report: (result) => ({
    outputs: {
      imageid: result?.imageId ?? '',
      // The old name, kept while workflows move to imageid (docker/build-push-action's).
      'image-id': result?.imageId ?? '',
      metadata: result?.metadata ?? '',
      'sbom-files':
        result?.sbomFiles && Object.keys(result.sbomFiles).length > 0 ? JSON.stringify(result.sbomFiles) : ''
    },
    rows: result ? buildRows(result) : [],
    notes: result ? buildNotes(result) : []
  })
}

function buildRows(result: BuildResult): [string, string][] {
  const rows: [string, string][] = []
  if (result.layout) rows.push(['Built', `OCI image layout ${code(result.layout.digest)}`])
  if (result.imageId) rows.push(['Image ID', code(result.imageId)])
  rows.push(['Builder', describeBuilder(result.builder)])
  return rows
}

/** What a builder that exports an OCI layout would have added, when this one could not. */
function buildNotes(result: BuildResult): string[] {
  if (result.layout) return []
  return [
    'The image was loaded into the engine, one platform and no attestations: a builder that exports an OCI image layout (docker/setup-buildx-action) adds several platforms, provenance and SBOM attestations, and pushes exactly the bytes that were scanned.'
  ]
}

interface BuildMetadata {
  /** The file's JSON object, compacted, for the metadata output; {} when buildx wrote none. */
  json: string
  /** buildx's reference of the build, to find it in buildx's history. */
  ref?: string
  /** The digest of the image (its index when there are several platforms or attestations). */
  digest?: string
  /** The config digest of a one-platform image. */
  configDigest?: string
}

/** What buildx's --metadata-file says of the build; nothing that is missing or not a string. */
function readMetadata(metadataFile: string): BuildMetadata {
  let metadata: Record<string, unknown>
  try {
    const parsed = JSON.parse(readFileSync(metadataFile, 'utf8')) as unknown
    if (!parsed || typeof parsed !== 'object' || Array.isArray(parsed)) return { json: '{}' }
    metadata = parsed as Record<string, unknown>
  } catch {
    return { json: '{}' }
  }
  const text = (key: string): string | undefined =>
    typeof metadata[key] === 'string' ? (metadata[key] as string) : undefined
  const digest = (key: string): string | undefined => {
    const value = text(key)
    return value && /^sha256:[0-9a-f]{64}$/.test(value) ? value : undefined
  }
  return {
    json: JSON.stringify(metadata),
    ref: text('buildx.build.ref'),
    digest: digest('containerimage.digest'),
    configDigest: digest('containerimage.config.digest')
  }
}
