import { describe, expect, it } from '@jest/globals'
import {
  markUnfinishedDeployment,
  UNFINISHED_DESCRIPTION
} from '../../../src/deploy/github-deployment-post.js'
import { DeployState } from '../../../src/deploy/states.js'
import type { DeploymentsApi } from '../../../src/github/deployments.js'

const ENV = { GITHUB_REPOSITORY: 'acme/web', GITHUB_SERVER_URL: 'https://github.com', GITHUB_RUN_ID: '9' }

function post(saved: string, inputs: Record<string, string> = { 'github-token': 'ghs_x' }) {
  const calls: { token: string; route: string; params: Record<string, unknown> }[] = []
  const log = { info: [] as string[], warning: [] as string[] }
  const run = markUnfinishedDeployment(
    {
      saved: (name) => (name === DeployState.GitHubDeployment ? saved : ''),
      input: (name) => inputs[name] ?? '',
      log: { info: (m) => log.info.push(m), warning: (m) => log.warning.push(m) }
    },
    ENV,
    (token): DeploymentsApi => ({
      async request(route, params) {
        calls.push({ token, route, params })
        return { status: 201, data: {} }
      }
    })
  )
  return run.then(() => ({ calls, log }))
}

describe('markUnfinishedDeployment', () => {
  it('does nothing when the main step gave the deployment its last status', async () => {
    const { calls, log } = await post('')
    expect(calls).toEqual([])
    expect(log).toEqual({ info: [], warning: [] })
  })

  it('marks a deployment left in_progress failure, with the run as its log', async () => {
    const { calls, log } = await post(JSON.stringify({ owner: 'acme', repo: 'web', id: 77 }))
    expect(calls).toHaveLength(1)
    expect(calls[0]).toMatchObject({
      token: 'ghs_x',
      route: 'POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses',
      params: {
        owner: 'acme',
        repo: 'web',
        deployment_id: 77,
        state: 'failure',
        description: UNFINISHED_DESCRIPTION,
        log_url: 'https://github.com/acme/web/actions/runs/9',
        auto_inactive: false
      }
    })
    expect(log.info).toEqual([`GitHub deployment 77: failure (${UNFINISHED_DESCRIPTION.toLowerCase()})`])
  })

  it.each([
    ['not JSON', '{'],
    ['another repository', JSON.stringify({ owner: 'evil', repo: 'web', id: 77 })],
    ['an id that is no id', JSON.stringify({ owner: 'acme', repo: 'web', id: '77/../../x' })]
  ])('leaves alone, with a warning, saved state that is %s', async (_, saved) => {
    const { calls, log } = await post(saved)
    expect(calls).toEqual([])
    expect(log.warning).toEqual([
      'environment: the saved state deploy-github-deployment is not a deployment of this repository: left alone'
    ])
  })

  it('warns when there is no token to send it with', async () => {
    const { calls, log } = await post(JSON.stringify({ owner: 'acme', repo: 'web', id: 77 }), {})
    expect(calls).toEqual([])
    expect(log.warning).toEqual([
      'environment: GitHub deployment 77 is left in_progress: github-token is empty'
    ])
  })
})
