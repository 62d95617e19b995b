// One artifact from build to registry: the bundled action with the test bed's BuildKit builder
// (buildx driver "remote", linux/amd64 native and linux/arm64 through qemu) builds both platforms
// into an OCI layout with provenance and SBOM attestations, scans each platform with the test
// bed's Trivy, and pushes the layout's bytes with its own registry client to the real registry.
import { readFileSync } from 'node:fs'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import {
  docker,
  registryBlob,
  registryManifest,
  registryTags,
  uniqueRepository
} from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed

interface Descriptor {
  mediaType: string
  digest: string
  platform?: { os: string; architecture: string }
  annotations?: Record<string, string>
}

/**
 * FROM the Alpine 3.9.4 image (musl 1.1.20-r4, CRITICAL CVE-2019-14697 in the fixture DB), its
 * apk database then saying musl is 1.1.20-r5 (fixed) on the platforms named in FIXED_ON.
 */
function dockerfile(tb: Testbed, fixedOn: string): string {
  return [
    `FROM ${tb.alpine39Image}`,
    'ARG TARGETARCH',
    `RUN case " ${fixedOn} " in *" $TARGETARCH "*) sed -i 's/^V:1.1.20-r4$/V:1.1.20-r5/' /lib/apk/db/installed ;; esac`,
    'RUN uname -m > /arch',
    ''
  ].join('\n')
}

function inputs(image: string, extra: Record<string, string> = {}): Record<string, string> {
  return {
    image,
    username: tb.username,
    password: tb.password,
    steps: 'build,scan,push',
    builder: tb.builder,
    platforms: 'linux/amd64,linux/arm64',
    ...scanSetup(tb).inputs,
    ...extra
  }
}

beforeAll(() => {
  tb = testbed()
  expect(docker(['buildx', 'inspect', tb.builder])).toMatch(/Driver:\s+remote/)
})

describe('two platforms, both clean', () => {
  let result: ActionRun
  let repository: string

  beforeAll(async () => {
    let image: string
    ;({ image, repository } = uniqueRepository(tb, 'multi'))
    result = await runAction({
      inputs: inputs(image, {
        sbom: 'true',
        provenance: 'mode=max',
        // As docker/metadata-action's annotations output gives them.
        annotations:
          'index:org.opencontainers.image.title=multi\nmanifest:org.opencontainers.image.vendor=acme'
      }),
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb, 'amd64 arm64') }),
      env: scanSetup(tb).env
    })
  })

  it('scans each platform, then pushes', () => {
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('Scanning linux/amd64')
    expect(result.log).toContain('Scanning linux/arm64')
    expect(result.outputs['scan-result']).toBe('passed')
    expect(Object.keys(JSON.parse(result.outputs['report-files'] ?? '{}') as object)).toEqual([
      'linux/amd64',
      'linux/arm64'
    ])
    expect(result.summary).toContain('| Platforms scanned | linux/amd64, linux/arm64 |')
  })

  it('pushes one index, under every tag, whose digest is the digest output', async () => {
    const digest = result.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    for (const tag of ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']) {
      const manifest = await registryManifest(tb, repository, tag)
      expect(manifest.digest).toBe(digest)
      expect(manifest.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    }
    // imageid (and its old name image-id) is for one platform only.
    expect(result.outputs.imageid).toBe('')
    expect(result.outputs['image-id']).toBe('')
  })

  it('puts the annotations input on the index and on each platform manifest', async () => {
    const index = await registryManifest(tb, repository, result.outputs.digest ?? '')
    expect((index.json.annotations as Record<string, string>)['org.opencontainers.image.title']).toBe('multi')
    const images = (index.json.manifests as Descriptor[]).filter(
      (m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest'
    )
    expect(images).toHaveLength(2)
    for (const image of images) {
      const manifest = await registryManifest(tb, repository, image.digest)
      expect((manifest.json.annotations as Record<string, string>)['org.opencontainers.image.vendor']).toBe(
        'acme'
      )
    }
  })

  it("sets the metadata output to buildx's build metadata, naming the index pushed", () => {
    const metadata = JSON.parse(result.outputs.metadata ?? '') as Record<string, unknown>
    expect(metadata['containerimage.digest']).toBe(result.outputs.digest)
    expect(metadata['buildx.build.ref']).toEqual(expect.stringContaining(tb.builder))
  })

  it('holds both platform images and an attestation manifest for each, with SPDX and provenance', async () => {
    const index = await registryManifest(tb, repository, result.outputs.digest ?? '')
    const manifests = index.json.manifests as Descriptor[]
    const images = manifests.filter(
      (m) => m.annotations?.['vnd.docker.reference.type'] !== 'attestation-manifest'
    )
    expect(images.map((m) => `${m.platform?.os}/${m.platform?.architecture}`)).toEqual([
      'linux/amd64',
      'linux/arm64'
    ])
    const attestations = manifests.filter(
      (m) => m.annotations?.['vnd.docker.reference.type'] === 'attestation-manifest'
    )
    expect(attestations.map((m) => m.annotations?.['vnd.docker.reference.digest'])).toEqual(
      images.map((m) => m.digest)
    )
    for (const attestation of attestations) {
      const manifest = await registryManifest(tb, repository, attestation.digest)
      const layers = manifest.json.layers as Descriptor[]
      const predicates = layers.map((layer) => layer.annotations?.['in-toto.io/predicate-type'])
      expect(predicates).toContain('https://spdx.dev/Document')
      expect(predicates.some((type) => type?.startsWith('https://slsa.dev/provenance/'))).toBe(true)
      // Each statement's subject is the platform image it attests.
      const spdx = layers.find(
        (layer) => layer.annotations?.['in-toto.io/predicate-type'] === 'https://spdx.dev/Document'
      )
      const statement = JSON.parse(
        (await registryBlob(tb, repository, spdx?.digest ?? '')).toString('utf8')
      ) as {
        subject: { digest: { sha256: string } }[]
      }
      expect(statement.subject.map((s) => `sha256:${s.digest.sha256}`)).toContain(
        attestation.annotations?.['vnd.docker.reference.digest']
      )
    }
  })

  it("writes each platform's SBOM as an SPDX file for later steps", () => {
    const files = JSON.parse(result.outputs['sbom-files'] ?? '{}') as Record<string, string>
    expect(Object.keys(files)).toEqual(['linux/amd64', 'linux/arm64'])
    for (const file of Object.values(files)) {
      const document = JSON.parse(readFileSync(file, 'utf8')) as {
        spdxVersion: string
        packages: { name: string }[]
      }
      expect(document.spdxVersion).toMatch(/^SPDX-2\./)
      // Syft read the apk database of the Alpine base.
      expect(document.packages.map((p) => p.name)).toContain('musl')
    }
  })

  it('ran the arm64 image as arm64 (qemu) and the amd64 one natively', async () => {
    const index = await registryManifest(tb, repository, result.outputs.digest ?? '')
    const arm = (index.json.manifests as Descriptor[]).find((m) => m.platform?.architecture === 'arm64')
    const manifest = await registryManifest(tb, repository, arm?.digest ?? '')
    const config = JSON.parse(
      (await registryBlob(tb, repository, (manifest.json.config as Descriptor).digest)).toString('utf8')
    ) as { architecture: string }
    expect(config.architecture).toBe('arm64')
  })
})

describe('a package vulnerable only in the arm64 image', () => {
  let result: ActionRun
  let repository: string

  beforeAll(async () => {
    let image: string
    ;({ image, repository } = uniqueRepository(tb, 'multi-gate'))
    result = await runAction({
      inputs: inputs(image),
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb, 'amd64') }),
      env: scanSetup(tb).env
    })
  })

  it('fails the gate, and nothing is pushed', async () => {
    expect(result.exitCode).not.toBe(0)
    expect(result.outputs['scan-result']).toBe('failed')
    expect(JSON.parse(result.outputs.findings ?? '{}')).toMatchObject({ CRITICAL: 2 })
    expect(result.outputs.digest).toBe('')
    expect(await registryTags(tb, repository)).toEqual([])
  })

  it('names the platform in the annotations and the summary', () => {
    expect(result.log).toMatch(
      /::error title=.*,file=Dockerfile,line=1::CVE-2019-14697 \(CRITICAL\) musl 1\.1\.20-r4, fixed in 1\.1\.20-r5 \(linux\/arm64 only\)/
    )
    expect(result.summary).toContain('`musl` (linux/arm64 only)')
  })
})

describe('two platforms with the plain docker driver', () => {
  it('is refused before anything is built, naming platforms and how to get a builder', async () => {
    const { image, repository } = uniqueRepository(tb, 'multi-docker-driver')
    const result = await runAction({
      inputs: { ...inputs(image), builder: '' },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb, 'amd64 arm64') }),
      env: scanSetup(tb).env
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(
      /::error::platforms \(linux\/amd64,linux\/arm64\) need a builder that exports an OCI image layout .* the builder "default" uses the docker driver .*docker\/setup-buildx-action/
    )
    expect(result.log).not.toContain('buildx build')
    expect(await registryTags(tb, repository)).toEqual([])
  })
})

describe('one platform with the plain docker driver', () => {
  it('loads the image into the engine as before, and the summary says what a container builder adds', async () => {
    const { image } = uniqueRepository(tb, 'single-docker-driver')
    const result = await runAction({
      inputs: { ...inputs(image), builder: '', platforms: 'linux/amd64', steps: 'build,scan' },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb, 'amd64 arm64') }),
      env: scanSetup(tb).env
    })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('Builder: default (docker driver), loading the image into the engine')
    expect(result.outputs['image-id']).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(result.outputs.imageid).toBe(result.outputs['image-id'])
    const metadata = JSON.parse(result.outputs.metadata ?? '') as Record<string, unknown>
    expect(metadata['containerimage.config.digest'] ?? metadata['containerimage.digest']).toBe(
      result.outputs.imageid
    )
    expect(result.summary).toContain(
      'a builder that exports an OCI image layout (docker/setup-buildx-action) adds several platforms'
    )
  })
})
