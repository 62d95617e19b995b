// The GitHub REST API as the action talks to it: at GITHUB_API_URL (`https://HOST/api/v3` on
// GitHub Enterprise Server), asking for REST version 2022-11-28, each request given 30 s, through
// @actions/github's Octokit (its pagination follows GitHub's Link headers). Also who a token is,
// and what an error says without the token or the request that carried it. Generic: it knows
// nothing of what is asked. Only code loaded on demand imports this (Octokit is large; see the
// dynamic import in src/scan/step.ts), so it stays out of the main chunk.
import { getOctokit } from '@actions/github'

/** The REST API version asked for: the oldest supported one, which GitHub Enterprise Server has too. */
export const GITHUB_API_VERSION = '2022-11-28'
/** Each API request's time limit, unless restClient's timeoutMs says otherwise. */
const REQUEST_TIMEOUT_MS = 30_000

export type Octokit = ReturnType<typeof getOctokit>

/** The REST API's base URL: `apiUrl`, else GITHUB_API_URL, else https://api.github.com. */
export function apiBaseUrl(apiUrl?: string): string {
  return (apiUrl || process.env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
}

/** A client for `token` at `baseUrl`: every request asks for GITHUB_API_VERSION, with a time limit. */
export function restClient(options: { token: string; baseUrl: string; timeoutMs?: number }): Octokit {
  const { token, baseUrl } = options
  const octokit = getOctokit(token, { baseUrl, userAgent: 'container-ship' })
  octokit.hook.before('request', (request) => {
    request.headers['x-github-api-version'] = GITHUB_API_VERSION
    // A request that hangs must not hold the step.
    request.request = {
      ...request.request,
      signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS)
    }
  })
  return octokit
}

/** Who a token writes as: a person (by login) or a bot (an installation token). */
export type Author = { kind: 'user'; login: string } | { kind: 'bot' }

/** A person's token names its login; an installation token is refused `/user` and writes as a bot. */
export async function whoAmI(octokit: Octokit): Promise<Author> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated()
    return { kind: 'user', login: data.login }
  } catch (error) {
    if (statusOf(error) === 403) return { kind: 'bot' }
    throw error
  }
}

/** The HTTP status GitHub answered; undefined when there was no answer (Octokit calls that 500). */
export function statusOf(error: unknown): number | undefined {
  const failed = error as { status?: unknown; response?: unknown } | null
  const status = failed?.status
  return typeof status === 'number' && failed?.response !== undefined ? status : undefined
}

/** GitHub's own message for an HTTP error, else the error's; never the request, which has the token. */
export function apiMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data
  if (data && typeof data === 'object') {
    const message = (data as { message?: unknown }).message
    const errors = (data as { errors?: unknown }).errors
    const details = Array.isArray(errors)
      ? errors
          .map((item: unknown) => (item as { message?: unknown })?.message)
          .filter((item): item is string => typeof item === 'string')
      : []
    if (typeof message === 'string') return [message, ...details].join(': ')
  }
  // No answer: the error and its causes (fetch failed, then connect ECONNREFUSED ...).
  const messages: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { message, cause, errors } = current as { message?: unknown; cause?: unknown; errors?: unknown }
    if (typeof message === 'string' && message !== '' && !messages.includes(message)) messages.push(message)
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined)
  }
  if (messages.length === 0) return String(error)
  const [first, ...rest] = messages
  return rest.length > 0 ? `${first} (${rest.join(': ')})` : (first as string)
}
