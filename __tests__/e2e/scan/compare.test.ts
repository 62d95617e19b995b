// Compare with production, on the test bed: a "production" image pushed to the test bed's registry
// (plain http on loopback), candidates built by the action and compared with it by reference. The
// fixture DB knows, on the Alpine 3.9.4 image: musl and musl-utils 1.1.20-r4 (CVE-2019-14697,
// CRITICAL, fixed in -r5) and openssl's libssl1.1 / libcrypto1.1 1.1.1b-r1 (CVE-2019-1549 and
// CVE-2019-1551, MEDIUM).
//   production: the vulnerable musl, and libssl1.1        -> 2 CRITICAL, 2 MEDIUM
//   changed:    musl patched, libssl1.1 and libcrypto1.1    -> 2 fixed, 2 unchanged, 2 new MEDIUM
//   old only:   production plus a file                      -> 4 unchanged, nothing new
//   new CRITICAL: production plus musl-dev 1.1.20-r4 (origin musl) -> 1 new CRITICAL, 4 unchanged
// Also: compare-to: deployed against a container of the Compose service on the local engine (the
// deploy host, unix://), the report in the runner's tool cache and in a stand-in of the Actions
// cache service (v1 API, loopback), the pull request comment through the stand-in GitHub API.
import { execFileSync } from 'node:child_process'
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryDigest, uniqueRepository } from '../../support/registry-helpers.js'
import { ACTIONS_BOT, startStandInGitHub, type StandInGitHub } from '../../support/stand-in-github.js'
import { startStandInActionsCache, type StandInActionsCache } from '../../support/stand-in-actions-cache.js'

jest.setTimeout(600_000)

let tb: Testbed
let scratch: string
/** One runner tool cache for every run here, as a self-hosted runner keeps it. */
let toolCache: string
let production: { reference: string; digest: string }

const SSL = "'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' ''"
const CRYPTO = "'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' ''"
const PATCH_MUSL = "sed -i 's/^V:1.1.20-r4$/V:1.1.20-r5/' /lib/apk/db/installed"

const productionDockerfile = (): string =>
  [`FROM ${tb.alpine39Image}`, `RUN printf '%s\\n' ${SSL} >>/lib/apk/db/installed`, ''].join('\n')

const changedDockerfile = (): string =>
  [
    `FROM ${tb.alpine39Image}`,
    `RUN ${PATCH_MUSL} && printf '%s\\n' ${SSL} ${CRYPTO} >>/lib/apk/db/installed`,
    ''
  ].join('\n')

const oldOnlyDockerfile = (): string => `${productionDockerfile()}COPY Dockerfile /app/Dockerfile\n`

/** Production's findings and musl-dev 1.1.20-r4 (its origin musl: CVE-2019-14697 again, a new CRITICAL). */
const newCriticalDockerfile = (): string =>
  `${productionDockerfile()}RUN printf '%s\\n' 'P:musl-dev' 'V:1.1.20-r4' 'A:x86_64' 'o:musl' '' >>/lib/apk/db/installed\n`

/** Builds the production image with the engine and pushes it with a login of the test's own. */
function pushProduction(): { reference: string } {
  const context = workspaceWith({ Dockerfile: productionDockerfile() })
  const { image } = uniqueRepository(tb, 'production')
  const reference = `${image}:production`
  execFileSync('docker', ['build', '-q', '-t', reference, context], { stdio: 'ignore' })
  const config = path.join(scratch, 'docker-config')
  mkdirSync(config, { mode: 0o700 })
  const auth = Buffer.from(`${tb.username}:${tb.password}`).toString('base64')
  writeFileSync(path.join(config, 'config.json'), JSON.stringify({ auths: { [tb.registry]: { auth } } }), {
    mode: 0o600
  })
  execFileSync('docker', ['push', reference], {
    stdio: 'ignore',
    env: { ...process.env, DOCKER_CONFIG: config }
  })
  execFileSync('docker', ['image', 'rm', reference], { stdio: 'ignore' })
  return { reference }
}

function candidateRun(
  dockerfile: string,
  inputs: Record<string, string>,
  files: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<ActionRun> {
  const setup = scanSetup(tb)
  return runAction({
    inputs: {
      image: uniqueRepository(tb, 'candidate').image,
      username: tb.username,
      password: tb.password,
      steps: 'build,scan',
      ...setup.inputs,
      ...inputs
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith({ Dockerfile: dockerfile, ...files }),
    env: { ...setup.env, RUNNER_TOOL_CACHE: toolCache, ...env }
  })
}

beforeAll(async () => {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'h17cmp-'))
  toolCache = path.join(scratch, 'tool-cache')
  mkdirSync(toolCache)
  const { reference } = pushProduction()
  const [name, tag] = [reference.slice(0, reference.lastIndexOf(':')), 'production']
  const digest = await registryDigest(tb, name.slice(tb.registry.length + 1), tag)
  if (!digest) throw new Error(`${reference} is not in the registry`)
  production = { reference, digest }
})

describe('a candidate that fixes some findings and brings new ones', () => {
  let run: ActionRun

  beforeAll(async () => {
    run = await candidateRun(changedDockerfile(), { 'compare-to': production.reference })
  })

  it('passes (nothing at or above HIGH) and counts new, fixed and unchanged', () => {
    expect(run.exitCode).toBe(0)
    expect(run.outputs['scan-result']).toBe('passed')
    expect(JSON.parse(run.outputs['new-findings'] ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 2,
      HIGH: 0,
      CRITICAL: 0
    })
    expect(JSON.parse(run.outputs['fixed-findings'] ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 0,
      HIGH: 0,
      CRITICAL: 2
    })
    // The candidate's own totals stay what they were: 4 MEDIUM.
    expect(JSON.parse(run.outputs.findings ?? '')).toMatchObject({ MEDIUM: 4, CRITICAL: 0 })
  })

  it('compares with the production image by the digest its tag pointed at', () => {
    const name = production.reference.slice(0, production.reference.lastIndexOf(':'))
    expect(run.log).toContain(
      `Compared with production ${name}@${production.digest}: 2 new (2 MEDIUM), 2 fixed, 2 unchanged`
    )
  })

  it('leads the summary with the difference', () => {
    const table = run.summary.indexOf('| Compared with production |')
    expect(table).toBeGreaterThan(-1)
    // Before the scan's own rows, and its section before the findings.
    expect(table).toBeLessThan(run.summary.indexOf('| Scan |'))
    expect(run.summary).toContain('| Compared with production | **2 new (2 MEDIUM), 2 fixed, 2 unchanged** (')
    expect(run.summary.indexOf('### Compared with production')).toBeLessThan(
      run.summary.indexOf('### Scan findings')
    )
    expect(run.summary).toContain('| New | 0 | 0 | 2 | 0 | 0 |')
    expect(run.summary).toContain('| Fixed | 2 | 0 | 0 | 0 | 0 |')
    expect(run.summary).toContain('| Unchanged | 0 | 0 | 2 | 0 | 0 |')
  })
})

describe('a candidate that carries only production findings', () => {
  let onNew: ActionRun
  let onAll: ActionRun

  beforeAll(async () => {
    onNew = await candidateRun(oldOnlyDockerfile(), {
      'compare-to': production.reference,
      'gate-on': 'new'
    })
    onAll = await candidateRun(oldOnlyDockerfile(), {
      'compare-to': `${production.reference}@${production.digest}`,
      'gate-on': 'all'
    })
  })

  it('passes with gate-on: new: none of its CRITICAL findings is new', () => {
    expect(onNew.exitCode).toBe(0)
    expect(onNew.outputs['scan-result']).toBe('passed')
    expect(onNew.log).toContain('0 new, 0 fixed, 4 unchanged')
    expect(onNew.summary).toContain('the gate counts only the new findings (gate-on: new)')
    // The totals still say what the image carries.
    expect(JSON.parse(onNew.outputs.findings ?? '')).toMatchObject({ CRITICAL: 2, MEDIUM: 2 })
  })

  it('fails with gate-on: all, on the same findings', () => {
    expect(onAll.exitCode).toBe(1)
    expect(onAll.outputs['scan-result']).toBe('failed')
    expect(onAll.log).toContain(
      '::error::The scan gate failed: 2 CRITICAL findings at or above the threshold HIGH. Nothing is pushed or deployed.'
    )
    expect(onAll.summary).toContain('| Compared with production | **0 new, 0 fixed, 4 unchanged** (')
  })

  it('scans the production image once: later runs read its report from the cache', () => {
    expect(onNew.log).toContain('(its report from the cache)')
    expect(onAll.log).toContain('(its report from the cache)')
  })
})

describe('compare-to: deployed, the image the Compose service runs on the deploy host', () => {
  const project = `h17cmp-${Date.now().toString(36)}`
  let container: string
  let run: ActionRun

  beforeAll(async () => {
    // Production as the deploy host runs it: a container of the project's service, labelled as
    // Compose labels its containers, from the image pulled by digest (the local engine is the host).
    const name = production.reference.slice(0, production.reference.lastIndexOf(':'))
    const env = { ...process.env, DOCKER_CONFIG: path.join(scratch, 'docker-config') }
    execFileSync('docker', ['pull', '-q', `${name}@${production.digest}`], { stdio: 'ignore', env })
    container = execFileSync(
      'docker',
      [
        'run',
        '--detach',
        '--label',
        `com.docker.compose.project=${project}`,
        '--label',
        'com.docker.compose.service=web',
        `${name}@${production.digest}`,
        'sleep',
        '600'
      ],
      { encoding: 'utf8', env }
    ).trim()
    const image = uniqueRepository(tb, 'deployed').image
    run = await candidateRun(
      newCriticalDockerfile(),
      {
        image,
        steps: 'build,scan,push,deploy',
        'docker-host': 'unix:///var/run/docker.sock',
        'compose-project': project,
        service: 'web',
        'gate-on': 'new'
      },
      { 'docker-compose.yml': `services:\n  web:\n    image: ${image}:\${APP_VERSION}\n` }
    )
  })

  afterAll(() => {
    if (container) execFileSync('docker', ['rm', '--force', container], { stdio: 'ignore' })
  })

  it('compares with the running image by its digest, its report from the cache', () => {
    const name = production.reference.slice(0, production.reference.lastIndexOf(':'))
    expect(run.log).toContain(
      `Compared with production ${name}@${production.digest}: 1 new (1 CRITICAL), 0 fixed, 4 unchanged`
    )
    expect(run.log).toContain('(its report from the cache)')
  })

  it('fails gate-on: new on the one new CRITICAL, before push and deploy', () => {
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(
      '::error::The scan gate failed: 1 CRITICAL finding at or above the threshold HIGH, new since production (gate-on: new). Nothing is pushed or deployed.'
    )
    expect(JSON.parse(run.outputs['new-findings'] ?? '')).toMatchObject({ CRITICAL: 1 })
    expect(run.outputs.deployed).not.toBe('true')
    expect(
      execFileSync('docker', ['inspect', '--format', '{{.State.Running}}', container], {
        encoding: 'utf8'
      }).trim()
    ).toBe('true')
  })
})

describe('the production report in the Actions cache (a stand-in of the v1 cache service)', () => {
  let service: StandInActionsCache
  let first: ActionRun
  let second: ActionRun

  beforeAll(async () => {
    service = await startStandInActionsCache()
    // A tool cache of these runs' own, emptied between them as a hosted runner's is between jobs.
    const ownToolCache = path.join(scratch, 'hosted-tool-cache')
    mkdirSync(ownToolCache)
    const inputs = { 'compare-to': production.reference, 'gate-on': 'new' }
    const env = { ...service.env, RUNNER_TOOL_CACHE: ownToolCache }
    first = await candidateRun(oldOnlyDockerfile(), inputs, {}, env)
    rmSync(path.join(ownToolCache, 'container-ship'), { recursive: true, force: true })
    second = await candidateRun(oldOnlyDockerfile(), inputs, {}, env)
  })

  afterAll(async () => {
    await service?.close()
  })

  it('is saved by the run that scanned production, under a key of its own', () => {
    expect(first.exitCode).toBe(0)
    expect(first.log).toContain('--image-src remote')
    expect(first.log).not.toContain('(its report from the cache)')
    expect(service.entries().map((entry) => entry.key)).toEqual([
      expect.stringMatching(/^container-ship-production-[0-9a-f]{12}-[0-9a-f]{32}$/)
    ])
  })

  it('is restored by the next job, which does not scan production again', () => {
    expect(second.exitCode).toBe(0)
    expect(second.log).toContain('(its report from the cache)')
    expect(second.log).not.toContain('--image-src remote')
    expect(second.log).toContain('0 new, 0 fixed, 4 unchanged')
    expect(
      service.requests.filter((request) => request.kind === 'download' && request.status === 200)
    ).toHaveLength(1)
  })
})

describe('the sticky pull request comment (the stand-in GitHub API)', () => {
  const TOKEN = 'ghs_h17cmpWriteToken0123456789abcdefABCD'
  let github: StandInGitHub
  let run: ActionRun

  beforeAll(async () => {
    github = await startStandInGitHub({
      tokens: { [TOKEN]: { kind: 'installation', login: ACTIONS_BOT.login, write: true } },
      pullRequests: [42]
    })
    const setup = scanSetup(tb)
    // A pull request does not deploy: the production image is named.
    run = await runAction({
      inputs: {
        image: uniqueRepository(tb, 'pr').image,
        username: tb.username,
        password: tb.password,
        steps: 'build,scan,push',
        'github-token': TOKEN,
        'compare-to': production.reference,
        ...setup.inputs
      },
      event: eventEnv('pull-request', {
        GITHUB_API_URL: github.apiUrl,
        GITHUB_SERVER_URL: github.serverUrl,
        GITHUB_REPOSITORY: github.repository
      }),
      workspace: workspaceWith({ Dockerfile: changedDockerfile() }),
      env: { ...setup.env, RUNNER_TOOL_CACHE: toolCache }
    })
  })

  afterAll(() => github?.close())

  it('leads with the difference, before the verdict and the findings', () => {
    expect(run.exitCode).toBe(0)
    const comments = github.comments(42)
    expect(comments).toHaveLength(1)
    const lines = (comments[0]?.body ?? '').split('\n')
    const name = production.reference.slice(0, production.reference.lastIndexOf(':'))
    expect(lines[3]).toBe(
      `**2 new (2 MEDIUM), 2 fixed, 2 unchanged** compared with production \`${name}@${production.digest}\`.`
    )
    expect(lines[5]).toBe(':white_check_mark: **Passed**: no finding fails the gate.')
  })
})

describe('gate-on: new without a production image to compare with', () => {
  it('counts every finding, and says so', async () => {
    const { image } = uniqueRepository(tb, 'missing')
    const run = await candidateRun(oldOnlyDockerfile(), { 'compare-to': `${image}:gone`, 'gate-on': 'new' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::warning::compare-to: the production image .*:gone could not be scanned/)
    expect(run.log).toContain(
      '::warning::gate-on: new, but there is no production image to compare with: the gate counts all findings'
    )
    expect(run.outputs['new-findings']).toBe('')
    expect(run.log).toContain('The scan gate failed: 2 CRITICAL findings at or above the threshold HIGH.')
  })
})

describe('bad compare-to and gate-on', () => {
  it('fail before anything runs, naming the inputs', async () => {
    const run = await candidateRun(oldOnlyDockerfile(), { 'compare-to': 'production', 'gate-on': 'some' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain('compare-to: "production" names no tag or digest')
    expect(run.log).toContain('gate-on: "some" is not one of all, new')
    expect(run.log).not.toContain('Trivy:')
  })
})
