// Registry authentication as the engine does it: a 401 names a scheme. Basic takes the
// credentials as they are; Bearer sends them to the token realm it names (with a password, or
// an identity token exchanged as an OAuth2 refresh token) for a token scoped to the repositories a request needs.
// Credentials go only over HTTPS, or plain HTTP on loopback as the engine allows.
import type { RegistryCredentials } from '../docker/config.js'
import { isLoopbackHost } from '../lib/image-name.js'
import { expectOk, RegistryError, type Fetch } from './http.js'

export type Access = 'pull' | 'pull,push'

/** One `repository:<name>:<access>` scope; a request may need several (a mount reads another repository). */
export interface RepositoryScope {
  repository: string
  access: Access
}

export function scopeText(scope: RepositoryScope): string {
  return `repository:${scope.repository}:${scope.access}`
}

export interface AuthChallenge {
  scheme: string
  params: Record<string, string>
}

export interface Authorization {
  /** The Authorization header value. */
  header: string
  /** A Bearer token was granted for the credentials (not anonymously). */
  tokenForCredentials: boolean
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

/**
 * Whether credentials may go to this URL: over HTTPS, or plain HTTP to a loopback address (the
 * engine talks plain HTTP only to loopback registries by default too).
 */
export function mayCarryCredentials(url: URL): boolean {
  return url.protocol === 'https:' || (url.protocol === 'http:' && isLoopbackHost(url.hostname))
}

export function basicHeader(credentials: { username: string; password: string }): string {
  return `Basic ${Buffer.from(`${credentials.username}:${credentials.password}`).toString('base64')}`
}

/** One registry's credentials, and what answering its challenges has taught. */
export class RegistryAuth {
  /** Set once the registry asked for Basic credentials: they are good for every repository. */
  basic?: string

  constructor(
    readonly registry: string,
    readonly credentials: RegistryCredentials | undefined,
    private readonly fetchImpl: Fetch
  ) {}

  /**
   * The Authorization for a request the registry answered with this challenge: a token covering
   * every scope given (one `scope` parameter each, as the engine asks; space-separated in the
   * OAuth2 form, as the engine sends it there).
   */
  async authorize(challenge: AuthChallenge | undefined, scopes: RepositoryScope[]): Promise<Authorization> {
    const credentials = this.credentials
    if (challenge?.scheme === 'basic') {
      if (!credentials || !('password' in credentials))
        throw new RegistryError(`${this.registry} asks for credentials: set username and password`, 401)
      this.basic = basicHeader(credentials)
      return { header: this.basic, tokenForCredentials: false }
    }
    const realm = this.realmOf(challenge)
    const scope = scopes.map(scopeText)
    const response =
      credentials && 'identityToken' in credentials
        ? await this.fetchImpl(realm, {
            // An identity token is an OAuth2 refresh token: exchanged by POST, as the engine does.
            method: 'POST',
            headers: { 'content-type': 'application/x-www-form-urlencoded' },
            body: new URLSearchParams({
              grant_type: 'refresh_token',
              refresh_token: credentials.identityToken,
              service: challenge?.params.service ?? '',
              scope: scope.join(' '),
              client_id: 'container-ship'
            }).toString()
          })
        : await this.fetchImpl(withQuery(realm, { service: challenge?.params.service, scope }), {
            headers: credentials ? { authorization: basicHeader(credentials) } : {}
          })
    if (response.status === 401 || response.status === 403) {
      await response.body?.cancel()
      throw new RegistryError(
        `${this.registry} refused the credentials (${response.status}) when asked for a token`,
        response.status
      )
    }
    await expectOk(response, this.registry, 'get a registry token')
    const body = (await response.json()) as { token?: string; access_token?: string }
    const token = body.token ?? body.access_token
    if (!token) throw new RegistryError(`${this.registry}'s token service answered without a token`)
    return { header: `Bearer ${token}`, tokenForCredentials: credentials !== undefined }
  }

  /**
   * Checks a username and password as `docker login` does, against the challenge of the API
   * root: Basic on the root itself, Bearer at the realm with the account and no scope. Throws a
   * RegistryError with status 401 or 403 when they are refused.
   */
  async check(root: URL, challenge: AuthChallenge | undefined): Promise<void> {
    const credentials = this.credentials
    if (!credentials || !('password' in credentials))
      throw new RegistryError('no username and password to check')
    let answer: Response
    if (challenge?.scheme === 'basic') {
      this.basic = basicHeader(credentials)
      answer = await this.fetchImpl(root, {
        headers: { authorization: this.basic }
      })
    } else {
      const realm = withQuery(this.realmOf(challenge), {
        service: challenge?.params.service,
        account: credentials.username
      })
      answer = await this.fetchImpl(realm, {
        headers: { authorization: basicHeader(credentials) }
      })
    }
    await answer.body?.cancel()
    if (answer.status === 401 || answer.status === 403) {
      throw new RegistryError(
        `${this.registry} refused the credentials of ${credentials.username} (${answer.status} unauthorized)`,
        answer.status
      )
    }
    await expectOk(answer, this.registry, 'check the credentials')
  }

  /** The token realm of a Bearer challenge, refused when credentials may not go there. */
  private realmOf(challenge: AuthChallenge | undefined): URL {
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
    if (this.credentials && !mayCarryCredentials(realm)) {
      throw new RegistryError(
        `${this.registry} named the token realm ${realm.origin}, which is neither HTTPS nor loopback: the credentials were not sent`,
        401
      )
    }
    return realm
  }
}

function withQuery(realm: URL, params: Record<string, string | string[] | undefined>): URL {
  const url = new URL(realm)
  for (const [name, value] of Object.entries(params)) {
    for (const one of [value ?? []].flat()) if (one) url.searchParams.append(name, one)
  }
  return url
}
