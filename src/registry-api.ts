// A small client of the Distribution (Registry) HTTP API v2: the tags a repository holds and the
// digest a tag points at. Speaks both auth schemes registries use: Basic (htpasswd) and Bearer
// tokens fetched from the realm a 401 names.
import { registryApiBase } from './image-name.js'

export interface RegistryCredentials {
  username: string
  password: string
}

type Fetch = typeof fetch

/** Media types a manifest request accepts, so the registry answers with the digest it stores. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
]

const REQUEST_TIMEOUT_MS = 30_000
const PAGE_SIZE = 1000
const MAX_PAGES = 100

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

export class RegistryClient {
  private readonly base: string
  /** Authorization header value per repository scope, once earned. */
  private readonly authorization = new Map<string, string>()

  constructor(
    readonly registry: string,
    private readonly credentials?: RegistryCredentials,
    private readonly fetchImpl: Fetch = fetch
  ) {
    this.base = registryApiBase(registry)
  }

  /** Every tag of the repository; an empty list when the repository does not exist yet. */
  async listTags(repository: string): Promise<string[]> {
    const tags: string[] = []
    let url: string | undefined = `${this.base}/v2/${repository}/tags/list?n=${PAGE_SIZE}`
    for (let page = 0; url && page < MAX_PAGES; page++) {
      const response = await this.request(url, repository, 'GET')
      if (response.status === 404) return []
      await this.expectOk(response, `list the tags of ${repository}`)
      const body = (await response.json()) as { tags?: string[] | null }
      tags.push(...(body.tags ?? []))
      url = nextPageUrl(response.headers.get('link'), url)
    }
    return tags
  }

  /** The digest the registry stores for `repository:reference`; undefined when there is none. */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const response = await this.request(
      `${this.base}/v2/${repository}/manifests/${reference}`,
      repository,
      'HEAD',
      {
        accept: MANIFEST_MEDIA_TYPES.join(', ')
      }
    )
    if (response.status === 404) return undefined
    await this.expectOk(response, `read the manifest of ${repository}:${reference}`)
    return response.headers.get('docker-content-digest') ?? undefined
  }

  private async request(
    url: string,
    repository: string,
    method: string,
    headers: Record<string, string> = {}
  ): Promise<Response> {
    const send = (authorization?: string): Promise<Response> =>
      this.fetchImpl(url, {
        method,
        headers: { ...headers, ...(authorization ? { authorization } : {}) },
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
      })
    let response = await send(this.authorization.get(repository))
    if (response.status !== 401) return response
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate') ?? '')
    await response.body?.cancel()
    const authorization = await this.authorize(challenge, repository)
    if (!authorization) return response
    this.authorization.set(repository, authorization)
    response = await send(authorization)
    if (response.status === 401) {
      throw new RegistryError(
        `${this.registry} refused the credentials (401 Unauthorized) for ${repository}`,
        401
      )
    }
    return response
  }

  private async authorize(
    challenge: AuthChallenge | undefined,
    repository: string
  ): Promise<string | undefined> {
    const basic = this.credentials
      ? `Basic ${Buffer.from(`${this.credentials.username}:${this.credentials.password}`).toString('base64')}`
      : undefined
    if (challenge?.scheme === 'basic') {
      if (!basic)
        throw new RegistryError(`${this.registry} asks for credentials: set username and password`, 401)
      return basic
    }
    if (challenge?.scheme !== 'bearer' || !challenge.params.realm) {
      throw new RegistryError(
        `${this.registry} answered 401 without an auth challenge the action understands`,
        401
      )
    }
    const tokenUrl = new URL(challenge.params.realm)
    if (challenge.params.service) tokenUrl.searchParams.set('service', challenge.params.service)
    tokenUrl.searchParams.set('scope', `repository:${repository}:pull`)
    const response = await this.fetchImpl(tokenUrl, {
      headers: basic ? { authorization: basic } : {},
      signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS)
    })
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError(
        `${this.registry} refused the credentials (${response.status}) when asked for a token`,
        response.status
      )
    }
    await this.expectOk(response, 'get a registry token')
    const body = (await response.json()) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (!token) throw new RegistryError(`${this.registry}'s token service answered without a token`)
    return `Bearer ${token}`
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
