// What the action needs to know about the workflow run, read from the runner's environment and
// event payload once, so the rest of the code gets plain values (and tests can pass their own).
import { existsSync, readFileSync } from 'node:fs'

export interface GitHubContext {
  eventName: string
  /** Full ref, e.g. refs/tags/v1.2.3, refs/heads/main, refs/pull/7/merge. */
  ref: string
  /** The commit checked out and built: GITHUB_SHA (a pull request's merge commit). */
  sha: string
  /**
   * The commit the `sha-*` tag names: the pull request's head (the commit reviewers see) on
   * pull request runs, else GITHUB_SHA.
   */
  tagSha: string
  /** Set on every run whose ref is a pull request's (refs/pull/N/...), whatever the event. */
  pullRequestNumber?: number
  /** Set on merge_group runs: the merge queue's target branch and the pull request queued last. */
  mergeGroup?: { baseBranch: string; pullRequestNumber?: number }
  /** https://github.com/owner/repo, when known. */
  repositoryUrl?: string
  repository?: string
  /** The repository is private (the event payload's repository.private), when the payload says. */
  repositoryPrivate?: boolean
}

interface EventPayload {
  pull_request?: { number?: number; head?: { sha?: string } }
  number?: number
  merge_group?: { head_sha?: string; base_ref?: string; head_ref?: string }
  repository?: { html_url?: string; private?: boolean }
}

/** Pull requests are recognised by their ref, as docker/metadata-action does. */
const PULL_REQUEST_REF = /^refs\/pull\/(\d+)\//
/** A merge queue's temporary branch: gh-readonly-queue/<base>/pr-<N>-<sha>. */
const MERGE_QUEUE_REF = /^refs\/heads\/gh-readonly-queue\/(.+)\/pr-(\d+)-[0-9a-f]+$/

export function readGitHubContext(env: NodeJS.ProcessEnv = process.env): GitHubContext {
  const payload = readEventPayload(env.GITHUB_EVENT_PATH)
  const eventName = env.GITHUB_EVENT_NAME ?? ''
  const ref = env.GITHUB_REF ?? ''
  const sha = env.GITHUB_SHA ?? ''
  const pullRef = PULL_REQUEST_REF.exec(ref)
  const pullRequestNumber = pullRef
    ? Number(pullRef[1])
    : eventName.startsWith('pull_request')
      ? (payload.pull_request?.number ?? payload.number)
      : undefined
  const isPullRequest = pullRequestNumber !== undefined
  const serverUrl = (env.GITHUB_SERVER_URL ?? 'https://github.com').replace(/\/+$/, '')
  const repository = env.GITHUB_REPOSITORY || undefined
  return {
    eventName,
    ref,
    sha,
    // GITHUB_SHA of a pull request run is a throwaway merge commit; the head is what was reviewed.
    tagSha: (isPullRequest ? payload.pull_request?.head?.sha : undefined) ?? sha,
    pullRequestNumber,
    mergeGroup: eventName === 'merge_group' ? mergeGroupOf(ref, payload) : undefined,
    repository,
    repositoryPrivate:
      typeof payload.repository?.private === 'boolean' ? payload.repository.private : undefined,
    repositoryUrl: payload.repository?.html_url ?? (repository ? `${serverUrl}/${repository}` : undefined)
  }
}

/** The workflow run's page, from the runner's environment. */
export function runUrlFrom(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined
  const attempt =
    env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
}

function mergeGroupOf(ref: string, payload: EventPayload): GitHubContext['mergeGroup'] {
  const match = MERGE_QUEUE_REF.exec(payload.merge_group?.head_ref ?? ref)
  const baseBranch = match?.[1] ?? (payload.merge_group?.base_ref ?? '').replace(/^refs\/heads\//, '')
  return { baseBranch, pullRequestNumber: match ? Number(match[2]) : undefined }
}

function readEventPayload(path: string | undefined): EventPayload {
  if (!path || !existsSync(path)) return {}
  try {
    return JSON.parse(readFileSync(path, 'utf8')) as EventPayload
  } catch {
    return {}
  }
}
