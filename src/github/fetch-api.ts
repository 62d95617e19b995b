// A minimal client of GitHub's REST API on Node's own fetch, for the post step: it loads no
// Octokit (see run/post.ts: the post step runs on every run and must start fast). It speaks
// Octokit's `request(route, params)`: the route's {names} are taken from params into the path,
// the rest is the JSON body (the query of a GET); an HTTP error throws with Octokit's shape ({status, response:
// {data}}), so api-errors.ts reads both alike. Unlike Octokit it honours no HTTPS_PROXY.
import { GITHUB_API_VERSION } from './api-endpoint.js'

/** Each request's time limit: the post step must not hang on GitHub. */
const REQUEST_TIMEOUT_MS = 30_000

export interface FetchApi {
  request(route: string, params: Record<string, unknown>): Promise<{ status: number; data: unknown }>
}

export function fetchApi(options: { token: string; baseUrl: string; timeoutMs?: number }): FetchApi {
  const baseUrl = options.baseUrl.replace(/\/+$/, '')
  return {
    async request(route, params) {
      const [method = 'GET', template = '/'] = route.split(' ')
      const body: Record<string, unknown> = { ...params }
      const path = template.replace(/\{(\w+)\}/g, (_, name: string) => {
        const value = body[name]
        delete body[name]
        return encodeURIComponent(String(value))
      })
      const query = new URLSearchParams()
      const sendsBody = method !== 'GET' && method !== 'HEAD'
      if (!sendsBody) for (const [name, value] of Object.entries(body)) query.set(name, String(value))
      const search = query.size > 0 ? `?${query.toString()}` : ''
      const response = await fetch(`${baseUrl}${path}${search}`, {
        method,
        headers: {
          accept: 'application/vnd.github+json',
          authorization: `Bearer ${options.token}`,
          'content-type': 'application/json; charset=utf-8',
          'user-agent': 'container-ship',
          'x-github-api-version': GITHUB_API_VERSION
        },
        ...(sendsBody ? { body: JSON.stringify(body) } : {}),
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS)
      })
      const text = await response.text()
      let data: unknown = text
      try {
        data = text ? JSON.parse(text) : undefined
      } catch {
        // Not JSON (a proxy's page): kept as text.
      }
      if (response.status >= 400) {
        throw Object.assign(new Error(`HTTP ${response.status}`), {
          status: response.status,
          response: { status: response.status, data }
        })
      }
      return { status: response.status, data }
    }
  }
}
