// keep-releases and break-stale-lock end to end: the bundled action run as the runner runs it
// against the test bed's engine (unix:// host). Four releases with keep-releases 2 leave the
// running one, the previous one and one a container uses; a deploy lock left by a run that has
// finished is broken only with break-stale-lock, after asking GitHub. GitHub's REST API cannot be
// reached from the test bed: the stand-in (__tests__/support/stand-in-github.ts) answers
// GET /repos/{owner}/{repo}/actions/runs/{run_id} as GitHub documents it (200 with the run's
// status, 404 for a run that does not exist).
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { proxyUrl } from '../../../scripts/deploy-stack.mjs'
import {
  docker,
  lockExists,
  newStack,
  release,
  serviceContainers,
  setUpDeployBed,
  tb,
  tearDownDeployBed,
  type Stack
} from '../../support/deploy-harness.js'
import { FAKE_GITHUB_TOKEN } from '../../support/harness.js'
import { containersOn, engineEnv, fleetInputs, removeFromEngines } from '../../support/fleet-harness.js'
import { ACTIONS_BOT, startStandInGitHub, type StandInGitHub } from '../../support/stand-in-github.js'

jest.setTimeout(20 * 60_000)

beforeAll(() => {
  setUpDeployBed()
})

afterAll(async () => {
  await tearDownDeployBed()
})

/** The image ID the engine holds under `reference`, or undefined. */
async function imageId(reference: string): Promise<string | undefined> {
  return docker(['image', 'inspect', '--format', '{{.Id}}', reference]).catch(() => undefined)
}

async function imageExists(id: string): Promise<boolean> {
  return (await imageId(id)) === id
}

async function serves(stack: Stack): Promise<string> {
  return (await fetch(await proxyUrl(stack.project))).text()
}

describe('keep-releases', () => {
  let stack: Stack
  let user: string | undefined

  afterAll(async () => {
    if (user) await docker(['rm', '-f', user])
  })

  it('keeps the running, the previous and any image in use, removes the older ones', async () => {
    stack = newStack('keep', 'unix', 'v2')
    const keep = { inputs: { 'keep-releases': '2' } }
    const ids: Record<string, string> = {}
    for (const version of ['1.0.0', '2.0.0']) {
      const run = await release(stack, version, keep)
      expect(run.exitCode).toBe(0)
      ids[version] = (await imageId(`${stack.image}:${version}`)) as string
      expect(ids[version]).toMatch(/^sha256:/)
      expect(run.log).toContain(`keep-releases: no image of ${stack.image} to remove`)
    }

    const third = await release(stack, '3.0.0', keep)
    expect(third.exitCode).toBe(0)
    ids['3.0.0'] = (await imageId(`${stack.image}:3.0.0`)) as string
    expect(third.log).toMatch(
      new RegExp(
        `keep-releases: removed 1 image\\(s\\) of ${stack.image.replace(/[.]/g, '\\.')}: 1\\.0\\.0 \\(${ids['1.0.0']?.slice(7, 19)}\\); [0-9.]+ MB \\(\\d+ bytes\\) freed`
      )
    )
    expect(third.summary).toMatch(
      /keep-releases removed 1 old image\(s\): `1\.0\.0`; [0-9.]+ MB \(\d+ bytes\) freed/
    )
    expect(await imageExists(ids['1.0.0'] as string)).toBe(false)
    expect(await imageExists(ids['2.0.0'] as string)).toBe(true)

    // A container of another project uses 2.0.0 (stopped): it is in use, whatever its age.
    user = `keep-user-${Date.now().toString(36)}`
    await docker(['create', '--name', user, ids['2.0.0'] as string, 'true'])
    const fourth = await release(stack, '4.0.0', keep)
    expect(fourth.exitCode).toBe(0)
    expect(fourth.log).toContain(`keep-releases: no image of ${stack.image} to remove`)
    expect(fourth.log).not.toContain('::warning::keep-releases')
    for (const version of ['2.0.0', '3.0.0']) expect(await imageExists(ids[version] as string)).toBe(true)
    expect(await imageExists((await imageId(`${stack.image}:4.0.0`)) as string)).toBe(true)
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.every((c) => c.running && c.image === `${stack.image}:4.0.0`)).toBe(true)
    expect(await serves(stack)).toBe('4.0.0\n')

    // The user gone, the next deploy lets 2.0.0 go: beyond the two most recent, neither running nor previous.
    await docker(['rm', '-f', user])
    user = undefined
    const fifth = await release(stack, '5.0.0', keep)
    expect(fifth.exitCode).toBe(0)
    expect(fifth.log).toMatch(
      /keep-releases: removed 2 image\(s\) of \S+: 2\.0\.0 \(\w{12}\), 3\.0\.0 \(\w{12}\)/
    )
    expect(await imageExists(ids['2.0.0'] as string)).toBe(false)
    expect(await imageExists(ids['3.0.0'] as string)).toBe(false)
    expect(await serves(stack)).toBe('5.0.0\n')
  })
})

describe('keep-releases on several hosts', () => {
  let stack: Stack | undefined

  afterAll(async () => {
    if (stack) await removeFromEngines(stack.project)
  })

  it('prunes on every host, each by what it ran', async () => {
    expect(tb.engines).toHaveLength(3)
    const fleet = newStack('keep-fleet', 'ssh', 'v2')
    stack = fleet
    // The proxy on an engine-chosen port in each engine's namespace: nothing fixed to collide with.
    const toFleet = (version: string) =>
      release(fleet, version, {
        nginxImage: tb.enginesNginxImage,
        inputs: { ...fleetInputs(), replicas: '1', 'health-timeout': '60', 'keep-releases': '1' }
      })
    const digests: Record<string, string> = {}
    for (const version of ['1.0.0', '2.0.0']) {
      const run = await toFleet(version)
      expect(run.log).not.toContain('::error::')
      expect(run.exitCode).toBe(0)
      digests[version] = run.outputs.digest as string
    }
    // Each engine pulled its releases by digest: they are its own images, not the runner's.
    const idsOn = (engine: (typeof tb.engines)[0]) =>
      Promise.all(
        ['1.0.0', '2.0.0'].map((version) =>
          docker(
            ['image', 'inspect', '--format', '{{.Id}}', `${fleet.image}@${digests[version]}`],
            engineEnv(engine)
          )
        )
      )
    const before = await Promise.all(tb.engines.map(idsOn))
    const third = await toFleet('3.0.0')
    expect(third.log).not.toContain('::error::')
    expect(third.exitCode).toBe(0)
    for (const [i, engine] of tb.engines.entries()) {
      expect(third.log).toContain(
        `keep-releases: removed 1 image(s) of ${fleet.image} on ${engine.sshHost}: 1.0.0 (${before[i]?.[0]?.slice(7, 19)})`
      )
      const left = async (id: string) =>
        docker(['image', 'inspect', '--format', '{{.Id}}', id], engineEnv(engine)).then(
          () => true,
          () => false
        )
      // 1.0.0 gone; 2.0.0, the previous release, kept although keep-releases is 1.
      expect(await left(before[i]?.[0] as string)).toBe(false)
      expect(await left(before[i]?.[1] as string)).toBe(true)
      const web = await containersOn(engine, fleet.project)
      expect(web.map((c) => [c.image, c.running])).toEqual([[`${fleet.image}:3.0.0`, true]])
    }
    expect(third.summary).toContain(
      `keep-releases removed 1 old image(s) on \`${tb.engines[0]?.sshHost}\`: \`1.0.0\``
    )
  })
})

describe('break-stale-lock', () => {
  let stack: Stack
  let github: StandInGitHub
  const LOCK_SINCE = '2026-11-25T00:00:00.000Z'

  beforeAll(async () => {
    github = await startStandInGitHub({
      tokens: { [FAKE_GITHUB_TOKEN]: { kind: 'installation', login: ACTIONS_BOT.login, write: false } },
      workflowRuns: { 555: { status: 'completed', conclusion: 'cancelled' }, 556: { status: 'in_progress' } }
    })
    stack = newStack('stale', 'unix', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
  })

  afterAll(async () => {
    await docker(['rm', '-f', `container-ship-lock-${stack.project}`]).catch(() => '')
    await github.close()
  })

  /** A lock as a run of acme/web (the event's repository) leaves it, dated long ago. */
  async function leaveLock(runId: number): Promise<string> {
    return docker([
      'create',
      '--name',
      `container-ship-lock-${stack.project}`,
      '--network',
      'none',
      '--label',
      `com.container-ship.lock=${stack.project}`,
      '--label',
      `com.container-ship.lock.holder=https://github.com/acme/web/actions/runs/${runId}`,
      '--label',
      `com.container-ship.lock.since=${LOCK_SINCE}`,
      '--label',
      'com.container-ship.lock.repository=acme/web',
      '--label',
      `com.container-ship.lock.run-id=${runId}`,
      '--label',
      'com.container-ship.lock.run-attempt=1',
      '--label',
      'com.container-ship.lock.workflow=Deploy',
      '--label',
      'com.container-ship.lock.actor=mona',
      tb.baseImage,
      'container-ship-lock'
    ])
  }

  const runRequests = (runId: number) =>
    github.requests.filter((r) => r.method === 'GET' && r.path === `/repos/acme/web/actions/runs/${runId}`)

  it('without the flag, waits lock-timeout and fails as before, the lock kept', async () => {
    const lock = await leaveLock(555)
    const serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
    const run = await release(stack, '2.0.0', {
      inputs: { 'lock-timeout': '3' },
      env: { GITHUB_API_URL: github.apiUrl }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      `another deploy of project ${stack.project} holds the lock on this host (https://github.com/acme/web/actions/runs/555 since ${LOCK_SINCE}); waited 3 s (lock-timeout). If no deploy is running, remove the lock with: docker rm container-ship-lock-${stack.project}`
    )
    expect(runRequests(555)).toEqual([])
    expect(await docker(['container', 'inspect', '--format', '{{.Id}}', lock])).toBe(lock)
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
  })

  it('with the flag, keeps a lock whose run is still in progress and says why', async () => {
    await docker(['rm', '-f', `container-ship-lock-${stack.project}`])
    const lock = await leaveLock(556)
    const run = await release(stack, '2.0.0', {
      inputs: { 'lock-timeout': '3', 'break-stale-lock': 'true' },
      env: { GITHUB_API_URL: github.apiUrl }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      "waited 3 s (lock-timeout). It was not broken: the holder's run is in_progress. If no deploy is running"
    )
    expect(runRequests(556).map((r) => [r.status, r.authorization])).toContainEqual([200, 'token'])
    expect(await docker(['container', 'inspect', '--format', '{{.Id}}', lock])).toBe(lock)
  })

  it('with the flag, keeps the lock when GitHub cannot be asked, and says what it answered', async () => {
    await docker(['rm', '-f', `container-ship-lock-${stack.project}`])
    const lock = await leaveLock(555)
    github.failNext({
      method: 'GET',
      pathIncludes: '/actions/runs/555',
      status: 502,
      message: 'Server Error'
    })
    const run = await release(stack, '2.0.0', {
      inputs: { 'lock-timeout': '3', 'break-stale-lock': 'true' },
      env: { GITHUB_API_URL: github.apiUrl }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      "It was not broken: the holder's run could not be checked: GET /repos/acme/web/actions/runs/555 answered 502: Server Error."
    )
    expect(runRequests(555).map((r) => r.status)).toEqual([502])
    expect(await docker(['container', 'inspect', '--format', '{{.Id}}', lock])).toBe(lock)
  })

  it('with the flag, breaks a lock whose run has completed, naming the holder, and deploys', async () => {
    await docker(['rm', '-f', `container-ship-lock-${stack.project}`])
    await leaveLock(555)
    const run = await release(stack, '2.0.0', {
      inputs: { 'lock-timeout': '3', 'break-stale-lock': 'true' },
      env: { GITHUB_API_URL: github.apiUrl }
    })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(
      `::warning::Broke the stale deploy lock of ${stack.project}, held by acme/web run 555 (attempt 1, workflow Deploy, by mona) since ${LOCK_SINCE}: the holder's run has completed`
    )
    expect(runRequests(555).map((r) => r.status)).toEqual([502, 200])
    expect(await lockExists(stack.project)).toBe(false)
    const web = await serviceContainers(stack.project)
    expect(web.every((c) => c.image === `${stack.image}:2.0.0`)).toBe(true)
    expect(await serves(stack)).toBe('2.0.0\n')
  })
})
