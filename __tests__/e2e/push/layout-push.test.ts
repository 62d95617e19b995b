// An OCI layout pushed with the action's own registry client to the test bed's registry
// (Distribution 2.8, htpasswd Basic auth): a two-platform image index with an attestation
// manifest shaped like BuildKit's, written by hand. Read back with plain fetch (not the action's
// client), the index has its local digest and every manifest and blob is there byte for byte; a
// second push uploads nothing; a push to another repository mounts every blob; a blob whose bytes
// are not its digest is refused before it is uploaded.
import { createHash } from 'node:crypto'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { readLayoutGraph } from '../../../src/oci/layout.js'
import { pushLayout, tagLayout } from '../../../src/push/layout-push.js'
import { RegistryClient } from '../../../src/registry/api.js'
import { testbed, type Testbed } from '../../support/harness.js'
import { registryDigest, registryTags, uniqueRepository } from '../../support/registry-helpers.js'
import { blobFile, writeFixtureLayout, type FixtureLayout } from '../../support/oci-layout-fixture.js'

jest.setTimeout(300_000)

const MiB = 1024 * 1024
let tb: Testbed
let root: string
let fixture: FixtureLayout
let first: string
let second: string

beforeAll(() => {
  tb = testbed()
  root = mkdtempSync(path.join(os.tmpdir(), 'layout-push-e2e-'))
  // 16 MiB shared, 16 MiB amd64-only, 8 MiB arm64-only: large enough to stream, to time.
  fixture = writeFixtureLayout(path.join(root, 'layout'), 16 * MiB)
  first = uniqueRepository(tb, 'layout').repository
  second = uniqueRepository(tb, 'layout-mounted').repository
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

function client(): RegistryClient {
  return new RegistryClient(tb.registry, { username: tb.username, password: tb.password })
}

/** Plain fetch with Basic auth: what the registry holds, seen without the action's client. */
async function fetchRegistry(pathname: string, method = 'GET', accept?: string): Promise<Response> {
  return fetch(`http://${tb.registry}${pathname}`, {
    method,
    headers: {
      authorization: `Basic ${Buffer.from(`${tb.username}:${tb.password}`).toString('base64')}`,
      ...(accept ? { accept } : {})
    }
  })
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

const totalBytes = () => fixture.blobs.reduce((sum, blob) => sum + blob.size, 0)

describe('pushLayout to registry 2.8', () => {
  it('pushes the index with its local digest, every manifest and blob byte for byte', async () => {
    const started = Date.now()
    const result = await pushLayout(client(), first, readLayoutGraph(fixture.dir))
    const seconds = (Date.now() - started) / 1000
    console.log(
      `first push: ${result.blobsUploaded} blobs, ${(result.bytesUploaded / MiB).toFixed(1)} MiB uploaded, ${result.manifestsPut} manifests, in ${seconds.toFixed(2)} s`
    )
    expect(result).toMatchObject({
      digest: fixture.index.digest,
      blobsUploaded: 7,
      blobsSkipped: 0,
      blobsMounted: 0,
      bytesUploaded: totalBytes(),
      manifestsPut: 4
    })
    expect(totalBytes()).toBeGreaterThan(40 * MiB)

    const index = await fetchRegistry(
      `/v2/${first}/manifests/${fixture.index.digest}`,
      'GET',
      'application/vnd.oci.image.index.v1+json'
    )
    expect(index.status).toBe(200)
    expect(index.headers.get('content-type')).toBe('application/vnd.oci.image.index.v1+json')
    expect(index.headers.get('docker-content-digest')).toBe(fixture.index.digest)
    const indexBody = Buffer.from(await index.arrayBuffer())
    expect(sha256(indexBody)).toBe(fixture.index.digest)
    expect(indexBody.equals(fixture.index.body)).toBe(true)
    const children = (JSON.parse(indexBody.toString('utf8')) as { manifests: { digest: string }[] }).manifests
    expect(children.map((child) => child.digest)).toEqual([
      fixture.amd64.digest,
      fixture.arm64.digest,
      fixture.attestation.digest
    ])

    for (const child of [fixture.amd64, fixture.arm64, fixture.attestation]) {
      const answer = await fetchRegistry(`/v2/${first}/manifests/${child.digest}`, 'GET', child.mediaType)
      expect(answer.status).toBe(200)
      const body = Buffer.from(await answer.arrayBuffer())
      expect(sha256(body)).toBe(child.digest)
      expect(body.equals(readFileSync(blobFile(fixture.dir, child.digest)))).toBe(true)
    }
    for (const blob of fixture.blobs) {
      const head = await fetchRegistry(`/v2/${first}/blobs/${blob.digest}`, 'HEAD')
      expect([blob.digest, head.status, Number(head.headers.get('content-length'))]).toEqual([
        blob.digest,
        200,
        blob.size
      ])
    }
    const layer = await fetchRegistry(`/v2/${first}/blobs/${fixture.sharedLayer.digest}`)
    expect(sha256(Buffer.from(await layer.arrayBuffer()))).toBe(fixture.sharedLayer.digest)
  })

  it('tags the index', async () => {
    const { manifest } = await pushLayout(client(), first, readLayoutGraph(fixture.dir))
    await tagLayout(client(), first, manifest, ['1.0.0', 'latest'])
    expect((await registryTags(tb, first)).sort()).toEqual(['1.0.0', 'latest'])
    expect(await registryDigest(tb, first, '1.0.0')).toBe(fixture.index.digest)
    expect(await registryDigest(tb, first, 'latest')).toBe(fixture.index.digest)
  })

  it('uploads nothing the second time', async () => {
    const started = Date.now()
    const result = await pushLayout(client(), first, readLayoutGraph(fixture.dir))
    console.log(
      `second push: ${result.blobsSkipped} blobs skipped in ${((Date.now() - started) / 1000).toFixed(2)} s`
    )
    expect(result).toMatchObject({
      digest: fixture.index.digest,
      blobsUploaded: 0,
      blobsSkipped: 7,
      blobsMounted: 0,
      bytesUploaded: 0
    })
  })

  it('mounts every blob into another repository instead of uploading it', async () => {
    const started = Date.now()
    const result = await pushLayout(client(), second, readLayoutGraph(fixture.dir), { mountFrom: [first] })
    console.log(
      `mounted push: ${result.blobsMounted} blobs mounted in ${((Date.now() - started) / 1000).toFixed(2)} s`
    )
    expect(result).toMatchObject({
      digest: fixture.index.digest,
      blobsUploaded: 0,
      blobsSkipped: 0,
      blobsMounted: 7,
      bytesUploaded: 0
    })
    const index = await fetchRegistry(
      `/v2/${second}/manifests/${fixture.index.digest}`,
      'HEAD',
      'application/vnd.oci.image.index.v1+json'
    )
    expect(index.headers.get('docker-content-digest')).toBe(fixture.index.digest)
    for (const blob of fixture.blobs)
      expect((await fetchRegistry(`/v2/${second}/blobs/${blob.digest}`, 'HEAD')).status).toBe(200)
  })

  it('refuses a blob whose bytes are not its digest before uploading it', async () => {
    const corrupt = writeFixtureLayout(path.join(root, 'corrupt'), 64 * 1024)
    writeFileSync(blobFile(corrupt.dir, corrupt.amd64Layer.digest), Buffer.alloc(64 * 1024, 1))
    const repository = uniqueRepository(tb, 'layout-corrupt').repository
    await expect(
      pushLayout(client(), repository, readLayoutGraph(corrupt.dir), { concurrency: 1 })
    ).rejects.toThrow(
      `the blob ${corrupt.amd64Layer.digest} holds bytes that hash to ${sha256(Buffer.alloc(64 * 1024, 1))}`
    )
    expect((await fetchRegistry(`/v2/${repository}/blobs/${corrupt.amd64Layer.digest}`, 'HEAD')).status).toBe(
      404
    )
    expect(
      (
        await fetchRegistry(
          `/v2/${repository}/manifests/${corrupt.index.digest}`,
          'HEAD',
          corrupt.index.mediaType
        )
      ).status
    ).toBe(404)
  })
})
