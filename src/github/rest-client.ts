// The GitHub REST API as the action talks to it: at GITHUB_API_URL (`https://HOST/api/v3` on
// GitHub Enterprise Server), asking for REST version 2022-11-28, each request given 30 s, through
// @actions/github's Octokit (its pagination follows GitHub's Link headers). Also who a token is,
// and what an error says without the token or the request that carried it. Generic: it knows
// nothing of what is asked. Only code loaded on demand imports this (Octokit is large; see the
// dynamic import in src/scan/step.ts), so it stays out of the main chunk.
import { getOctokit } from '@actions/github'
import { statusOf } from './api-errors.js'
import { GITHUB_API_VERSION } from './api-endpoint.js'

export { apiMessage, statusOf } from './api-errors.js'
export { apiBaseUrl, GITHUB_API_VERSION } from './api-endpoint.js'

/** Each API request's time limit, unless restClient's timeoutMs says otherwise. */
const REQUEST_TIMEOUT_MS = 30_000

export type Octokit = ReturnType<typeof getOctokit>

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
