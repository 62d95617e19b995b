// Which builder builds, and where its image goes. A builder that can export an OCI image layout
// (buildx's docker-container, remote and kubernetes drivers, or the docker driver on an engine
// with the containerd image store) builds every platform, with attestations, into a folder the
// scan reads and the push uploads as it is. The plain docker driver can only load one platform
// into the engine's store, where attestations are lost; the classic builder (no buildx) too.
import * as core from '@actions/core'
import type { DockerCli } from '../docker/cli.js'
import type { BuildInputs } from './inputs.js'

/** Drivers whose BuildKit runs apart from the engine's image store and exports OCI layouts. */
const LAYOUT_DRIVERS = ['docker-container', 'remote', 'kubernetes']

export type Builder =
  | {
      kind: 'buildx'
      /** The buildx builder's name. */
      name: string
      driver: string
      /** Platforms the builder's nodes say they build (emulated ones included). */
      platforms: string[]
      /** Where the image goes: an OCI layout folder, or loaded into the local engine. */
      output: 'oci-layout' | 'load'
    }
  | { kind: 'classic' }

export interface BuildxInspection {
  name: string
  driver: string
  platforms: string[]
}

/**
 * `docker buildx inspect`'s text: the builder's Name and Driver (the first of each, before the
 * nodes' own Name lines) and the union of its nodes' Platforms (a `*` marks ones set by hand).
 */
export function parseBuildxInspect(text: string): BuildxInspection {
  let name = ''
  let driver = ''
  const platforms = new Set<string>()
  for (const line of text.split('\n')) {
    const match = /^([A-Za-z][A-Za-z ]*):\s*(.*)$/.exec(line.trim())
    if (!match) continue
    const [, key, value = ''] = match
    if (key === 'Name' && !name) name = value.trim()
    else if (key === 'Driver' && !driver) driver = value.trim()
    else if (key === 'Platforms') {
      for (const platform of value.split(',')) {
        const clean = platform.trim().replace(/\*$/, '')
        if (clean) platforms.add(clean)
      }
    }
  }
  return { name, driver, platforms: [...platforms] }
}

/** The engine uses the containerd image store (`driver-type` in `docker info`'s DriverStatus). */
export function hasContainerdStore(driverStatusJson: string): boolean {
  try {
    const status = JSON.parse(driverStatusJson) as unknown
    return (
      Array.isArray(status) &&
      status.some(
        (entry) =>
          Array.isArray(entry) && entry[0] === 'driver-type' && entry[1] === 'io.containerd.snapshotter.v1'
      )
    )
  } catch {
    return false
  }
}

type BuilderInputs = Pick<
  BuildInputs,
  'builder' | 'secrets' | 'platforms' | 'cacheTo' | 'cacheFrom' | 'provenance' | 'sbom' | 'annotations'
>

/** What only buildx can do, as the input names a user wrote. */
export function buildxOnlyInputs(inputs: Omit<BuilderInputs, 'provenance'>): string[] {
  const needed: string[] = []
  if (inputs.builder) needed.push('builder')
  if (inputs.secrets.length > 0) needed.push('secrets')
  if (inputs.platforms.length > 0) needed.push('platforms')
  if (inputs.cacheTo.length > 0) needed.push('cache-to')
  // The classic builder takes --cache-from image references only, not buildx's type=... specs.
  if (inputs.cacheFrom.some((source) => source.includes('='))) needed.push('cache-from')
  if (inputs.sbom) needed.push('sbom')
  if (inputs.annotations.length > 0) needed.push('annotations')
  return needed
}

const GET_A_BUILDER =
  'Add docker/setup-buildx-action before this step (it creates a docker-container builder), or name such a builder in the builder input.'

/**
 * What loading into the engine cannot do, as the inputs that ask for it: several platforms in
 * one image, and attestations (they do not survive --load).
 */
export function layoutOnlyInputs(inputs: Pick<BuilderInputs, 'platforms' | 'provenance' | 'sbom'>): string[] {
  const needed: string[] = []
  if (inputs.platforms.length > 1) needed.push(`platforms (${inputs.platforms.join(',')})`)
  if (inputs.provenance.set && inputs.provenance.attest) needed.push('provenance')
  if (inputs.sbom) needed.push('sbom')
  return needed
}

/**
 * The builder: the buildx builder named (or the current one) when the CLI has buildx, else the
 * classic builder. Refused up front, before any login or build, when the inputs need what the
 * builder cannot do.
 */
export async function chooseBuilder(docker: DockerCli, inputs: BuilderInputs): Promise<Builder> {
  const builderArgs = inputs.builder ? ['--builder', inputs.builder] : []
  // --bootstrap starts a docker-container builder that is not running yet, so its platforms show.
  const inspected = await docker.run(['buildx', 'inspect', '--bootstrap', ...builderArgs], {
    quiet: true,
    allowFailure: true
  })
  // Asked only when inspect failed: whether buildx is there at all.
  if (inspected.exitCode !== 0 && !(await docker.hasBuildx())) {
    const needed = buildxOnlyInputs(inputs)
    if (needed.length > 0) {
      throw new Error(
        `${needed.join(', ')} need docker buildx, which is not installed (docker buildx version failed). ${GET_A_BUILDER}`
      )
    }
    if (layoutOnlyInputs(inputs).length > 0)
      throw new Error(`provenance needs docker buildx. ${GET_A_BUILDER}`)
    core.info('docker buildx is not installed: the classic builder will build')
    return { kind: 'classic' }
  }
  if (inspected.exitCode !== 0) {
    const said = inspected.stderr.trim().split('\n').slice(-3).join(' ')
    throw new Error(
      inputs.builder
        ? `builder: docker buildx has no builder "${inputs.builder}" that answers (${said}): create it in an earlier step (docker/setup-buildx-action; its name output is the builder's name), or leave builder empty for the current one`
        : `docker buildx inspect failed: ${said}`
    )
  }
  const found = parseBuildxInspect(inspected.stdout)
  const layout =
    LAYOUT_DRIVERS.includes(found.driver) || (found.driver === 'docker' && (await containerdStore(docker)))
  const builder: Builder = {
    kind: 'buildx',
    name: found.name || inputs.builder || 'default',
    driver: found.driver,
    platforms: found.platforms,
    output: layout ? 'oci-layout' : 'load'
  }
  if (!layout) {
    const needed = layoutOnlyInputs(inputs)
    if (needed.length > 0) {
      throw new Error(
        `${needed.join(', ')} need a builder that exports an OCI image layout (buildx's docker-container, remote or kubernetes driver, or the docker driver with the containerd image store); the builder "${builder.name}" uses the ${found.driver || 'unknown'} driver and can only load one platform into the engine. ${GET_A_BUILDER}`
      )
    }
  }
  // Not refused: docker/metadata-action's annotations output is often passed as it is, and a
  // build that loads into the engine still works; it only cannot carry them.
  if (!layout && inputs.annotations.length > 0) {
    core.warning(
      `annotations: the builder "${builder.name}" uses the ${found.driver || 'unknown'} driver and loads the image into the engine, which keeps no OCI annotations: the image is pushed without them. ${GET_A_BUILDER}`
    )
  }
  const missing = inputs.platforms.filter((platform) => !platformListed(platform, found.platforms))
  if (missing.length > 0 && found.platforms.length > 0) {
    core.warning(
      `platforms: the builder "${builder.name}" lists ${found.platforms.join(', ')}, not ${missing.join(', ')}: the build may fail (docker/setup-qemu-action adds emulated platforms)`
    )
  }
  core.info(
    `Builder: ${builder.name} (${found.driver} driver), ${layout ? 'building into an OCI image layout' : 'loading the image into the engine'}`
  )
  return builder
}

async function containerdStore(docker: DockerCli): Promise<boolean> {
  const info = await docker.run(['info', '--format', '{{json .DriverStatus}}'], {
    quiet: true,
    allowFailure: true
  })
  return info.exitCode === 0 && hasContainerdStore(info.stdout.trim())
}

/** linux/arm64 is listed as linux/arm64 or linux/arm64/v8; linux/arm/v7 needs its variant. */
function platformListed(platform: string, listed: string[]): boolean {
  return listed.some((entry) => entry === platform || entry.startsWith(`${platform}/`))
}

/** How the summary names the builder. */
export function describeBuilder(builder: Builder): string {
  if (builder.kind === 'classic') return 'classic (docker build, no buildx)'
  return `buildx ${builder.name} (${builder.driver} driver)`
}
