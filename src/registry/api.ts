// A small client of the Distribution (Registry) HTTP API v2: the tags a repository holds, and
// manifests read and written by tag (how one pushed image gets its other tags without another
// `docker push`). Authentication is auth.ts's.
import { createHash } from 'node:crypto'
import { registryApiBase } from '../lib/image-name.js'
import { parseAuthChallenge, RegistryAuth, type Access, type Authorization } from './auth.js'
import type { RegistryCredentials } from '../docker/config.js'
import { expectOk, fetchWithTimeout, REQUEST_TIMEOUT_MS, RegistryError, type Fetch } from './http.js'

/** Media types a manifest request accepts, so the registry answers with the manifest it stores. */
export const MANIFEST_MEDIA_TYPES = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
]

const PAGE_SIZE = 1000
/** Past this many pages the list is not read whole, and a partial list is never taken as whole. */
export const MAX_TAG_PAGES = 100

export interface Manifest {
  /** The exact bytes the registry stores: a manifest's digest is the sha256 of these. */
  body: Buffer
  mediaType: string
  digest: string
}

/** The `next` target of a `Link: <url>; rel="next"` header, resolved against the request URL. */
export function nextPageUrl(link: string | null, current: string): string | undefined {
  if (!link) return undefined
  const match = /<([^>]+)>\s*;\s*rel="?next"?/.exec(link)
  return match ? new URL(match[1] as string, current).toString() : undefined
}

export function manifestDigestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

export class RegistryClient {
  private readonly base: URL
  private readonly auth: RegistryAuth
  private readonly fetchImpl: Fetch

  get hasCredentials(): boolean {
    return this.auth.credentials !== undefined
  }

  /** Authorization header value per `repository:access`, once earned. */
  private readonly authorization = new Map<string, string>()

  constructor(
    readonly registry: string,
    credentials?: RegistryCredentials,
    fetchImpl: Fetch = fetch,
    /** The limit on each request: REQUEST_TIMEOUT_MS, or less (the registry-timeout input). */
    requestTimeoutMs = REQUEST_TIMEOUT_MS
  ) {
    this.base = new URL(registryApiBase(registry))
    this.fetchImpl = fetchWithTimeout(fetchImpl, requestTimeoutMs)
    this.auth = new RegistryAuth(registry, credentials, this.fetchImpl)
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
      await expectOk(response, this.registry, `list the tags of ${repository}`)
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
    const root = new URL('/v2/', this.base)
    const first = await this.fetchImpl(root)
    await first.body?.cancel()
    if (first.ok) return
    if (first.status !== 401) await expectOk(first, this.registry, 'reach the Registry API')
    await this.auth.check(root, parseAuthChallenge(first.headers.get('www-authenticate') ?? ''))
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
    await expectOk(response, this.registry, `read the manifest of ${repository}:${reference}`)
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
    await expectOk(response, this.registry, `tag ${repository}:${tag}`)
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
  ): Promise<{ response: Response; tokenForCredentials: boolean }> {
    const target = new URL(url)
    // Credentials go to the registry's own origin only (a Link header could name another).
    const sameOrigin = target.origin === this.base.origin
    const key = `${repository}:${access}`
    const send = (authorization?: string): Promise<Response> =>
      this.fetchImpl(target, {
        method,
        headers: { ...headers, ...(authorization && sameOrigin ? { authorization } : {}) },
        body
      })
    // Basic credentials are not scoped, so they go with the first request once the registry asked.
    let response = await send(this.authorization.get(key) ?? this.auth.basic)
    if (response.status !== 401 || !sameOrigin) return { response, tokenForCredentials: false }
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate') ?? '')
    await response.body?.cancel()
    const authorization: Authorization = await this.auth.authorize(challenge, repository, access)
    this.authorization.set(key, authorization.header)
    response = await send(authorization.header)
    // Basic credentials refused. (A 401 to a token granted for the credentials is the caller's
    // to read: Docker Hub answers so for a repository that does not exist yet.)
    if (response.status === 401 && !authorization.tokenForCredentials && this.auth.credentials) {
      await response.body?.cancel()
      throw new RegistryError(
        `${this.registry} refused the credentials (401 Unauthorized) for ${repository}`,
        401
      )
    }
    return { response, tokenForCredentials: authorization.tokenForCredentials }
  }
}
