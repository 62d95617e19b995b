// The test bed's BuildKit (scripts/testbed.sh): buildkitd behind the buildx builder
// container-ship-remote (driver "remote"), arm64 through qemu, base images and BuildKit's SBOM
// scanner from the docker.io mirror on 127.0.0.1:5001, and the cosign and Syft binaries. Checked
// with the real CLIs so the multi-platform, attestation and signing tests can rely on them.
import { execFile } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { testbed, type Testbed } from '../../support/harness.js'

jest.setTimeout(300_000)

const execFileAsync = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to its end without throwing: its exit code and output. */
async function run(file: string, args: string[], timeout = 60_000): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, { timeout, maxBuffer: 64 * 1024 * 1024 })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error)
    }
  }
}

interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { architecture: string; os: string; variant?: string }
  annotations?: Record<string, string>
}

interface Index {
  mediaType: string
  manifests: Descriptor[]
}

interface Manifest {
  mediaType: string
  config: Descriptor
  layers: Descriptor[]
}

interface Statement {
  _type: string
  predicateType: string
  subject: { name: string; digest: Record<string, string> }[]
  predicate: Record<string, unknown>
}

let tb: Testbed
let scratch: string

beforeAll(() => {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'testbed-buildkit-'))
})

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

describe('the builder container-ship-remote', () => {
  it('is buildkitd on its socket, with linux/amd64 and linux/arm64, and is not the current builder', async () => {
    expect(tb.builder).toBe('container-ship-remote')
    expect(tb.buildkitAddr).toBe('unix:///run/container-ship-buildkit/buildkitd.sock')
    expect(tb.mirror).toBe('127.0.0.1:5001')

    const inspect = await run('docker', ['buildx', 'inspect', tb.builder, '--bootstrap'])
    expect(inspect.code).toBe(0)
    expect(inspect.stdout).toMatch(/^Driver:\s+remote$/m)
    expect(inspect.stdout).toContain(tb.buildkitAddr)
    const platforms = /^\s*Platforms:\s*(.*)$/m.exec(inspect.stdout)?.[1]?.split(/,\s*/) ?? []
    expect(platforms).toEqual(expect.arrayContaining(['linux/amd64', 'linux/arm64']))

    const current = await run('docker', ['buildx', 'inspect'])
    expect(current.stdout).toMatch(/^Driver:\s+docker$/m)
  })
})

describe('a two-platform build with provenance and SBOM', () => {
  const out = (): string => path.join(scratch, 'oci')
  const blob = (digest: string): string => path.join(out(), 'blobs', ...digest.split(':'))
  const json = <T>(digest: string): T => JSON.parse(readFileSync(blob(digest), 'utf8')) as T

  let images: Descriptor[]
  let attestations: Descriptor[]

  beforeAll(async () => {
    const context = path.join(scratch, 'context')
    await run('mkdir', ['-p', context])
    writeFileSync(path.join(context, 'Dockerfile'), 'FROM busybox:latest\nRUN uname -m > /arch\n')
    // --no-cache: the RUN step runs each time (under qemu for arm64), and busybox:latest is resolved
    // through the mirror again.
    const build = await run(
      'docker',
      [
        'buildx',
        'build',
        '--builder',
        tb.builder,
        '--platform',
        'linux/amd64,linux/arm64',
        '--provenance=mode=max',
        '--sbom=true',
        '--no-cache',
        '--output',
        // name=: BuildKit names the statements' subjects after it (none without a name).
        `type=oci,dest=${out()},tar=false,name=container-ship-test/buildkit:e2e`,
        context
      ],
      240_000
    )
    if (build.code !== 0) throw new Error(`docker buildx build failed:\n${build.stderr}`)

    const layout = JSON.parse(readFileSync(path.join(out(), 'index.json'), 'utf8')) as Index
    expect(layout.manifests).toHaveLength(1)
    const top = layout.manifests[0] as Descriptor
    expect(top.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    const index = json<Index>(top.digest)
    const isAttestation = (d: Descriptor): boolean =>
      d.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
    images = index.manifests.filter((d) => !isAttestation(d))
    attestations = index.manifests.filter(isAttestation)
  })

  it('gives an OCI image index with a linux/amd64 and a linux/arm64 image, and an attestation manifest for each', () => {
    expect(images.map((d) => `${d.platform?.os}/${d.platform?.architecture}`).sort()).toEqual([
      'linux/amd64',
      'linux/arm64'
    ])
    expect(attestations).toHaveLength(2)
    expect(attestations.map((d) => d.annotations?.['vnd.docker.reference.digest']).sort()).toEqual(
      images.map((d) => d.digest).sort()
    )
  })

  it('attests each image with an SPDX SBOM and a SLSA provenance about it', () => {
    for (const attestation of attestations) {
      const subject = attestation.annotations?.['vnd.docker.reference.digest'] as string
      const manifest = json<Manifest>(attestation.digest)
      const types = manifest.layers.map((layer) => layer.annotations?.['in-toto.io/predicate-type'])
      expect(types).toContain('https://spdx.dev/Document')
      expect(types).toEqual(
        expect.arrayContaining([expect.stringMatching(/^https:\/\/slsa\.dev\/provenance\//)])
      )
      for (const layer of manifest.layers) {
        expect(layer.mediaType).toBe('application/vnd.in-toto+json')
        const statement = json<Statement>(layer.digest)
        expect(statement.predicateType).toBe(layer.annotations?.['in-toto.io/predicate-type'])
        expect(statement.subject).toEqual([
          {
            name: expect.stringMatching(
              /^pkg:docker\/container-ship-test\/buildkit@e2e\?platform=linux%2F(amd64|arm64)$/
            ),
            digest: { sha256: subject.replace(/^sha256:/, '') }
          }
        ])
        const predicate = JSON.stringify(statement.predicate)
        if (statement.predicateType === 'https://spdx.dev/Document') {
          // The test bed's scanner (Syft behind BuildKit's SBOM protocol) finds busybox.
          expect(statement.predicate.spdxVersion).toMatch(/^SPDX-2\./)
          expect(predicate).toContain('"name":"busybox"')
        } else {
          // mode=max: the request (Dockerfile frontend) and the base image from the mirror.
          expect(predicate).toContain('dockerfile.v0')
          expect(predicate).toContain('pkg:docker/busybox@latest')
        }
      }
    }
  })

  it('ran RUN for arm64 under emulation: /arch in the arm64 image says aarch64', async () => {
    const arch = async (architecture: string): Promise<string> => {
      const image = images.find((d) => d.platform?.architecture === architecture) as Descriptor
      const manifest = json<Manifest>(image.digest)
      // The last layer is the RUN step's: it holds /arch alone.
      const layer = manifest.layers.at(-1) as Descriptor
      const read = await run('tar', ['-xzOf', blob(layer.digest), 'arch'])
      expect(read).toMatchObject({ code: 0 })
      return read.stdout.trim()
    }
    expect(await arch('arm64')).toBe('aarch64')
    expect(await arch('amd64')).toBe('x86_64')
  })
})

describe('cosign and Syft', () => {
  it('answer version', async () => {
    const cosign = await run(tb.cosign, ['version'])
    expect(cosign.code).toBe(0)
    expect(cosign.stdout + cosign.stderr).toMatch(/GitVersion:\s+v2\.6\.\d+/)
    const syft = await run(tb.syft, ['version'])
    expect(syft).toMatchObject({ code: 0, stdout: expect.stringMatching(/Version:\s+1\.\d+\.\d+/) })
  })
})
