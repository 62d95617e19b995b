// The registry client's blob operations and manifests by digest, against the in-memory stand-in
// that answers as the Distribution API says: HEAD, the monolithic upload through a relative
// Location that carries its own query, a cross-repository mount (201) and its fallback to an
// upload session (202), and the token scopes a mount needs.
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { Readable } from 'node:stream'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { manifestDigestOf, RegistryClient } from '../../../src/registry/api.js'
import { RegistryError, uploadTimeoutMs } from '../../../src/registry/http.js'
import { startStandInDistribution, type StandInDistribution } from '../../support/stand-in-distribution.js'

const user = { username: 'ci', password: 'pw' }
let basic: StandInDistribution
let bearer: StandInDistribution

beforeAll(async () => {
  basic = await startStandInDistribution({ auth: 'basic', user })
  bearer = await startStandInDistribution({ auth: 'bearer', user })
})

afterAll(async () => {
  await basic.close()
  await bearer.close()
})

function digestOf(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

describe('blobs', () => {
  it('uploads through the relative Location, keeping its query, and then has the blob', async () => {
    const client = new RegistryClient(basic.registry, user)
    const bytes = randomBytes(100_000)
    const digest = digestOf(bytes)
    expect(await client.hasBlob('app/one', digest)).toBe(false)
    await client.uploadBlob('app/one', digest, bytes.length, () =>
      Readable.from([bytes.subarray(0, 5000), bytes.subarray(5000)])
    )
    expect(await client.hasBlob('app/one', digest)).toBe(true)
    expect(basic.blobs.get(digest)?.equals(bytes)).toBe(true)
    const put = basic.requests.find(
      (r) => r.method === 'PUT' && r.path.includes(`digest=${encodeURIComponent(digest)}`)
    )
    expect(put?.path).toMatch(
      /^\/v2\/app\/one\/blobs\/uploads\/[0-9a-f-]{36}\?_state=[^&]+&digest=sha256%3A[0-9a-f]{64}$/
    )
    expect(put?.status).toBe(201)
  })

  it('fails with the registry error when the bytes are not the digest', async () => {
    const client = new RegistryClient(basic.registry, user)
    const bytes = randomBytes(1000)
    const wrong = digestOf(Buffer.from('other'))
    await expect(client.uploadBlob('app/one', wrong, bytes.length, () => bytes)).rejects.toThrow(
      /could not upload sha256:[0-9a-f]{64} to app\/one on 127\.0\.0\.1:\d+: 400 Bad Request .*DIGEST_INVALID/
    )
    expect(await client.hasBlob('app/one', wrong)).toBe(false)
  })

  it('mounts a blob another repository holds (201), and gets a session where none does (202)', async () => {
    const client = new RegistryClient(basic.registry, user)
    const bytes = randomBytes(2000)
    const digest = digestOf(bytes)
    await client.uploadBlob('app/source', digest, bytes.length, () => bytes)
    expect(await client.mountBlob('app/target', digest, 'app/source')).toEqual({ mounted: true })
    expect(await client.hasBlob('app/target', digest)).toBe(true)

    const absent = randomBytes(300)
    const refused = await client.mountBlob('app/target', digestOf(absent), 'app/source')
    expect(refused.mounted).toBe(false)
    const location = (refused as { location: string }).location
    expect(location).toMatch(
      new RegExp(`^http://${basic.registry}/v2/app/target/blobs/uploads/[0-9a-f-]{36}\\?_state=`)
    )
    // The session the refused mount opened takes the upload.
    await client.uploadBlob('app/target', digestOf(absent), absent.length, () => absent, location)
    expect(await client.hasBlob('app/target', digestOf(absent))).toBe(true)
    const posts = basic.requests.filter((r) => r.method === 'POST' && r.path.startsWith('/v2/app/target/'))
    expect(posts.map((r) => r.status)).toEqual([201, 202])
  })

  it('cancels a session it will not use; a second cancel finds none', async () => {
    const client = new RegistryClient(basic.registry, user)
    const refused = await client.mountBlob('app/c', digestOf(randomBytes(10)), 'app/nowhere')
    const location = (refused as { location: string }).location
    await client.cancelUpload('app/c', location)
    await expect(client.cancelUpload('app/c', location)).resolves.toBeUndefined()
    expect(basic.requests.filter((r) => r.method === 'DELETE').map((r) => r.status)).toEqual([204, 404])
  })

  it('refuses a digest that is not sha256:<hex> before any request', async () => {
    const client = new RegistryClient(basic.registry, user)
    const before = basic.requests.length
    await expect(client.hasBlob('app/one', 'sha256:../../x')).rejects.toThrow(RegistryError)
    await expect(client.uploadBlob('app/one', 'md5:abc', 1, () => Buffer.from('x'))).rejects.toThrow(
      /is not sha256:<64 hex digits>/
    )
    expect(basic.requests.length).toBe(before)
  })
})

describe('token scopes', () => {
  it('asks one token for the target (pull,push) and the source (pull) when mounting', async () => {
    const client = new RegistryClient(bearer.registry, user)
    const bytes = randomBytes(500)
    const digest = digestOf(bytes)
    await client.uploadBlob('team/base', digest, bytes.length, () => bytes)
    expect(await client.mountBlob('team/app', digest, 'team/base')).toEqual({ mounted: true })
    expect(bearer.tokenScopes).toContainEqual(['repository:team/app:pull,push', 'repository:team/base:pull'])
    expect(await client.hasBlob('team/app', digest)).toBe(true)
  })
})

describe('manifests by digest', () => {
  it('puts a manifest under its digest, refuses one under another digest', async () => {
    const client = new RegistryClient(basic.registry, user)
    const config = Buffer.from('{}')
    await client.uploadBlob('app/m', digestOf(config), config.length, () => config)
    const body = Buffer.from(
      JSON.stringify({
        schemaVersion: 2,
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        config: { mediaType: 'application/vnd.oci.image.config.v1+json', digest: digestOf(config), size: 2 },
        layers: []
      })
    )
    const manifest = {
      body,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigestOf(body)
    }
    expect(await client.putManifest('app/m', manifest.digest, manifest)).toBe(manifest.digest)
    expect(basic.requests.at(-1)?.path).toBe(`/v2/app/m/manifests/${manifest.digest}`)
    expect((await client.getManifest('app/m', manifest.digest)).body.equals(body)).toBe(true)
    await expect(client.putManifest('app/m', `sha256:${'0'.repeat(64)}`, manifest)).rejects.toThrow(
      /cannot be put under the digest/
    )
  })
})

describe('a registry that takes the upload and never answers', () => {
  it('fails the upload at its time limit, naming it', async () => {
    const server = http.createServer((req, res) => {
      if (req.method === 'POST')
        return void req
          .resume()
          .on('end', () => res.writeHead(202, { location: '/v2/app/s/blobs/uploads/u?_state=x' }).end())
      req.resume() // the PUT: bytes taken, no answer
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    try {
      const client = new RegistryClient(
        `127.0.0.1:${(server.address() as AddressInfo).port}`,
        undefined,
        fetch,
        300
      )
      const bytes = randomBytes(1024)
      const started = Date.now()
      await expect(
        client.uploadBlob('app/s', digestOf(bytes), bytes.length, () => Readable.from([bytes]))
      ).rejects.toThrow(/did not answer PUT \/v2\/app\/s\/blobs\/uploads\/u within 0\.301 s: timed out/)
      expect(Date.now() - started).toBeLessThan(5000)
    } finally {
      server.closeAllConnections()
      server.close()
    }
  })
})

describe('uploadTimeoutMs', () => {
  it('gives an upload the request limit plus a second per MiB', () => {
    expect(uploadTimeoutMs(30_000, 0)).toBe(30_000)
    expect(uploadTimeoutMs(30_000, 300 * 1024 * 1024)).toBe(330_000)
    expect(uploadTimeoutMs(5_000, 1)).toBe(5_001)
  })
})
