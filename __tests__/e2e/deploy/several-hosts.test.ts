// A release rolled out over several hosts (issue 16): the test bed's three extra engines, each an
// ssh:// deploy host in a network namespace of its own with nginx in front of its containers,
// the load spread over the three proxies as a load balancer in front of them would. One host at
// a time (the first the canary): no request fails for a good release; a release unhealthy on the
// second host stops there and the first goes back (or stays, with on-failure: stop); a cancelled
// rollout leaves every host on one release; a host that cannot be reached fails the run before
// the build.
import { readdirSync, readFileSync } from 'node:fs'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  newStack,
  release,
  setUpDeployBed,
  tb,
  tearDownDeployBed,
  type Stack
} from '../../support/deploy-harness.js'
import {
  containersOn,
  fleetInputs,
  fleetStack,
  lockOn,
  markBroken,
  removeFromEngines,
  servingOn,
  underFleetLoad
} from '../../support/fleet-harness.js'

jest.setTimeout(900_000)

let stack: Stack

beforeAll(setUpDeployBed)
afterAll(async () => {
  if (stack) await removeFromEngines(stack.project)
  await tearDownDeployBed()
})

/** A release of the stack to the three engines, one host at a time. */
function releaseToFleet(version: string, options: Parameters<typeof release>[2] = {}) {
  return release(stack, version, {
    ...fleetStack(),
    ...options,
    inputs: { ...fleetInputs(), replicas: '2', 'health-timeout': '30', ...options.inputs }
  })
}

async function versionsServing(): Promise<string[]> {
  return Promise.all(tb.engines.map((engine) => servingOn(engine)))
}

describe('a release over three hosts', () => {
  beforeAll(async () => {
    expect(tb.engines).toHaveLength(3)
    stack = newStack('fleet', 'ssh', 'v2')
    const first = await releaseToFleet('1.0.0')
    expect(first.log).not.toMatch(/::error::/)
    expect(first.exitCode).toBe(0)
    expect(await versionsServing()).toEqual(['1.0.0', '1.0.0', '1.0.0'])
  })

  it('rolls one host at a time, the first as the canary, watching each for batch-wait: no request fails', async () => {
    const { run, load } = await underFleetLoad(() =>
      releaseToFleet('2.0.0', { inputs: { 'batch-wait': '2' } })
    )
    expect(run.log).not.toMatch(/::error::/)
    expect(run.exitCode).toBe(0)
    console.log(`three hosts, one at a time: ${load.total} requests, ${load.failed} failed`, load.failures)
    expect(load.total).toBeGreaterThan(300)
    // Every proxy served the old release, then the new one.
    for (const host of load.perHost) {
      expect(host.versions['1.0.0']).toBeGreaterThan(0)
      expect(host.lastVersion).toBe('2.0.0')
    }
    expect(load.failures).toEqual({})
    expect(load.failed).toBe(0)
    expect(await versionsServing()).toEqual(['2.0.0', '2.0.0', '2.0.0'])
    // Batches in docker-host order, the first named the canary, each watched before the next.
    const [one, two, three] = tb.engines.map((engine) => engine.sshHost)
    const batches = [...run.log.matchAll(/^Batch (\d)( \(canary\))?: (\S+)$/gm)].map((m) => [
      m[1],
      m[2] ?? '',
      m[3]
    ])
    expect(batches).toEqual([
      ['1', ' (canary)', one],
      ['2', '', two],
      ['3', '', three]
    ])
    expect(run.log.match(/for 2 s \(batch-wait\) before the next batch/g)).toHaveLength(2)
    // The outputs: every host's new containers; the summary: a row per host.
    expect(run.outputs.deployed).toBe('true')
    const outputIds = run.outputs.containers?.split('\n').sort()
    const running = (await Promise.all(tb.engines.map((engine) => containersOn(engine, stack.project))))
      .flat()
      .map((container) => container.id)
      .sort()
    expect(outputIds).toEqual(running)
    expect(running).toHaveLength(6)
    expect(run.summary).toContain(`to 3 hosts (${stack.project}, service web): 3 deployed`)
    for (const host of [one, two, three])
      expect(run.summary).toMatch(
        new RegExp(`\\| \`${host}\` \\| deployed, 2 container\\(s\\) \\| image pulled [0-9.]+ · lock taken`)
      )
    for (const engine of tb.engines) expect(await lockOn(engine, stack.project)).toBe(false)
    expect(run.post.exitCode).toBe(0)
  })

  it('a release unhealthy on the second host stops there, and the first goes back: no request fails', async () => {
    const [first, second, third] = tb.engines as [
      (typeof tb.engines)[0],
      (typeof tb.engines)[0],
      (typeof tb.engines)[0]
    ]
    await markBroken(second, stack.project, true)
    try {
      const before = await Promise.all([first, third].map((engine) => containersOn(engine, stack.project)))
      const { run, load } = await underFleetLoad(() =>
        releaseToFleet('3.0.0', { behaviour: 'unhealthy-where-marked', inputs: { 'health-timeout': '15' } })
      )
      expect(run.exitCode).not.toBe(0)
      console.log(
        `unhealthy on the second host: ${load.total} requests, ${load.failed} failed`,
        load.failures
      )
      // The first host served 3.0.0 until it went back; the second and third never did.
      expect(load.perHost.map((host) => (host.versions['3.0.0'] ?? 0) > 0)).toEqual([true, false, false])
      expect(run.log).toMatch(
        new RegExp(`::error::${second.sshHost.replace(/[.]/g, '\\.')}: .*web.* (unhealthy|not healthy)`)
      )
      expect(load.failures).toEqual({})
      expect(load.failed).toBe(0)
      expect(await versionsServing()).toEqual(['2.0.0', '2.0.0', '2.0.0'])
      // The first host ran 3.0.0 and went back through a rollout of its own; the third never changed.
      expect(run.log).toContain(`Rolling ${first.sshHost} back to `)
      const [firstAfter, thirdAfter] = await Promise.all(
        [first, third].map((engine) => containersOn(engine, stack.project))
      )
      expect(firstAfter?.every((c) => c.image.endsWith(':2.0.0'))).toBe(true)
      expect(firstAfter?.map((c) => c.id)).not.toEqual(before[0]?.map((c) => c.id))
      expect(thirdAfter?.map((c) => c.id).sort()).toEqual(before[1]?.map((c) => c.id).sort())
      expect(run.outputs.deployed).toBe('false')
      expect(run.summary).toContain('1 rolled back, 1 failed, 1 not reached')
      expect(run.summary).toContain(`| \`${first.sshHost}\` | rolled back to the release before |`)
      expect(run.summary).toContain(`| \`${second.sshHost}\` | **failed**, its new containers removed |`)
      expect(run.summary).toContain(`| \`${third.sshHost}\` | not changed |`)
      for (const engine of tb.engines) expect(await lockOn(engine, stack.project)).toBe(false)
    } finally {
      await markBroken(second, stack.project, false)
    }
  })

  it('cancelled after the first host: the post step brings every host back to one release', async () => {
    const { run, load } = await underFleetLoad(() =>
      releaseToFleet('4.0.0', { cancelWhen: (log) => /^Batch 2: /m.test(log) })
    )
    expect(run.cancelled).toBe(true)
    expect(run.post.exitCode).toBe(0)
    console.log(
      `cancelled after the first host: ${load.total} requests, ${load.failed} failed`,
      load.failures
    )
    expect(run.post.log).toContain(`${tb.engines[0]?.sshHost} goes back to `)
    expect(await versionsServing()).toEqual(['2.0.0', '2.0.0', '2.0.0'])
    for (const engine of tb.engines) {
      const containers = await containersOn(engine, stack.project)
      expect(containers.map((c) => c.image.replace(/.*:/, ''))).toEqual(['2.0.0', '2.0.0'])
      expect(await lockOn(engine, stack.project)).toBe(false)
    }
    expect(load.failures).toEqual({})
    expect(load.failed).toBe(0)
  })

  it('a host that cannot be reached fails the run before the build, naming it, and changes no host', async () => {
    const third = tb.engines[2]?.address ?? ''
    const knownHosts = readFileSync(tb.enginesKnownHostsFile, 'utf8')
      .split('\n')
      .filter((line) => !line.startsWith(`${third} `) && !line.startsWith(`[${third}]`))
      .join('\n')
    const before = await Promise.all(tb.engines.map((engine) => containersOn(engine, stack.project)))
    const run = await releaseToFleet('5.0.0', { inputs: { 'ssh-known-hosts': knownHosts } })
    expect(run.exitCode).not.toBe(0)
    expect(run.log).toMatch(
      new RegExp(`::error::.*deploy-host: cannot reach the Docker engine at ${tb.engines[2]?.sshHost}`)
    )
    // Nothing built or pushed; the tunnels to the two hosts reached were closed, their files removed.
    expect(run.outputs['image-id']).toBe('')
    expect(run.outputs['pushed-tags']).toBe('')
    expect(readdirSync(run.runnerTemp)).toEqual([])
    const after = await Promise.all(tb.engines.map((engine) => containersOn(engine, stack.project)))
    expect(after.map((list) => list.map((c) => c.id).sort())).toEqual(
      before.map((list) => list.map((c) => c.id).sort())
    )
    expect(run.post.exitCode).toBe(0)
  })

  it('on-failure: stop: a release unhealthy on the second host leaves the first on it, the others as they were', async () => {
    const [first, second, third] = tb.engines as [
      (typeof tb.engines)[0],
      (typeof tb.engines)[0],
      (typeof tb.engines)[0]
    ]
    const before = await versionsServing()
    expect(new Set(before).size).toBe(1)
    await markBroken(second, stack.project, true)
    try {
      const { run, load } = await underFleetLoad(() =>
        releaseToFleet('6.0.0', {
          behaviour: 'unhealthy-where-marked',
          inputs: { 'health-timeout': '15', 'on-failure': 'stop' }
        })
      )
      expect(run.exitCode).not.toBe(0)
      console.log(`on-failure stop: ${load.total} requests, ${load.failed} failed`, load.failures)
      expect(run.log).toContain(`on-failure: stop: ${first.sshHost} stay on the new release`)
      expect(run.log).not.toContain(`Rolling ${first.sshHost} back to `)
      expect(load.failures).toEqual({})
      expect(load.failed).toBe(0)
      // The failing host is always rolled back; the one not reached never changed.
      expect(await versionsServing()).toEqual(['6.0.0', before[1], before[2]])
      const secondContainers = await containersOn(second, stack.project)
      expect(secondContainers.every((c) => !c.image.endsWith(':6.0.0'))).toBe(true)
      expect(run.outputs.deployed).toBe('false')
      expect(run.summary).toContain(`| \`${second.sshHost}\` | **failed**, its new containers removed |`)
      expect(run.summary).toContain(`| \`${third.sshHost}\` | not changed |`)
      for (const engine of tb.engines) expect(await lockOn(engine, stack.project)).toBe(false)
      expect(run.post.exitCode).toBe(0)
      // The post step leaves the first host where on-failure put it.
      expect(await versionsServing()).toEqual(['6.0.0', before[1], before[2]])
    } finally {
      await markBroken(second, stack.project, false)
    }
  })
})
