// The post step's side of github-deployment.ts: a GitHub deployment the main step left without
// its last status (the run was cancelled, or the step died, mid-deploy) is marked failure, after
// the hosts were put back (cleanup.ts). Through fetch-api.ts, not Octokit: the post step stays
// light (run/post.ts). The saved value is checked first, and only a deployment of this run's
// repository is touched.
import { apiBaseUrl } from '../github/api-endpoint.js'
import { runUrlFrom } from '../github/context.js'
import { parseSavedDeployment, reportDeploymentStatus, type DeploymentsApi } from '../github/deployments.js'
import { fetchApi } from '../github/fetch-api.js'
import type { PostContext } from '../run/cleanup.js'
import { DeployState } from './states.js'

export const UNFINISHED_DESCRIPTION = 'The run ended before the deploy finished'

export async function markUnfinishedDeployment(
  cleanup: Pick<PostContext, 'saved' | 'input' | 'log'>,
  env: NodeJS.ProcessEnv = process.env,
  client: (token: string) => DeploymentsApi = (token) =>
    fetchApi({ token, baseUrl: apiBaseUrl(undefined, env) })
): Promise<void> {
  const raw = cleanup.saved(DeployState.GitHubDeployment)
  if (!raw) return
  const warn = (message: string): void => cleanup.log.warning(`environment: ${message}`)
  const deployment = parseSavedDeployment(raw)
  const repository = (env.GITHUB_REPOSITORY ?? '').toLowerCase()
  if (!deployment || `${deployment.owner}/${deployment.repo}`.toLowerCase() !== repository) {
    warn(`the saved state ${DeployState.GitHubDeployment} is not a deployment of this repository: left alone`)
    return
  }
  const token = cleanup.input('github-token')
  if (!token) {
    warn(`GitHub deployment ${deployment.id} is left in_progress: github-token is empty`)
    return
  }
  const sent = await reportDeploymentStatus(client(token), deployment, 'failure', {
    logUrl: runUrlFrom(env),
    description: UNFINISHED_DESCRIPTION,
    warn
  })
  if (sent)
    cleanup.log.info(`GitHub deployment ${deployment.id}: failure (${UNFINISHED_DESCRIPTION.toLowerCase()})`)
}
