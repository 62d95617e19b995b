// holderRunState against the stand-in GitHub API on loopback (GitHub itself cannot be reached
// here): GET /repos/{owner}/{repo}/actions/runs/{run_id} answers as GitHub documents it.
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { holderRunState } from '../../../../src/deploy/retention/run-state.js'
import { ACTIONS_BOT, startStandInGitHub, type StandInGitHub } from '../../../support/stand-in-github.js'

const TOKEN = 'ghs_unitTestToken0123456789abcdefABCDEF'
let github: StandInGitHub

beforeAll(async () => {
  github = await startStandInGitHub({
    tokens: { [TOKEN]: { kind: 'installation', login: ACTIONS_BOT.login, write: false } },
    workflowRuns: { 11: { status: 'completed', conclusion: 'cancelled' }, 12: { status: 'in_progress' } }
  })
})

afterAll(async () => {
  await github.close()
})

const access = () => ({ token: TOKEN, repository: 'acme/web', apiUrl: github.apiUrl })
const record = (runId: string, repository = 'acme/web') => ({ repository, runId })

describe('holderRunState', () => {
  it("reads the run's status, and a run GitHub does not know as gone", async () => {
    expect(await holderRunState(record('11'), access())).toEqual({ kind: 'status', status: 'completed' })
    expect(await holderRunState(record('12'), access())).toEqual({ kind: 'status', status: 'in_progress' })
    expect(await holderRunState(record('13'), access())).toEqual({ kind: 'not-found' })
    expect(github.requests.at(-1)).toMatchObject({
      method: 'GET',
      path: '/repos/acme/web/actions/runs/13',
      authorization: 'token',
      apiVersion: '2022-11-28',
      status: 404
    })
  })

  it('cannot tell without a token, for a run of another repository, or for a lock that names no run', async () => {
    const before = github.requests.length
    expect(await holderRunState(record('11'), { ...access(), token: '' })).toEqual({
      kind: 'unknown',
      why: 'github-token is empty'
    })
    expect(await holderRunState(record('11', 'evil/other'), access())).toMatchObject({
      kind: 'unknown',
      why: expect.stringContaining('another repository (evil/other)')
    })
    expect(await holderRunState({}, access())).toMatchObject({ kind: 'unknown' })
    expect(await holderRunState(record('1; rm'), access())).toMatchObject({ kind: 'unknown' })
    expect(github.requests.length).toBe(before)
  })

  it('says what GitHub answered when it cannot tell, never with the token', async () => {
    github.failNext({ pathIncludes: '/actions/runs/', status: 503, message: `down ${TOKEN}` })
    const state = await holderRunState(record('11'), access())
    expect(state).toEqual({
      kind: 'unknown',
      why: 'GET /repos/acme/web/actions/runs/11 answered 503: down ***'
    })
    const refused = await holderRunState(record('11'), { ...access(), token: 'ghs_notAKnownToken000000' })
    expect(refused).toEqual({
      kind: 'unknown',
      why: 'GET /repos/acme/web/actions/runs/11 answered 401: Bad credentials'
    })
  })
})
