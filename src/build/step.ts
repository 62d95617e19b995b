// Build: `docker buildx build` into the local engine when buildx is there, else the classic
// `docker build` for the inputs it supports. The image gets every computed tag at once.
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import type { DockerCli } from '../docker/cli.js'
import type { KeyValue } from '../lib/key-value.js'
import { code } from '../lib/markdown.js'
import type { Release } from '../release/release.js'
import type { RunContext } from '../run/context.js'
import type { Step, StepCall } from '../run/step.js'
import { makeWorkDir } from '../run/work-dirs.js'
import { BUILD_SECRET_INPUTS, readBuildInputs, type BuildInputs } from './inputs.js'
import { buildTime, mergeLabels, ociLabels } from './labels.js'

/** The builder the build step uses: buildx when the CLI has it, else the classic one. */
export type Builder = 'buildx' | 'classic'

/** One build as the builders' arguments say it: the inputs, with the release's tags and labels. */
export interface BuildSpec extends Pick<
  BuildInputs,
  'context' | 'file' | 'buildArgs' | 'target' | 'platforms' | 'cacheFrom' | 'cacheTo' | 'pull' | 'noCache'
> {
  /** Full references, `name:tag`. */
  tags: string[]
  /** The OCI labels with the labels input over them. */
  labels: KeyValue[]
  /** Secret ids; their values reach buildx through the environment, never the arguments. */
  secretIds: string[]
}

export interface BuildResult {
  imageId: string
  references: string[]
  builder: Builder
  /** buildx's reference of the build (`buildx.build.ref` of --metadata-file), to find it in buildx's history. */
  buildRef?: string
  /** The Dockerfile built ('' for a remote context's own), for the steps that point at its lines. */
  dockerfile: string
  /** The build stage built ('' for the last). */
  target: string
}

/** Environment variable that carries the i-th build secret to buildx (`--secret id=X,env=VAR`). */
export function secretEnvName(index: number): string {
  return `CONTAINER_SHIP_BUILD_SECRET_${index}`
}

export function buildxArgs(spec: BuildSpec, files: { iidFile: string; metadataFile: string }): string[] {
  const args = ['buildx', 'build', '--iidfile', files.iidFile, '--metadata-file', files.metadataFile]
  if (spec.file) args.push('--file', spec.file)
  for (const tag of spec.tags) args.push('--tag', tag)
  for (const { key, value } of spec.buildArgs) args.push('--build-arg', `${key}=${value}`)
  for (const { key, value } of spec.labels) args.push('--label', `${key}=${value}`)
  spec.secretIds.forEach((id, index) => args.push('--secret', `id=${id},env=${secretEnvName(index)}`))
  if (spec.target) args.push('--target', spec.target)
  if (spec.platforms.length > 0) args.push('--platform', spec.platforms.join(','))
  for (const source of spec.cacheFrom) args.push('--cache-from', source)
  for (const destination of spec.cacheTo) args.push('--cache-to', destination)
  if (spec.pull) args.push('--pull')
  if (spec.noCache) args.push('--no-cache')
  // Whatever the builder's driver, the image must land in the local engine to be scanned.
  args.push('--load', spec.context)
  return args
}

/** What only buildx can do, as the input names a user wrote. */
export function buildxOnlyInputs(
  inputs: Pick<BuildInputs, 'secrets' | 'platforms' | 'cacheTo' | 'cacheFrom'>
): string[] {
  const needed: string[] = []
  if (inputs.secrets.length > 0) needed.push('secrets')
  if (inputs.platforms.length > 0) needed.push('platforms')
  if (inputs.cacheTo.length > 0) needed.push('cache-to')
  // The classic builder takes --cache-from image references only, not buildx's type=... specs.
  if (inputs.cacheFrom.some((source) => source.includes('='))) needed.push('cache-from')
  return needed
}

/**
 * buildx when the CLI has it, else the classic builder, refused up front (before any login or
 * build) when the inputs need what only buildx does.
 */
export async function chooseBuilder(
  docker: DockerCli,
  inputs: Pick<BuildInputs, 'secrets' | 'platforms' | 'cacheTo' | 'cacheFrom'>
): Promise<Builder> {
  if (await docker.hasBuildx()) return 'buildx'
  const needed = buildxOnlyInputs(inputs)
  if (needed.length > 0) {
    throw new Error(
      `${needed.join(', ')} need docker buildx, which is not installed (docker buildx version failed)`
    )
  }
  core.info('docker buildx is not installed: the classic builder will build')
  return 'classic'
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

/** The build step: the image, tagged with every reference of the release, in the local engine. */
export async function build(
  { context: run, release, inputs }: StepCall<BuildInputs>,
  chosen?: Builder
): Promise<BuildResult> {
  const builder = chosen ?? (await chooseBuilder(run.docker, inputs))
  const spec = buildSpec({ build: inputs, github: run.github }, release, buildTime())
  const secretValues = inputs.secrets.map((secret) => secret.value)
  const workDir = makeWorkDir(run.tempRoot, 'container-ship-build-')
  const iidFile = path.join(workDir, 'iid')
  const metadataFile = path.join(workDir, 'metadata.json')
  try {
    if (builder === 'buildx') {
      const secretEnv = Object.fromEntries(secretValues.map((value, index) => [secretEnvName(index), value]))
      await run.docker.run(buildxArgs(spec, { iidFile, metadataFile }), { extraEnv: secretEnv })
    } else {
      // DOCKER_BUILDKIT=0: without buildx, a newer CLI would otherwise refuse to build.
      await run.docker.run(classicArgs(spec, { iidFile }), { extraEnv: { DOCKER_BUILDKIT: '0' } })
    }
    const result: BuildResult = {
      imageId: readFileSync(iidFile, 'utf8').trim(),
      references: spec.tags,
      builder,
      buildRef: builder === 'buildx' ? readBuildRef(metadataFile) : undefined,
      dockerfile: inputs.file,
      target: inputs.target
    }
    core.info(
      `Built ${result.imageId} with ${builder}${result.buildRef ? ` (build ${result.buildRef})` : ''}`
    )
    return result
  } finally {
    rmSync(workDir, { recursive: true, force: true })
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
    labels: mergeLabels(ociLabels({ github, version: release.plan.version, created }), build.labels),
    secretIds: build.secrets.map((secret) => secret.key),
    target: build.target,
    platforms: build.platforms,
    cacheFrom: build.cacheFrom,
    cacheTo: build.cacheTo,
    pull: build.pull,
    noCache: build.noCache
  }
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
    outputs: { 'image-id': result?.imageId ?? '' },
    rows: result
      ? [
          ['Image ID', code(result.imageId)],
          ['Builder', result.builder]
        ]
      : []
  })
}

function readBuildRef(metadataFile: string): string | undefined {
  try {
    const metadata = JSON.parse(readFileSync(metadataFile, 'utf8')) as Record<string, unknown>
    const ref = metadata['buildx.build.ref']
    return typeof ref === 'string' ? ref : undefined
  } catch {
    return undefined
  }
}
