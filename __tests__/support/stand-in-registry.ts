// A stand-in for Docker Hub or ghcr.io, for end-to-end tests: a reverse proxy on 127.0.0.1 in
// front of the test bed's registry (Distribution 2.8, htpasswd Basic auth), plus a token service,
// that speaks to clients the way the real services do. Only loopback, only node built-ins.
//
// What each part models, and where the fact comes from:
//
// - Token authentication (both flavours): every /v2/ request needs `Authorization: Bearer`; without
//   one the answer is 401 with `WWW-Authenticate: Bearer realm=...,service=...[,scope=...]` and a
//   JSON `errors` body. The client asks the realm for a token with `service` and one or more
//   `scope=repository:<name>:<actions>` parameters (one parameter per scope, several allowed), sending
//   Basic credentials if it has any; wrong credentials get 401; the token granted holds the
//   intersection of the requested and the permitted actions, and "if the client only has a subset
//   of the requested access it must not be considered an error". Response fields `token`,
//   `access_token` (the same value), `expires_in` (seconds, never under 60), `issued_at` (RFC 3339).
//   Source: the Distribution "Token Authentication Specification",
//   https://distribution.github.io/distribution/spec/auth/token/ (docs/content/spec/auth/token.md in
//   distribution/distribution). A token whose access does not cover the request gets 401 with
//   `error="insufficient_scope"` in the challenge (RFC 6750 section 3.1); the engine turns that into
//   "denied: requested access to the resource is denied".
//
// - Docker Hub (flavour 'hub'): the realm lives on another host than the registry (auth.docker.io vs
//   registry-1.docker.io), so here on another port: `Bearer realm="http://127.0.0.1:<tokenport>/token",
//   service="registry.docker.io"`, with `scope="repository:<name>:pull"` on repository paths and no
//   scope on `GET /v2/`. Anonymous token requests always get 200 and a token, which for a private or
//   missing repository holds no access; the registry then answers 401 UNAUTHORIZED "authentication
//   required" with `error="insufficient_scope"` and `detail: [{Type, Class, Name, Action}]`. A
//   repository that does not exist answers that same 401 even to a token that holds pull access:
//   Hub never says 404 for a repository, so as not to disclose private ones. Sources: the transcript
//   in docker-archive/docker-registry#1071 (anonymous token 200, then 401 insufficient_scope),
//   bazelbuild/rules_docker#31 (the body's detail fields), jupyterhub/binderhub#1664 ("Docker Hub now
//   returns 401 for missing repos ... only used if a token was successfully issued"),
//   hashicorp/terraform-provider-docker#140 (maintainer: 401 on missing images "by design"). Wrong
//   credentials at the realm: 401 `{"details":"incorrect username or password"}` (the `details`
//   form the Distribution client's HandleErrorResponse reads for 401s, and what the engine prints as
//   "unauthorized: incorrect username or password"). Token lifetime 300 s. No refresh_token is
//   returned: with one, `docker login` would store an identity token instead of the password.
//
// - ghcr.io (flavour 'ghcr'): the realm is on the registry's own host, `/token`, `service="ghcr.io"`.
//   `GET /v2/` challenges with the placeholder `scope="repository:user/image:pull"` (toddysm.com,
//   "Authenticating with OCI Registries - GHCR Implementation", 2024). Public images still need a
//   token, which anonymous callers get from `/token?scope=repository:<name>:pull` (the "no-op token"
//   of richlander/container-registry-api ghcr.md); the answer is `{"token": ...}` only, with no
//   expiry (toddysm). An anonymous request for a repository that is not public is refused at the
//   realm with 403 `{"errors":[{"code":"DENIED","message":"denied"}]}`, which the engine prints as
//   `Head "https://ghcr.io/v2/.../manifests/...": denied: denied` (the many "denied: denied" pull
//   reports, e.g. noslate-project/noslate#50). With valid credentials a repository that does not
//   exist answers 404 NAME_UNKNOWN ("name unknown" after adding pull secrets,
//   podtato-head/podtato-head#66). Wrong credentials at the realm: 401 UNAUTHORIZED.
//
// - Tag listing (both): `n` and `last` as in the OCI distribution spec; tags in lexical order; a
//   `Link: </v2/<name>/tags/list?last=<tag>&n=<n>>; rel="next"` header, RELATIVE as real registries
//   send it (e.g. quay.io and registry.access.redhat.com in deitch/docker_registry2#107), when more
//   tags remain; "a registry MAY return fewer than n results ... when a Link header is provided"
//   and "SHOULD support at least n=100" (opencontainers/distribution-spec#470). Neither Hub nor ghcr
//   documents its largest page: ghcr answers 100 tags and a Link without `n` and served 169 tags to
//   `n=10000` (a probe quoted in smg-project/smg#2348); Distribution 3 clamps `n` to `maxtags`
//   (default 1000, distribution/distribution#4856); ECR refuses n > 1000. The default cap here is
//   the spec's floor, 100, so a client that does not follow Link headers is caught; set
//   `maxPageSize` to model another registry. `fillerTags` adds synthetic tags to every listing and
//   `maxTagPages` answers 429 TOOMANYREQUESTS (Hub's rate-limit answer) once that many pages of a
//   repository were served, so a test can make a tag list that cannot be read whole. A malformed
//   `n` gets 400 PAGINATION_NUMBER_INVALID as from Distribution.
//
// - Proxying: everything else under /v2/<name>/ streams to the test bed registry with the test
//   bed's Basic credentials in place of the client's token. Bodies are piped both ways (chunked
//   PATCH uploads included); Docker-Content-Digest, Range, Docker-Upload-UUID and the rest pass
//   through; absolute `Location` headers naming the upstream are rewritten to this stand-in, since
//   the engine follows them. A cross-repository mount (`?mount=&from=`) is kept only when the token
//   may pull `from`, otherwise it becomes a plain upload, as a registry does when it cannot mount.
//   Blob requests on a missing repository are not turned into 401s (a push to a new repository
//   starts with blob HEADs that must answer 404); manifests and tags/list are.
//
// What Docker Engine 20.10 does with it (seen in __tests__/e2e/stand-ins/registry.test.ts): it treats 127.0.0.0/8
// as an insecure registry, so it first tries TLS on the registry port (a ClientHello that never
// parses as HTTP: listed in `rejected`, not in `requests`) and then speaks plain HTTP. It accepts a
// plain-HTTP realm on another loopback port and sends the Basic credentials to whatever realm the
// registry names. `docker login` asks the realm `?account=<user>&client_id=docker&
// offline_token=true&service=...` with no scope, then `GET /v2/` with the token; push asks
// `scope=repository:<name>:push,pull`; an anonymous pull of a missing or private repository through
// the hub flavour fails with "pull access denied for ..., repository does not exist or may require
// 'docker login': denied: requested access to the resource is denied", and through the ghcr flavour
// with `Head ".../manifests/v1": denied: denied`, as the real services do.
//
// Repository names: by default the name a client uses is the name on the test bed registry, so the
// helpers in registry-helpers.ts can check what arrived. With `upstreamPrefix: 'x/'` every name is
// stored as `x/<name>` upstream (use `upstreamRepository(name)`), which keeps two stand-ins apart.
import { randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'

export type Flavour = 'hub' | 'ghcr'

export interface Credentials {
  username: string
  password: string
}

/** The real registry behind the stand-in (the test bed's: `testbed()` fits). */
export interface UpstreamRegistry extends Credentials {
  /** host:port, loopback only */
  registry: string
}

export interface StandInOptions {
  flavour: Flavour
  upstream: UpstreamRegistry
  /** The one account the token service knows. */
  user: Credentials
  /** Repositories anonymous callers may pull (names as clients see them); editable later. */
  publicRepositories?: Iterable<string>
  /** First path segments the user may push to; default: every repository. */
  pushNamespaces?: string[]
  /** Stored upstream as `<prefix><name>`; default '' (names unchanged). */
  upstreamPrefix?: string
  /** Largest tags/list page served, whatever `n` asks; default 100. */
  maxPageSize?: number
  /** Page size when `n` is absent; default `maxPageSize`. */
  defaultPageSize?: number
  /** Synthetic tags `filler-000000`... added to the tag list of every existing repository. */
  fillerTags?: number
  /** After this many tags/list pages of one repository, answer 429 TOOMANYREQUESTS. */
  maxTagPages?: number
  /** Token lifetime; default 300 (Hub's `expires_in`). */
  tokenLifetimeSeconds?: number
}

export interface RecordedRequest {
  /** 'token' for the realm, 'registry' for everything else. */
  server: 'registry' | 'token'
  port: number
  method: string
  /** Path and query as received. */
  path: string
  /** Scheme of the Authorization header, lower case ('basic', 'bearer', ...), or 'none'. */
  authorization: string
  /** Status answered; 0 while the request is still running. */
  status: number
}

/** A connection that never made an HTTP request, like the TLS handshake the engine tries first. */
export interface RejectedConnection {
  port: number
  /** 'tls' when the bytes were a TLS handshake record, else 'malformed'. */
  kind: 'tls' | 'malformed'
}

export interface IssuedToken {
  /** The user name, or undefined for an anonymous request. */
  subject: string | undefined
  /** The `scope` parameters as received. */
  requested: string[]
  /** Repository name -> actions the token allows. */
  granted: Record<string, string[]>
  expiresAt: number
}

export interface StandIn {
  flavour: Flavour
  /** `127.0.0.1:PORT`, for image references and `docker login`. */
  registry: string
  registryPort: number
  /** Port of the token service (the registry's own port for ghcr). */
  tokenPort: number
  /** The realm named in challenges. */
  realm: string
  /** The service named in challenges. */
  service: string
  /** Every request either server saw, in arrival order. */
  requests: RecordedRequest[]
  /** Connections that sent no parsable request (the engine's HTTPS probe comes first). */
  rejected: RejectedConnection[]
  /** Every token issued. */
  tokens: IssuedToken[]
  publicRepositories: Set<string>
  /** The name `name` has on the upstream registry. */
  upstreamRepository(name: string): string
  close(): Promise<void>
}

const API_VERSION = { 'docker-distribution-api-version': 'registry/2.0' }
const COMPONENT = '[a-z0-9]+(?:(?:[._]|__|-+)[a-z0-9]+)*'
const NAME = `${COMPONENT}(?:/${COMPONENT})*`
const REPOSITORY_PATH = new RegExp(
  `^/v2/(${NAME})/(tags/list|manifests/[^/]+|blobs/uploads/[^/]*|blobs/[^/]+|referrers/[^/]+)$`
)
const HOP_BY_HOP = [
  'connection',
  'keep-alive',
  'proxy-authorization',
  'proxy-authenticate',
  'proxy-connection',
  'te',
  'trailer',
  'upgrade'
]

type Action = 'pull' | 'push' | 'delete'

interface Upstream {
  host: string
  port: number
  authorization: string
}

interface Buffered {
  status: number
  headers: http.IncomingHttpHeaders
  body: Buffer
}

function isLoopback(host: string): boolean {
  return /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host) || host === 'localhost' || host === '[::1]'
}

function splitHostPort(address: string): { host: string; port: number } {
  const match = /^(\[[^\]]+\]|[^:]+):(\d+)$/.exec(address)
  if (!match) throw new Error(`expected host:port, got ${address}`)
  return { host: match[1] as string, port: Number(match[2]) }
}

function basic(credentials: Credentials): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

function parseBasic(header: string): Credentials | undefined {
  const match = /^Basic\s+(\S+)$/i.exec(header)
  if (!match) return undefined
  const decoded = Buffer.from(match[1] as string, 'base64').toString('utf8')
  const colon = decoded.indexOf(':')
  return colon < 0 ? undefined : { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
}

function requiredAction(method: string | undefined): Action {
  if (method === 'GET' || method === 'HEAD') return 'pull'
  if (method === 'DELETE') return 'delete'
  return 'push'
}

function scopeOf(name: string, action: Action): string {
  return `repository:${name}:${action === 'push' ? 'pull,push' : action}`
}

function listen(server: http.Server): Promise<number> {
  return new Promise((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve((server.address() as AddressInfo).port))
  })
}

function closeServer(server: http.Server): Promise<void> {
  return new Promise((resolve) => {
    server.close(() => resolve())
    server.closeAllConnections()
  })
}

/** Answers with a JSON body (Node leaves the body out for HEAD), draining any unread request body. */
function send(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  status: number,
  body: unknown,
  headers: Record<string, string> = {}
): void {
  req.resume()
  const text = JSON.stringify(body)
  res.writeHead(status, {
    ...API_VERSION,
    'content-type': 'application/json',
    'content-length': String(Buffer.byteLength(text)),
    ...headers
  })
  res.end(text)
}

function requestUpstream(
  upstream: Upstream,
  method: string,
  path: string,
  headers: http.OutgoingHttpHeaders = {}
): Promise<Buffered> {
  return new Promise((resolve, reject) => {
    const request = http.request(
      {
        host: upstream.host,
        port: upstream.port,
        method,
        path,
        headers: { ...headers, authorization: upstream.authorization }
      },
      (response) => {
        const chunks: Buffer[] = []
        response.on('data', (chunk: Buffer) => chunks.push(chunk))
        response.on('end', () =>
          resolve({
            status: response.statusCode ?? 502,
            headers: response.headers,
            body: Buffer.concat(chunks)
          })
        )
        response.on('error', reject)
      }
    )
    request.on('error', reject)
    request.end()
  })
}

export async function startStandInRegistry(options: StandInOptions): Promise<StandIn> {
  const { flavour } = options
  const upstreamAddress = splitHostPort(options.upstream.registry)
  if (!isLoopback(upstreamAddress.host))
    throw new Error(`the stand-in only proxies to loopback, not ${options.upstream.registry}`)
  const upstream: Upstream = { ...upstreamAddress, authorization: basic(options.upstream) }
  const prefix = options.upstreamPrefix ? options.upstreamPrefix.replace(/\/*$/, '/') : ''
  if (prefix && !new RegExp(`^${NAME}/$`).test(prefix))
    throw new Error(`upstreamPrefix ${prefix} is not a repository path`)
  const maxPageSize = options.maxPageSize ?? 100
  const defaultPageSize = options.defaultPageSize ?? maxPageSize
  const lifetime = Math.max(60, options.tokenLifetimeSeconds ?? 300)
  const service = flavour === 'hub' ? 'registry.docker.io' : 'ghcr.io'
  const publicRepositories = new Set(options.publicRepositories ?? [])
  const requests: RecordedRequest[] = []
  const rejected: RejectedConnection[] = []
  const tokens: IssuedToken[] = []
  const live = new Map<string, IssuedToken>()
  const pagesServed = new Map<string, number>()
  const filler = Array.from(
    { length: options.fillerTags ?? 0 },
    (_, i) => `filler-${String(i).padStart(6, '0')}`
  )

  const registryServer = http.createServer()
  const tokenServer = flavour === 'hub' ? http.createServer() : registryServer
  const registryPort = await listen(registryServer)
  const tokenPort = tokenServer === registryServer ? registryPort : await listen(tokenServer)
  const registryAddress = `127.0.0.1:${registryPort}`
  const realm = `http://127.0.0.1:${tokenPort}/token`

  // --- access control -------------------------------------------------------------------------

  function permitted(subject: string | undefined, name: string): Action[] {
    const pullable = publicRepositories.has(name)
    if (subject === undefined) return pullable ? ['pull'] : []
    const pushable = !options.pushNamespaces || options.pushNamespaces.includes(name.split('/')[0] as string)
    return pushable ? ['pull', 'push', 'delete'] : pullable ? ['pull'] : []
  }

  type Bearer = { state: 'none' } | { state: 'invalid' } | { state: 'valid'; token: IssuedToken }

  function bearer(req: http.IncomingMessage): Bearer {
    const match = /^Bearer\s+(\S+)$/i.exec(req.headers.authorization ?? '')
    if (!match) return { state: 'none' }
    const token = live.get(match[1] as string)
    return token && token.expiresAt > Date.now() ? { state: 'valid', token } : { state: 'invalid' }
  }

  function allows(token: IssuedToken, name: string, action: Action): boolean {
    return token.granted[name]?.includes(action) ?? false
  }

  function challenge(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string | undefined,
    action: Action,
    error?: 'invalid_token' | 'insufficient_scope'
  ): void {
    const scope = name ? scopeOf(name, action) : flavour === 'ghcr' ? 'repository:user/image:pull' : undefined
    const header =
      `Bearer realm="${realm}",service="${service}"` +
      (scope ? `,scope="${scope}"` : '') +
      (error ? `,error="${error}"` : '')
    const actions: Action[] = action === 'push' ? ['pull', 'push'] : [action]
    const error401 =
      flavour === 'hub'
        ? {
            code: 'UNAUTHORIZED',
            message: 'authentication required',
            detail: name
              ? actions.map((a) => ({ Type: 'repository', Class: '', Name: name, Action: a }))
              : null
          }
        : { code: 'UNAUTHORIZED', message: 'authentication required' }
    send(req, res, 401, { errors: [error401] }, { 'www-authenticate': header })
  }

  /** What a registry says about a repository that does not exist, to a caller holding a token. */
  function unknownRepository(req: http.IncomingMessage, res: http.ServerResponse, name: string): void {
    if (flavour === 'hub') {
      challenge(req, res, name, 'pull', 'insufficient_scope')
      return
    }
    send(req, res, 404, {
      errors: [{ code: 'NAME_UNKNOWN', message: 'repository name not known to registry', detail: { name } }]
    })
  }

  // --- token service --------------------------------------------------------------------------

  function handleToken(req: http.IncomingMessage, res: http.ServerResponse, url: URL): void {
    if (req.method !== 'GET') {
      // Hub also serves the OAuth2 POST form; the engine only uses it with a refresh token.
      send(req, res, 405, { details: 'only GET is served here' })
      return
    }
    const askedService = url.searchParams.get('service')
    if (askedService !== null && askedService !== service) {
      send(req, res, 400, { details: `unknown service ${askedService}` })
      return
    }
    let subject: string | undefined
    const authorization = req.headers.authorization
    if (authorization !== undefined) {
      const credentials = parseBasic(authorization)
      if (
        !credentials ||
        credentials.username !== options.user.username ||
        credentials.password !== options.user.password
      ) {
        if (flavour === 'hub') send(req, res, 401, { details: 'incorrect username or password' })
        else send(req, res, 401, { errors: [{ code: 'UNAUTHORIZED', message: 'authentication required' }] })
        return
      }
      subject = credentials.username
    }
    const requested = url.searchParams.getAll('scope')
    const granted: Record<string, string[]> = {}
    let refused = false
    for (const scope of requested.flatMap((s) => s.split(' ')).filter(Boolean)) {
      const match = /^repository(?:\([^)]*\))?:(.+):([a-z*,]+)$/.exec(scope)
      if (!match) continue // registry:catalog:* and the like: nothing to grant
      const name = match[1] as string
      const wanted = (match[2] as string).split(',')
      const allowed = permitted(subject, name)
      const actions = wanted.includes('*') ? allowed : allowed.filter((a) => wanted.includes(a))
      if (actions.length === 0) refused = true
      granted[name] = [...new Set([...(granted[name] ?? []), ...actions])]
      if (granted[name].length === 0) delete granted[name]
    }
    if (flavour === 'ghcr' && subject === undefined && refused) {
      send(req, res, 403, { errors: [{ code: 'DENIED', message: 'denied' }] })
      return
    }
    const issuedAt = new Date()
    const token = randomBytes(24).toString('base64url')
    const issued: IssuedToken = {
      subject,
      requested,
      granted,
      expiresAt: issuedAt.getTime() + lifetime * 1000
    }
    live.set(token, issued)
    tokens.push(issued)
    send(
      req,
      res,
      200,
      flavour === 'hub'
        ? { token, access_token: token, expires_in: lifetime, issued_at: issuedAt.toISOString() }
        : { token }
    )
  }

  // --- registry -------------------------------------------------------------------------------

  async function listTags(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string,
    url: URL
  ): Promise<void> {
    const nParam = url.searchParams.get('n')
    if (nParam !== null && !/^\d+$/.test(nParam)) {
      send(req, res, 400, {
        errors: [{ code: 'PAGINATION_NUMBER_INVALID', message: 'invalid number of results requested' }]
      })
      return
    }
    const n = nParam === null ? defaultPageSize : Math.min(Number(nParam), maxPageSize)
    const last = url.searchParams.get('last')
    const answer = await requestUpstream(upstream, 'GET', `/v2/${prefix}${name}/tags/list`)
    if (answer.status === 404) {
      unknownRepository(req, res, name)
      return
    }
    if (answer.status !== 200) {
      send(req, res, 502, { errors: [{ code: 'UNKNOWN', message: `upstream answered ${answer.status}` }] })
      return
    }
    const served = pagesServed.get(name) ?? 0
    if (options.maxTagPages !== undefined && served >= options.maxTagPages) {
      send(req, res, 429, {
        errors: [{ code: 'TOOMANYREQUESTS', message: 'You have reached your pull rate limit.' }]
      })
      return
    }
    pagesServed.set(name, served + 1)
    const upstreamTags = (JSON.parse(answer.body.toString('utf8')) as { tags?: string[] | null }).tags ?? []
    const all = [...new Set([...upstreamTags, ...filler])].sort()
    let start = last === null ? 0 : all.findIndex((tag) => tag > last)
    if (start < 0) start = all.length
    const page = all.slice(start, start + n)
    const headers: Record<string, string> = {}
    if (n > 0 && start + n < all.length) {
      const next = new URLSearchParams({ last: page[page.length - 1] as string, n: String(n) })
      headers.link = `</v2/${name}/tags/list?${next.toString()}>; rel="next"`
    }
    send(req, res, 200, { name, tags: page }, headers)
  }

  function rewriteLocation(value: string): string {
    let url: URL
    try {
      url = new URL(value, `http://${options.upstream.registry}`)
    } catch {
      return value
    }
    if (url.host !== options.upstream.registry) return value
    let pathname = url.pathname
    if (prefix && pathname.startsWith(`/v2/${prefix}`)) pathname = `/v2/${pathname.slice(4 + prefix.length)}`
    return `http://${registryAddress}${pathname}${url.search}`
  }

  function responseHeaders(headers: http.IncomingHttpHeaders): http.OutgoingHttpHeaders {
    const out: http.OutgoingHttpHeaders = {}
    for (const [key, value] of Object.entries(headers)) {
      if (value === undefined || HOP_BY_HOP.includes(key) || key === 'www-authenticate') continue
      out[key] = key === 'location' && typeof value === 'string' ? rewriteLocation(value) : value
    }
    return out
  }

  function proxy(
    req: http.IncomingMessage,
    res: http.ServerResponse,
    name: string,
    rest: string,
    url: URL,
    token: IssuedToken
  ): void {
    let search = url.search
    const from = url.searchParams.get('from')
    if (from !== null) {
      const params = new URLSearchParams(url.search)
      if (allows(token, from, 'pull')) params.set('from', prefix + from)
      else {
        params.delete('from')
        params.delete('mount')
      }
      const encoded = params.toString()
      search = encoded ? `?${encoded}` : ''
    }
    const headers: http.OutgoingHttpHeaders = {}
    for (const [key, value] of Object.entries(req.headers)) {
      if (value === undefined || HOP_BY_HOP.includes(key) || key === 'host' || key === 'authorization')
        continue
      headers[key] = value
    }
    headers.host = options.upstream.registry
    headers.authorization = upstream.authorization
    const method = req.method ?? 'GET'
    const upstreamRequest = http.request(
      {
        host: upstream.host,
        port: upstream.port,
        method,
        path: `/v2/${prefix}${name}/${rest}${search}`,
        headers
      },
      (answer) => {
        const status = answer.statusCode ?? 502
        if (status === 401) {
          answer.resume()
          send(req, res, 502, {
            errors: [{ code: 'UNKNOWN', message: 'the upstream registry refused the stand-in credentials' }]
          })
          return
        }
        if (status === 404 && (method === 'GET' || method === 'HEAD') && rest.startsWith('manifests/')) {
          // A missing manifest, or a missing repository? The tag list tells.
          const chunks: Buffer[] = []
          answer.on('data', (chunk: Buffer) => chunks.push(chunk))
          answer.on('end', () => {
            requestUpstream(upstream, 'GET', `/v2/${prefix}${name}/tags/list`)
              .then((tags) => {
                if (tags.status === 404) unknownRepository(req, res, name)
                else {
                  res.writeHead(status, responseHeaders(answer.headers))
                  res.end(Buffer.concat(chunks))
                }
              })
              .catch(() => send(req, res, 502, { errors: [{ code: 'UNKNOWN', message: 'upstream failed' }] }))
          })
          return
        }
        res.writeHead(status, responseHeaders(answer.headers))
        answer.pipe(res)
      }
    )
    upstreamRequest.on('error', (error) => {
      if (res.headersSent) res.destroy(error)
      else send(req, res, 502, { errors: [{ code: 'UNKNOWN', message: `upstream: ${error.message}` }] })
    })
    res.on('close', () => {
      if (!res.writableFinished) upstreamRequest.destroy()
    })
    req.pipe(upstreamRequest)
  }

  async function handleRegistry(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', `http://${registryAddress}`)
    if (url.pathname === '/v2/' || url.pathname === '/v2') {
      const auth = bearer(req)
      if (auth.state !== 'valid')
        challenge(req, res, undefined, 'pull', auth.state === 'invalid' ? 'invalid_token' : undefined)
      else send(req, res, 200, {})
      return
    }
    const match = REPOSITORY_PATH.exec(url.pathname)
    if (!match) {
      send(req, res, 404, { errors: [{ code: 'NOT_FOUND', message: 'not found' }] })
      return
    }
    const name = match[1] as string
    const rest = match[2] as string
    const action = requiredAction(req.method)
    const auth = bearer(req)
    if (auth.state === 'none') return challenge(req, res, name, action)
    if (auth.state === 'invalid') return challenge(req, res, name, action, 'invalid_token')
    if (!allows(auth.token, name, action)) return challenge(req, res, name, action, 'insufficient_scope')
    if (rest === 'tags/list' && (req.method === 'GET' || req.method === 'HEAD'))
      return listTags(req, res, name, url)
    proxy(req, res, name, rest, url, auth.token)
  }

  function recorded(
    server: 'registry' | 'token',
    port: number,
    handler: (req: http.IncomingMessage, res: http.ServerResponse) => void | Promise<void>
  ): (req: http.IncomingMessage, res: http.ServerResponse) => void {
    return (req, res) => {
      const entry: RecordedRequest = {
        server,
        port,
        method: req.method ?? '',
        path: req.url ?? '',
        authorization: (req.headers.authorization ?? 'none').split(/\s/)[0]?.toLowerCase() || 'none',
        status: 0
      }
      requests.push(entry)
      res.on('close', () => {
        entry.status = res.statusCode
      })
      Promise.resolve(handler(req, res)).catch((error: unknown) => {
        if (res.headersSent) res.destroy()
        else send(req, res, 500, { errors: [{ code: 'UNKNOWN', message: String(error) }] })
      })
    }
  }

  function recordRejected(server: http.Server, port: number): void {
    server.on('clientError', (error: Error & { rawPacket?: Buffer }, socket: Socket) => {
      rejected.push({ port, kind: error.rawPacket?.[0] === 0x16 ? 'tls' : 'malformed' })
      if (socket.writable) socket.end('HTTP/1.1 400 Bad Request\r\nConnection: close\r\n\r\n')
      else socket.destroy()
    })
  }
  recordRejected(registryServer, registryPort)
  if (tokenServer !== registryServer) recordRejected(tokenServer, tokenPort)

  const onRegistry = recorded('registry', registryPort, handleRegistry)
  const onToken = recorded('token', tokenPort, (req, res) =>
    handleToken(req, res, new URL(req.url ?? '/', realm))
  )
  if (tokenServer === registryServer) {
    registryServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (new URL(req.url ?? '/', realm).pathname === '/token') onToken(req, res)
      else onRegistry(req, res)
    })
  } else {
    registryServer.on('request', onRegistry)
    tokenServer.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
      if (new URL(req.url ?? '/', realm).pathname === '/token') onToken(req, res)
      else recorded('token', tokenPort, (rq, rs) => send(rq, rs, 404, { details: 'not found' }))(req, res)
    })
  }

  return {
    flavour,
    registry: registryAddress,
    registryPort,
    tokenPort,
    realm,
    service,
    requests,
    rejected,
    tokens,
    publicRepositories,
    upstreamRepository: (name) => prefix + name,
    close: async () => {
      await closeServer(registryServer)
      if (tokenServer !== registryServer) await closeServer(tokenServer)
    }
  }
}
