import { describe, expect, it } from '@jest/globals'
import type { DockerCli } from '../../../src/docker/cli.js'
import { acquireLock, LOCK_LABEL, lockCreateArgs, lockName, releaseLock } from '../../../src/deploy/lock.js'
import type { RunResult } from '../../../src/program/program.js'

const IMAGE = 'ghcr.io/acme/web:1.4.0'
const HOLDER = 'https://github.com/acme/shop/actions/runs/9876543210'
const OTHER = 'https://github.com/acme/shop/actions/runs/9876500000 since 2024-05-01T09:58:00.000Z'
const CONFLICT =
  'Error response from daemon: Conflict. The container name "/container-ship-lock-shop" is already in use by container "f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234". You have to remove (or rename) that container to be able to reuse that name.\n'

type Answer = Partial<RunResult> & { exitCode: number }

/** A docker CLI that answers `create` and `container inspect` from the given lists, in turn. */
function fakeDocker(answers: { create: Answer[]; inspect?: Answer[] }) {
  const calls: { args: string[]; options: unknown }[] = []
  const next = (list: Answer[] | undefined, args: string[]): RunResult => {
    const answer = list?.shift()
    if (!answer) throw new Error(`unexpected docker ${args.join(' ')}`)
    return { stdout: '', stderr: '', ...answer }
  }
  const docker = {
    run: async (args: string[], options: unknown): Promise<RunResult> => {
      calls.push({ args, options })
      if (args[0] === 'create') return next(answers.create, args)
      if (args[0] === 'container' && args[1] === 'inspect') return next(answers.inspect, args)
      if (args[0] === 'rm') return { exitCode: 0, stdout: `${args[args.length - 1]}\n`, stderr: '' }
      throw new Error(`unexpected docker ${args.join(' ')}`)
    }
  }
  return { docker: docker as unknown as DockerCli, calls }
}

/** A clock that only moves when the lock sleeps. */
function fakeClock(start = Date.UTC(2024, 4, 1, 10, 0, 0)) {
  let time = start
  const sleeps: number[] = []
  return {
    sleeps,
    now: () => time,
    sleep: async (ms: number) => {
      sleeps.push(ms)
      time += ms
    }
  }
}

describe('lockName', () => {
  it('is one container name per project', () => {
    expect(lockName('shop')).toBe('container-ship-lock-shop')
    expect(lockName('my_app-2')).toBe('container-ship-lock-my_app-2')
  })
})

describe('lockCreateArgs', () => {
  it('creates a container without a network, labelled with the holder and the time', () => {
    expect(lockCreateArgs('shop', IMAGE, HOLDER, new Date('2024-05-01T10:00:00.250Z'))).toEqual([
      'create',
      '--name',
      'container-ship-lock-shop',
      '--network',
      'none',
      '--label',
      'com.container-ship.lock=shop',
      '--label',
      `com.container-ship.lock.holder=${HOLDER}`,
      '--label',
      'com.container-ship.lock.since=2024-05-01T10:00:00.250Z',
      IMAGE,
      'container-ship-lock'
    ])
    expect(LOCK_LABEL).toBe('com.container-ship.lock')
  })
})

describe('acquireLock', () => {
  it('takes a free lock at the first try, without waiting', async () => {
    const clock = fakeClock()
    const { docker, calls } = fakeDocker({ create: [{ exitCode: 0, stdout: 'f00d\n' }] })
    const waits: string[] = []
    const lock = await acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 600_000,
      onWait: (holder) => waits.push(holder),
      ...clock
    })
    expect(lock).toEqual({ name: 'container-ship-lock-shop' })
    expect(calls).toEqual([
      {
        args: lockCreateArgs('shop', IMAGE, HOLDER, new Date(clock.now())),
        options: { quiet: true, allowFailure: true }
      }
    ])
    expect(waits).toEqual([])
    expect(clock.sleeps).toEqual([])
  })

  it('waits while another run holds it, says who once, and takes it when freed', async () => {
    const clock = fakeClock()
    const { docker, calls } = fakeDocker({
      create: [
        { exitCode: 1, stderr: CONFLICT },
        { exitCode: 1, stderr: CONFLICT },
        { exitCode: 0, stdout: 'f00d\n' }
      ],
      inspect: [
        { exitCode: 0, stdout: `${OTHER}\n` },
        { exitCode: 0, stdout: `${OTHER}\n` }
      ]
    })
    const waits: string[] = []
    const lock = await acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 600_000,
      pollMs: 2000,
      onWait: (holder) => waits.push(holder),
      ...clock
    })
    expect(lock).toEqual({ name: 'container-ship-lock-shop' })
    expect(waits).toEqual([OTHER])
    expect(clock.sleeps).toEqual([2000, 2000])
    expect(calls.map((call) => call.args[0])).toEqual([
      'create',
      'container',
      'create',
      'container',
      'create'
    ])
    expect(calls[1]?.args).toEqual([
      'container',
      'inspect',
      '--format',
      '{{index .Config.Labels "com.container-ship.lock.holder"}} since {{index .Config.Labels "com.container-ship.lock.since"}}',
      'container-ship-lock-shop'
    ])
    // Each try labels the lock with the time it was made.
    expect(calls[4]?.args).toContain('com.container-ship.lock.since=2024-05-01T10:00:04.000Z')
  })

  it('says the lock was released just now when its holder cannot be read', async () => {
    const clock = fakeClock()
    const { docker } = fakeDocker({
      create: [
        { exitCode: 1, stderr: CONFLICT },
        { exitCode: 0, stdout: 'f00d\n' }
      ],
      inspect: [{ exitCode: 1, stderr: 'Error: No such container: container-ship-lock-shop\n' }]
    })
    const waits: string[] = []
    await acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 600_000,
      onWait: (holder) => waits.push(holder),
      ...clock
    })
    expect(waits).toEqual(['released just now'])
    expect(clock.sleeps).toEqual([1000])
  })

  it('gives up at the deadline, naming the project, the holder, lock-timeout and the way out', async () => {
    const clock = fakeClock()
    const { docker, calls } = fakeDocker({
      create: Array.from({ length: 4 }, () => ({ exitCode: 1, stderr: CONFLICT })),
      inspect: Array.from({ length: 4 }, () => ({ exitCode: 0, stdout: `${OTHER}\n` }))
    })
    const waits: string[] = []
    const taking = acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 120_000,
      pollMs: 50_000,
      onWait: (holder) => waits.push(holder),
      ...clock
    })
    await expect(taking).rejects.toThrow(
      new Error(
        `another deploy of project shop holds the lock on this host (${OTHER}); waited 120 s (lock-timeout). If no deploy is running, remove the lock with: docker rm container-ship-lock-shop`
      )
    )
    // The last sleep is cut to the time left.
    expect(clock.sleeps).toEqual([50_000, 50_000, 20_000])
    expect(calls.filter((call) => call.args[0] === 'create')).toHaveLength(4)
    expect(waits).toEqual([OTHER])
  })

  it('with no time to wait, tries once and gives up', async () => {
    const clock = fakeClock()
    const { docker } = fakeDocker({
      create: [{ exitCode: 1, stderr: CONFLICT }],
      inspect: [{ exitCode: 0, stdout: `${OTHER}\n` }]
    })
    await expect(acquireLock(docker, 'shop', IMAGE, HOLDER, { timeoutMs: 0, ...clock })).rejects.toThrow(
      `(${OTHER}); waited 0 s (lock-timeout)`
    )
    expect(clock.sleeps).toEqual([])
  })

  it('throws any other error at once, naming the lock', async () => {
    const clock = fakeClock()
    const { docker, calls } = fakeDocker({
      create: [
        {
          exitCode: 125,
          stderr: `Unable to find image '${IMAGE}' locally\nError response from daemon: manifest unknown\n`
        }
      ]
    })
    const waits: string[] = []
    await expect(
      acquireLock(docker, 'shop', IMAGE, HOLDER, {
        timeoutMs: 600_000,
        onWait: (holder) => waits.push(holder),
        ...clock
      })
    ).rejects.toThrow(
      new Error(
        `could not take the deploy lock container-ship-lock-shop: Unable to find image '${IMAGE}' locally\nError response from daemon: manifest unknown`
      )
    )
    expect(calls).toHaveLength(1)
    expect(waits).toEqual([])
    expect(clock.sleeps).toEqual([])
  })
})

describe('releaseLock', () => {
  it('removes the lock container by name', async () => {
    const { docker, calls } = fakeDocker({ create: [] })
    await releaseLock(docker, { name: 'container-ship-lock-shop' })
    expect(calls).toEqual([
      { args: ['rm', '--force', 'container-ship-lock-shop'], options: { quiet: true, allowFailure: true } }
    ])
  })
})
