import { describe, expect, it } from '@jest/globals'
import type { DockerCli } from '../../../../src/docker/cli.js'
import {
  acquireLock,
  describeHolder,
  lockCreateArgs,
  lockRecordFrom,
  type HeldLock
} from '../../../../src/deploy/lock.js'
import { judgeStaleLock, type StaleLockDecision } from '../../../../src/deploy/retention/stale-lock.js'
import type { RunResult } from '../../../../src/program/program.js'

const IMAGE = 'ghcr.io/acme/web:1.4.0'
const HOLDER = 'https://github.com/acme/web/actions/runs/2'
const LOCK_ID = 'f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234f00d1234'
const CONFLICT = `Error response from daemon: Conflict. The container name "/container-ship-lock-shop" is already in use by container "${LOCK_ID}".\n`
const LABELS = {
  'com.container-ship.lock': 'shop',
  'com.container-ship.lock.holder': 'https://github.com/acme/web/actions/runs/1',
  'com.container-ship.lock.since': '2024-05-01T08:00:00.000Z',
  'com.container-ship.lock.repository': 'acme/web',
  'com.container-ship.lock.run-id': '1',
  'com.container-ship.lock.run-attempt': '2',
  'com.container-ship.lock.workflow': 'Deploy',
  'com.container-ship.lock.actor': 'mona'
}

/** A host where the lock is held until `rm` of its ID; `create` succeeds once it is gone. */
function hostWithLock(labels: Record<string, string> = LABELS) {
  let held = true
  const calls: string[][] = []
  const docker = {
    run: async (args: string[]): Promise<RunResult> => {
      calls.push(args)
      if (args[0] === 'create')
        return held
          ? { exitCode: 1, stdout: '', stderr: CONFLICT }
          : { exitCode: 0, stdout: 'beef\n', stderr: '' }
      if (args[0] === 'container' && args[1] === 'inspect') {
        if (!held) return { exitCode: 1, stdout: '', stderr: 'Error: No such container: x\n' }
        if (String(args[3]).startsWith('{{json .Id}}'))
          return { exitCode: 0, stdout: `"${LOCK_ID}" ${JSON.stringify(labels)}\n`, stderr: '' }
        return { exitCode: 0, stdout: `${labels['com.container-ship.lock.holder']} since ...\n`, stderr: '' }
      }
      if (args[0] === 'rm' && args[1] === LOCK_ID) {
        held = false
        return { exitCode: 0, stdout: `${LOCK_ID}\n`, stderr: '' }
      }
      throw new Error(`unexpected docker ${args.join(' ')}`)
    }
  }
  return { docker: docker as unknown as DockerCli, calls }
}

function fakeClock(start = Date.UTC(2024, 4, 1, 10, 0, 0)) {
  let time = start
  return {
    now: () => time,
    sleep: async (ms: number) => {
      time += ms
    }
  }
}

describe('the lock records its run', () => {
  it('labels the lock with the repository, run ID and attempt, workflow and actor', () => {
    const record = lockRecordFrom({
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_RUN_ID: '42',
      GITHUB_RUN_ATTEMPT: '3',
      GITHUB_WORKFLOW: 'Deploy prod',
      GITHUB_ACTOR: 'octocat'
    })
    const args = lockCreateArgs('shop', IMAGE, HOLDER, new Date('2024-05-01T10:00:00Z'), record)
    expect(args.slice(-12)).toEqual([
      '--label',
      'com.container-ship.lock.repository=acme/web',
      '--label',
      'com.container-ship.lock.run-id=42',
      '--label',
      'com.container-ship.lock.run-attempt=3',
      '--label',
      'com.container-ship.lock.workflow=Deploy prod',
      '--label',
      'com.container-ship.lock.actor=octocat',
      IMAGE,
      'container-ship-lock'
    ])
  })

  it('leaves out what the runner does not say', () => {
    const args = lockCreateArgs('shop', IMAGE, HOLDER, new Date(0), lockRecordFrom({}))
    expect(args.filter((arg) => arg.includes('run-id'))).toEqual([])
  })
})

describe('describeHolder', () => {
  it("names the holder's run, attempt, workflow and actor, on one line", () => {
    const held: HeldLock = {
      id: LOCK_ID,
      holder: HOLDER,
      since: '2024-05-01T08:00:00.000Z',
      record: {
        repository: 'acme/web',
        runId: '1',
        runAttempt: '2',
        workflow: 'De\nploy\n::error::x',
        actor: 'mona'
      }
    }
    expect(describeHolder(held)).toBe(
      'acme/web run 1 (attempt 2, workflow De ploy ::error::x, by mona) since 2024-05-01T08:00:00.000Z'
    )
    expect(describeHolder({ id: LOCK_ID, holder: 'someone', record: {} })).toBe('someone')
  })
})

describe('acquireLock with a stale-lock judge', () => {
  it('breaks the lock by its ID when the judge says so, reports whose it was, and takes it', async () => {
    const { docker, calls } = hostWithLock()
    const broken: { held: HeldLock; reason: string }[] = []
    const judged: HeldLock[] = []
    const lock = await acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 600_000,
      ...fakeClock(),
      judgeStale: async (held) => {
        judged.push(held)
        return { break: true, reason: "the holder's run has completed" }
      },
      onBroken: (held, reason) => broken.push({ held, reason })
    })
    expect(lock).toEqual({ name: 'container-ship-lock-shop' })
    expect(calls).toContainEqual(['rm', LOCK_ID])
    expect(broken).toHaveLength(1)
    expect(broken[0]?.reason).toBe("the holder's run has completed")
    expect(broken[0]?.held).toEqual({
      id: LOCK_ID,
      holder: 'https://github.com/acme/web/actions/runs/1',
      since: '2024-05-01T08:00:00.000Z',
      record: { repository: 'acme/web', runId: '1', runAttempt: '2', workflow: 'Deploy', actor: 'mona' }
    })
  })

  it('keeps a lock the judge keeps, asks once per lock, and says why in the error', async () => {
    const { docker, calls } = hostWithLock()
    let asked = 0
    const keep: StaleLockDecision = { break: false, reason: "the holder's run is in_progress" }
    await expect(
      acquireLock(docker, 'shop', IMAGE, HOLDER, {
        timeoutMs: 5000,
        pollMs: 1000,
        ...fakeClock(),
        judgeStale: async () => {
          asked++
          return keep
        }
      })
    ).rejects.toThrow("waited 5 s (lock-timeout). It was not broken: the holder's run is in_progress.")
    expect(asked).toBe(1)
    expect(calls.filter((args) => args[0] === 'rm')).toEqual([])
  })

  it('asks again while the lock is too young, and breaks it once it is old enough', async () => {
    const { docker } = hostWithLock()
    const clock = fakeClock(Date.parse('2024-05-01T08:00:02.000Z'))
    let runAsked = 0
    const lock = await acquireLock(docker, 'shop', IMAGE, HOLDER, {
      timeoutMs: 10_000,
      pollMs: 1000,
      ...clock,
      judgeStale: (held) =>
        judgeStaleLock(
          { breakStaleLock: true, lockTimeoutMs: 5000, nowMs: clock.now(), since: held.since },
          async () => {
            runAsked++
            return { kind: 'not-found' }
          }
        )
    })
    expect(lock.name).toBe('container-ship-lock-shop')
    // The GitHub API is asked only once the lock is older than lock-timeout.
    expect(runAsked).toBe(1)
    expect(clock.now()).toBe(Date.parse('2024-05-01T08:00:05.000Z'))
  })
})

describe('judgeStaleLock', () => {
  const facts = {
    breakStaleLock: true,
    lockTimeoutMs: 60_000,
    nowMs: Date.parse('2026-12-06T12:00:00Z'),
    since: '2026-12-06T11:00:00Z'
  }

  it('does not ask for the run when the answer cannot depend on it', async () => {
    let asked = 0
    const run = async () => {
      asked++
      return { kind: 'not-found' } as const
    }
    expect((await judgeStaleLock({ ...facts, breakStaleLock: false }, run)).break).toBe(false)
    expect((await judgeStaleLock({ ...facts, since: '2026-12-06T11:59:59Z' }, run)).break).toBe(false)
    expect((await judgeStaleLock({ ...facts, since: undefined }, run)).break).toBe(false)
    expect(asked).toBe(0)
    expect(await judgeStaleLock(facts, run)).toEqual({
      break: true,
      reason: "the holder's run no longer exists"
    })
    expect(asked).toBe(1)
  })

  it('keeps the lock when the run cannot be checked, saying why', async () => {
    expect(
      await judgeStaleLock(facts, async () => ({ kind: 'unknown', why: 'github-token is empty' }))
    ).toEqual({
      break: false,
      reason: "the holder's run could not be checked: github-token is empty"
    })
  })
})
