// Deploying a chosen release, and rolling back, on the test bed's engine (unix://) with the test
// bed's registry: 1.0.0 and 2.0.0 released as usual, then `steps: deploy` alone from a
// workflow_dispatch run with `rollback: true` (back to 1.0.0, read from the labels the 2.0.0
// containers carry), with `version:` as a digest and as a tag, and with a version the registry
// does not hold (refused before any host is reached). Each rollout is blue-green: the load
// generator going through the stack's proxy sees no failed request.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  docker,
  newStack,
  release,
  serviceContainers,
  setUpDeployBed,
  tb,
  tearDownDeployBed,
  underLoad,
  type ComposeKind,
  type HostKind,
  type Stack
} from '../../support/deploy-harness.js'
import { containersOn, engineEnv, fleetInputs } from '../../support/fleet-harness.js'
import { removeProject } from '../../../scripts/deploy-stack.mjs'
import { eventEnv } from '../../../__fixtures__/events.js'
import type { ActionRun } from '../../support/harness.js'

jest.setTimeout(900_000)

const PREVIOUS_LABEL = 'com.container-ship.previous-image'

/** This file's Compose projects (named h17rb-*), removed at the end from every engine used. */
const projects: string[] = []

beforeAll(setUpDeployBed)
afterAll(async () => {
  for (const project of projects) {
    await removeProject(project).catch(() => undefined)
    for (const engine of tb.engines) await removeProject(project, engineEnv(engine)).catch(() => undefined)
  }
  await tearDownDeployBed()
})

/** A stack of this file's own, its project under the h17rb- prefix. */
function ownStack(name: string, host: HostKind = 'unix', compose: ComposeKind = 'v2'): Stack {
  const project = `h17rb-${name}-${Date.now().toString(36)}`
  projects.push(project)
  return { ...newStack(name, host, compose), project }
}

/** What each running container of the service records as the release before it. */
async function previousLabels(project: string): Promise<string[]> {
  const web = await serviceContainers(project)
  return Promise.all(
    web.map((c) =>
      docker(['container', 'inspect', '--format', `{{index .Config.Labels "${PREVIOUS_LABEL}"}}`, c.id])
    )
  )
}

/** A deploy alone from a workflow_dispatch run (the rollback recipe's event). */
function deployAlone(stack: Stack, inputs: Record<string, string>): Promise<ActionRun> {
  // The workspace as the dispatching branch has it (2.0.0's files): the chosen release decides.
  return release(stack, '2.0.0', { steps: 'deploy', event: eventEnv('workflow-dispatch'), inputs })
}

describe('a chosen release', () => {
  let stack: Stack
  let v1: ActionRun
  let v2: ActionRun

  beforeAll(async () => {
    stack = ownStack('rollback')
    v1 = await release(stack, '1.0.0')
    v2 = await release(stack, '2.0.0')
  })

  it('labels every new container with the release it replaced, by digest', async () => {
    expect(v1.exitCode).toBe(0)
    expect(v2.exitCode).toBe(0)
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(v2.outputs.digest))
    expect(await previousLabels(stack.project)).toEqual(
      Array(3).fill(`${stack.image}:1.0.0@${v1.outputs.digest}`)
    )
  })

  it('rolls back to the release before under load, with no failed request', async () => {
    const before = await serviceContainers(stack.project)
    const { run, load, healthy } = await underLoad(stack, () => deployAlone(stack, { rollback: 'true' }))
    console.log(`rollback: ${load.total} requests, ${load.failed} failed`, load.failures, load.versions)
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(`Rolling back to ${stack.image}:1.0.0@${v1.outputs.digest}`)
    expect(load.failures).toEqual({})
    expect(load.failed).toBe(0)
    expect(load.total).toBeGreaterThan(100)
    expect(load.versions['2.0.0']).toBeGreaterThan(0)
    expect(load.versions['1.0.0']).toBeGreaterThan(0)
    expect(load.lastVersion).toBe('1.0.0')
    expect(healthy.min).toBeGreaterThanOrEqual(3)

    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.some((c) => before.some((b) => b.id === c.id))).toBe(false)
    expect(web.every((c) => c.running && c.image === `${stack.image}:1.0.0`)).toBe(true)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(v1.outputs.digest))
    expect(run.outputs).toMatchObject({
      deployed: 'true',
      version: '1.0.0',
      'previous-image': `${stack.image}:2.0.0@${v2.outputs.digest}`
    })
    expect(run.summary).toContain(
      '| Chosen release | `1.0.0`, the release before the current one (rollback) |'
    )
    // The release it replaced is recorded in turn: a second rollback goes to 2.0.0 again.
    expect(await previousLabels(stack.project)).toEqual(
      Array(3).fill(`${stack.image}:2.0.0@${v2.outputs.digest}`)
    )
  })

  it('deploys a version given by its digest', async () => {
    const digest = v2.outputs.digest ?? ''
    const run = await deployAlone(stack, { version: digest })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(digest))
    expect(web.every((c) => c.image === `${stack.image}:${digest.replace(':', '-')}`)).toBe(true)
    expect(run.outputs).toMatchObject({ deployed: 'true', version: digest })
  })

  it('deploys a version given by its tag, under load with no failed request', async () => {
    const { run, load } = await underLoad(stack, () => deployAlone(stack, { version: '1.0.0' }))
    console.log(`version 1.0.0: ${load.total} requests, ${load.failed} failed`, load.failures, load.versions)
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(`${stack.image}:1.0.0@${v1.outputs.digest}`)
    expect(load.failed).toBe(0)
    expect(load.lastVersion).toBe('1.0.0')
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => `${c.image}@${c.digest}`)).toEqual(
      Array(3).fill(`${stack.image}:1.0.0@${v1.outputs.digest}`)
    )
    expect(run.outputs).toMatchObject({ deployed: 'true', version: '1.0.0' })
  })

  it('refuses a version the registry does not hold before any host is reached', async () => {
    const before = await serviceContainers(stack.project)
    const run = await deployAlone(stack, { version: '9.9.9' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toContain(`::error::version: ${stack.image}:9.9.9 is not in the registry`)
    expect(run.log).not.toContain('Deploy target:')
    expect(run.log).not.toContain(' up --detach')
    expect(run.outputs).toMatchObject({ deployed: 'false', version: '9.9.9' })
    const after = await serviceContainers(stack.project)
    expect(after.map((c) => `${c.id} ${c.digest} ${c.running}`)).toEqual(
      before.map((c) => `${c.id} ${c.digest} ${c.running}`)
    )
  })

  it('refuses version with rollback, naming both inputs, with nothing touched', async () => {
    const before = await serviceContainers(stack.project)
    const run = await deployAlone(stack, { version: '2.0.0', rollback: 'true' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::.*version and rollback: choose one/)
    expect(run.log).not.toContain('Deploy target:')
    const after = await serviceContainers(stack.project)
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id))
  })
})

describe('a rollback with nothing recorded', () => {
  it('is refused, naming the host, with the first release left serving', async () => {
    const stack = ownStack('rollback-first')
    const first = await release(stack, '1.0.0')
    expect(first.exitCode).toBe(0)
    const before = await serviceContainers(stack.project)
    const run = await release(stack, '1.0.0', {
      steps: 'deploy',
      event: eventEnv('workflow-dispatch'),
      inputs: { rollback: 'true' }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(
      /::error::rollback: no earlier release is recorded on unix:\/\/\/var\/run\/docker\.sock/
    )
    expect(run.log).not.toContain(' up --detach')
    const after = await serviceContainers(stack.project)
    expect(after.map((c) => c.id)).toEqual(before.map((c) => c.id))
  })
})

// Two of the test bed's extra engines as ssh:// hosts: a rollback reads both hosts' record, and
// goes ahead only when they agree.
describe('a rollback over two hosts', () => {
  let stack: Stack
  let v1: ActionRun
  let v2: ActionRun
  const engines = () => tb.engines.slice(0, 2)

  /** A run to the given engines (both by default), the proxy on an engine-chosen port of each. */
  function toHosts(version: string, options: Parameters<typeof release>[2] = {}, on = engines()) {
    return release(stack, version, {
      nginxImage: tb.enginesNginxImage,
      ...options,
      inputs: { ...fleetInputs(on), replicas: '2', ...options.inputs }
    })
  }

  /** Each engine's containers as `image@digest`, and their IDs. */
  const observed = () => Promise.all(engines().map((engine) => containersOn(engine, stack.project)))

  beforeAll(async () => {
    stack = ownStack('rollback-fleet', 'ssh')
    v1 = await toHosts('1.0.0')
    v2 = await toHosts('2.0.0')
  })

  it('rolls both back to the release they both record', async () => {
    expect(v1.exitCode).toBe(0)
    expect(v2.exitCode).toBe(0)
    const run = await toHosts('2.0.0', {
      steps: 'deploy',
      event: eventEnv('workflow-dispatch'),
      inputs: { rollback: 'true' }
    })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    for (const web of await observed()) {
      expect(web).toHaveLength(2)
      expect(web.map((c) => `${c.image}@${c.digest}`)).toEqual(
        Array(2).fill(`${stack.image}:1.0.0@${v1.outputs.digest}`)
      )
    }
    expect(run.outputs).toMatchObject({ deployed: 'true', version: '1.0.0' })
  })

  it('refuses when the hosts record different releases, naming each, with neither changed', async () => {
    const [first] = engines()
    // 2.0.0 on the first host only: it records 1.0.0 before it, the second still records 2.0.0.
    const one = await toHosts(
      '2.0.0',
      { steps: 'deploy', event: eventEnv('workflow-dispatch'), inputs: { version: '2.0.0' } },
      [first as (typeof tb.engines)[0]]
    )
    expect(one.exitCode).toBe(0)
    const before = await observed()
    expect(before.map((web) => web[0]?.digest)).toEqual([v2.outputs.digest, v1.outputs.digest])
    const run = await toHosts('2.0.0', {
      steps: 'deploy',
      event: eventEnv('workflow-dispatch'),
      inputs: { rollback: 'true' }
    })
    expect(run.exitCode).toBe(1)
    const [a, b] = engines().map((engine) => engine.sshHost)
    expect(run.log).toContain(
      `::error::rollback: the hosts disagree on the previous release (${a}: ${stack.image}:1.0.0@${v1.outputs.digest}; ${b}: ${stack.image}:2.0.0@${v2.outputs.digest})`
    )
    expect(run.log).not.toContain(' up --detach')
    const after = await observed()
    expect(after.map((web) => web.map((c) => c.id).sort())).toEqual(
      before.map((web) => web.map((c) => c.id).sort())
    )
  })
})

// Signed with a cosign key pair made here, without a transparency log (as by-digest.test.ts:
// --tlog-upload=false, verified with --insecure-ignore-tlog=true; cosign's own outbound calls go
// to a closed loopback port). A chosen release passes the same verification as any deploy.
describe('a chosen release with verify', () => {
  const password = 'e2e-cosign-password'
  let stack: Stack
  let keys: { key: string; pub: string }
  let v1: ActionRun
  const cosignEnv = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' }
  const cosignPath = () => `${path.dirname(tb.cosign)}:${process.env.PATH ?? ''}`

  /** A deploy alone that verifies the signature with the public key. */
  const verified = (inputs: Record<string, string>) =>
    release(stack, '2.0.0', {
      steps: 'deploy',
      event: eventEnv('workflow-dispatch'),
      path: cosignPath(),
      env: cosignEnv,
      inputs: { 'cosign-public-key': keys.pub, verify: 'signature', 'cosign-tlog': 'false', ...inputs }
    })

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosign-keys-'))
    execFileSync(tb.cosign, ['generate-key-pair'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, COSIGN_PASSWORD: password },
      stdio: 'ignore'
    })
    keys = {
      key: readFileSync(path.join(dir, 'cosign.key'), 'utf8'),
      pub: readFileSync(path.join(dir, 'cosign.pub'), 'utf8')
    }
    stack = ownStack('rollback-signed')
    const signed = (version: string) =>
      release(stack, version, {
        path: cosignPath(),
        env: cosignEnv,
        inputs: { sign: 'key', 'cosign-key': keys.key, 'cosign-password': password, 'cosign-tlog': 'false' }
      })
    v1 = await signed('1.0.0')
    expect(v1.exitCode).toBe(0)
    expect((await signed('2.0.0')).exitCode).toBe(0)
    expect((await release(stack, '3.0.0', { steps: 'build,push' })).exitCode).toBe(0)
  })

  it('verifies the signature of the release before, then rolls back to it', async () => {
    const run = await verified({ rollback: 'true' })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(run.log).toContain(`Verified the signature of ${stack.image}@${v1.outputs.digest}`)
    expect(run.log.indexOf('Verified the signature')).toBeLessThan(run.log.indexOf(' up --detach'))
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(v1.outputs.digest))
  })

  it('refuses a chosen version that is not signed, with the host untouched', async () => {
    const before = await serviceContainers(stack.project)
    const run = await verified({ version: '3.0.0' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::.*not signed with this key/)
    expect(run.log).not.toContain(' up --detach')
    expect(run.outputs).toMatchObject({ deployed: 'false', version: '3.0.0' })
    const after = await serviceContainers(stack.project)
    expect(after.map((c) => `${c.id} ${c.digest}`)).toEqual(before.map((c) => `${c.id} ${c.digest}`))
  })
})

// docker-compose v1 (the runner without the Compose plugin) takes the label file as v2 does.
describe('a rollback with docker-compose v1', () => {
  it('reads the label v1 put on, and rolls back', async () => {
    const stack = ownStack('rollback-v1', 'unix', 'v1')
    const v1 = await release(stack, '1.0.0')
    const v2 = await release(stack, '2.0.0')
    expect([v1.exitCode, v2.exitCode]).toEqual([0, 0])
    expect(v2.log).toContain('docker-compose 1.')
    expect(await previousLabels(stack.project)).toEqual(
      Array(3).fill(`${stack.image}:1.0.0@${v1.outputs.digest}`)
    )
    const run = await release(stack, '2.0.0', {
      steps: 'deploy',
      event: eventEnv('workflow-dispatch'),
      inputs: { rollback: 'true' }
    })
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(v1.outputs.digest))
  })
})
