import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { manifestDigestOf, nextPageUrl, RegistryClient } from '../../../src/registry/api.js'
import { parseAuthChallenge } from '../../../src/registry/auth.js'
import { RegistryError } from '../../../src/registry/http.js'
import { isTransientRegistryError } from '../../../src/program/retry.js'

/**
 * A registry on loopback speaking the two auth schemes: /basic/... wants Basic credentials,
 * /bearer/... wants a token from /token (which wants Basic credentials and names a scope).
 */
let server: http.Server
let registry: string
const seen: { path: string; accept?: string; authorization?: string }[] = []
const BASIC = `Basic ${Buffer.from('ci:pw').toString('base64')}`
const TAGS = Array.from({ length: 5 }, (_, i) => `1.0.${i}`)
const MANIFEST = Buffer.from('{"schemaVersion":2,"mediaType":"application/vnd.oci.image.manifest.v1+json"}')

beforeAll(async () => {
  server = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    seen.push({
      path: url.pathname + url.search,
      accept: req.headers.accept,
      authorization: req.headers.authorization
    })
    // A stalled registry: takes the request, never answers.
    if (url.pathname.startsWith('/v2/stalled/')) return
    const auth = req.headers.authorization
    if (url.pathname === '/token') {
      if (auth !== BASIC) return void res.writeHead(401).end()
      const scope = url.searchParams.get('scope')
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: `tok:${scope}` }))
    }
    const [, , name] = url.pathname.split('/')
    const wanted =
      name === 'bearer'
        ? `Bearer tok:repository:${url.pathname.split('/').slice(2, 4).join('/')}:pull`
        : BASIC
    if (auth !== wanted) {
      const challenge =
        name === 'bearer'
          ? `Bearer realm="http://${registry}/token",service="test-registry",scope="repository:x:pull"`
          : 'Basic realm="test"'
      return void res.writeHead(401, { 'www-authenticate': challenge }).end()
    }
    if (url.pathname.endsWith('/missing/tags/list'))
      return void res.writeHead(404).end('{"errors":[{"code":"NAME_UNKNOWN"}]}')
    if (url.pathname.endsWith('/tags/list')) {
      // Two tags a page, linked with a relative URL as distribution does.
      const last = url.searchParams.get('last')
      const start = last ? TAGS.indexOf(last) + 1 : 0
      const page = TAGS.slice(start, start + 2)
      const headers: Record<string, string> = { 'content-type': 'application/json' }
      if (start + 2 < TAGS.length)
        headers.link = `<${url.pathname}?n=2&last=${page[page.length - 1]}>; rel="next"`
      return void res.writeHead(200, headers).end(JSON.stringify({ name, tags: page }))
    }
    if (url.pathname.includes('/manifests/')) {
      if (url.pathname.endsWith('/nope')) return void res.writeHead(404).end()
      if (url.pathname.endsWith('/broken')) return void res.writeHead(503, 'Service Unavailable').end()
      return void res
        .writeHead(200, {
          'content-type': 'application/vnd.oci.image.manifest.v1+json',
          'docker-content-digest': manifestDigestOf(MANIFEST)
        })
        .end(MANIFEST)
    }
    res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  registry = `127.0.0.1:${(server.address() as AddressInfo).port}`
})

afterAll(
  () =>
    new Promise<void>((resolve) => {
      server.close(() => resolve())
      server.closeAllConnections()
    })
)

describe('RegistryClient', () => {
  it('lists every page of tags with Basic auth', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'pw' })
    expect(await client.listTags('basic/app')).toEqual(TAGS)
  })

  it('gets a pull-scoped Bearer token from the realm the 401 names', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'pw' })
    expect(await client.listTags('bearer/app')).toEqual(TAGS)
    const tokenRequest = seen.find((s) => s.path.startsWith('/token'))
    expect(tokenRequest?.path).toBe('/token?service=test-registry&scope=repository%3Abearer%2Fapp%3Apull')
  })

  it('gives an empty list for a repository that does not exist yet', async () => {
    expect(
      await new RegistryClient(registry, { username: 'ci', password: 'pw' }).listTags('basic/missing')
    ).toEqual([])
  })

  it('says the credentials were refused', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'wrong' })
    await expect(client.listTags('basic/app')).rejects.toThrow(
      `${registry} refused the credentials (401 Unauthorized) for basic/app`
    )
    await expect(client.listTags('bearer/app')).rejects.toThrow(
      `${registry} refused the credentials (401) when asked for a token`
    )
  })

  it('asks for credentials a Basic registry needs', async () => {
    await expect(new RegistryClient(registry).listTags('basic/app')).rejects.toThrow(
      'asks for credentials: set username and password'
    )
  })

  it('reads a manifest with every manifest media type accepted', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'pw' })
    expect(await client.getManifest('basic/app', '1.0.0')).toEqual({
      body: MANIFEST,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      digest: manifestDigestOf(MANIFEST)
    })
    const get = seen.filter((s) => s.path === '/v2/basic/app/manifests/1.0.0').pop()
    expect(get?.accept).toContain('application/vnd.oci.image.index.v1+json')
    expect(get?.accept).toContain('application/vnd.docker.distribution.manifest.v2+json')
    await expect(client.getManifest('basic/app', 'nope')).rejects.toThrow('404')
    await expect(client.getManifest('basic/app', 'broken')).rejects.toThrow('503 Service Unavailable')
  })

  it('finds a manifest by a HEAD request, with a pull-scoped token, and says when there is none', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'pw' })
    const digest = manifestDigestOf(MANIFEST)
    expect(await client.manifestDigest('bearer/app', '1.0.0')).toBe(digest)
    expect(await client.manifestDigest('basic/app', digest)).toBe(digest)
    expect(seen.some((s) => s.path === `/v2/basic/app/manifests/${digest}`)).toBe(true)
    expect(await client.manifestDigest('basic/app', 'nope')).toBeUndefined()
    await expect(client.manifestDigest('basic/app', 'broken')).rejects.toThrow('503')
    // The registry naming another digest than the one asked for is not taken.
    await expect(client.manifestDigest('basic/app', `sha256:${'0'.repeat(64)}`)).rejects.toThrow(
      `answered ${digest}`
    )
  })

  it('gives up on a request the registry takes and does not answer, naming it and the limit', async () => {
    const client = new RegistryClient(registry, { username: 'ci', password: 'pw' }, fetch, 300)
    const error = await client.listTags('stalled/app').catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(RegistryError)
    expect((error as Error).message).toBe(
      `${registry} did not answer GET /v2/stalled/app/tags/list within 0.3 s: timed out`
    )
    // A stall may pass: it is retried like a 503.
    expect(isTransientRegistryError(error)).toBe(true)
  })
})

describe('header parsing', () => {
  it('parses auth challenges', () => {
    expect(
      parseAuthChallenge('Bearer realm="https://ghcr.io/token",service="ghcr.io",scope="repository:a/b:pull"')
    ).toEqual({
      scheme: 'bearer',
      params: { realm: 'https://ghcr.io/token', service: 'ghcr.io', scope: 'repository:a/b:pull' }
    })
    expect(parseAuthChallenge('Basic realm="Registry Realm"')).toEqual({
      scheme: 'basic',
      params: { realm: 'Registry Realm' }
    })
  })
  it('resolves the next page link', () => {
    expect(nextPageUrl('</v2/a/tags/list?n=2&last=b>; rel="next"', 'http://r:5000/v2/a/tags/list?n=2')).toBe(
      'http://r:5000/v2/a/tags/list?n=2&last=b'
    )
    expect(nextPageUrl(null, 'http://r')).toBeUndefined()
  })
})
