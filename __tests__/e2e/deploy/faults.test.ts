// The connection to the deploy host cut in the middle of a rollout, for real: the SSH tunnel's
// ssh killed, or the TLS connections dropped by the TLS endpoint, or the host's dockerd
// restarted, while the new containers are becoming healthy. The old containers must never stop
// serving; where the engine answers again the release goes on, else the new ones go (by the main
// step when it still can, else by the post step through a new connection); nothing is left
// behind. Also a new container turning unhealthy before the switch, and an earlier rollout left
// half-done.
import { execFile } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  docker,
  engineLiveRestores,
  freeLowPort,
  lockExists,
  newStack,
  pathWithoutLiveRestore,
  processesNaming,
  release,
  restartEngine,
  serviceContainers,
  setUpDeployBed,
  tearDownDeployBed,
  underLoad,
  waitFor,
  type EngineRestart
} from '../../support/deploy-harness.js'

jest.setTimeout(600_000)

const execFileAsync = promisify(execFile)

beforeAll(setUpDeployBed)
afterAll(tearDownDeployBed)

const startingNew = (log: string): boolean => /Waiting for .+ to be ready/.test(log)

/** The PIDs of processes whose command line has all of `parts`. */
function pidsOf(...parts: string[]): number[] {
  return processesNaming(parts[0] as string)
    .filter((line) => parts.every((part) => line.includes(part)))
    .map((line) => Number(line.split(':')[0]))
}

/** The children of a process (socat forks one per TLS connection). */
function childrenOf(parent: number): number[] {
  return readdirSync('/proc')
    .filter((name) => /^\d+$/.test(name))
    .filter((pid) => {
      try {
        const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
        return Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]) === parent
      } catch {
        return false
      }
    })
    .map(Number)
}

function kill(pids: number[]): void {
  for (const pid of pids) {
    try {
      process.kill(pid, 'SIGKILL')
    } catch {
      // Gone already.
    }
  }
}

describe('the connection to the host cut while the new containers start', () => {
  it('over ssh://: the post step removes the new containers through a new tunnel', async () => {
    const stack = newStack('cut-ssh', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    const serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
    let killed: number[] = []
    const { run, load, healthy } = await underLoad(stack, () =>
      release(stack, '2.0.0', {
        behaviour: 'slow-start',
        meanwhile: {
          when: startingNew,
          then: () => {
            killed = pidsOf('/var/run/docker.sock', 'ssh', '-L')
            kill(killed)
          }
        }
      })
    )
    expect(killed).toHaveLength(1)
    expect(run.exitCode).toBe(1)
    expect(run.post.log).toContain('Removed the 3 new container(s); the old ones kept serving.')
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
    expect(await lockExists(stack.project)).toBe(false)
    expect(load.failed).toBe(0)
    expect(healthy.min).toBeGreaterThanOrEqual(3)
    expect(readdirSync(run.runnerTemp)).toEqual([])
    expect(processesNaming(run.runnerTemp)).toEqual([])
  })

  it('over tcp:// with TLS: the wait connects again and the release goes through', async () => {
    const stack = newStack('cut-tls', 'tls', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    let cut: number[] = []
    const { run, load, healthy } = await underLoad(stack, () =>
      release(stack, '2.0.0', {
        behaviour: 'slow-start',
        meanwhile: {
          when: startingNew,
          // A moment later, once `docker events` is connected: the TLS endpoint stays up, the
          // connections it carries drop (socat forks one process per connection).
          then: () =>
            void new Promise((resolve) => setTimeout(resolve, 1500)).then(() => {
              const listener = pidsOf('OPENSSL-LISTEN:2376').filter((pid) => childrenOf(pid).length > 0)
              for (const pid of listener) cut = [...cut, ...childrenOf(pid)]
              kill(cut)
            })
        }
      })
    )
    expect(cut.length).toBeGreaterThan(0)
    expect(run.log).toMatch(/::warning::Lost the engine's events \(docker events exited with/)
    expect(run.log).toMatch(/::warning::The engine answers again after \d+\.\d s/)
    // The engine did not restart: its healthchecks never stopped, nothing to start again.
    expect(run.log).not.toContain('pausing and unpausing')
    expect(run.exitCode).toBe(0)
    const now = await serviceContainers(stack.project)
    expect(now.map((container) => container.image)).toEqual(Array(3).fill(`${stack.image}:2.0.0`))
    expect(await lockExists(stack.project)).toBe(false)
    expect(load.failed).toBe(0)
    expect(healthy.min).toBeGreaterThanOrEqual(3)
    expect(readdirSync(run.runnerTemp)).toEqual([])
  })
})

describe('a new container that turns unhealthy after it was healthy, before the switch', () => {
  it('fails the release at once; the old containers keep serving', async () => {
    const stack = newStack('flap', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    const serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
    let sick = ''
    /** One new container is made to serve early, reported healthy, then loses its /health. */
    const flap = async (): Promise<void> => {
      const fresh = (await serviceContainers(stack.project)).filter((c) => !serving.includes(c.id))
      sick = fresh[0]?.id ?? ''
      await docker(['exec', sick, 'httpd', '-p', '8080', '-h', '/www'])
      await waitFor(
        async () =>
          (await serviceContainers(stack.project)).some((c) => c.id === sick && c.health === 'healthy'),
        30_000
      )
      await docker(['exec', sick, 'rm', '/www/health'])
    }
    const { run, load } = await underLoad(stack, () =>
      release(stack, '2.0.0', {
        behaviour: 'slow-start',
        meanwhile: { when: startingNew, then: () => void flap() }
      })
    )
    expect(sick).not.toBe('')
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::the new version of web is not healthy: \S+ became unhealthy/)
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
    expect(load.failed).toBe(0)
    expect(load.lastVersion).toBe('1.0.0')
  })
})

describe('an earlier rollout that never finished (its post step never ran)', () => {
  it('is replaced as a whole by the next release, at the size that served', async () => {
    const stack = newStack('unfinished', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    // A runner that died mid-rollout: 3 containers of 2.0.0 beside the 3 of 1.0.0, the lock gone.
    expect((await release(stack, '2.0.0', { steps: 'build,push' })).exitCode).toBe(0)
    await execFileAsync(
      'docker',
      ['compose', '-p', stack.project, 'up', '-d', '--no-deps', '--no-recreate', '--scale', 'web=6', 'web'],
      { cwd: stack.workspace, env: { ...process.env, APP_VERSION: '2.0.0' } }
    )
    expect((await serviceContainers(stack.project)).filter((c) => c.running)).toHaveLength(6)
    const { run, load } = await underLoad(stack, () => release(stack, '3.0.0', { inputs: { replicas: '' } }))
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(
      /::warning::6 containers of web run 2 different images: an earlier rollout did not finish/
    )
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.image)).toEqual(Array(3).fill(`${stack.image}:3.0.0`))
    expect(load.failed).toBe(0)
  })
})

describe("the deploy host's dockerd restarted while the new containers start", () => {
  it('waits for the engine, reads the new containers again and finishes the release', async () => {
    // The test bed runs dockerd as a deploy host should (scripts/testbed.sh): with live-restore,
    // so that the containers outlive the daemon.
    expect(await engineLiveRestores()).toBe(true)
    const stack = newStack('engine-restart', 'ssh', 'v2')
    // A port the load generator's own connections cannot take while dockerd is down (see
    // composeFile): the restarted dockerd must bind it again to restore the port's rules.
    const proxyPort = await freeLowPort()
    expect((await release(stack, '1.0.0', { proxyPort })).exitCode).toBe(0)
    let restart: EngineRestart | undefined
    let restartFailed: unknown
    const { run, load, healthy } = await underLoad(stack, () =>
      release(stack, '2.0.0', {
        behaviour: 'slow-start',
        proxyPort,
        meanwhile: {
          when: startingNew,
          // Once `docker events` follows the new containers.
          then: () =>
            void new Promise((resolve) => setTimeout(resolve, 1000)).then(restartEngine).then(
              (times) => (restart = times),
              (error: unknown) => (restartFailed = error)
            )
        }
      })
    )
    expect(restartFailed).toBeUndefined()
    expect(restart).toBeDefined()
    const { stopping, stopped, answering } = restart as EngineRestart
    expect(run.log).toMatch(/::warning::Lost the engine's events \(docker events exited with/)
    expect(run.log).toMatch(
      /::warning::The engine answers again after \d+\.\d s: reading the new containers' state/
    )
    // Engine 20.10 (the test bed's) runs no healthchecks of the containers it kept (moby/moby#41871):
    // without their restart by the action, the new containers would stay `starting`.
    expect(run.log).toMatch(
      /::warning::The engine restarted, and Engine 20\.10\S* does not run the healthchecks .* pausing and unpausing the 3 new container\(s\) still starting/
    )
    expect(run.exitCode).toBe(0)
    expect(run.log).not.toContain('without live-restore')
    const now = await serviceContainers(stack.project)
    expect(now).toHaveLength(3)
    expect(new Set(now.map((container) => container.image))).toEqual(new Set([`${stack.image}:2.0.0`]))
    expect(await lockExists(stack.project)).toBe(false)
    expect(healthy.min).toBeGreaterThanOrEqual(3)
    expect(load.versions['2.0.0']).toBeGreaterThan(0)
    // A restarting dockerd re-creates its iptables chains as it starts: for about 0.3 s the
    // published port has no DNAT rule and new connections are refused, with or without a
    // rollout (README.md, Faults). Every failed request was under way between the old dockerd's
    // exit and the new one answering; none before or after.
    const outside = load.failedDuring.filter(({ start, end }) => end < stopped || start > answering)
    expect(outside).toEqual([])
    expect(readdirSync(run.runnerTemp)).toEqual([])
    console.info(
      `engine restart: ${load.failed} of ${load.total} requests failed, all within the ${answering - stopping} ms of the restart`
    )
  })
})

describe('a deploy host whose dockerd runs without live-restore', () => {
  it('is told, before anything changes, that a restart of its dockerd stops every container', async () => {
    const stack = newStack('no-live-restore', 'unix', 'v2')
    const run = await release(stack, '1.0.0', { path: pathWithoutLiveRestore() })
    expect(run.log).toMatch(
      /::warning::The deploy host's dockerd runs without live-restore: if it restarts \(an upgrade, a crash\), every container stops with it/
    )
    expect(run.log.indexOf('without live-restore')).toBeLessThan(run.log.indexOf('::group::Build'))
    expect(run.exitCode).toBe(0)
  })
})
