// A stand-in registry held in memory, on loopback, for unit tests of blob and manifest pushes:
// the part of the Distribution HTTP API v2 a push uses, answering as the specification says.
// It is a stand-in following the spec, not a registry: no storage drivers, no garbage
// collection, one process. (stand-in-registry.ts is the other kind: a proxy in front of the
// test bed's real registry, for end-to-end tests.)
//
// Sources: the Distribution "HTTP API V2" (https://distribution.github.io/distribution/spec/api/)
// and the OCI distribution-spec (spec.md, "Pushing blobs", "Mounting a blob from another
// repository", "Pushing Manifests"). What it answers:
//
// - HEAD/GET /v2/<name>/blobs/<digest>: 200 with Content-Length and Docker-Content-Digest; 404
//   BLOB_UNKNOWN when the repository does not hold it.
// - POST /v2/<name>/blobs/uploads/: 202 Accepted, `Location` of the session (RELATIVE, with an
//   opaque `_state` query as Distribution's has, so a client must append `&digest=`),
//   `Range: 0-0`, `Docker-Upload-UUID`. With `?mount=<digest>&from=<repo>`: 201 Created,
//   `Location: /v2/<name>/blobs/<digest>` and Docker-Content-Digest when `from` holds the blob and
//   the caller may pull `from`; otherwise the same 202 as a plain POST ("the registry SHOULD fall
//   back to a standard upload").
// - PATCH <location>: appends the body; 202, `Range: 0-<last byte>`.
// - PUT <location>&digest=<digest>: appends the body, checks the digest of everything sent: 201,
//   `Location` of the blob, Docker-Content-Digest; 400 DIGEST_INVALID when the bytes hash to
//   something else; 400 SIZE_INVALID when Content-Length disagrees with the body; 404
//   BLOB_UPLOAD_UNKNOWN for a session that is not (or no longer) open, or whose `_state` is not
//   the one handed out.
// - DELETE <location>: 204, the session ended; 404 BLOB_UPLOAD_UNKNOWN when there is none.
// - PUT /v2/<name>/manifests/<reference>: 201, Location, Docker-Content-Digest. 400
//   MANIFEST_BLOB_UNKNOWN when an image manifest names a config or layer, or an index names a
//   manifest, the repository lacks (Distribution 2.8 checks both); 400 DIGEST_INVALID when the
//   reference is a digest the body does not hash to; 400 MANIFEST_INVALID for what is not JSON.
// - HEAD/GET /v2/<name>/manifests/<reference>: 200 with Content-Type and Docker-Content-Digest,
//   or 404 MANIFEST_UNKNOWN.
// - Auth: 'basic' wants the one user's Basic credentials; 'bearer' challenges with a realm on
//   the same server, whose token holds exactly the `scope` parameters asked for (all of them,
//   one parameter each), and a request needs pull (HEAD/GET) or push (the rest) on its
//   repository. A mount needs pull on `from` too, or it falls back to an upload.
// - Faults: `fail(method, pathPattern, status, times)` answers the next `times` matching
//   requests with that status, before anything else is done. `uploadDelayMs` holds each
//   blob-completing PUT, so that a test can count the uploads in flight at once.
import { createHash, randomBytes, randomUUID } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

export interface DistributionOptions {
  auth: 'basic' | 'bearer'
  user: { username: string; password: string }
  /** Holds every blob-completing PUT this long, so that uploads overlap and can be counted. */
  uploadDelayMs?: number
}

export interface SeenRequest {
  method: string
  /** Path and query as received. */
  path: string
  status: number
}

interface StoredManifest {
  body: Buffer
  mediaType: string
  digest: string
}

interface Repository {
  blobs: Set<string>
  manifests: Map<string, StoredManifest>
}

interface Session {
  name: string
  state: string
  chunks: Buffer[]
}

export interface StandInDistribution {
  /** 127.0.0.1:<port> */
  registry: string
  requests: SeenRequest[]
  /** The `scope` parameters of each token request, as received. */
  tokenScopes: string[][]
  /** Blob bytes by digest (shared by every repository that holds the blob). */
  blobs: Map<string, Buffer>
  repository(name: string): Repository
  /** Uploads (PUTs that completed a blob) in flight at once, at most. */
  maxConcurrentUploads: number
  fail(method: string, path: RegExp, status: number, times: number): void
  close(): Promise<void>
}

const DIGEST = /^sha256:[0-9a-f]{64}$/
const NAME = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*(?:/[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*)*'
const ROUTE = new RegExp(`^/v2/(${NAME})/(blobs/uploads/([^/]*)|blobs/([^/]+)|manifests/([^/]+))$`)
const INDEX_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json'
]

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks)))
    req.on('error', reject)
  })
}

export async function startStandInDistribution(options: DistributionOptions): Promise<StandInDistribution> {
  const repositories = new Map<string, Repository>()
  const blobs = new Map<string, Buffer>()
  const sessions = new Map<string, Session>()
  const tokens = new Map<string, Set<string>>()
  const requests: SeenRequest[] = []
  const tokenScopes: string[][] = []
  const faults: { method: string; path: RegExp; status: number; left: number }[] = []
  let uploading = 0
  const stats = { maxConcurrentUploads: 0 }
  const basic = `Basic ${Buffer.from(`${options.user.username}:${options.user.password}`).toString('base64')}`

  const repository = (name: string): Repository => {
    let found = repositories.get(name)
    if (!found) {
      found = { blobs: new Set(), manifests: new Map() }
      repositories.set(name, found)
    }
    return found
  }

  const answer = (
    res: http.ServerResponse,
    status: number,
    headers: Record<string, string> = {},
    body?: Buffer | object
  ): void => {
    const bytes =
      body === undefined ? Buffer.alloc(0) : Buffer.isBuffer(body) ? body : Buffer.from(JSON.stringify(body))
    res.writeHead(status, {
      'docker-distribution-api-version': 'registry/2.0',
      'content-length': String(bytes.length),
      ...(body !== undefined && !Buffer.isBuffer(body) ? { 'content-type': 'application/json' } : {}),
      ...headers
    })
    res.end(bytes)
  }
  const error = (res: http.ServerResponse, status: number, code: string, message: string): void =>
    answer(res, status, {}, { errors: [{ code, message }] })

  /** Whether the request may go on; answers the 401 when not. */
  const authorized = (req: http.IncomingMessage, res: http.ServerResponse, scope?: string): boolean => {
    const header = req.headers.authorization ?? ''
    if (options.auth === 'basic') {
      if (header === basic) return true
      answer(
        res,
        401,
        { 'www-authenticate': 'Basic realm="stand-in"' },
        { errors: [{ code: 'UNAUTHORIZED' }] }
      )
      return false
    }
    const granted = tokens.get(header.replace(/^Bearer\s+/i, ''))
    if (granted && (!scope || hasScope(granted, scope))) return true
    const realm = `http://${registry}/token`
    answer(
      res,
      401,
      {
        'www-authenticate': `Bearer realm="${realm}",service="stand-in"${scope ? `,scope="${scope}"` : ''}${granted ? ',error="insufficient_scope"' : ''}`
      },
      { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] }
    )
    return false
  }

  const hasScope = (granted: Set<string>, scope: string): boolean => {
    const [, name, actions] = /^repository:(.+):([a-z,]+)$/.exec(scope) ?? []
    return (actions ?? '').split(',').every((action) => granted.has(`${name}:${action}`))
  }

  const issueToken = (req: http.IncomingMessage, res: http.ServerResponse, url: URL): void => {
    if (req.headers.authorization !== basic) return error(res, 401, 'UNAUTHORIZED', 'bad credentials')
    const scopes = url.searchParams.getAll('scope')
    tokenScopes.push(scopes)
    const granted = new Set<string>()
    for (const scope of scopes.flatMap((s) => s.split(' '))) {
      const [, name, actions] = /^repository:(.+):([a-z,*]+)$/.exec(scope) ?? []
      for (const action of (actions ?? '').split(',')) if (name) granted.add(`${name}:${action}`)
    }
    const token = randomBytes(16).toString('hex')
    tokens.set(token, granted)
    answer(res, 200, {}, { token })
  }

  const newSession = (res: http.ServerResponse, name: string): void => {
    const uuid = randomUUID()
    // Opaque state with characters a client must not re-encode or drop.
    const state = randomBytes(12).toString('base64') + '+/='
    sessions.set(uuid, { name, state, chunks: [] })
    answer(res, 202, {
      location: `/v2/${name}/blobs/uploads/${uuid}?_state=${encodeURIComponent(state)}`,
      range: '0-0',
      'docker-upload-uuid': uuid
    })
  }

  const uploads = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string,
    uuid: string,
    url: URL,
    body: Buffer
  ): Promise<void> => {
    const method = req.method ?? ''
    if (method === 'POST' && uuid === '') {
      const mount = url.searchParams.get('mount')
      const from = url.searchParams.get('from')
      if (mount && from) {
        const granted = tokens.get((req.headers.authorization ?? '').replace(/^Bearer\s+/i, ''))
        const mayPull = options.auth === 'basic' || (granted !== undefined && granted.has(`${from}:pull`))
        if (mayPull && repositories.get(from)?.blobs.has(mount)) {
          repository(name).blobs.add(mount)
          return answer(res, 201, { location: `/v2/${name}/blobs/${mount}`, 'docker-content-digest': mount })
        }
      }
      return newSession(res, name)
    }
    const session = sessions.get(uuid)
    if (!session || session.name !== name || url.searchParams.get('_state') !== session.state)
      return error(res, 404, 'BLOB_UPLOAD_UNKNOWN', 'blob upload unknown to registry')
    if (method === 'DELETE') {
      sessions.delete(uuid)
      return answer(res, 204)
    }
    const declared = req.headers['content-length']
    if (declared !== undefined && Number(declared) !== body.length)
      return error(res, 400, 'SIZE_INVALID', 'provided length did not match content length')
    session.chunks.push(body)
    const total = session.chunks.reduce((sum, chunk) => sum + chunk.length, 0)
    if (method === 'PATCH')
      return answer(res, 202, { location: url.pathname + url.search, range: `0-${total - 1}` })
    if (method !== 'PUT') return error(res, 405, 'UNSUPPORTED', `${method} on an upload`)
    const digest = url.searchParams.get('digest') ?? ''
    const bytes = Buffer.concat(session.chunks)
    sessions.delete(uuid)
    if (!DIGEST.test(digest) || sha256(bytes) !== digest)
      return error(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content')
    blobs.set(digest, bytes)
    repository(name).blobs.add(digest)
    answer(res, 201, { location: `/v2/${name}/blobs/${digest}`, 'docker-content-digest': digest })
  }

  const manifests = (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string,
    reference: string,
    body: Buffer
  ): void => {
    const method = req.method ?? ''
    if (method === 'GET' || method === 'HEAD') {
      const stored = repositories.get(name)?.manifests.get(reference)
      if (!stored) return error(res, 404, 'MANIFEST_UNKNOWN', 'manifest unknown')
      return answer(
        res,
        200,
        { 'content-type': stored.mediaType, 'docker-content-digest': stored.digest },
        method === 'GET' ? stored.body : undefined
      )
    }
    if (method !== 'PUT') return error(res, 405, 'UNSUPPORTED', `${method} on a manifest`)
    const digest = sha256(body)
    if (DIGEST.test(reference) && reference !== digest)
      return error(res, 400, 'DIGEST_INVALID', 'provided digest did not match uploaded content')
    let parsed: {
      manifests?: { digest: string }[]
      config?: { digest: string }
      layers?: { digest: string }[]
    }
    try {
      parsed = JSON.parse(body.toString('utf8')) as typeof parsed
    } catch {
      return error(res, 400, 'MANIFEST_INVALID', 'manifest invalid')
    }
    const mediaType = (req.headers['content-type'] ?? '').split(';')[0]?.trim() ?? ''
    const repo = repository(name)
    const missing = INDEX_TYPES.includes(mediaType)
      ? (parsed.manifests ?? []).filter((child) => !repo.manifests.has(child.digest))
      : [parsed.config, ...(parsed.layers ?? [])].filter((blob) => !blob || !repo.blobs.has(blob.digest))
    if (missing.length > 0)
      return error(res, 400, 'MANIFEST_BLOB_UNKNOWN', `blob unknown to registry: ${missing[0]?.digest}`)
    const stored = { body, mediaType, digest }
    repo.manifests.set(digest, stored)
    repo.manifests.set(reference, stored)
    answer(res, 201, { location: `/v2/${name}/manifests/${digest}`, 'docker-content-digest': digest })
  }

  const handle = async (req: http.IncomingMessage, res: http.ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const method = req.method ?? ''
    const isUpload = method === 'PUT' && url.pathname.includes('/blobs/uploads/')
    if (isUpload) stats.maxConcurrentUploads = Math.max(stats.maxConcurrentUploads, ++uploading)
    try {
      const body = await readBody(req)
      if (isUpload && options.uploadDelayMs)
        await new Promise((resolve) => setTimeout(resolve, options.uploadDelayMs))
      const fault = faults.find((f) => f.left > 0 && f.method === method && f.path.test(url.pathname))
      if (fault) {
        fault.left--
        return error(res, fault.status, 'UNAVAILABLE', 'injected fault')
      }
      if (url.pathname === '/token') return issueToken(req, res, url)
      if (url.pathname === '/v2/') return authorized(req, res) ? answer(res, 200, {}, {}) : undefined
      const match = ROUTE.exec(url.pathname)
      if (!match) return error(res, 404, 'NOT_FOUND', 'not found')
      const name = match[1] as string
      const pull = method === 'GET' || method === 'HEAD'
      if (!authorized(req, res, `repository:${name}:${pull ? 'pull' : 'pull,push'}`)) return
      if (match[3] !== undefined) return await uploads(req, res, name, match[3], url, body)
      if (match[4] !== undefined) {
        const digest = decodeURIComponent(match[4])
        if (!pull) return error(res, 405, 'UNSUPPORTED', `${method} on a blob`)
        if (!repositories.get(name)?.blobs.has(digest)) return error(res, 404, 'BLOB_UNKNOWN', 'blob unknown')
        const bytes = blobs.get(digest) as Buffer
        res.writeHead(200, {
          'content-length': String(bytes.length),
          'content-type': 'application/octet-stream',
          'docker-content-digest': digest
        })
        return void res.end(method === 'GET' ? bytes : undefined)
      }
      return manifests(req, res, name, decodeURIComponent(match[5] as string), body)
    } finally {
      if (isUpload) uploading--
    }
  }

  const server = http.createServer((req, res) => {
    const entry: SeenRequest = { method: req.method ?? '', path: req.url ?? '', status: 0 }
    requests.push(entry)
    res.on('finish', () => {
      entry.status = res.statusCode
    })
    handle(req, res).catch((failure: unknown) => {
      if (!res.headersSent) error(res, 500, 'UNKNOWN', String(failure))
      else res.destroy()
    })
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const registry = `127.0.0.1:${(server.address() as AddressInfo).port}`

  return {
    registry,
    requests,
    tokenScopes,
    blobs,
    repository,
    get maxConcurrentUploads() {
      return stats.maxConcurrentUploads
    },
    fail: (method, path, status, times) => faults.push({ method, path, status, left: times }),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}
