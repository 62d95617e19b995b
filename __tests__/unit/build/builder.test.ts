import { describe, expect, it, jest } from '@jest/globals'
import type { DockerCli } from '../../../src/docker/cli.js'
import {
  buildxOnlyInputs,
  chooseBuilder,
  hasContainerdStore,
  layoutOnlyInputs,
  parseBuildxInspect
} from '../../../src/build/builder.js'
import { parseProvenance } from '../../../src/build/inputs.js'

// `docker buildx inspect` of the docker driver on Engine 20.10 and of a remote BuildKit, as
// printed on the test bed (buildx v0.36.1).
const DOCKER_DRIVER = `Name:          default
Driver:        docker
Last Activity: 2026-12-06 02:39:06 +0000 UTC

Nodes:
Name:             default
Endpoint:         default
Status:           running
BuildKit version: v0.8+unknown
Platforms:        linux/amd64, linux/386
`
const REMOTE_DRIVER = `Name:          container-ship-remote
Driver:        remote
Last Activity: 2026-12-06 03:10:00 +0000 UTC

Nodes:
Name:                  container-ship-remote0
Endpoint:              unix:///run/container-ship-buildkit/buildkitd.sock
Status:                running
BuildKit version:      v0.34.2
Platforms:             linux/amd64*, linux/arm64, linux/amd64/v2, linux/386
`

type Inputs = Parameters<typeof chooseBuilder>[1]
const plain: Inputs = {
  builder: '',
  secrets: [],
  platforms: [],
  cacheTo: [],
  cacheFrom: [],
  provenance: { set: false, attest: true, attrs: '' },
  sbom: false,
  annotations: []
}

/** A docker CLI whose buildx inspect and docker info print what a test gives. */
function cli(options: { buildx?: boolean; inspect?: string; inspectFails?: string; driverStatus?: string }) {
  const calls: string[][] = []
  const docker = {
    hasBuildx: async () => options.buildx ?? true,
    run: async (args: string[]) => {
      calls.push(args)
      if (args[0] === 'buildx' && args[1] === 'inspect') {
        if (options.buildx === false) {
          return { exitCode: 1, stdout: '', stderr: "docker: 'buildx' is not a docker command." }
        }
        return options.inspectFails
          ? { exitCode: 1, stdout: '', stderr: options.inspectFails }
          : { exitCode: 0, stdout: options.inspect ?? DOCKER_DRIVER, stderr: '' }
      }
      if (args[0] === 'info') return { exitCode: 0, stdout: options.driverStatus ?? '[]', stderr: '' }
      throw new Error(`unexpected docker ${args.join(' ')}`)
    }
  } as unknown as DockerCli
  return { docker, calls }
}

describe('parseBuildxInspect', () => {
  it("reads the builder's name and driver, not its nodes' names, and every node's platforms", () => {
    expect(parseBuildxInspect(REMOTE_DRIVER)).toEqual({
      name: 'container-ship-remote',
      driver: 'remote',
      platforms: ['linux/amd64', 'linux/arm64', 'linux/amd64/v2', 'linux/386']
    })
    expect(parseBuildxInspect(DOCKER_DRIVER).driver).toBe('docker')
  })
})

describe('hasContainerdStore', () => {
  it("finds the containerd snapshotter in docker info's DriverStatus", () => {
    expect(hasContainerdStore('[["driver-type","io.containerd.snapshotter.v1"]]')).toBe(true)
    expect(hasContainerdStore('[["Backing Filesystem","extfs"],["Supports d_type","true"]]')).toBe(false)
    expect(hasContainerdStore('not json')).toBe(false)
  })
})

describe('chooseBuilder', () => {
  it('builds into an OCI layout with a remote, docker-container or kubernetes builder', async () => {
    for (const driver of ['remote', 'docker-container', 'kubernetes']) {
      const { docker } = cli({
        inspect: REMOTE_DRIVER.replace('Driver:        remote', `Driver:        ${driver}`)
      })
      expect(await chooseBuilder(docker, { ...plain, platforms: ['linux/amd64', 'linux/arm64'] })).toEqual({
        kind: 'buildx',
        name: 'container-ship-remote',
        driver,
        platforms: ['linux/amd64', 'linux/arm64', 'linux/amd64/v2', 'linux/386'],
        output: 'oci-layout'
      })
    }
  })

  it('inspects the builder named by the builder input, booting it', async () => {
    const { docker, calls } = cli({ inspect: REMOTE_DRIVER })
    await chooseBuilder(docker, { ...plain, builder: 'container-ship-remote' })
    expect(calls[0]).toEqual(['buildx', 'inspect', '--bootstrap', '--builder', 'container-ship-remote'])
  })

  it('names the builder input when the builder does not answer', async () => {
    const { docker } = cli({ inspectFails: 'ERROR: no builder "nope" found' })
    await expect(chooseBuilder(docker, { ...plain, builder: 'nope' })).rejects.toThrow(
      'builder: docker buildx has no builder "nope" that answers (ERROR: no builder "nope" found)'
    )
  })

  it('loads one platform into the engine with the plain docker driver', async () => {
    const { docker } = cli({})
    expect(await chooseBuilder(docker, { ...plain, platforms: ['linux/amd64'] })).toMatchObject({
      driver: 'docker',
      output: 'load'
    })
  })

  it('builds into an OCI layout with the docker driver on the containerd image store', async () => {
    const { docker } = cli({ driverStatus: '[["driver-type","io.containerd.snapshotter.v1"]]' })
    expect(await chooseBuilder(docker, plain)).toMatchObject({ driver: 'docker', output: 'oci-layout' })
  })

  it('refuses several platforms or attestations it cannot keep, naming the inputs and setup-buildx-action', async () => {
    const { docker } = cli({})
    const refused = chooseBuilder(docker, {
      ...plain,
      platforms: ['linux/amd64', 'linux/arm64'],
      provenance: parseProvenance('mode=max'),
      sbom: true
    })
    await expect(refused).rejects.toThrow(
      'platforms (linux/amd64,linux/arm64), provenance, sbom need a builder that exports an OCI image layout'
    )
    await expect(refused).rejects.toThrow('docker/setup-buildx-action')
    // provenance left to its default asks for nothing the docker driver must refuse.
    await expect(chooseBuilder(docker, plain)).resolves.toMatchObject({ output: 'load' })
  })

  it('falls back to the classic builder without buildx, and refuses what needs buildx', async () => {
    expect(await chooseBuilder(cli({ buildx: false }).docker, plain)).toEqual({ kind: 'classic' })
    await expect(
      chooseBuilder(cli({ buildx: false }).docker, {
        ...plain,
        platforms: ['linux/arm64'],
        cacheTo: ['type=inline']
      })
    ).rejects.toThrow('platforms, cache-to need docker buildx, which is not installed')
  })

  it('refuses OCI annotations without buildx, naming annotations and the builder input', async () => {
    const refused = chooseBuilder(cli({ buildx: false }).docker, {
      ...plain,
      annotations: ['manifest:org.opencontainers.image.title=web']
    })
    await expect(refused).rejects.toThrow('annotations need docker buildx, which is not installed')
    await expect(refused).rejects.toThrow('docker/setup-buildx-action')
    await expect(refused).rejects.toThrow('builder input')
  })

  it('warns that a builder loading into the engine pushes without the OCI annotations', async () => {
    const written: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
      written.push(String(text))
      return true
    })
    try {
      const annotations = ['index:org.opencontainers.image.title=web']
      await expect(chooseBuilder(cli({}).docker, { ...plain, annotations })).resolves.toMatchObject({
        output: 'load'
      })
      await chooseBuilder(cli({ inspect: REMOTE_DRIVER }).docker, { ...plain, annotations })
    } finally {
      spy.mockRestore()
    }
    const warnings = written.filter((line) => line.startsWith('::warning::'))
    expect(warnings).toEqual([
      expect.stringContaining(
        '::warning::annotations: the builder "default" uses the docker driver and loads the image into the engine, which keeps no OCI annotations'
      )
    ])
  })
})

describe('the inputs that need more than the classic builder or --load', () => {
  it('knows, by input name, what needs buildx', () => {
    const needs: Omit<Inputs, 'provenance'> = {
      builder: 'b',
      secrets: [{ key: 'a', value: 'b' }],
      platforms: ['linux/arm64'],
      cacheTo: ['type=inline'],
      cacheFrom: ['type=gha'],
      sbom: true,
      annotations: ['manifest:org.opencontainers.image.title=web']
    }
    expect(buildxOnlyInputs(needs)).toEqual([
      'builder',
      'secrets',
      'platforms',
      'cache-to',
      'cache-from',
      'sbom',
      'annotations'
    ])
    // A plain image reference is a cache source the classic builder takes.
    expect(buildxOnlyInputs({ ...plain, cacheFrom: ['ghcr.io/acme/web:1'] })).toEqual([])
  })
  it('knows what needs an OCI layout', () => {
    expect(layoutOnlyInputs({ ...plain, provenance: parseProvenance('false') })).toEqual([])
    expect(
      layoutOnlyInputs({ ...plain, provenance: parseProvenance('true'), platforms: ['linux/arm64'] })
    ).toEqual(['provenance'])
  })
})

describe('parseProvenance', () => {
  it('takes build-push-action values', () => {
    expect(parseProvenance('')).toEqual({ set: false, attest: true, attrs: '' })
    expect(parseProvenance('false')).toEqual({ set: true, attest: false, attrs: '' })
    expect(parseProvenance('true')).toEqual({ set: true, attest: true, attrs: 'mode=min' })
    expect(parseProvenance('mode=max, builder-id=https://ci.example/run/1')).toEqual({
      set: true,
      attest: true,
      attrs: 'mode=max,builder-id=https://ci.example/run/1'
    })
  })
  it('refuses what buildx would not take', () => {
    expect(() => parseProvenance('mode=full')).toThrow('mode is min or max, not "full"')
    expect(() => parseProvenance('yes please')).toThrow('is not true, false or key=value attributes')
  })
})
