// The registry client against answers real registries give, from a loopback server that gives
// them: Docker Hub's 401 for a repository that does not exist yet (even to a valid token), tag
// lists cut off by the page limit, Link headers that point elsewhere, token realms that are not
// HTTPS, and manifests read back and written by tag.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { manifestDigestOf, MAX_TAG_PAGES, RegistryClient } from '../../../src/registry/api.js'

interface Seen {
  server: 'registry' | 'other'
  method: string
  path: string
  authorization?: string
}
const seen: Seen[] = []
const BASIC = `Basic ${Buffer.from('ci:pw').toString('base64')}`
const manifests = new Map<string, { body: Buffer; type: string }>()
const MANIFEST = Buffer.from(
  JSON.stringify({
    schemaVersion: 2,
    mediaType: 'application/vnd.docker.distribution.manifest.v2+json',
    config: { digest: 'sha256:' + 'c'.repeat(64) }
  })
)
manifests.set('hub/app:1.0.0', {
  body: MANIFEST,
  type: 'application/vnd.docker.distribution.manifest.v2+json'
})

let registry: string
let other: string
let registryServer: http.Server
let otherServer: http.Server

function listen(server: http.Server): Promise<string> {
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve(`127.0.0.1:${(server.address() as AddressInfo).port}`))
  )
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
  })
}

beforeAll(async () => {
  otherServer = http.createServer((req, res) => {
    seen.push({
      server: 'other',
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: req.headers.authorization
    })
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"tags":["stolen"]}')
  })
  other = await listen(otherServer)

  registryServer = http.createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x')
    const body = await readBody(req)
    const auth = req.headers.authorization
    seen.push({
      server: 'registry',
      method: req.method ?? '',
      path: url.pathname + url.search,
      authorization: auth
    })
    // A token service in the style of auth.docker.io: Basic credentials, or none for a pull token.
    if (url.pathname === '/token') {
      if (auth && auth !== BASIC) return void res.writeHead(401).end()
      const scope = url.searchParams.get('scope') ?? ''
      const who = auth ? 'user' : 'anonymous'
      return void res
        .writeHead(200, { 'content-type': 'application/json' })
        .end(JSON.stringify({ token: `${who}|${scope}`, expires_in: 300 }))
    }
    const [, , ns, name] = url.pathname.split('/')
    const repository = `${ns}/${name}`
    const token = auth?.startsWith('Bearer ') ? auth.slice('Bearer '.length) : undefined
    if (!token) {
      const realm = ns === 'insecure' ? 'http://auth.example.invalid/token' : `http://${registry}/token`
      return void res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="${realm}",service="registry.docker.io",scope="repository:${repository}:pull"`,
          'content-type': 'application/json'
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
    }
    // Docker Hub: a repository that does not exist answers 401 even to a valid token.
    if (name === 'new' || (name === 'private' && token.startsWith('anonymous'))) {
      return void res
        .writeHead(401, {
          'www-authenticate': `Bearer realm="http://${registry}/token",service="registry.docker.io",scope="repository:${repository}:pull",error="insufficient_scope"`
        })
        .end('{"errors":[{"code":"UNAUTHORIZED","message":"authentication required"}]}')
    }
    if (url.pathname.endsWith('/tags/list')) {
      if (name === 'endless') {
        // Every page links to another: a list longer than any client reads.
        const n = Number(url.searchParams.get('last') ?? '0') + 1
        return void res
          .writeHead(200, { link: `</v2/${repository}/tags/list?n=1&last=${n}>; rel="next"` })
          .end(JSON.stringify({ name: repository, tags: [`1.0.${n}`] }))
      }
      if (name === 'elsewhere') {
        // A next link to another origin: the credentials must not follow it.
        return void res
          .writeHead(200, { link: `<http://${other}/v2/${repository}/tags/list?last=a>; rel="next"` })
          .end(JSON.stringify({ name: repository, tags: ['1.0.0'] }))
      }
      return void res.writeHead(200).end(JSON.stringify({ name: repository, tags: ['1.0.0'] }))
    }
    const manifestTag = /\/manifests\/(.+)$/.exec(url.pathname)?.[1]
    if (manifestTag) {
      const key = `${repository}:${manifestTag}`
      if (req.method === 'PUT') {
        if (!token.includes(':pull,push')) return void res.writeHead(401).end()
        manifests.set(key, { body, type: req.headers['content-type'] ?? '' })
        return void res.writeHead(201, { 'docker-content-digest': manifestDigestOf(body) }).end()
      }
      const stored = manifests.get(key)
      if (!stored) return void res.writeHead(404).end()
      const digest = name === 'liar' ? 'sha256:' + '0'.repeat(64) : manifestDigestOf(stored.body)
      return void res
        .writeHead(200, { 'content-type': stored.type, 'docker-content-digest': digest })
        .end(stored.body)
    }
    res.writeHead(404).end()
  })
  registry = await listen(registryServer)
  manifests.set('hub/liar:1', {
    body: MANIFEST,
    type: 'application/vnd.docker.distribution.manifest.v2+json'
  })
})

afterAll(async () => {
  await new Promise((resolve) => registryServer.close(resolve))
  await new Promise((resolve) => otherServer.close(resolve))
})

const client = (credentials = true) =>
  new RegistryClient(registry, credentials ? { username: 'ci', password: 'pw' } : undefined)

describe('a repository that does not exist yet', () => {
  it('is empty when a token for the credentials still gets 401 (Docker Hub)', async () => {
    expect(await client().listTags('hub/new')).toEqual([])
  })

  it('is not taken as empty when the token was anonymous: that 401 may be a private repository', async () => {
    await expect(client(false).listTags('hub/private')).rejects.toThrow(/401/)
  })
})

describe('tag lists', () => {
  it('are never taken as whole when cut off by the page limit', async () => {
    await expect(client().listTags('hub/endless')).rejects.toThrow(
      `is longer than ${MAX_TAG_PAGES} pages: it was not read whole`
    )
  })

  it('send credentials only to the registry, never to another origin a Link names', async () => {
    seen.length = 0
    await client().listTags('hub/elsewhere')
    const toOther = seen.filter((s) => s.server === 'other')
    expect(toOther).toHaveLength(1)
    expect(toOther[0]?.authorization).toBeUndefined()
  })
})

describe('token realms', () => {
  it('get no credentials over plain HTTP unless on loopback', async () => {
    const asked: string[] = []
    const guarded = new RegistryClient(registry, { username: 'ci', password: 'pw' }, (input, init) => {
      asked.push(String(input))
      return fetch(input, init)
    })
    await expect(guarded.listTags('insecure/app')).rejects.toThrow(
      'named the token realm http://auth.example.invalid, which is neither HTTPS nor loopback: the credentials were not sent'
    )
    expect(asked.some((url) => url.includes('example.invalid'))).toBe(false)
  })

  it('ask for pull and push when the client writes a manifest', async () => {
    seen.length = 0
    const manifest = await client().getManifest('hub/app', '1.0.0')
    await client().putManifest('hub/app', '1.0', manifest)
    const tokenRequests = seen.filter((s) => s.path.startsWith('/token')).map((s) => s.path)
    expect(tokenRequests.every((path) => path.includes('scope=repository%3Ahub%2Fapp%3Apull%2Cpush'))).toBe(
      true
    )
  })
})

describe('manifests', () => {
  it('are read back byte for byte with their digest, and tagged with the same bytes', async () => {
    const manifest = await client().getManifest('hub/app', '1.0.0')
    expect(manifest.digest).toBe(manifestDigestOf(MANIFEST))
    expect(manifest.mediaType).toBe('application/vnd.docker.distribution.manifest.v2+json')
    expect(await client().putManifest('hub/app', 'latest', manifest)).toBe(manifest.digest)
    expect(manifests.get('hub/app:latest')?.body.equals(MANIFEST)).toBe(true)
    expect(manifests.get('hub/app:latest')?.type).toBe('application/vnd.docker.distribution.manifest.v2+json')
  })

  it('are refused when the bytes do not hash to the digest the registry names', async () => {
    await expect(client().getManifest('hub/liar', '1')).rejects.toThrow(/whose bytes hash to sha256:/)
  })
})
