// A small client of the Distribution (Registry) HTTP API v2: the tags a repository holds,
// manifests read and written by tag or digest (how one pushed image gets its other tags without
// another `docker push`), and blobs checked, mounted from another repository or uploaded in one
// PUT (how an OCI layout is pushed byte for byte). Authentication is auth.ts's.
import { createHash } from 'node:crypto'
import type { Readable } from 'node:stream'
import { registryApiBase } from '../lib/image-name.js'
import {
  parseAuthChallenge,
  RegistryAuth,
  scopeText,
  type Authorization,
  type RepositoryScope
} from './auth.js'
import type { RegistryCredentials } from '../docker/config.js'
import { streamingFetch } from './stream-fetch.js'
import {
  expectOk,
  fetchWithTimeout,
  REQUEST_TIMEOUT_MS,
  RegistryError,
  uploadTimeoutMs,
  type Fetch
} from './http.js'

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

/** What a request sends: bytes, or a way to open them again (a 401 answer means sending twice). */
export type RequestBody = Buffer | (() => Readable | Buffer)

/** A cross-repository mount either happened, or the registry opened an upload session instead. */
export type MountResult = { mounted: true } | { mounted: false; location: string }

const DIGEST = /^sha256:[0-9a-f]{64}$/

export function manifestDigestOf(body: Buffer): string {
  return `sha256:${createHash('sha256').update(body).digest('hex')}`
}

export class RegistryClient {
  private readonly base: URL
  private readonly auth: RegistryAuth
  private readonly fetchImpl: Fetch
  /** Without the time limit: an upload's limit grows with its size (uploadTimeoutMs). */
  private readonly untimedFetch: Fetch

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
    private readonly requestTimeoutMs = REQUEST_TIMEOUT_MS,
    /** Sends stream bodies (blob uploads): fetch would hold them in memory (stream-fetch.ts). */
    private readonly streamFetch: Fetch = streamingFetch
  ) {
    this.base = new URL(registryApiBase(registry))
    this.untimedFetch = fetchImpl
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
      const { response, tokenForCredentials } = await this.request(
        url,
        [{ repository, access: 'pull' }],
        'GET'
      )
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
      [{ repository, access: 'pull,push' }],
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

  /**
   * The digest the registry holds under `reference` (a tag or a digest), asked with a HEAD so no
   * manifest is read; undefined when it holds none (404). A registry that names no digest in the
   * answer is asked for the manifest itself.
   */
  async manifestDigest(repository: string, reference: string): Promise<string | undefined> {
    const { response } = await this.request(
      this.manifestUrl(repository, reference),
      [{ repository, access: 'pull' }],
      'HEAD',
      { accept: MANIFEST_MEDIA_TYPES.join(', ') }
    )
    if (response.status === 404) return void (await response.body?.cancel())
    await expectOk(response, this.registry, `find the manifest of ${repository}:${reference}`)
    await response.body?.cancel()
    const stated = response.headers.get('docker-content-digest') ?? ''
    if (DIGEST.test(stated)) {
      if (DIGEST.test(reference) && stated !== reference)
        throw new RegistryError(
          `${this.registry} answered ${stated} to a request for ${repository}@${reference}`
        )
      return stated
    }
    return (await this.getManifest(repository, reference)).digest
  }

  /**
   * Puts the manifest under a tag (pointing `repository:tag` at it) or under its own digest (a
   * child of an index, pushed before the index names it). Every blob or manifest it names must
   * already be in that repository. Returns the digest the registry stored.
   */
  async putManifest(repository: string, reference: string, manifest: Manifest): Promise<string> {
    const byDigest = DIGEST.test(reference)
    if (byDigest && reference !== manifest.digest)
      throw new RegistryError(`the manifest ${manifest.digest} cannot be put under the digest ${reference}`)
    const what = byDigest ? `put the manifest ${repository}@${reference}` : `tag ${repository}:${reference}`
    const { response } = await this.request(
      this.manifestUrl(repository, reference),
      [{ repository, access: 'pull,push' }],
      'PUT',
      { 'content-type': manifest.mediaType },
      manifest.body
    )
    await expectOk(response, this.registry, what)
    await response.body?.cancel()
    const digest = response.headers.get('docker-content-digest') ?? manifest.digest
    if (digest !== manifest.digest) {
      throw new RegistryError(
        `${this.registry} stored ${repository}${byDigest ? '@' : ':'}${reference} as ${digest}, not the ${manifest.digest} that was sent`
      )
    }
    return digest
  }

  /** Whether the repository holds the blob: HEAD /v2/<name>/blobs/<digest>, 200 or 404. */
  async hasBlob(repository: string, digest: string): Promise<boolean> {
    const { response } = await this.request(
      this.blobUrl(repository, digest),
      [{ repository, access: 'pull,push' }],
      'HEAD'
    )
    await this.expectStatus(response, [200, 404], `check for the blob ${digest} in ${repository}`)
    return response.status === 200
  }

  /**
   * Asks the registry to link a blob `fromRepository` holds into `repository` without uploading
   * it (POST .../blobs/uploads/?mount=&from=): 201 when it did. A registry that cannot mount it
   * (the blob is not there, or the credentials may not read `fromRepository`) answers 202 with an
   * upload session instead: its location comes back for uploadBlob, or for cancelUpload.
   */
  async mountBlob(repository: string, digest: string, fromRepository: string): Promise<MountResult> {
    checkDigest(digest)
    const query = new URLSearchParams({ mount: digest, from: fromRepository })
    const url = `${this.base.origin}/v2/${repository}/blobs/uploads/?${query.toString()}`
    const { response } = await this.request(
      url,
      [
        { repository, access: 'pull,push' },
        { repository: fromRepository, access: 'pull' }
      ],
      'POST',
      { 'content-length': '0' }
    )
    const what = `mount ${digest} from ${fromRepository} into ${repository}`
    await this.expectStatus(response, [201, 202], what)
    if (response.status === 202) return { mounted: false, location: this.uploadLocation(response, url) }
    this.checkStatedDigest(response, digest, what)
    return { mounted: true }
  }

  /** Ends an upload session that will not be used (a mount the registry turned into one). */
  async cancelUpload(repository: string, location: string): Promise<void> {
    const { response } = await this.request(location, [{ repository, access: 'pull,push' }], 'DELETE')
    // 404: the session is gone already, which is what was wanted.
    await this.expectStatus(response, [202, 204, 404], `cancel an upload to ${repository}`)
  }

  /**
   * Uploads a blob in one PUT (the "monolithic" upload of the Distribution API): POST
   * .../blobs/uploads/ for a session (unless `session` names one already opened, as a refused
   * mount does), then PUT <location>&digest=<digest> with the bytes `open` gives. The registry
   * checks them against the digest. The time limit grows with the size (uploadTimeoutMs).
   */
  async uploadBlob(
    repository: string,
    digest: string,
    size: number,
    open: () => Readable | Buffer,
    session?: string
  ): Promise<void> {
    checkDigest(digest)
    const scopes: RepositoryScope[] = [{ repository, access: 'pull,push' }]
    let location = session
    if (!location) {
      const url = `${this.base.origin}/v2/${repository}/blobs/uploads/`
      const { response } = await this.request(url, scopes, 'POST', { 'content-length': '0' })
      await this.expectStatus(response, [202], `start an upload to ${repository}`)
      location = this.uploadLocation(response, url)
    }
    // The location may carry the session's state in its query: append, never re-encode it.
    const target = `${location}${location.includes('?') ? '&' : '?'}digest=${encodeURIComponent(digest)}`
    const { response } = await this.request(
      target,
      scopes,
      'PUT',
      { 'content-type': 'application/octet-stream', 'content-length': String(size) },
      open,
      uploadTimeoutMs(this.requestTimeoutMs, size)
    )
    await this.expectStatus(response, [201], `upload ${digest} to ${repository}`)
    this.checkStatedDigest(response, digest, `upload ${digest} to ${repository}`)
  }

  private blobUrl(repository: string, digest: string): string {
    checkDigest(digest)
    return `${this.base.origin}/v2/${repository}/blobs/${digest}`
  }

  /** An upload session's Location, which may be relative to the request that opened it. */
  private uploadLocation(response: Response, requestUrl: string): string {
    const location = response.headers.get('location')
    if (!location) throw new RegistryError(`${this.registry} opened an upload session without a Location`)
    return new URL(location, requestUrl).toString()
  }

  /**
   * Throws a RegistryError (with the start of the answer) unless the status is one of `wanted`;
   * the body, which these answers do not use, is let go either way.
   */
  private async expectStatus(response: Response, wanted: number[], what: string): Promise<void> {
    if (wanted.includes(response.status)) return void (await response.body?.cancel())
    await expectOk(response, this.registry, what)
    await response.body?.cancel()
    throw new RegistryError(
      `could not ${what} on ${this.registry}: it answered ${response.status}, not ${wanted.join(' or ')}`,
      response.status
    )
  }

  private checkStatedDigest(response: Response, digest: string, what: string): void {
    const stated = response.headers.get('docker-content-digest')
    if (stated && stated !== digest)
      throw new RegistryError(`${this.registry} answered ${stated} to the request to ${what}`)
  }

  private manifestUrl(repository: string, reference: string): string {
    const path = DIGEST.test(reference) ? reference : encodeURIComponent(reference)
    return `${this.base.origin}/v2/${repository}/manifests/${path}`
  }

  /**
   * One request with the Authorization its scopes earned (the first scope is the repository the
   * request is about, and names it in messages). `timeoutMs` replaces the client's limit.
   */
  private async request(
    url: string,
    scopes: RepositoryScope[],
    method: string,
    headers: Record<string, string> = {},
    body?: RequestBody,
    timeoutMs?: number
  ): Promise<{ response: Response; tokenForCredentials: boolean }> {
    const target = new URL(url)
    const repository = scopes[0]?.repository ?? ''
    // Credentials go to the registry's own origin only (a Link header could name another).
    const sameOrigin = target.origin === this.base.origin
    const key = scopes.map(scopeText).join(' ')
    const send = (authorization?: string): Promise<Response> => {
      const bytes = typeof body === 'function' ? body() : body
      const streamed = bytes !== undefined && !Buffer.isBuffer(bytes)
      const limit = timeoutMs ?? this.requestTimeoutMs
      const fetchImpl = streamed
        ? fetchWithTimeout(this.streamFetch, limit)
        : timeoutMs === undefined
          ? this.fetchImpl
          : fetchWithTimeout(this.untimedFetch, limit)
      return fetchImpl(target, {
        method,
        headers: { ...headers, ...(authorization && sameOrigin ? { authorization } : {}) },
        ...(bytes === undefined ? {} : { body: bytes as unknown as NonNullable<RequestInit['body']> })
      })
    }
    // Basic credentials are not scoped, so they go with the first request once the registry asked.
    let response = await send(this.authorization.get(key) ?? this.auth.basic)
    if (response.status !== 401 || !sameOrigin) return { response, tokenForCredentials: false }
    const challenge = parseAuthChallenge(response.headers.get('www-authenticate') ?? '')
    await response.body?.cancel()
    const authorization: Authorization = await this.auth.authorize(challenge, scopes)
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

function checkDigest(digest: string): void {
  if (!DIGEST.test(digest)) throw new RegistryError(`${JSON.stringify(digest)} is not sha256:<64 hex digits>`)
}
