import { describe, expect, it } from '@jest/globals'
import {
  deactivateEarlier,
  EARLIER_CHECKED,
  type DeploymentsApi,
  parseSavedDeployment,
  reportDeploymentStatus,
  startDeployment
} from '../../../src/github/deployments.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'

/** Records requests; answers each with `answer(route)` (a thrown error is Octokit's RequestError shape). */
function fakeApi(answer: (route: string) => { status: number; data: unknown }) {
  const calls: { route: string; params: Record<string, unknown> }[] = []
  const api: DeploymentsApi = {
    async request(route, params) {
      calls.push({ route, params })
      const reply = answer(route)
      if (reply.status >= 400)
        throw Object.assign(new Error('HttpError'), { status: reply.status, response: reply })
      return reply
    }
  }
  return { api, calls }
}

describe('startDeployment', () => {
  it('creates a deployment of the commit, not merging and not waiting for checks', async () => {
    const { api, calls } = fakeApi(() => ({ status: 201, data: { id: 42 } }))
    const warnings: string[] = []
    const deployment = await startDeployment(api, {
      repository: 'octo/app',
      sha: SHA,
      environment: 'staging',
      warn: (m) => warnings.push(m)
    })
    expect(deployment).toEqual({ owner: 'octo', repo: 'app', id: 42, production: false })
    expect(warnings).toEqual([])
    expect(calls[0]?.params).toMatchObject({
      owner: 'octo',
      repo: 'app',
      ref: SHA,
      environment: 'staging',
      auto_merge: false,
      required_contexts: []
    })
  })

  it('warns naming deployments: write when the token is refused, and creates nothing', async () => {
    const { api } = fakeApi(() => ({
      status: 403,
      data: { message: 'Resource not accessible by integration' }
    }))
    const warnings: string[] = []
    const deployment = await startDeployment(api, {
      repository: 'octo/app',
      sha: SHA,
      environment: 'staging',
      warn: (m) => warnings.push(m)
    })
    expect(deployment).toBeUndefined()
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('Resource not accessible by integration')
    expect(warnings[0]).toContain('deployments: write')
  })

  it('treats 202 (GitHub merged instead) as no deployment', async () => {
    const { api } = fakeApi(() => ({
      status: 202,
      data: { message: 'Auto-merged main into topic on deployment.' }
    }))
    const warnings: string[] = []
    const deployment = await startDeployment(api, {
      repository: 'octo/app',
      sha: SHA,
      environment: 'staging',
      warn: (m) => warnings.push(m)
    })
    expect(deployment).toBeUndefined()
    expect(warnings[0]).toContain('HTTP 202')
  })
})

describe('reportDeploymentStatus', () => {
  it('sends state, URLs, and auto_inactive only on success', async () => {
    const { api, calls } = fakeApi(() => ({ status: 201, data: { id: 1 } }))
    const deployment = { owner: 'octo', repo: 'app', id: 42 }
    const options = { environmentUrl: 'https://app.example', logUrl: 'https://run', warn: () => undefined }
    expect(await reportDeploymentStatus(api, deployment, 'in_progress', options)).toBe(true)
    expect(await reportDeploymentStatus(api, deployment, 'success', options)).toBe(true)
    expect(calls.map((c) => [c.params.state, c.params.auto_inactive])).toEqual([
      ['in_progress', false],
      ['success', true]
    ])
    expect(calls[1]?.params).toMatchObject({
      deployment_id: 42,
      environment_url: 'https://app.example',
      log_url: 'https://run'
    })
  })

  it('warns and returns false when GitHub fails', async () => {
    const { api } = fakeApi(() => ({ status: 500, data: { message: 'Server Error' } }))
    const warnings: string[] = []
    const ok = await reportDeploymentStatus(api, { owner: 'o', repo: 'r', id: 7 }, 'failure', {
      warn: (m) => warnings.push(m)
    })
    expect(ok).toBe(false)
    expect(warnings[0]).toContain('deployment 7 not marked failure')
  })
})

describe('parseSavedDeployment', () => {
  it('reads back what was saved', () => {
    expect(parseSavedDeployment(JSON.stringify({ owner: 'octo', repo: 'app.web', id: 9 }))).toEqual({
      owner: 'octo',
      repo: 'app.web',
      id: 9
    })
  })

  it.each([
    undefined,
    '',
    'not json',
    'null',
    '{"owner":"octo","repo":"app","id":0}',
    '{"owner":"octo","repo":"app","id":"9"}',
    '{"owner":"octo","repo":"app","id":1.5}',
    '{"owner":"../x","repo":"app","id":9}',
    '{"owner":"octo","repo":"..","id":9}',
    '{"owner":"octo","repo":"a/b","id":9}'
  ])('refuses untrusted state %p', (raw) => {
    expect(parseSavedDeployment(raw)).toBeUndefined()
  })
})

describe('startDeployment in a production environment', () => {
  it("keeps GitHub's production_environment of the deployment", async () => {
    const { api } = fakeApi(() => ({ status: 201, data: { id: 7, production_environment: true } }))
    const deployment = await startDeployment(api, {
      repository: 'octo/app',
      sha: SHA,
      environment: 'production',
      warn: () => undefined
    })
    expect(deployment).toEqual({ owner: 'octo', repo: 'app', id: 7, production: true })
  })
})

describe('deactivateEarlier', () => {
  const deployment = { owner: 'octo', repo: 'app', id: 50, production: true }
  /** Deployments 50 (this one), 40 (success), 30 (failure), 20 (inactive already): newest first. */
  const latest: Record<number, string> = { 40: 'success', 30: 'failure', 20: 'inactive' }
  const answer = (route: string): { status: number; data: unknown } =>
    route === 'GET /repos/{owner}/{repo}/deployments'
      ? { status: 200, data: [{ id: 50 }, { id: 40 }, { id: 30 }, { id: 20 }] }
      : { status: route.startsWith('POST') ? 201 : 200, data: [] }

  it('marks inactive only the earlier ones whose latest status is success', async () => {
    const calls: { route: string; params: Record<string, unknown> }[] = []
    const api: DeploymentsApi = {
      async request(route, params) {
        calls.push({ route, params })
        if (route.endsWith('/statuses') && route.startsWith('GET')) {
          const state = latest[params.deployment_id as number]
          return { status: 200, data: state ? [{ state }] : [] }
        }
        return answer(route)
      }
    }
    const warnings: string[] = []
    expect(await deactivateEarlier(api, deployment, 'production', (m) => warnings.push(m))).toBe(1)
    expect(warnings).toEqual([])
    expect(calls[0]?.params).toMatchObject({ environment: 'production', per_page: EARLIER_CHECKED })
    const posts = calls.filter((call) => call.route.startsWith('POST'))
    expect(posts).toHaveLength(1)
    expect(posts[0]?.params).toMatchObject({ deployment_id: 40, state: 'inactive', auto_inactive: false })
    // Its own deployment is never looked at.
    expect(calls.some((call) => call.params.deployment_id === 50)).toBe(false)
  })

  it('warns, naming deployments: write, when GitHub refuses, and never throws', async () => {
    const { api } = fakeApi((route) =>
      route.startsWith('POST')
        ? { status: 403, data: { message: 'Resource not accessible by integration' } }
        : route.endsWith('/statuses')
          ? { status: 200, data: [{ state: 'success' }] }
          : answer(route)
    )
    const warnings: string[] = []
    expect(await deactivateEarlier(api, deployment, 'production', (m) => warnings.push(m))).toBe(0)
    expect(warnings).toEqual([
      'earlier deployments to production not marked inactive: Resource not accessible by integration (HTTP 403; give the job `permissions: deployments: write`)'
    ])
  })
})
