// The deploy shown on GitHub, as the environment input asks: a GitHub deployment of the commit in
// that environment, in_progress while the step runs, then success (with environment-url; the
// environment's earlier deployments become inactive) or failure. Saved for the post step from its
// creation until its last status, so that a cancelled run's post step marks it failed
// (github-deployment-post.ts). Reporting never changes the deploy: a token without
// `deployments: write` is a warning (github/deployments.ts). The deploy step imports this module
// on demand: it loads Octokit (rest-client.ts), which runs without environment never need.
import { deactivateEarlier, reportDeploymentStatus, startDeployment } from '../github/deployments.js'
import { apiBaseUrl, restClient } from '../github/rest-client.js'
import type { GitHubContext } from '../github/context.js'
import { link, safeUrl, text } from '../lib/markdown.js'
import { environmentPage } from '../github/environment-page.js'
import type { CommentInput } from '../scan/output/pr-comment/body.js'

export interface ShowOptions {
  token: string
  environment: string
  environmentUrl: string
  /** owner/repo (GITHUB_REPOSITORY). */
  repository: string | undefined
  /** The commit deployed. */
  sha: string
  /** The workflow run's page, on every status. */
  logUrl: string | undefined
  log: { info(message: string): void; warning(message: string): void }
  /** Saves the deployment for the post step; '' once it has its last status. */
  save(value: string): void
}

/** A deployment GitHub created and marked in_progress. */
export interface ShownDeployment {
  id: number
  environment: string
  /** Its last status: success (with environment-url, earlier ones inactive) or failure. */
  finish(outcome: 'success' | 'failure', description: string): Promise<void>
}

/** Creates the deployment and marks it in_progress; undefined (with a warning) when GitHub did not. */
export async function showOnGitHub(options: ShowOptions): Promise<ShownDeployment | undefined> {
  const { environment, log } = options
  const warn = (message: string): void => log.warning(`environment: ${message}`)
  if (!options.token) {
    warn('no GitHub deployment is created: github-token is empty')
    return undefined
  }
  const api = restClient({ token: options.token, baseUrl: apiBaseUrl() })
  const deployment = await startDeployment(api, {
    repository: options.repository ?? '',
    sha: options.sha,
    environment,
    warn
  })
  if (!deployment) return undefined
  options.save(JSON.stringify(deployment))
  log.info(`GitHub deployment ${deployment.id} of ${options.sha.slice(0, 12)} to ${environment}`)
  const logUrl = options.logUrl
  await reportDeploymentStatus(api, deployment, 'in_progress', { logUrl, description: 'Deploying', warn })
  return {
    id: deployment.id,
    environment,
    finish: async (outcome, description) => {
      const environmentUrl = outcome === 'success' ? options.environmentUrl || undefined : undefined
      const sent = await reportDeploymentStatus(api, deployment, outcome, {
        environmentUrl,
        logUrl,
        description,
        warn
      })
      // Given its last status, or refused it: the post step has nothing left to say either way.
      options.save('')
      if (sent) log.info(`GitHub deployment ${deployment.id} to ${environment}: ${outcome}`)
      if (sent && outcome === 'success' && deployment.production) {
        const marked = await deactivateEarlier(api, deployment, environment, warn)
        if (marked > 0) log.info(`Marked ${marked} earlier deployment(s) to ${environment} inactive`)
      }
    }
  }
}

/** The deploy's line in the sticky pull request comment: where it went, and how it ended. */
export function deploymentCommentLine(
  deployment: { id: number; environment: string; url: string },
  outcome: 'success' | 'failure',
  rolledBack: boolean
): string {
  const name = link(text(deployment.environment), environmentPage(deployment.environment))
  if (outcome === 'success') {
    const where =
      deployment.url && safeUrl(deployment.url) ? `: ${link(text(deployment.url), deployment.url)}` : ''
    return `:rocket: Deployed to ${name} (deployment ${deployment.id})${where}.`
  }
  return `:x: The deploy to ${name} failed (deployment ${deployment.id})${rolledBack ? ' and was rolled back: the release before keeps serving' : ''}.`
}

/**
 * The scan's sticky comment written again with the deploy's line, on a pull request run that
 * deploys (deploy-on-untrusted-events): reviewers see where the pull request went. Never fails.
 */
export async function linkFromPullRequestComment(options: {
  comment: CommentInput
  line: string
  token: string
  context: Pick<GitHubContext, 'pullRequestNumber' | 'repository'>
  log: { info(message: string): void; warning(message: string): void }
}): Promise<void> {
  const { describeOutcome, upsertComment } = await import('../scan/output/pr-comment/upsert.js')
  const outcome = await upsertComment({
    enabled: true,
    token: options.token,
    context: options.context,
    comment: { ...options.comment, deployment: options.line }
  })
  const { warning, message } = describeOutcome(options.comment.image, outcome)
  if (warning) options.log.warning(message)
  else options.log.info(message)
}
