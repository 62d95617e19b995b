// A deploy made visible on GitHub: a deployment for the commit in the named environment, and its
// statuses (in_progress, then success or failure) carrying the environment's URL and the run's
// URL. GitHub's REST API (2022-11-28): POST /repos/{owner}/{repo}/deployments and
// POST /repos/{owner}/{repo}/deployments/{id}/statuses. A success status is sent with
// auto_inactive, so GitHub marks the environment's earlier deployments inactive.
// Reporting never blocks or changes a deploy: every failure here (a token without
// `deployments: write` answers 403 "Resource not accessible by integration") becomes a warning.
import { apiMessage, statusOf } from './api-errors.js'

/** The part of Octokit used here (octokit.request), so tests can pass their own. */
export interface DeploymentsApi {
  request(route: string, params: Record<string, unknown>): Promise<{ status: number; data: unknown }>
}

/** A deployment GitHub created, as the post step needs it back. */
export interface GitHubDeployment {
  owner: string
  repo: string
  id: number
  /**
   * GitHub's production_environment of it (true for an environment named production): GitHub's
   * auto_inactive leaves the earlier deployments of such an environment active (deactivateEarlier).
   */
  production?: boolean
}

export type DeploymentState = 'in_progress' | 'success' | 'failure' | 'error'

export interface StartOptions {
  /** owner/repo (GITHUB_REPOSITORY). */
  repository: string
  /** The commit deployed: the deployment's ref is the SHA, never a branch that may move. */
  sha: string
  environment: string
  warn: (message: string) => void
}

export interface StatusOptions {
  environmentUrl?: string
  /** The workflow run's page. */
  logUrl?: string
  description?: string
  warn: (message: string) => void
}

/** GitHub's description fields hold at most 140 characters. */
const DESCRIPTION_MAX = 140
const PERMISSION_HINT = 'give the job `permissions: deployments: write`'

/** Creates the deployment; undefined (with a warning) when GitHub did not create one. */
export async function startDeployment(
  api: DeploymentsApi,
  options: StartOptions
): Promise<GitHubDeployment | undefined> {
  const [owner, repo] = splitRepository(options.repository)
  if (!owner || !repo || !options.sha) {
    options.warn('GitHub deployment not created: the repository or commit of this run is unknown.')
    return undefined
  }
  try {
    const { status, data } = await api.request('POST /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      ref: options.sha,
      environment: options.environment,
      // The action runs inside the checks; waiting for them, or merging the default branch in, is not its job.
      auto_merge: false,
      required_contexts: [],
      description: truncate(`container-ship deploy of ${options.sha.slice(0, 12)}`)
    })
    const id = (data as { id?: unknown } | null)?.id
    // 202: GitHub merged the default branch into the ref instead of creating a deployment.
    if (status !== 201 || !isDeploymentId(id)) {
      options.warn(`GitHub deployment not created (HTTP ${status}): ${apiMessage({ response: { data } })}`)
      return undefined
    }
    const production = (data as { production_environment?: unknown }).production_environment === true
    return { owner, repo, id, production }
  } catch (error) {
    options.warn(`GitHub deployment not created: ${explain(error)}`)
    return undefined
  }
}

/** Adds a status to the deployment; false (with a warning) when GitHub refused it. */
export async function reportDeploymentStatus(
  api: DeploymentsApi,
  deployment: GitHubDeployment,
  state: DeploymentState,
  options: StatusOptions
): Promise<boolean> {
  try {
    await api.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
      owner: deployment.owner,
      repo: deployment.repo,
      deployment_id: deployment.id,
      state,
      ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
      ...(options.logUrl ? { log_url: options.logUrl } : {}),
      ...(options.description ? { description: truncate(options.description) } : {}),
      // Only a success supersedes the environment's earlier deployments.
      auto_inactive: state === 'success'
    })
    return true
  } catch (error) {
    options.warn(`GitHub deployment ${deployment.id} not marked ${state}: ${explain(error)}`)
    return false
  }
}

/** How many of the environment's latest deployments deactivateEarlier looks at (a request each). */
export const EARLIER_CHECKED = 10

/**
 * The environment's earlier deployments still marked success, marked inactive: what GitHub's
 * auto_inactive does itself, except for production environments ("all prior non-transient,
 * non-production environment deployments ... will become inactive", REST docs, Inactive
 * deployments). Only the latest EARLIER_CHECKED are looked at: each success here leaves one
 * active, so older ones are inactive already. Returns how many were marked; never throws.
 */
export async function deactivateEarlier(
  api: DeploymentsApi,
  deployment: GitHubDeployment,
  environment: string,
  warn: (message: string) => void
): Promise<number> {
  const { owner, repo } = deployment
  let marked = 0
  try {
    const { data } = await api.request('GET /repos/{owner}/{repo}/deployments', {
      owner,
      repo,
      environment,
      per_page: EARLIER_CHECKED
    })
    const earlier = (Array.isArray(data) ? (data as { id?: unknown }[]) : [])
      .map((item) => item?.id)
      .filter((id): id is number => isDeploymentId(id) && id < deployment.id)
    for (const id of earlier) {
      const { data: statuses } = await api.request(
        'GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
        { owner, repo, deployment_id: id, per_page: 1 }
      )
      const latest = Array.isArray(statuses)
        ? (statuses[0] as { state?: unknown } | undefined)?.state
        : undefined
      if (latest !== 'success') continue
      await api.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
        owner,
        repo,
        deployment_id: id,
        state: 'inactive',
        description: truncate(`Replaced by deployment ${deployment.id}`),
        auto_inactive: false
      })
      marked++
    }
  } catch (error) {
    warn(`earlier deployments to ${environment} not marked inactive: ${explain(error)}`)
  }
  return marked
}

/**
 * A deployment saved for the post step, read back. The saved state is untrusted input: only a
 * positive integer id and owner/repo names GitHub allows are accepted, else undefined.
 */
export function parseSavedDeployment(raw: string | undefined): GitHubDeployment | undefined {
  if (!raw) return undefined
  let value: unknown
  try {
    value = JSON.parse(raw)
  } catch {
    return undefined
  }
  const { owner, repo, id } = (value ?? {}) as Record<string, unknown>
  if (typeof owner !== 'string' || !/^[A-Za-z0-9](?:[A-Za-z0-9-]{0,38})$/.test(owner)) return undefined
  if (typeof repo !== 'string' || !/^[A-Za-z0-9._-]{1,100}$/.test(repo) || /^\.+$/.test(repo))
    return undefined
  if (!isDeploymentId(id)) return undefined
  return { owner, repo, id }
}

function isDeploymentId(id: unknown): id is number {
  return typeof id === 'number' && Number.isSafeInteger(id) && id > 0
}

function splitRepository(repository: string): [string | undefined, string | undefined] {
  const parts = repository.split('/')
  return parts.length === 2 ? [parts[0] || undefined, parts[1] || undefined] : [undefined, undefined]
}

/** GitHub's message, with what to do about a missing permission; never the request (it has the token). */
function explain(error: unknown): string {
  const status = statusOf(error)
  const message = apiMessage(error)
  if (status === 403 || status === 404) return `${message} (HTTP ${status}; ${PERMISSION_HINT})`
  return status === undefined ? message : `${message} (HTTP ${status})`
}

function truncate(text: string): string {
  return text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`
}
