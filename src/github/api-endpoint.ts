// Where the REST API is and which version the action asks for, on their own so that both
// clients (rest-client.ts on Octokit, fetch-api.ts on fetch) share them without loading each other.

/** The REST API version asked for: the oldest supported one, which GitHub Enterprise Server has too. */
export const GITHUB_API_VERSION = '2022-11-28'

/** The REST API's base URL: `apiUrl`, else GITHUB_API_URL, else https://api.github.com. */
export function apiBaseUrl(apiUrl?: string, env: NodeJS.ProcessEnv = process.env): string {
  return (apiUrl || env.GITHUB_API_URL || 'https://api.github.com').replace(/\/+$/, '')
}
