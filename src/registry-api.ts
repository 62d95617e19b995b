// A small client of the Distribution (Registry) HTTP API v2: the tags a repository holds, and
// manifests read and written by tag (how one pushed image gets its other tags without another
// `docker push`). Speaks both auth schemes registries use: Basic (htpasswd) and Bearer tokens
// fetched from the realm a 401 names, with a password or an identity (refresh) token.
import { createHash } from 'node:crypto'
import { isLoopbackHost, registryApiBase } from './image-name.js'

export type RegistryCredentials = { username: string; password: string } | { identityToken: string }

type Fetch = typeof fetch

/** Media types a manifest request accepts, so the registry answers with the manifest it stores. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
]

const REQUEST_TIMEOUT_MS = 30_000
const PAGE_SIZE = 1000
/** Past this many pages the list is not read whole, and a partial list is never taken as whole. */
export const MAX_TAG_PAGES = 100

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'RegistryError'
  }
}

export interface AuthChallenge {
  scheme: string
  params: Record<string, string>
}

export interface Manifest {
  /** The exact bytes the registry stores: a manifest's digest is the sha256 of these. */
  body: Buffer
  mediaType: string
  digest: string
}

/** Parses `Bearer realm="https://x/token",service="x",scope="repository:a:pull"`. */
export function parseAuthChallenge(header: string): AuthChallenge | undefined {
  const match = /^\s*(\w+)\s*(.*)$/s.exec(header)
  if (!match) return undefined
  const params: Record<string, string> = {}
  for (const param of (match[2] as string).matchAll(/(\w+)\s*=\s*(?:"((?:[^"\\]|\\.)*)"|([^,\s]*))/g)) {
    params[(param[1] as string).toLowerCase()] = (param[2] ?? param[3] ?? '').replace(/\\(.)/g, '$1')
  }
  return { scheme: (match[1] as string).toLowerCase(), params }
}

/** The `next` target of a `Link: <url>; rel="next"` header, resolved against the request URL. */
export function nextPageUrl(link: string | null, current: string): string | undefined {
  if (!link) return undefined
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)
  return match ? new URL(match[1] as string, current).toString() : undefined
}

/**
 * Whether credentials may go to this URL: over HTTPS, or plain HTTP to a loopback address (the
 * engine talks plain HTTP only to loopback registries by default too).
 */
export function mayCarryCredentials(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

export function manifestDigestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

type Access = 'pull' | 'pull,push'

interface Answer {
  response: Response
  /** A Bearer token was granted for the credentials (not anonymously). */
  tokenForCredentials: boolean
}

export class RegistryClient {
  private readonly base: URL
  /** Authorization header value per `repository:access`, once earned. */
  private readonly authorization = new Map<string, string>()
  /** Set once the registry asked for Basic credentials: they are good for every repository. */
  private basicAuthorization?: string

  constructor(
    readonly registry: string,
    private readonly credentials?: RegistryCredentials,
    private readonly fetchImpl: Fetch = fetch
  ) {
    this.base = new URL(registryApiBase(registry))
  }

  /**
   * Every tag of the repository; an empty list when the repository does not exist yet. Throws
   * when the list cannot be read whole (more than MAX_TAG_PAGES pages).
   */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = []
    let url: string | undefined = `${this.base.origin}/v2/${repository}/tags/list?n=${PAGE_SIZE}`
    for (let page = 0; url; page++) {
      if (page === MAX_TAG_PAGES) {
        throw new RegistryError(
          `the tag list of ${repository} on ${this.registry} is longer than ${MAX_TAG_PAGES} pages: it was not read whole`
        )
      }
      const { response, tokenForCredentials } = await this.request(url, repository, 'pull', 'GET')
      if (response.status === 404) return []
      // Docker Hub answers 401, not 404, for a repository that does not exist yet, even to a
      // valid token: the token service took the credentials, so the repository is new.
      if (response.status === 401 && tokenForCredentials && page === 0) {
        await response.body?.cancel()
        return []
      }
      await this.expectOk(response, `list the tags of ${repository}`)
      const body = (await response.json()) as { tags?: string[] | null }
      tags.push(...(body.tags ?? []))
      url = nextPageUrl(response.headers.get('link'), url)
    }
    return tags
  }

  /**
   * Checks the credentials as `docker login` does: the API root, then the credentials against
   * whatever auth it asks for (Basic, or the token realm with no scope). Throws a RegistryError
   * with status 401 when they are refused.
   */
  async checkCredentials(): Promise<void> {
    const credentials = this.credentials
    if (!credentials || !('password' in credentials))
      throw new RegistryError('no username and password to check')
    const root = `${this.base.origin}/v2/`
    const first = await this.fetchImpl(root, { signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS) })
    await first.body?.cancel()
    if (first.ok) return
    if (first.status !== 401) await this.expectOk(first, 'reach the Registry API')
    const challenge = parseAuthChallenge(first.headers.get('www-authenticate') ?? '')
    let answer: Response
    if (challenge?.scheme === 'basic') {
      this.basicAuthorization = basicHeader(credentials)
      answer = await this.fetchImpl(root, {
        headers: { authorization: this.basicAuthorization },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    } else if (challenge?.scheme === 'bearer' && challenge.params.realm) {
      const realm = new URL(challenge.params.realm)
      if (!mayCarryCredentials(realm)) {
        throw new RegistryError(
          `${this.registry} named the token realm ${realm.origin}, which is neither HTTPS nor loopback`
        )
      }
      if (challenge.params.service) realm.searchParams.set('service', challenge.params.service)
      realm.searchParams.set('account', credentials.username)
      answer = await this.fetchImpl(realm, {
        headers: { authorization: basicHeader(credentials) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    } else {
      throw new RegistryError(
        `${this.registry} answered 401 without an auth challenge the action understands`
      )
    }
    await answer.body?.cancel()
    if (answer.status === 401 || answer.status === 403) {
      throw new RegistryError(
        `${this.registry} refused the credentials of ${credentials.username} (${answer.status} unauthorized)`,
        answer.status
      )
    }
    await this.expectOk(answer, 'check the credentials')
  }

  /** The digest the registry stores for `repository:reference`; undefined when there is none. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const { response } = await this.request(
      this.manifestUrl(repository, reference),
      repository,
      'pull',
      'HEAD',
      {
        accept: MANIFEST_MEDIA_TYPES.join(', ')
      }
    )
    if (response.status === 404) return undefined
    await this.expectOk(response, `read the manifest of ${repository}:${reference}`)
    return response.headers.get('docker-content-digest') ?? undefined
  }

  /** The manifest as stored, its digest computed from the bytes (and checked against the header). */
  async getManifest(repository: string, reference: string): Promise<Manifest> {
    const { response } = await this.request(
      this.manifestUrl(repository, reference),
      repository,
      'pull,push',
      'GET',
      { accept: MANIFEST_MEDIA_TYPES.join(', ') }
    )
    await this.expectOk(response, `read the manifest of ${repository}:${reference}`)
    const body = Buffer.from(await response.arrayBuffer())
    const digest = manifestDigestOf(body)
    const stated = response.headers.get('docker-content-digest')
    if (stated && stated !== digest) {
      throw new RegistryError(
        `${this.registry} sent a manifest for ${repository}:${reference} whose bytes hash to ${digest}, not the ${stated} it named`
      )
    }
    const mediaType = (response.headers.get('content-type') ?? '').split(';')[0]?.trim() ?? ''
    return { body, mediaType, digest }
  }

  /** Points `repository:tag` at the manifest (which must already be in that repository). */
  async putManifest(repository: string, tag: string, manifest: Manifest): Promise<string> {
    const { response } = await this.request(
      this.manifestUrl(repository, tag),
      repository,
      'pull,push',
      'PUT',
      {
        'content-type': manifest.mediaType
      },
      manifest.body
    )
    await this.expectOk(response, `tag ${repository}:${tag}`)
    await response.body?.cancel()
    const digest = response.headers.get('docker-content-digest') ?? manifest.digest
    if (digest !== manifest.digest) {
      throw new RegistryError(
        `${this.registry} stored ${repository}:${tag} as ${digest}, not the ${manifest.digest} that was sent`
      )
    }
    return digest
  }

  private manifestUrl(repository: string, reference: string): string {
    return `${this.base.origin}/v2/${repository}/manifests/${encodeURIComponent(reference)}`
  }

  private async request(
    url: string,
    repository: string,
    access: Access,
    method: string,
    headers: Record<string, string> = {},
    body?: Buffer
  ): Promise<Answer> {
    const target = new URL(url)
    // Credentials go to the registry's own origin only (a Link header could name another).
    const sameOrigin = target.origin === this.base.origin
    const key = `${repository}:${access}`
    const send = (authorization?: string): Promise<Response> =>
      this.fetchImpl(target, {
        method,
        headers: { ...headers, ...(authorization && sameOrigin ? { authorization } : {}) },
        body,
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    // Basic credentials are not scoped, so they go with the first request once the registry asked.
    let response = await send(this.authorization.get(key) ?? this.basicAuthorization)
    if (response.status !== 401 || !sameOrigin) return { response, tokenForCredentials: false }
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate') ?? '')
    await response.body?.cancel()
    const authorization = await this.authorize(challenge, repository, access)
    this.authorization.set(key, authorization.header)
    response = await send(authorization.header)
    if (response.status === 401 && !authorization.tokenForCredentials) {
      if (this.credentials) {
        await response.body?.cancel()
        throw new RegistryError(
          `${this.registry} refused the credentials (401 Unauthorized) for ${repository}`,
          401
        )
      }
    }
    return { response, tokenForCredentials: authorization.tokenForCredentials }
  }

  private async authorize(
    challenge: AuthChallenge | undefined,
    repository: string,
    access: Access
  ): Promise<{ header: string; tokenForCredentials: boolean }> {
    const credentials = this.credentials
    if (challenge?.scheme === 'basic') {
      if (!credentials || !('password' in credentials))
        throw new RegistryError(`${this.registry} asks for credentials: set username and password`, 401)
      this.basicAuthorization = basicHeader(credentials)
      return { header: this.basicAuthorization, tokenForCredentials: false }
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryError(
        `${this.registry} answered 401 without an auth challenge the action understands`,
        401
      )
    }
    let realm: URL
    try {
      realm = new URL(challenge.params.realm)
    } catch {
      throw new RegistryError(`${this.registry} named a token realm that is not a URL`, 401)
    }
    if (credentials && !mayCarryCredentials(realm)) {
      throw new RegistryError(
        `${this.registry} named the token realm ${realm.origin}, which is neither HTTPS nor loopback: the credentials were not sent`,
        401
      )
    }
    const scope = `repository:${repository}:${access}`
    const response =
      credentials && 'identityToken' in credentials
        ? await this.fetchImpl(realm, {
            // An identity token is an OAuth2 refresh token: exchanged by POST, as the engine does.
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: credentials.identityToken,
              service: challenge.params.service ?? '',
              scope,
              client_id: 'container-ship'
            }).toString(),
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
          })
        : await this.fetchImpl(withQuery(realm, challenge.params.service, scope), {
            headers: credentials ? { authorization: basicHeader(credentials) } : {},
            signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
          })
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      throw new RegistryError(
        `${this.registry} refused the credentials (${response.status}) when asked for a token`,
        response.status
      )
    }
    await this.expectOk(response, 'get a registry token')
    const body = (await response.json()) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (!token) throw new RegistryError(`${this.registry}'s token service answered without a token`)
    return { header: `Bearer ${token}`, tokenForCredentials: credentials !== undefined }
  }

  private async expectOk(response: Response, what: string): Promise<void> {
    if (response.ok) return
    const text = (await response.text().catch(() => '')).slice(0, 300)
    throw new RegistryError(
      `could not ${what} on ${this.registry}: ${response.status} ${response.statusText} ${text}`.trim(),
      response.status
    )
  }
}

function basicHeader(credentials: RegistryCredentials): string {
  if (!('password' in credentials)) return ''
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

function withQuery(realm: URL, service: string | undefined, scope: string): URL {
  const url = new URL(realm)
  if (service) url.searchParams.set('service', service)
  url.searchParams.set('scope', scope)
  return url
}
