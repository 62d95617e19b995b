// The stand-in registry (stand-in-registry.ts) behaves as its header says Docker Hub and ghcr.io
// do: checked here with plain fetch and with the real docker engine of the test bed, so later tests
// can rely on it.
import { execFileSync, spawn } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import { mkdtempSync, rmSync } from 'node:fs'
import http from 'node:http'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { testbed, type Testbed } from '../../support/harness.js'
import { registryDigest, registryTags, uniqueRepository } from '../../support/registry-helpers.js'
import { startStandInRegistry, type Credentials, type StandIn } from '../../support/stand-in-registry.js'

jest.setTimeout(300_000)

const USER: Credentials = { username: 'stand-in-user', password: randomBytes(12).toString('hex') }
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'

let tb: Testbed

beforeAll(() => {
  tb = testbed()
})

function basicOf(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

function sha256(data: Buffer | string): string {
  return `sha256:${createHash('sha256').update(data).digest('hex')}`
}

function askToken(standIn: StandIn, scopes: string[], credentials?: Credentials): Promise<Response> {
  const url = new URL(standIn.realm)
  url.searchParams.set('service', standIn.service)
  for (const scope of scopes) url.searchParams.append('scope', scope)
  return fetch(url, { headers: credentials ? { authorization: basicOf(credentials) } : {} })
}

async function tokenFor(standIn: StandIn, scopes: string[], credentials?: Credentials): Promise<string> {
  const response = await askToken(standIn, scopes, credentials)
  expect(response.status).toBe(200)
  return ((await response.json()) as { token: string }).token
}

function v2(
  standIn: StandIn,
  pathAndQuery: string,
  token?: string,
  init: RequestInit = {}
): Promise<Response> {
  return fetch(`http://${standIn.registry}/v2/${pathAndQuery}`, {
    ...init,
    headers: {
      ...(init.headers as Record<string, string>),
      ...(token ? { authorization: `Bearer ${token}` } : {})
    }
  })
}

interface Answer {
  status: number
  headers: http.IncomingHttpHeaders
  body: string
}

/** A request with node:http, the body written in separate chunks (chunked transfer encoding). */
function chunkedRequest(
  url: string,
  method: string,
  headers: Record<string, string>,
  chunks: Buffer[] = []
): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const request = http.request(url, { method, headers }, (response) => {
      let body = ''
      response.setEncoding('utf8')
      response.on('data', (chunk: string) => (body += chunk))
      response.on('end', () => resolve({ status: response.statusCode ?? 0, headers: response.headers, body }))
    })
    request.on('error', reject)
    for (const chunk of chunks) request.write(chunk)
    request.end()
  })
}

/**
 * Pushes a small image with plain HTTP through the stand-in: the config blob as a chunked PATCH
 * upload, then one manifest PUT per tag. Returns what the uploads answered along the way.
 */
async function pushByHttp(standIn: StandIn, repository: string, tags: string[], token: string) {
  const config = Buffer.from(
    JSON.stringify({ architecture: 'amd64', os: 'linux', rootfs: { type: 'layers', diff_ids: [] } })
  )
  const auth = { authorization: `Bearer ${token}` }
  const started = await chunkedRequest(`http://${standIn.registry}/v2/${repository}/blobs/uploads/`, 'POST', {
    ...auth,
    'content-length': '0'
  })
  expect(started.status).toBe(202)
  const patched = await chunkedRequest(
    started.headers.location as string,
    'PATCH',
    { ...auth, 'content-type': 'application/octet-stream' },
    [config.subarray(0, 10), config.subarray(10)]
  )
  expect(patched.status).toBe(202)
  const location = patched.headers.location as string
  const finished = await chunkedRequest(
    `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(sha256(config))}`,
    'PUT',
    { ...auth, 'content-length': '0' }
  )
  expect(finished.status).toBe(201)
  const manifest = JSON.stringify({
    schemaVersion: 2,
    mediaType: OCI_MANIFEST,
    config: {
      mediaType: 'application/vnd.oci.image.config.v1+json',
      digest: sha256(config),
      size: config.length
    },
    layers: []
  })
  for (const tag of tags) {
    const put = await v2(standIn, `${repository}/manifests/${tag}`, token, {
      method: 'PUT',
      headers: { 'content-type': OCI_MANIFEST },
      body: manifest
    })
    expect(put.status).toBe(201)
  }
  return { started, patched, finished, configDigest: sha256(config), manifestDigest: sha256(manifest) }
}

/** Walks tags/list from `first`, following Link headers; returns the pages. */
async function walkTags(standIn: StandIn, first: string, token: string): Promise<string[][]> {
  const pages: string[][] = []
  let url: string | undefined = `http://${standIn.registry}${first}`
  while (url) {
    const response: Response = await fetch(url, { headers: { authorization: `Bearer ${token}` } })
    expect(response.status).toBe(200)
    pages.push(((await response.json()) as { tags: string[] }).tags)
    const link = response.headers.get('link')
    if (link) expect(link).toMatch(/^<\/v2\//) // relative, as real registries send it
    url = link ? new URL(/<([^>]+)>/.exec(link)?.[1] as string, url).toString() : undefined
  }
  return pages
}

function challengeOf(response: Response): string {
  return response.headers.get('www-authenticate') ?? ''
}

describe('hub flavour', () => {
  let hub: StandIn
  let pushed: Awaited<ReturnType<typeof pushByHttp>>
  const repository = () => uniqueRepository(tb, 'stand-in-hub').repository
  let repo: string
  let publicRepo: string
  const tags = ['t01', 't02', 't03', 't04', 't05', 't06', 't07']

  beforeAll(async () => {
    repo = repository()
    publicRepo = repository()
    hub = await startStandInRegistry({
      flavour: 'hub',
      upstream: tb,
      user: USER,
      publicRepositories: [publicRepo],
      maxPageSize: 5
    })
    const token = await tokenFor(
      hub,
      [`repository:${repo}:pull,push`, `repository:${publicRepo}:pull,push`],
      USER
    )
    pushed = await pushByHttp(hub, repo, tags, token)
    await pushByHttp(hub, publicRepo, ['latest'], token)
  })
  afterAll(async () => {
    await hub?.close()
  })

  it('challenges GET /v2/ with a realm on another port and no scope', async () => {
    const response = await v2(hub, '')
    expect(response.status).toBe(401)
    expect(hub.tokenPort).not.toBe(hub.registryPort)
    expect(challengeOf(response)).toBe(
      `Bearer realm="http://127.0.0.1:${hub.tokenPort}/token",service="registry.docker.io"`
    )
    expect(response.headers.get('content-type')).toBe('application/json')
    expect(await response.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'authentication required', detail: null }]
    })
    // Basic credentials are no way in: Hub's registry only takes tokens.
    expect((await v2(hub, '', undefined, { headers: { authorization: basicOf(USER) } })).status).toBe(401)
    // Any valid token opens /v2/, even an anonymous one with no access.
    expect((await v2(hub, '', await tokenFor(hub, []))).status).toBe(200)
  })

  it('challenges repository paths with their scope: pull to read, pull,push to write', async () => {
    const read = await v2(hub, `${repo}/tags/list`)
    expect(read.status).toBe(401)
    expect(challengeOf(read)).toBe(
      `Bearer realm="${hub.realm}",service="registry.docker.io",scope="repository:${repo}:pull"`
    )
    expect(await read.json()).toEqual({
      errors: [
        {
          code: 'UNAUTHORIZED',
          message: 'authentication required',
          detail: [{ Type: 'repository', Class: '', Name: repo, Action: 'pull' }]
        }
      ]
    })
    const write = await v2(hub, `${repo}/blobs/uploads/`, undefined, { method: 'POST' })
    expect(write.status).toBe(401)
    expect(challengeOf(write)).toContain(`scope="repository:${repo}:pull,push"`)
    const forged = await v2(hub, `${repo}/tags/list`, 'not-a-token')
    expect(forged.status).toBe(401)
    expect(challengeOf(forged)).toContain('error="invalid_token"')
  })

  it('refuses wrong credentials at the realm with 401 and no token', async () => {
    const response = await askToken(hub, [`repository:${repo}:pull`], { ...USER, password: 'wrong' })
    expect(response.status).toBe(401)
    expect(await response.json()).toEqual({ details: 'incorrect username or password' })
    expect((await askToken(hub, [], { username: 'someone-else', password: USER.password })).status).toBe(401)
  })

  it('issues tokens bound to the requested scopes, with token, access_token, expires_in and issued_at', async () => {
    const other = repository()
    const before = Date.now()
    const response = await askToken(hub, [`repository:${repo}:pull`, `repository:${other}:pull,push`], USER)
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body).sort()).toEqual(['access_token', 'expires_in', 'issued_at', 'token'])
    expect(body.access_token).toBe(body.token)
    expect(body.expires_in).toBe(300)
    expect(body.issued_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z$/)
    expect(Date.parse(body.issued_at as string)).toBeGreaterThanOrEqual(before - 1000)
    expect(hub.tokens.at(-1)).toMatchObject({
      subject: USER.username,
      granted: { [repo]: ['pull'], [other]: ['pull', 'push'] }
    })
    const token = body.token as string
    // Bound to its scopes: reads on repo, not writes; nothing at all on a third repository.
    expect((await v2(hub, `${repo}/tags/list`, token)).status).toBe(200)
    const write = await v2(hub, `${repo}/blobs/uploads/`, token, { method: 'POST' })
    expect(write.status).toBe(401)
    expect(challengeOf(write)).toContain('error="insufficient_scope"')
    expect((await v2(hub, `${publicRepo}/tags/list`, token)).status).toBe(401)
  })

  it('streams chunked uploads to the registry and rewrites Location to the stand-in', async () => {
    const { started, patched, finished } = pushed
    for (const answer of [started, patched]) {
      expect(answer.headers.location).toMatch(
        new RegExp(
          `^http://${hub.registry.replace(/\./g, '\\.')}/v2/${repo}/blobs/uploads/[0-9a-f-]+\\?_state=`
        )
      )
      expect(answer.headers.location).not.toContain(tb.registry)
      expect(answer.headers['docker-upload-uuid']).toMatch(/^[0-9a-f-]{36}$/)
      expect(answer.headers.range).toMatch(/^0-\d+$/)
    }
    expect(patched.headers.range).toBe(`0-${Number(patched.headers.range?.split('-')[1])}`)
    expect(Number(patched.headers.range?.split('-')[1])).toBeGreaterThan(10)
    expect(finished.headers['docker-content-digest']).toBe(pushed.configDigest)
    const patch = hub.requests.find(
      (r) => r.method === 'PATCH' && r.path.includes(`/v2/${repo}/blobs/uploads/`)
    )
    expect(patch).toMatchObject({ server: 'registry', authorization: 'bearer', status: 202 })
    // What arrived upstream, seen without the stand-in.
    expect((await registryTags(tb, repo)).sort()).toEqual(tags)
    expect(await registryDigest(tb, repo, 't01')).toBe(pushed.manifestDigest)
  })

  it('answers 401 insufficient_scope, not 404, for a repository that does not exist, even to a valid token', async () => {
    const missing = repository()
    const token = await tokenFor(hub, [`repository:${missing}:pull,push`], USER)
    expect(hub.tokens.at(-1)?.granted).toEqual({ [missing]: ['pull', 'push'] })
    for (const response of [
      await v2(hub, `${missing}/tags/list`, token),
      await v2(hub, `${missing}/manifests/latest`, token, { method: 'HEAD' }),
      await v2(hub, `${missing}/manifests/latest`, token)
    ]) {
      expect(response.status).toBe(401)
      expect(challengeOf(response)).toBe(
        `Bearer realm="${hub.realm}",service="registry.docker.io",scope="repository:${missing}:pull",error="insufficient_scope"`
      )
    }
    const body = (await (await v2(hub, `${missing}/tags/list`, token)).json()) as {
      errors: { code: string }[]
    }
    expect(body.errors[0]?.code).toBe('UNAUTHORIZED')
    // A missing tag of an existing repository is an honest 404, as on Hub.
    const existing = await tokenFor(hub, [`repository:${repo}:pull`], USER)
    const missingTag = await v2(hub, `${repo}/manifests/no-such-tag`, existing)
    expect(missingTag.status).toBe(404)
    expect(((await missingTag.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe(
      'MANIFEST_UNKNOWN'
    )
    // Blob checks on a new repository stay 404s: a push starts with them.
    const blob = await v2(hub, `${missing}/blobs/sha256:${'0'.repeat(64)}`, token, {
      method: 'HEAD'
    })
    expect(blob.status).toBe(404)
  })

  it('gives anonymous callers pull tokens for public repositories only', async () => {
    const response = await askToken(hub, [`repository:${publicRepo}:pull,push`, `repository:${repo}:pull`])
    expect(response.status).toBe(200) // Hub never refuses at the realm; the token just holds less
    expect(hub.tokens.at(-1)).toMatchObject({ subject: undefined, granted: { [publicRepo]: ['pull'] } })
    const token = ((await response.json()) as { token: string }).token
    const list = await v2(hub, `${publicRepo}/tags/list`, token)
    expect(list.status).toBe(200)
    expect(await list.json()).toEqual({ name: publicRepo, tags: ['latest'] })
    expect((await v2(hub, `${publicRepo}/blobs/uploads/`, token, { method: 'POST' })).status).toBe(401)
    const privateList = await v2(hub, `${repo}/tags/list`, token)
    expect(privateList.status).toBe(401)
    expect(challengeOf(privateList)).toContain('error="insufficient_scope"')
  })

  it('pages tags/list with n and last, caps the page size and sends relative Link headers', async () => {
    const token = await tokenFor(hub, [`repository:${repo}:pull`], USER)
    const first = await v2(hub, `${repo}/tags/list?n=3`, token)
    expect(await first.json()).toEqual({ name: repo, tags: ['t01', 't02', 't03'] })
    expect(first.headers.get('link')).toBe(`</v2/${repo}/tags/list?last=t03&n=3>; rel="next"`)
    expect(await walkTags(hub, `/v2/${repo}/tags/list?n=3`, token)).toEqual([
      ['t01', 't02', 't03'],
      ['t04', 't05', 't06'],
      ['t07']
    ])
    // n above the server's maximum (5 here) gets 5 and a Link that asks for 5.
    const capped = await v2(hub, `${repo}/tags/list?n=1000`, token)
    expect(((await capped.json()) as { tags: string[] }).tags).toEqual(['t01', 't02', 't03', 't04', 't05'])
    expect(capped.headers.get('link')).toBe(`</v2/${repo}/tags/list?last=t05&n=5>; rel="next"`)
    expect(await walkTags(hub, `/v2/${repo}/tags/list`, token)).toEqual([tags.slice(0, 5), tags.slice(5)])
    const exact = await v2(hub, `${repo}/tags/list?n=2&last=t05`, token)
    expect(await exact.json()).toEqual({ name: repo, tags: ['t06', 't07'] })
    expect(exact.headers.get('link')).toBeNull()
    expect((await v2(hub, `${repo}/tags/list?n=lots`, token)).status).toBe(400)
  })

  it('can make a tag list that cannot be read whole: filler tags and a page budget', async () => {
    const limited = await startStandInRegistry({
      flavour: 'hub',
      upstream: tb,
      user: USER,
      maxPageSize: 10,
      fillerTags: 45,
      maxTagPages: 3
    })
    try {
      const token = await tokenFor(limited, [`repository:${repo}:pull`], USER)
      const pages: string[][] = []
      let url = `/v2/${repo}/tags/list?n=1000`
      let status = 200
      while (status === 200) {
        const response = await fetch(`http://${limited.registry}${url}`, {
          headers: { authorization: `Bearer ${token}` }
        })
        status = response.status
        if (status !== 200) {
          expect(await response.json()).toMatchObject({ errors: [{ code: 'TOOMANYREQUESTS' }] })
          break
        }
        pages.push(((await response.json()) as { tags: string[] }).tags)
        url = /<([^>]+)>/.exec(response.headers.get('link') ?? '')?.[1] as string
        expect(url).toBeDefined() // 52 tags, 10 a page: there is always a next page here
      }
      expect(status).toBe(429)
      expect(pages).toHaveLength(3)
      expect(pages[0]).toEqual(Array.from({ length: 10 }, (_, i) => `filler-${String(i).padStart(6, '0')}`))
    } finally {
      await limited.close()
    }
  })
})

describe('ghcr flavour', () => {
  let ghcr: StandIn
  let repo: string
  let publicRepo: string

  beforeAll(async () => {
    repo = uniqueRepository(tb, 'stand-in-ghcr').repository
    publicRepo = uniqueRepository(tb, 'stand-in-ghcr-public').repository
    ghcr = await startStandInRegistry({
      flavour: 'ghcr',
      upstream: tb,
      user: USER,
      publicRepositories: [publicRepo],
      defaultPageSize: 2
    })
    const token = await tokenFor(
      ghcr,
      [`repository:${repo}:pull,push`, `repository:${publicRepo}:pull,push`],
      USER
    )
    await pushByHttp(ghcr, repo, ['a', 'b', 'c'], token)
    await pushByHttp(ghcr, publicRepo, ['latest'], token)
  })
  afterAll(async () => {
    await ghcr?.close()
  })

  it('challenges with a realm on its own port, service ghcr.io and a placeholder scope on /v2/', async () => {
    expect(ghcr.tokenPort).toBe(ghcr.registryPort)
    const root = await v2(ghcr, '')
    expect(root.status).toBe(401)
    expect(challengeOf(root)).toBe(
      `Bearer realm="http://${ghcr.registry}/token",service="ghcr.io",scope="repository:user/image:pull"`
    )
    expect(await root.json()).toEqual({
      errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }]
    })
    const read = await v2(ghcr, `${publicRepo}/manifests/latest`)
    expect(read.status).toBe(401)
    expect(challengeOf(read)).toBe(
      `Bearer realm="http://${ghcr.registry}/token",service="ghcr.io",scope="repository:${publicRepo}:pull"`
    )
  })

  it('gives anonymous callers a bare {token} for public repositories and refuses others with 403 DENIED', async () => {
    const response = await askToken(ghcr, [`repository:${publicRepo}:pull`])
    expect(response.status).toBe(200)
    const body = (await response.json()) as Record<string, unknown>
    expect(Object.keys(body)).toEqual(['token'])
    const manifest = await v2(ghcr, `${publicRepo}/manifests/latest`, body.token as string, {
      headers: { accept: OCI_MANIFEST }
    })
    expect(manifest.status).toBe(200)
    expect(manifest.headers.get('docker-content-digest')).toMatch(/^sha256:[0-9a-f]{64}$/)
    const refused = await askToken(ghcr, [`repository:${repo}:pull`])
    expect(refused.status).toBe(403)
    expect(await refused.json()).toEqual({ errors: [{ code: 'DENIED', message: 'denied' }] })
    expect((await askToken(ghcr, [`repository:${repo}:pull`], { ...USER, password: 'wrong' })).status).toBe(
      401
    )
  })

  it('answers 404 NAME_UNKNOWN for a repository that does not exist, to a valid token', async () => {
    const missing = uniqueRepository(tb, 'stand-in-ghcr-missing').repository
    const token = await tokenFor(ghcr, [`repository:${missing}:pull`], USER)
    const list = await v2(ghcr, `${missing}/tags/list`, token)
    expect(list.status).toBe(404)
    expect(((await list.json()) as { errors: { code: string }[] }).errors[0]?.code).toBe('NAME_UNKNOWN')
    expect((await v2(ghcr, `${missing}/manifests/latest`, token, { method: 'HEAD' })).status).toBe(404)
  })

  it('pages tags/list with its default page size when n is absent', async () => {
    const token = await tokenFor(ghcr, [`repository:${repo}:pull`], USER)
    const first = await v2(ghcr, `${repo}/tags/list`, token)
    expect(await first.json()).toEqual({ name: repo, tags: ['a', 'b'] })
    expect(first.headers.get('link')).toBe(`</v2/${repo}/tags/list?last=b&n=2>; rel="next"`)
    expect(await walkTags(ghcr, `/v2/${repo}/tags/list`, token)).toEqual([['a', 'b'], ['c']])
  })
})

describe('the docker engine through the stand-in', () => {
  let dockerConfig: string
  const references: string[] = []

  /**
   * Runs the docker CLI without blocking: the stand-in answers the engine from this very process,
   * so a synchronous child process (execFileSync) would leave the engine waiting until it times out.
   */
  function docker(
    args: string[],
    input?: string
  ): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve, reject) => {
      const child = spawn('docker', args, {
        stdio: ['pipe', 'pipe', 'pipe'],
        env: { ...process.env, DOCKER_CONFIG: dockerConfig }
      })
      let stdout = ''
      let stderr = ''
      child.stdout.setEncoding('utf8').on('data', (chunk: string) => (stdout += chunk))
      child.stderr.setEncoding('utf8').on('data', (chunk: string) => (stderr += chunk))
      child.on('error', reject)
      child.on('close', (code) => resolve({ code, stdout: stdout.trim(), stderr: stderr.trim() }))
      child.stdin.end(input ?? '')
    })
  }

  async function dockerCli(args: string[], input?: string): Promise<string> {
    const result = await docker(args, input)
    if (result.code !== 0) throw new Error(`docker ${args.join(' ')} failed: ${result.stderr}`)
    return result.stdout
  }

  /** The error output of a docker command that must fail. */
  async function dockerFails(args: string[], input?: string): Promise<string> {
    const result = await docker(args, input)
    if (result.code === 0) throw new Error(`docker ${args.join(' ')} succeeded`)
    return result.stderr
  }

  beforeAll(() => {
    dockerConfig = mkdtempSync(path.join(os.tmpdir(), 'stand-in-docker-'))
  })
  afterAll(() => {
    for (const reference of references) {
      try {
        execFileSync('docker', ['image', 'rm', reference], { stdio: 'ignore' })
      } catch {
        // already gone
      }
    }
    rmSync(dockerConfig, { recursive: true, force: true })
  })

  async function loginPushPull(standIn: StandIn, repository: string): Promise<void> {
    const reference = `${standIn.registry}/${repository}:v1`
    references.push(reference)
    expect(
      await dockerFails(
        ['login', standIn.registry, '-u', USER.username, '--password-stdin'],
        'wrong-password'
      )
    ).toMatch(/unauthorized|denied/i)
    expect(
      await dockerCli(['login', standIn.registry, '-u', USER.username, '--password-stdin'], USER.password)
    ).toContain('Login Succeeded')
    await dockerCli(['tag', tb.baseImage, reference])
    const pushOutput = await dockerCli(['push', reference])
    const digest = /digest: (sha256:[0-9a-f]{64})/.exec(pushOutput)?.[1]
    expect(digest).toBeDefined()
    expect(await registryDigest(tb, standIn.upstreamRepository(repository), 'v1')).toBe(digest)
    await dockerCli(['image', 'rm', reference])
    expect(await dockerCli(['pull', reference])).toContain(`Digest: ${digest}`)
  }

  it('hub: docker login, push and pull work; the password goes only to the realm', async () => {
    const repository = uniqueRepository(tb, 'stand-in-docker-hub').repository
    const hub = await startStandInRegistry({
      flavour: 'hub',
      upstream: tb,
      user: USER,
      upstreamPrefix: 'hub-ns'
    })
    try {
      await loginPushPull(hub, repository)
      const basic = hub.requests.filter((r) => r.authorization === 'basic')
      expect(basic.length).toBeGreaterThan(0)
      for (const request of basic) expect(request).toMatchObject({ server: 'token', port: hub.tokenPort })
      for (const request of hub.requests.filter((r) => r.server === 'registry'))
        expect(['none', 'bearer']).toContain(request.authorization)
      expect(hub.requests.some((r) => r.method === 'PATCH' && r.status === 202)).toBe(true)
      // The engine tried TLS on the registry first (127.0.0.0/8 is "insecure": HTTPS, then HTTP);
      // the realm it reached over plain HTTP, as named.
      expect(hub.rejected.some((r) => r.kind === 'tls' && r.port === hub.registryPort)).toBe(true)
      expect(hub.rejected.filter((r) => r.port === hub.tokenPort)).toEqual([])
      expect(hub.requests.find((r) => r.server === 'token' && r.status === 200)?.path).toMatch(
        /^\/token\?account=stand-in-user&client_id=docker&offline_token=true&service=registry\.docker\.io$/
      )
      expect(hub.tokens.some((t) => t.granted[repository]?.includes('push'))).toBe(true)
      // A second repository on the same registry: the engine mounts the layers it already pushed
      // (POST ?mount=&from=), asking for a token with pull on the source as a second scope.
      const second = uniqueRepository(tb, 'stand-in-docker-hub-mount').repository
      const secondReference = `${hub.registry}/${second}:v1`
      references.push(secondReference)
      await dockerCli(['tag', tb.baseImage, secondReference])
      await dockerCli(['push', secondReference])
      const mounts = hub.requests.filter((r) => r.method === 'POST' && r.path.includes(`/v2/${second}/`))
      expect(mounts.some((r) => r.path.includes('mount=') && r.status === 201)).toBe(true)
      expect(hub.tokens.some((t) => t.granted[second]?.includes('push') && t.granted[repository])).toBe(true)
      expect(await registryDigest(tb, `hub-ns/${second}`, 'v1')).toBe(
        await registryDigest(tb, `hub-ns/${repository}`, 'v1')
      )
      // Namespaced upstream: the image is under the prefix, not under the plain name.
      expect(hub.upstreamRepository(repository)).toBe(`hub-ns/${repository}`)
      expect(await registryTags(tb, repository)).toEqual([])

      // Logged out, a private repository is refused the way Hub refuses it.
      await dockerCli(['logout', hub.registry])
      await dockerCli(['image', 'rm', `${hub.registry}/${repository}:v1`])
      expect(await dockerFails(['pull', `${hub.registry}/${repository}:v1`])).toMatch(
        /pull access denied .*repository does not exist or may require 'docker login'/
      )
    } finally {
      await hub.close()
    }
  })

  it('ghcr: docker login, push and pull work with the realm on the registry itself', async () => {
    const repository = uniqueRepository(tb, 'stand-in-docker-ghcr').repository
    const ghcr = await startStandInRegistry({ flavour: 'ghcr', upstream: tb, user: USER })
    try {
      await loginPushPull(ghcr, repository)
      expect(ghcr.requests.some((r) => r.server === 'token' && r.authorization === 'basic')).toBe(true)
      expect(ghcr.requests.every((r) => r.port === ghcr.registryPort)).toBe(true)
      // Logged out, a private repository is refused at the realm: "denied".
      await dockerCli(['logout', ghcr.registry])
      await dockerCli(['image', 'rm', `${ghcr.registry}/${repository}:v1`])
      expect(await dockerFails(['pull', `${ghcr.registry}/${repository}:v1`])).toMatch(/denied/)
    } finally {
      await ghcr.close()
    }
  })
})
