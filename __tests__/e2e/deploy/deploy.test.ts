// The deploy step end to end: the bundled action run as the runner runs it, building, pushing and
// rolling out the seed's stack (nginx in front of `web`, `upstream app { server web:8080; }`, a
// HEALTHCHECK on web) on the test bed's engine reached as a remote host over ssh:// and over
// tcp:// with mutual TLS, with Compose v2 and v1, while a load generator sends requests through
// the proxy (published on 127.0.0.1 only) for the whole rollout.
import { execFile } from 'node:child_process'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { proxyUrl } from '../../../scripts/deploy-stack.mjs'
import {
  acceptedSshConnections,
  docker,
  hostInputs,
  lockExists,
  newStack,
  processesNaming,
  release,
  runs,
  serviceContainers,
  setUpDeployBed,
  tb,
  tearDownDeployBed,
  underLoad,
  waitFor,
  type ComposeKind,
  type HostKind,
  type Stack
} from '../../support/deploy-harness.js'
import { eventEnv } from '../../../__fixtures__/events.js'
import { visibleText, type ActionRun } from '../../support/harness.js'

const execFileAsync = promisify(execFile)

/** The job log's `Logs of <container>` groups, each with its lines. */
function containerLogGroups(log: string): { title: string; lines: string[] }[] {
  const groups: { title: string; lines: string[] }[] = []
  let open: { title: string; lines: string[] } | undefined
  for (const line of log.split('\n')) {
    const start = /^::group::(Logs of .*)$/.exec(line)
    if (start) groups.push((open = { title: start[1] as string, lines: [] }))
    else if (line === '::endgroup::') open = undefined
    else open?.lines.push(line)
  }
  return groups
}
let scratch: string

beforeAll(() => {
  setUpDeployBed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'deploy-test-'))
})

afterAll(tearDownDeployBed)

jest.setTimeout(600_000)

describe.each([
  ['ssh', 'v2'],
  ['tls', 'v2'],
  ['ssh', 'v1'],
  ['tls', 'v1']
] as [HostKind, ComposeKind][])('a release over %s with Compose %s', (host, compose) => {
  let stack: Stack
  let first: ActionRun
  let firstSsh: number

  beforeAll(async () => {
    stack = newStack(`good-${host}-${compose}`, host, compose)
    const before = acceptedSshConnections()
    first = await release(stack, '1.0.0')
    firstSsh = acceptedSshConnections() - before
  })

  it('deploys the whole stack on an empty host through one SSH connection', async () => {
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    expect(first.log).toContain(compose === 'v2' ? 'docker compose' : 'docker-compose 1.')
    expect(first.outputs).toMatchObject({ deployed: 'true', 'previous-image': '' })
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(first.outputs.containers?.split('\n').sort()).toEqual(web.map((c) => c.id).sort())
    expect(web.every((c) => c.running && c.health === 'healthy' && c.image === `${stack.image}:1.0.0`)).toBe(
      true
    )
    // Deployed by the digest pushed: the host ran exactly that image.
    expect(first.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(first.outputs.digest))
    const answer = await fetch(await proxyUrl(stack.project))
    expect(await answer.text()).toBe('1.0.0\n')
    expect(firstSsh).toBe(host === 'ssh' ? 1 : 0)
  })

  it('rolls out the next version with no request failed and never fewer than 3 healthy', async () => {
    const before = (await serviceContainers(stack.project)).map((c) => c.id)
    const { run, load, healthy } = await underLoad(stack, () => release(stack, '2.0.0'))
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    console.log(
      `${host}/${compose}: ${load.total} requests, ${load.failed} failed`,
      load.failures,
      load.versions
    )
    expect(load.failures).toEqual({})
    expect(load.failed).toBe(0)
    expect(load.total).toBeGreaterThan(100)
    expect(load.versions['1.0.0']).toBeGreaterThan(0)
    expect(load.versions['2.0.0']).toBeGreaterThan(0)
    expect(load.lastVersion).toBe('2.0.0')
    expect(healthy.min).toBeGreaterThanOrEqual(3)
    expect(healthy.max).toBe(6)

    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.some((c) => before.includes(c.id))).toBe(false)
    expect(web.every((c) => c.running && c.image === `${stack.image}:2.0.0`)).toBe(true)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(run.outputs.digest))
    expect(run.outputs).toMatchObject({
      deployed: 'true',
      'previous-image': `${stack.image}:1.0.0@${first.outputs.digest}`
    })
    expect(run.outputs.containers?.split('\n').sort()).toEqual(web.map((c) => c.id).sort())
    expect(run.log).toContain('3 of 3 keeping their address')
    for (const phase of ['scaled up', 'healthy', 'switched', 'old removed']) {
      expect(run.summary).toMatch(new RegExp(`\\| ${phase} \\| \\d+\\.\\d \\|`))
    }
    expect(await lockExists(stack.project)).toBe(false)
    // The post step ended the shared connection and removed every file it wrote.
    expect(run.post.exitCode).toBe(0)
    expect(readdirSync(run.runnerTemp)).toEqual([])
    expect(processesNaming(run.runnerTemp)).toEqual([])
  })
})

describe('a proxy that resolves the name again by itself', () => {
  it('needs no switch-command: drain-seconds covers its cache time, no request failed', async () => {
    const stack = newStack('resolver', 'ssh', 'v2')
    const inputs = { 'switch-command': '', 'drain-seconds': '3' }
    expect((await release(stack, '1.0.0', { proxy: 'resolver', inputs })).exitCode).toBe(0)
    const { run, load } = await underLoad(stack, () => release(stack, '2.0.0', { proxy: 'resolver', inputs }))
    expect(run.exitCode).toBe(0)
    console.log(`resolver: ${load.total} requests, ${load.failed} failed`, load.failures, load.versions)
    expect(load.failures).toEqual({})
    expect(load.versions['1.0.0']).toBeGreaterThan(0)
    expect(load.lastVersion).toBe('2.0.0')
    expect(run.summary).toMatch(/\| drained \| 3\.\d \|/)
  })
})

describe('a release that is not healthy', () => {
  let stack: Stack
  let serving: string[]

  beforeAll(async () => {
    stack = newStack('unhealthy', 'ssh', 'v2')
    const first = await release(stack, '1.0.0')
    expect(first.exitCode).toBe(0)
    serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
  })

  it('whose healthcheck never passes is rolled back with no request failed', async () => {
    const { run, load, healthy } = await underLoad(stack, () =>
      release(stack, '2.0.0', { behaviour: 'never-healthy' })
    )
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::the new version of web is not healthy: \S+ became unhealthy/)
    expect(load.failed).toBe(0)
    expect(load.versions['2.0.0']).toBeUndefined()
    expect(load.lastVersion).toBe('1.0.0')
    expect(healthy.min).toBeGreaterThanOrEqual(3)
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.id).sort()).toEqual(serving)
    expect(web.every((c) => c.running && c.image === `${stack.image}:1.0.0`)).toBe(true)
    expect(run.outputs).toMatchObject({ deployed: 'false', containers: '' })
    expect(run.outputs['previous-image']).toMatch(
      new RegExp(`^${stack.image}:1\\.0\\.0@sha256:[0-9a-f]{64}$`)
    )
    expect(run.summary).toContain('**rolled back**')
    expect(run.summary).toMatch(/\| new containers removed \| \d+\.\d \|/)
    // What the containers said is in the job log, a group each, and not in the summary.
    const groups = containerLogGroups(run.log)
    expect(groups.length).toBeGreaterThan(0)
    for (const { title, lines } of groups) {
      expect(lines).toContain('Last health checks:')
      expect(lines.join('\n')).toContain('404 Not Found')
      expect(run.summary).toContain(`are in the job log, in the group \`${title}\``)
    }
    expect(run.summary).not.toContain('404 Not Found')
    expect(run.summary).not.toContain('```')
    expect(await lockExists(stack.project)).toBe(false)
    expect(readdirSync(run.runnerTemp)).toEqual([])
  })

  it('not healthy within health-timeout is rolled back when the time runs out', async () => {
    const run = await release(stack, '2.0.2', {
      behaviour: 'never-healthy',
      inputs: { 'health-timeout': '2' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/not healthy: \S+ not ready after 2 s \(health-timeout\), health starting/)
    expect(run.summary).toContain('**rolled back**')
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
  })

  it('that crashes on start is rolled back as soon as it exits, its last log lines in the job log', async () => {
    const run = await release(stack, '2.0.1', {
      behaviour: 'crashes',
      inputs: { 'health-timeout': '600' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/not healthy: \S+ (exited with code 3|is exited \(exit code 3\))/)
    expect(run.log).not.toContain('health-timeout')
    const groups = containerLogGroups(run.log)
    expect(groups.length).toBeGreaterThan(0)
    for (const { lines } of groups) expect(lines.join('\n')).toContain('cannot open the database')
    expect(run.summary).not.toContain('cannot open the database')
    expect(run.summary).toContain('are in the job log, in the group `Logs of ')
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.id).sort()).toEqual(serving)
    expect(
      await proxyUrl(stack.project)
        .then((url) => fetch(url))
        .then((r) => r.text())
    ).toBe('1.0.0\n')
  })
})

describe('the deploy lock', () => {
  let stack: Stack

  beforeAll(async () => {
    stack = newStack('lock', 'tls', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
  })

  it('makes a second deploy started during the first wait for it', async () => {
    const firstRun = release(stack, '2.0.0', { inputs: { 'drain-seconds': '3' } })
    // The second starts while the first holds the lock (taken after the build and the pull).
    await waitFor(() => lockExists(stack.project), 120_000)
    const second = await release(stack, '2.1.0')
    const first = await firstRun
    expect(first.exitCode).toBe(0)
    expect(second.exitCode).toBe(0)
    expect(second.log).toMatch(
      /Another deploy of \S+ holds the lock \(https:\/\/github\.com\/acme\/web\/actions\/runs\/1001 since /
    )
    expect(second.outputs['previous-image']).toBe(`${stack.image}:2.0.0@${first.outputs.digest}`)
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.every((c) => c.image === `${stack.image}:2.1.0`)).toBe(true)
  })

  it('held by a run that never ends fails the next deploy after lock-timeout, nothing touched', async () => {
    const serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
    await docker([
      'create',
      '--name',
      `container-ship-lock-${stack.project}`,
      '--label',
      'com.container-ship.lock.holder=a run that was killed',
      '--label',
      'com.container-ship.lock.since=2026-11-25T00:00:00.000Z',
      tb.baseImage,
      'true'
    ])
    try {
      const run = await release(stack, '3.0.0', { inputs: { 'lock-timeout': '3' } })
      expect(run.exitCode).toBe(1)
      expect(run.log).toContain(
        `another deploy of project ${stack.project} holds the lock on this host (a run that was killed since 2026-11-25T00:00:00.000Z); waited 3 s (lock-timeout). If no deploy is running, remove the lock with: docker rm container-ship-lock-${stack.project}`
      )
      expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
      expect(await lockExists(stack.project)).toBe(true)
    } finally {
      await docker(['rm', '-f', `container-ship-lock-${stack.project}`])
    }
  })
})

describe('steps: deploy on its own', () => {
  it('deploys the image:<version> an earlier job pushed for the same tag', async () => {
    const stack = newStack('deploy-only', 'ssh', 'v2')
    const pushed = await release(stack, '4.2.0', { steps: 'build,push' })
    expect(pushed.exitCode).toBe(0)
    // The harness names the host with the old input name, still taken with a warning.
    expect(pushed.log).toContain('::warning::docker-host is deprecated: rename it to deploy-host')
    expect(pushed.log).not.toContain('docker compose')
    expect(await serviceContainers(stack.project)).toEqual([])
    // The deploy job: a fresh checkout, the same tag, no build.
    // It names the host with the new input name, deploy-host.
    const run = await release(stack, '4.2.0', {
      steps: 'deploy',
      inputs: { 'docker-host': '', 'deploy-host': hostInputs('ssh')['docker-host'] ?? '' }
    })
    expect(run.log).not.toContain('::error::')
    expect(run.log).not.toContain('deprecated')
    expect(run.exitCode).toBe(0)
    expect(run.log).not.toMatch(/docker (buildx )?build/)
    expect(run.outputs.deployed).toBe('true')
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.image)).toEqual(Array(3).fill(`${stack.image}:4.2.0`))
  })
})

describe('unix:// with a build that is not pushed, several compose files and the env input', () => {
  let stack: Stack
  const override = [
    'services:',
    '  web:',
    '    labels:',
    '      tier: ${TIER}',
    '    environment:',
    '      RELEASE: ${APP_VERSION}',
    ''
  ].join('\n')

  beforeAll(() => {
    stack = newStack('unix', 'unix', 'v2')
  })

  it('deploys the local build with the override and the variables applied', async () => {
    const inputs = {
      'compose-file': 'docker-compose.yml\ndocker-compose.prod.yml',
      env: 'TIER=production'
    }
    const first = await release(stack, '1.0.0', {
      steps: 'build,deploy',
      inputs,
      files: { 'docker-compose.prod.yml': override }
    })
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    expect(first.log).not.toContain('docker pull')
    const run = await release(stack, '1.1.0', {
      steps: 'build,deploy',
      inputs,
      files: { 'docker-compose.prod.yml': override }
    })
    expect(run.exitCode).toBe(0)
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    for (const { id } of web) {
      const [labels, env] = (
        await docker(['inspect', '--format', '{{index .Config.Labels "tier"}} {{json .Config.Env}}', id])
      ).split(' ')
      expect(labels).toBe('production')
      expect(JSON.parse(env as string)).toContain('RELEASE=1.1.0')
    }
  })

  it('waits startup-grace for a service without a healthcheck, warning that it should have one', async () => {
    const run = await release(stack, '1.2.0', {
      steps: 'build,deploy',
      healthcheck: false,
      inputs: {
        'startup-grace': '2',
        'compose-file': 'docker-compose.yml\ndocker-compose.prod.yml',
        env: 'TIER=production'
      },
      files: { 'docker-compose.prod.yml': override }
    })
    expect(run.exitCode).toBe(0)
    expect(run.log).toMatch(
      /::warning::service web has no healthcheck: the new containers count as ready once they have run 2 s \(startup-grace\)/
    )
    const healthy = /\| healthy \| (\d+\.\d) \|/.exec(run.summary)
    expect(Number(healthy?.[1])).toBeGreaterThanOrEqual(2)
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => `${c.image} ${c.health}`)).toEqual(Array(3).fill(`${stack.image}:1.2.0 none`))
  })

  it("reads the project folder's .env for interpolation, as Compose does, below the env input", async () => {
    const run = await release(stack, '1.4.0', {
      steps: 'build,deploy',
      inputs: { 'compose-file': 'docker-compose.yml\ndocker-compose.prod.yml', env: '' },
      // ${TIER:?...}: without the .env the action's own check of the files would refuse them.
      files: {
        'docker-compose.prod.yml': override.replace('${TIER}', '${TIER:?TIER must be set}'),
        '.env': '# from the repository\nTIER="from dotenv"\n'
      }
    })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    for (const { id } of await serviceContainers(stack.project)) {
      expect(await docker(['inspect', '--format', '{{index .Config.Labels "tier"}}', id])).toBe('from dotenv')
    }
  })

  it('fails at once when a container without a healthcheck exits during startup-grace', async () => {
    const serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
    const run = await release(stack, '1.3.0', {
      steps: 'build,deploy',
      healthcheck: false,
      behaviour: 'crashes',
      inputs: {
        'startup-grace': '300',
        'compose-file': 'docker-compose.yml\ndocker-compose.prod.yml',
        env: 'TIER=production'
      },
      files: { 'docker-compose.prod.yml': override }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/not healthy: \S+ (exited with code 3|is exited \(exit code 3\))/)
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
  })
})

describe('what cannot deploy fails before anything is built or changed', () => {
  let stack: Stack
  let serving: string[]

  beforeAll(async () => {
    stack = newStack('refused', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    serving = (await serviceContainers(stack.project)).map((c) => c.id).sort()
  })

  async function refused(
    inputs: Record<string, string>,
    message: RegExp,
    files: Record<string, string> = {}
  ): Promise<void> {
    const run = await release(stack, '9.9.9', { inputs, files })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(message)
    // Nothing built, pushed or touched.
    expect(run.outputs['image-id']).toBe('')
    expect(run.outputs['pushed-tags']).toBe('')
    expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
    expect(readdirSync(run.runnerTemp)).toEqual([])
  }

  it('a replicas of 100000000, refused with the inputs before the host is even reached', async () => {
    const before = acceptedSshConnections()
    await refused(
      { replicas: '100000000' },
      /::error::Invalid input: replicas: 100000000 is more than 1000, the most it takes \(all on one host, /
    )
    expect(acceptedSshConnections() - before).toBe(0)
    expect(await docker(['image', 'ls', '--quiet', `${stack.image}:9.9.9`])).toBe('')
  })

  it.each(['pull_request', 'pull_request_target'])(
    'a deploy on a %s event, refused naming the event and the input that allows it',
    async (eventName) => {
      const before = acceptedSshConnections()
      const run = await release(stack, '9.9.9', {
        event: eventEnv('pull-request', { GITHUB_EVENT_NAME: eventName })
      })
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(
        new RegExp(
          `::error::Invalid input: steps: deploy does not run on a ${eventName} event, .*deploy-on-untrusted-events: true`
        )
      )
      expect(run.outputs['image-id']).toBe('')
      expect((await serviceContainers(stack.project)).map((c) => c.id).sort()).toEqual(serving)
      expect(readdirSync(run.runnerTemp)).toEqual([])
      expect(acceptedSshConnections() - before).toBe(0)
    }
  )

  it('deploy-host and its old name docker-host both set, refused naming both', async () => {
    await refused(
      { 'deploy-host': 'ssh://deploy@127.0.0.1:2299' },
      /::error::Invalid input: deploy-host: docker-host is set too, and it is the old name of deploy-host: keep only deploy-host/
    )
  })

  it('an ssh host nobody listens on', async () => {
    await refused(
      { 'docker-host': 'ssh://deploy@127.0.0.1:2299' },
      /::error::deploy-host: cannot reach the Docker engine at ssh:\/\/deploy@127\.0\.0\.1:2299: .*Connection refused/
    )
  })

  it('known hosts that hold another key for the host', async () => {
    const dir = mkdtempSync(path.join(scratch, 'other-key-'))
    await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key')])
    const otherKey = readFileSync(path.join(dir, 'key.pub'), 'utf8').split(' ').slice(0, 2).join(' ')
    await refused(
      { 'ssh-known-hosts': `[127.0.0.1]:2222 ${otherKey}\n` },
      /cannot reach the Docker engine at ssh:\/\/deploy@127\.0\.0\.1:2222: .*Host key verification failed/
    )
  })

  it('a key the host does not accept', async () => {
    const dir = mkdtempSync(path.join(scratch, 'stranger-'))
    await execFileAsync('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', path.join(dir, 'key')])
    await refused(
      { 'ssh-private-key': readFileSync(path.join(dir, 'key'), 'utf8') },
      /cannot reach the Docker engine at ssh:\/\/deploy@127\.0\.0\.1:2222: .*Permission denied \(publickey\)/
    )
  })

  it('a TLS client certificate the host does not trust', async () => {
    const dir = mkdtempSync(path.join(scratch, 'rogue-ca-'))
    const key = path.join(dir, 'key.pem')
    const cert = path.join(dir, 'cert.pem')
    await execFileAsync('openssl', [
      'req',
      '-x509',
      '-newkey',
      'ec',
      '-pkeyopt',
      'ec_paramgen_curve:prime256v1',
      '-nodes',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '1',
      '-subj',
      '/CN=rogue'
    ])
    await refused(
      {
        ...hostInputs('tls'),
        'ssh-private-key': '',
        'ssh-known-hosts': '',
        'tls-cert': readFileSync(cert, 'utf8'),
        'tls-key': readFileSync(key, 'utf8')
      },
      /cannot reach the Docker engine at tcp:\/\/127\.0\.0\.1:2376: /
    )
  })

  it('a service with a fixed host port, which cannot run twice side by side', async () => {
    const fixed = ['services:', '  web:', '    ports:', '      - "127.0.0.1:18080:8080"', ''].join('\n')
    await refused(
      { 'compose-file': 'docker-compose.yml\ndocker-compose.ports.yml' },
      /::error::compose-file: service web publishes the fixed host port 18080 on 127\.0\.0\.1 "127\.0\.0\.1:18080:8080" \(in docker-compose\.ports\.yml\)/,
      { 'docker-compose.ports.yml': fixed }
    )
  })

  it('a service the compose file does not have', async () => {
    await refused(
      { service: 'api' },
      /::error::service: "api" is not a service of docker-compose\.yml; the services there are proxy, web/
    )
  })
})

describe("the seed's own sequence (the baseline)", () => {
  it('up --scale web=6, wait, up --scale web=3 fails requests through the proxy', async () => {
    const stack = newStack('seed', 'ssh', 'v2')
    expect((await release(stack, '1.0.0')).exitCode).toBe(0)
    const pushed = await release(stack, '2.0.0', { steps: 'build,push' })
    expect(pushed.exitCode).toBe(0)
    const compose = async (...args: string[]): Promise<void> => {
      await execFileAsync('docker', ['compose', '-p', stack.project, '-f', 'docker-compose.yml', ...args], {
        cwd: stack.workspace,
        env: { ...process.env, APP_VERSION: '2.0.0' }
      })
    }
    const { load } = await underLoad(stack, async () => {
      await compose('up', '-d', '--scale', 'web=6')
      await new Promise((resolve) => setTimeout(resolve, 5000))
      await compose('up', '-d', '--scale', 'web=3')
      return pushed
    })
    console.log(`the seed's sequence: ${load.total} requests, ${load.failed} failed`, load.failures)
    expect(load.failed).toBeGreaterThan(0)
  })
})

describe('credentials leave the disk when the main step ends', () => {
  let run: ActionRun
  let envDumps: string

  beforeAll(async () => {
    // An `ssh` first on PATH that writes down the environment it was given, then runs the real one.
    const bin = mkdtempSync(path.join(scratch, 'ssh-wrapper-'))
    envDumps = mkdtempSync(path.join(scratch, 'ssh-env-'))
    mkdirSync(bin, { recursive: true })
    writeFileSync(path.join(bin, 'ssh'), `#!/bin/sh\nenv > ${envDumps}/env.$$\nexec /usr/bin/ssh "$@"\n`)
    chmodSync(path.join(bin, 'ssh'), 0o755)
    const stack = newStack('credentials', 'ssh', 'v2')
    run = await release(stack, '1.0.0', { path: `${bin}:${process.env.PATH ?? ''}` })
  })

  it('removes the SSH key folder and the private Docker config itself, leaving the post step nothing', () => {
    expect(run.exitCode).toBe(0)
    const access = /Removed the deploy host's access folder (\S+)/.exec(run.log)?.[1] ?? ''
    const config = /Removed the private Docker config (\S+)/.exec(run.log)?.[1] ?? ''
    for (const dir of [access, config]) {
      expect(dir.startsWith(run.runnerTemp + path.sep)).toBe(true)
      expect(existsSync(dir)).toBe(false)
    }
    expect(run.state['deploy-access']).toBe('')
    expect(run.state['docker-config']).toBe('')
    expect(run.post.log).toBe('')
    expect(readdirSync(run.runnerTemp)).toEqual([])
  })

  it("gives the SSH tunnel the programs' scrubbed environment: no input, the key among them", () => {
    const dumps = readdirSync(envDumps).map((name) => readFileSync(path.join(envDumps, name), 'utf8'))
    expect(dumps).toHaveLength(1)
    const names = (dumps[0] ?? '').split('\n').map((line) => line.split('=')[0])
    expect(names).toContain('PATH')
    expect(names.filter((name) => /^(INPUT|STATE)_/.test(name ?? ''))).toEqual([])
    expect(dumps[0]).not.toContain(readFileSync(tb.sshKeyFile, 'utf8').split('\n')[1] as string)
  })
})

describe('secrets', () => {
  it('never appear in a log, output, state or summary', () => {
    const secrets = [
      tb.password,
      readFileSync(tb.sshKeyFile, 'utf8').split('\n')[1] as string,
      readFileSync(path.join(tb.tlsDir, 'key.pem'), 'utf8').split('\n')[1] as string
    ]
    expect(runs.length).toBeGreaterThan(10)
    for (const run of runs) {
      const seen = visibleText(run.everything)
      for (const secret of secrets) expect(seen).not.toContain(secret)
    }
  })
})
