import { describe, expect, it } from '@jest/globals'
import {
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
    expect(deployment).toEqual({ owner: 'octo', repo: 'app', id: 42 })
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
