// The deploy reported to GitHub as a deployment (the environment input), the bundled action run
// as the runner runs it against the test bed's engine. GitHub's REST API cannot be reached from
// the test bed: a stand-in on loopback (support/stand-in-github.ts) answers as GitHub documents
// the deployment endpoints (201 with the deployment, statuses, auto_inactive leaving production
// deployments active, 403 "Resource not accessible by integration" for a token without
// `deployments: write`) and records every request. One stack, releases in turn: a good one, one
// that never gets healthy, a good one again, one with a token GitHub refuses, one cancelled; then
// a pull request deployed to a preview environment, whose sticky scan comment links the deployment.
import { randomBytes } from 'node:crypto'
import { readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { removeProject } from '../../../scripts/deploy-stack.mjs'
import {
  newStack,
  release,
  serviceContainers,
  setUpDeployBed,
  tb,
  type Stack
} from '../../support/deploy-harness.js'
import { scanSetup } from '../../support/harness.js'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  ACTIONS_BOT,
  startStandInGitHub,
  type StandInGitHub,
  type StoredDeployment
} from '../../support/stand-in-github.js'
import type { ActionRun } from '../../support/harness.js'

jest.setTimeout(900_000)

const DEPLOYER = `ghs_${randomBytes(18).toString('hex')}`
/** GITHUB_TOKEN of a job without `permissions: deployments: write`. */
const NO_DEPLOYMENTS = `ghs_${randomBytes(18).toString('hex')}`
const ENVIRONMENT_URL = 'https://app.example.test/'
/** The tag-push fixture's GITHUB_SHA, and its run's page. */
const SHA = eventEnv('tag-push').GITHUB_SHA as string
const RUN_URL = 'https://github.com/acme/web/actions/runs/1001'
/** The pull-request fixture's head commit. */
const PULL_REQUEST_HEAD = (
  JSON.parse(readFileSync(eventEnv('pull-request').GITHUB_EVENT_PATH as string, 'utf8')) as {
    pull_request: { head: { sha: string } }
  }
).pull_request.head.sha

let gh: StandInGitHub
let stack: Stack

beforeAll(async () => {
  setUpDeployBed()
  gh = await startStandInGitHub({
    tokens: {
      [DEPLOYER]: { kind: 'installation', login: ACTIONS_BOT.login, write: true },
      [NO_DEPLOYMENTS]: { kind: 'installation', login: ACTIONS_BOT.login, write: true, deployments: false }
    },
    // The pull request of the pull-request event fixture.
    pullRequests: [42],
    // GitHub would merge instead of deploying a ref behind the default branch, were auto_merge on.
    defaultBranchAhead: true,
    // A failing check would block the deployment, were required_contexts left to its default.
    failingContexts: ['ci/lint']
  })
  // The test bed's compose project prefix for this work: h17dep.
  stack = { ...newStack('h17dep-gh', 'unix', 'v2'), project: `h17dep-gh-${Date.now().toString(36)}` }
})

afterAll(async () => {
  await removeProject(stack.project)
  await gh.close()
})

function deployTo(
  version: string,
  options: { token?: string; behaviour?: 'never-healthy'; cancelWhen?: (log: string) => boolean } = {}
): Promise<ActionRun> {
  return release(stack, version, {
    ...(options.behaviour ? { behaviour: options.behaviour } : {}),
    ...(options.cancelWhen ? { cancelWhen: options.cancelWhen } : {}),
    env: { GITHUB_API_URL: gh.apiUrl },
    inputs: {
      environment: 'production',
      'environment-url': ENVIRONMENT_URL,
      'github-token': options.token ?? DEPLOYER,
      ...(options.behaviour === 'never-healthy' ? { 'health-timeout': '5' } : {})
    }
  })
}

const states = (deployment: StoredDeployment | undefined): string[] =>
  (deployment?.statuses ?? []).map((status) => status.state)

describe('a deploy with environment: production', () => {
  it('creates a deployment of the commit, in_progress then success with the environment URL', async () => {
    const run = await deployTo('1.0.0')
    expect(run.exitCode).toBe(0)
    const [deployment] = gh.deployments()
    expect(gh.deployments()).toHaveLength(1)
    expect(deployment?.request).toMatchObject({
      ref: SHA,
      environment: 'production',
      auto_merge: false,
      required_contexts: []
    })
    expect(deployment?.productionEnvironment).toBe(true)
    expect(states(deployment)).toEqual(['in_progress', 'success'])
    const [progress, success] = deployment?.statuses ?? []
    expect(progress).toMatchObject({ logUrl: RUN_URL, environmentUrl: '', autoInactive: false })
    expect(success).toMatchObject({ logUrl: RUN_URL, environmentUrl: ENVIRONMENT_URL, autoInactive: true })
    // in_progress was sent before the rollout began, success after it ended.
    expect(run.log.indexOf(`GitHub deployment ${deployment?.id} of`)).toBeLessThan(
      run.log.indexOf('to be ready')
    )
    expect(run.log).toContain(`GitHub deployment ${deployment?.id} to production: success`)
    // Every request as the REST API asks: a token (Octokit sends `token ...`), the API version, a User-Agent.
    const writes = gh.requests.filter((request) => request.method === 'POST')
    expect(writes).toHaveLength(3)
    for (const request of writes) {
      expect(request).toMatchObject({ apiVersion: '2022-11-28', status: 201 })
      expect(['token', 'bearer']).toContain(request.authorization)
      expect(request.userAgent).toContain('container-ship')
    }
    expect(run.summary).toContain(
      `[production](https://github.com/acme/web/deployments/production) (deployment ${deployment?.id}): [${ENVIRONMENT_URL}](${ENVIRONMENT_URL})`
    )
    // Given its last status: nothing for the post step.
    expect(run.state['deploy-github-deployment']).toBe('')
    expect(run.post.log).not.toContain('GitHub deployment')
  })

  it('that never gets healthy is rolled back and its deployment marked failure', async () => {
    const before = gh.deployments().length
    const run = await deployTo('2.0.0', { behaviour: 'never-healthy' })
    expect(run.exitCode).toBe(1)
    expect(run.summary).toContain('**rolled back**')
    const deployments = gh.deployments()
    expect(deployments).toHaveLength(before + 1)
    const failed = deployments.at(-1)
    expect(states(failed)).toEqual(['in_progress', 'failure'])
    expect(failed?.statuses[1]).toMatchObject({
      description: 'Failed; rolled back',
      environmentUrl: '',
      autoInactive: false
    })
    // The release that still serves keeps its deployment active.
    expect(states(deployments[0])).toEqual(['in_progress', 'success'])
    expect(run.state['deploy-github-deployment']).toBe('')
  })

  it('marks the earlier production deployment inactive when the next one succeeds', async () => {
    const run = await deployTo('2.0.1')
    expect(run.exitCode).toBe(0)
    const deployments = gh.deployments()
    expect(states(deployments.at(-1))).toEqual(['in_progress', 'success'])
    // GitHub's auto_inactive leaves production deployments active: the action marks the one that served.
    expect(states(deployments[0])).toEqual(['in_progress', 'success', 'inactive'])
    expect(deployments[0]?.statuses.at(-1)?.automatic).toBe(false)
    expect(states(deployments[1])).toEqual(['in_progress', 'failure'])
    expect(run.log).toContain('Marked 1 earlier deployment(s) to production inactive')
  })

  it('with a token without deployments: write, warns and deploys all the same', async () => {
    const before = gh.deployments().length
    const refused = gh.requests.length
    const run = await deployTo('3.0.0', { token: NO_DEPLOYMENTS })
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(
      /::warning::environment: GitHub deployment not created: Resource not accessible by integration \(HTTP 403; give the job `permissions: deployments: write`\)/
    )
    expect(gh.requests.slice(refused).map((request) => `${request.method} ${request.status}`)).toEqual([
      'POST 403'
    ])
    expect(gh.deployments()).toHaveLength(before)
    expect(run.outputs.deployed).toBe('true')
    const web = await serviceContainers(stack.project)
    expect(web.filter((container) => container.running).map((container) => container.image)).toEqual(
      Array(3).fill(`${stack.image}:3.0.0`)
    )
    expect(run.summary).not.toContain('GitHub deployment')
  })

  it('cancelled mid-rollout: the post step marks the deployment failure', async () => {
    const run = await deployTo('4.0.0', { cancelWhen: (log) => /Waiting for .+ to be ready/.test(log) })
    expect(run.cancelled).toBe(true)
    expect(run.post.exitCode).toBe(0)
    const cancelled = gh.deployments().at(-1)
    expect(states(cancelled)).toEqual(['in_progress', 'failure'])
    expect(cancelled?.statuses[1]).toMatchObject({
      description: 'The run ended before the deploy finished',
      logUrl: RUN_URL,
      autoInactive: false
    })
    expect(run.post.log).toContain(`GitHub deployment ${cancelled?.id}: failure`)
    // The post step put the release before back, and the deployment that serves stays success.
    expect(run.post.log).toContain('the old ones kept serving')
    expect(states(gh.deployments().at(-2))).toEqual(['in_progress', 'success'])
  })
})

describe('a pull request deployed to a preview environment (deploy-on-untrusted-events)', () => {
  const PREVIEW_URL = 'https://pr-42.preview.example.test/'

  function previewOf(version: string, behaviour?: 'never-healthy'): Promise<ActionRun> {
    const setup = scanSetup(tb)
    return release(stack, version, {
      ...(behaviour ? { behaviour } : {}),
      steps: 'build,scan,push,deploy',
      event: eventEnv('pull-request'),
      env: { ...setup.env, GITHUB_API_URL: gh.apiUrl },
      inputs: {
        ...setup.inputs,
        push: 'true',
        'deploy-on-untrusted-events': 'true',
        environment: 'pr-42',
        'environment-url': PREVIEW_URL,
        'github-token': DEPLOYER,
        ...(behaviour ? { 'health-timeout': '5' } : {})
      }
    })
  }

  it("links the deployment from the scan's sticky comment, updated in place when the next one fails", async () => {
    const run = await previewOf('5.0.0')
    expect(run.exitCode).toBe(0)
    const deployment = gh.deployments().at(-1)
    // The pull request's head commit (the event's pull_request.head.sha), not the merge commit GITHUB_SHA.
    expect(deployment).toMatchObject({ environment: 'pr-42', sha: PULL_REQUEST_HEAD })
    expect(states(deployment)).toEqual(['in_progress', 'success'])
    const comments = gh.comments(42)
    expect(comments).toHaveLength(1)
    const lines = (comments[0]?.body ?? '').split('\n')
    const verdict = lines.indexOf(':white_check_mark: **Passed**: no finding fails the gate.')
    expect(verdict).toBeGreaterThan(0)
    expect(lines[verdict + 2]).toBe(
      `:rocket: Deployed to [pr-42](https://github.com/acme/web/deployments/pr-42) (deployment ${deployment?.id}): [${PREVIEW_URL}](${PREVIEW_URL}).`
    )

    // The next push to the pull request fails its rollout: the same comment says so.
    const failed = await previewOf('5.0.1', 'never-healthy')
    expect(failed.exitCode).toBe(1)
    const next = gh.deployments().at(-1)
    expect(states(next)).toEqual(['in_progress', 'failure'])
    const after = gh.comments(42)
    expect(after).toHaveLength(1)
    expect(after[0]?.id).toBe(comments[0]?.id)
    expect(after[0]?.body).toContain(
      `:x: The deploy to [pr-42](https://github.com/acme/web/deployments/pr-42) failed (deployment ${next?.id}) and was rolled back: the release before keeps serving.`
    )
    expect(after[0]?.body).not.toContain(':rocket:')
  })
})
