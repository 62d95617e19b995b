// Cancellation as the runner does it: SIGINT to the main step, SIGTERM 7.5 s later if it still
// runs, then the post step. Whatever the main step was doing, the post step must leave the host
// consistent (the old N or the new N serving, never both halves, nothing orphaned, the deploy
// lock released) and no credential behind.
import { readdirSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  lockExists,
  newStack,
  processesNaming,
  release,
  serviceContainers,
  setUpDeployBed,
  tearDownDeployBed,
  underLoad,
  type Stack
} from '../../support/deploy-harness.js'
import type { ActionRun } from '../../support/harness.js'

jest.setTimeout(600_000)

beforeAll(setUpDeployBed)
afterAll(tearDownDeployBed)

/** Nothing of the run is left on the runner: no credential file, no SSH tunnel. */
function expectNothingLeft(run: ActionRun): void {
  expect(run.cancelled).toBe(true)
  expect(run.post.exitCode).toBe(0)
  expect(readdirSync(run.runnerTemp)).toEqual([])
  expect(processesNaming(run.runnerTemp)).toEqual([])
}

describe('a deploy cancelled', () => {
  let stack: Stack
  let serving: string[]

  beforeAll(async () => {
    stack = newStack('cancel', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
  })

  it('while the new containers start: the post step removes them, the old ones never stop serving', async () => {
    const { run, load, healthy } = await underLoad(stack, () =>
      release(stack, '2.0.0', { cancelWhen: (log) => /Waiting for .+ to be ready/.test(log) })
    )
    expectNothingLeft(run)
    expect(run.post.log).toMatch(/The deploy of web \(\S+\) ended before the switch: 3 old container\(s\)/)
    expect(run.post.log).toContain('Removed the 3 new container(s); the old ones kept serving.')
    expect(run.post.log).toMatch(/Released the deploy lock container-ship-lock-\S+/)
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
    expect(await lockExists(stack.project)).toBe(false)
    expect(load.failed).toBe(0)
    expect(load.lastVersion).toBe('1.0.0')
    expect(healthy.min).toBeGreaterThanOrEqual(3)
  })

  it('after the switch, while draining: the post step removes the old containers, the new ones serve', async () => {
    const { run, load } = await underLoad(stack, () =>
      release(stack, '2.1.0', {
        inputs: { 'drain-seconds': '30' },
        // Logged once the rollout's state says the switch is done.
        cancelWhen: (log) => log.includes('Draining: 30 s before the old containers stop')
      })
    )
    expectNothingLeft(run)
    expect(run.post.log).toContain('ended after the switch, before the old containers were removed')
    expect(run.post.log).toContain('Stopped and removed the 3 old container(s); the new ones serve.')
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.every((c) => c.running && c.image === `${stack.image}:2.1.0`)).toBe(true)
    expect(await lockExists(stack.project)).toBe(false)
    expect(load.failed).toBe(0)
    expect(load.lastVersion).toBe('2.1.0')
  })
})

describe('a run cancelled before it deploys', () => {
  it('mid-build: nothing pushed, the credentials removed', async () => {
    const stack = newStack('cancel-build', 'ssh', 'v2')
    const run = await release(stack, '1.0.0', { cancelWhen: (log) => log.includes('load build definition') })
    expectNothingLeft(run)
    expect(run.outputs['pushed-tags'] ?? '').toBe('')
    expect(await serviceContainers(stack.project)).toEqual([])
  })

  it('mid-push: the credentials removed, nothing deployed', async () => {
    const stack = newStack('cancel-push', 'ssh', 'v2')
    const run = await release(stack, '1.0.0', {
      cancelWhen: (log) => log.includes('The push refers to repository')
    })
    expectNothingLeft(run)
    expect(await serviceContainers(stack.project)).toEqual([])
  })
})
