// pushLayout against the in-memory stand-in registry (which refuses a manifest naming what the
// repository lacks, as Distribution does): the index arrives with its local digest, a second
// push skips every blob, a push to another repository mounts them, bytes that are not their
// digest never go up, passing failures are retried, and uploads stay within the limit.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { readLayoutGraph } from '../../../src/oci/layout.js'
import { manifestLevels, pushLayout, tagLayout } from '../../../src/push/layout-push.js'
import { RegistryClient } from '../../../src/registry/api.js'
import { isTransientRegistryError, type RetryPolicy } from '../../../src/program/retry.js'
import { blobFile, writeFixtureLayout, type FixtureLayout } from '../../support/oci-layout-fixture.js'
import { startStandInDistribution, type StandInDistribution } from '../../support/stand-in-distribution.js'

const user = { username: 'ci', password: 'pw' }
const retry: RetryPolicy = {
  attempts: 3,
  firstDelayMs: 1,
  isTransient: isTransientRegistryError,
  sleep: async () => {}
}
const root = mkdtempSync(path.join(os.tmpdir(), 'layout-push-'))
let registry: StandInDistribution
let fixture: FixtureLayout

beforeAll(async () => {
  registry = await startStandInDistribution({ auth: 'basic', user, uploadDelayMs: 20 })
  fixture = writeFixtureLayout(path.join(root, 'layout'), 10_000)
})

afterAll(async () => {
  await registry.close()
  rmSync(root, { recursive: true, force: true })
})

const since = (start: number) => registry.requests.slice(start)

describe('pushLayout', () => {
  it('pushes every blob once, the manifests children first, and the index with its local digest', async () => {
    const client = new RegistryClient(registry.registry, user)
    const start = registry.requests.length
    const result = await pushLayout(client, 'app/one', readLayoutGraph(fixture.dir), { retry })
    expect(result).toMatchObject({
      digest: fixture.index.digest,
      blobsUploaded: 7,
      blobsSkipped: 0,
      blobsMounted: 0,
      bytesUploaded: fixture.blobs.reduce((sum, blob) => sum + blob.size, 0),
      manifestsPut: 4
    })
    expect(result.manifest.body.equals(fixture.index.body)).toBe(true)
    const repository = registry.repository('app/one')
    expect([...repository.blobs].sort()).toEqual(fixture.blobs.map((b) => b.digest).sort())
    for (const blob of fixture.blobs) expect(registry.blobs.get(blob.digest)?.length).toBe(blob.size)
    const manifestPuts = since(start).filter((r) => r.method === 'PUT' && r.path.includes('/manifests/'))
    expect(manifestPuts.map((r) => [r.path, r.status])).toEqual(
      [fixture.amd64, fixture.arm64, fixture.attestation, fixture.index].map((d) => [
        `/v2/app/one/manifests/${d.digest}`,
        201
      ])
    )
    // The shared layer went up once though two manifests name it.
    const sharedPuts = since(start).filter(
      (r) => r.method === 'PUT' && r.path.endsWith(`digest=${encodeURIComponent(fixture.sharedLayer.digest)}`)
    )
    expect(sharedPuts).toHaveLength(1)
    expect(registry.maxConcurrentUploads).toBeGreaterThan(1)
    expect(registry.maxConcurrentUploads).toBeLessThanOrEqual(4)
  })

  it('skips every blob the second time', async () => {
    const client = new RegistryClient(registry.registry, user)
    const start = registry.requests.length
    const result = await pushLayout(client, 'app/one', readLayoutGraph(fixture.dir), { retry })
    expect(result).toMatchObject({
      digest: fixture.index.digest,
      blobsUploaded: 0,
      blobsSkipped: 7,
      bytesUploaded: 0
    })
    expect(since(start).filter((r) => r.method === 'POST')).toEqual([])
  })

  it('mounts from another repository instead of uploading', async () => {
    const client = new RegistryClient(registry.registry, user)
    const start = registry.requests.length
    const result = await pushLayout(client, 'app/two', readLayoutGraph(fixture.dir), {
      retry,
      mountFrom: ['app/missing', 'app/one']
    })
    expect(result).toMatchObject({ blobsUploaded: 0, blobsSkipped: 0, blobsMounted: 7, bytesUploaded: 0 })
    // The mount from app/missing opened sessions, each ended before the next mount.
    const requests = since(start)
    expect(requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual(Array(7).fill(204))
    expect(requests.filter((r) => r.method === 'PUT' && r.path.includes('/blobs/'))).toEqual([])
    expect(
      registry.repository('app/two').manifests.get(fixture.index.digest)?.body.equals(fixture.index.body)
    ).toBe(true)
  })

  it('refuses a blob whose bytes are not its digest before uploading it', async () => {
    const corrupt = writeFixtureLayout(path.join(root, 'corrupt'), 5000)
    writeFileSync(blobFile(corrupt.dir, corrupt.amd64Layer.digest), Buffer.alloc(5000, 7))
    const client = new RegistryClient(registry.registry, user)
    const start = registry.requests.length
    await expect(
      pushLayout(client, 'app/corrupt', readLayoutGraph(corrupt.dir), { retry, concurrency: 1 })
    ).rejects.toThrow(`the blob ${corrupt.amd64Layer.digest} holds bytes that hash to sha256:`)
    const touched = since(start).filter((r) => r.path.includes(corrupt.amd64Layer.digest.slice(7)))
    expect(touched.map((r) => r.method)).toEqual(['HEAD'])
    expect(since(start).filter((r) => r.path.includes('/manifests/'))).toEqual([])
  })

  it('retries a blob upload the registry answered 503', async () => {
    const fresh = writeFixtureLayout(path.join(root, 'retried'), 3000)
    registry.fail('PUT', /\/blobs\/uploads\//, 503, 2)
    const client = new RegistryClient(registry.registry, user)
    const result = await pushLayout(client, 'app/retried', readLayoutGraph(fresh.dir), {
      retry,
      concurrency: 1
    })
    expect(result).toMatchObject({ digest: fresh.index.digest, blobsUploaded: 7 })
  })

  it('takes one root only', async () => {
    const graph = readLayoutGraph(fixture.dir)
    const client = new RegistryClient(registry.registry, user)
    await expect(
      pushLayout(client, 'app/x', { ...graph, roots: [...graph.roots, ...graph.roots] })
    ).rejects.toThrow(/names 2 manifests: a push takes exactly one/)
  })
})

describe('manifestLevels', () => {
  it('puts the platform and attestation manifests in one level, the index after them', () => {
    const graph = readLayoutGraph(fixture.dir)
    expect(manifestLevels(graph.manifests).map((level) => level.map((m) => m.digest).sort())).toEqual([
      [fixture.amd64.digest, fixture.arm64.digest, fixture.attestation.digest].sort(),
      [fixture.index.digest]
    ])
  })
})

describe('tagLayout', () => {
  it('puts the index under each tag', async () => {
    const client = new RegistryClient(registry.registry, user)
    const { manifest } = await pushLayout(client, 'app/one', readLayoutGraph(fixture.dir), { retry })
    expect(await tagLayout(client, 'app/one', manifest, ['1.2.3', 'latest'], retry)).toEqual([
      '1.2.3',
      'latest'
    ])
    for (const tag of ['1.2.3', 'latest']) {
      const got = await client.getManifest('app/one', tag)
      expect(got.digest).toBe(fixture.index.digest)
      expect(got.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    }
  })
})
