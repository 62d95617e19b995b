// What the action needs to know about the workflow run, read from the runner's environment and
// event payload once, so the rest of the code gets plain values (and tests can pass their own).
import { existsSync, readFileSync } from 'node:fs'

export interface GitHubContext {
  eventName: string
  /** Full ref, e.g. refs/tags/v1.2.3, refs/heads/main, refs/pull/7/merge. */
  ref: string
  /** The commit the image is built from: the PR head for pull requests, else GITHUB_SHA. */
  sha: string
  pullRequestNumber?: number
  /** https://github.com/owner/repo, when known. */
  repositoryUrl?: string
  repository?: string
}

interface EventPayload {
  pull_request?: { number?: number; head?: { sha?: string } }
  number?: number
  repository?: { html_url?: string }
}

export const PULL_REQUEST_EVENTS = new Set(['pull_request', 'pull_request_target'])

export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const payload = readEventPayload(env.GITHUB_EVENT_PATH)
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const isPullRequest = PULL_REQUEST_EVENTS.has(eventName)
  const pullRequestNumber = isPullRequest ? (payload.pull_request?.number ?? payload.number) : undefined
  // GITHUB_SHA of a pull_request event is a throwaway merge commit; the head is what was reviewed.
  const sha = (isPullRequest ? payload.pull_request?.head?.sha : undefined) ?? env.GITHUB_SHA ?? ''
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '')
  const repository = env.GITHUB_REPOSITORY || undefined
  return {
    eventName,
    ref: env.GITHUB_REF ?? '',
    sha,
    pullRequestNumber,
    repository,
    repositoryUrl: payload.repository?.html_url ?? (repository ? `${serverUrl}/${repository}` : undefined)
  }
}

function readEventPayload(path: string | undefined): EventPayload {
  if (!path || !existsSync(path)) return {}
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload
  } catch {
    return {}
  }
}
