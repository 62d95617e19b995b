// The action against registries that behave like Docker Hub and ghcr.io (the stand-in of
// stand-in-registry.ts: Bearer tokens from a realm, Hub's 401 for a repository that does not
// exist yet, paginated tag lists), with credentials that come only from an earlier `docker login`
// into the user's Docker config, as after docker/login-action.
import { spawn } from 'node:child_process'
import { mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  testbed,
  visibleText,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryDigest } from '../../support/registry-helpers.js'
import { startStandInRegistry, type StandIn } from '../../support/stand-in-registry.js'

jest.setTimeout(300_000)

const USER = { username: 'hubuser', password: 'hub-password-0123' }
let tb: Testbed
let hub: StandIn
let ghcr: StandIn

/** docker, asynchronously: the stand-in answers the engine from this very process. */
function dockerAsync(
  args: string[],
  options: { input?: string; env?: NodeJS.ProcessEnv } = {}
): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn('docker', args, { env: options.env ?? process.env, stdio: ['pipe', 'pipe', 'pipe'] })
    let out = ''
    child.stdout.on('data', (chunk) => (out += chunk))
    child.stderr.on('data', (chunk) => (out += chunk))
    child.on('close', (code) => (code === 0 ? resolve(out) : reject(new Error(`docker ${args[0]}: ${out}`))))
    child.stdin.end(options.input ?? '')
  })
}

/** A user Docker config with a login made by the real CLI, as docker/login-action leaves it. */
async function loggedInConfig(registry: string): Promise<string> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
  await dockerAsync(['login', '--username', USER.username, '--password-stdin', registry], {
    input: USER.password,
    env: { ...process.env, DOCKER_CONFIG: dir }
  })
  return dir
}

function release(
  standIn: StandIn,
  repository: string,
  version: string,
  dockerConfig: string
): Promise<ActionRun> {
  return runAction({
    inputs: { image: `${standIn.registry}/${repository}`, steps: 'build,push' },
    event: eventEnv('tag-push', { GITHUB_REF: `refs/tags/v${version}` }),
    workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo ${version} > /version\n` }),
    env: { DOCKER_CONFIG: dockerConfig }
  })
}

const tagsOf = (run: ActionRun): string[] =>
  (run.outputs.tags ?? '').split('\n').map((reference) => reference.slice(reference.lastIndexOf(':') + 1))

beforeAll(async () => {
  tb = testbed()
  const upstream = { registry: tb.registry, username: tb.username, password: tb.password }
  hub = await startStandInRegistry({ flavour: 'hub', upstream, user: USER })
  ghcr = await startStandInRegistry({
    flavour: 'ghcr',
    upstream,
    user: USER,
    publicRepositories: []
  })
})

afterAll(async () => {
  await hub.close()
  await ghcr.close()
})

describe('Docker Hub, logged in by an earlier step only', () => {
  const repository = `e2e/hub-${Date.now().toString(36)}`
  let config: string
  let first: ActionRun

  beforeAll(async () => {
    config = await loggedInConfig(hub.registry)
    first = await release(hub, repository, '2.0.0', config)
  })

  it('gives the first release of a new repository its aliases, though Hub answered 401', () => {
    expect(first.log).not.toMatch(/::error::/)
    expect(first.exitCode).toBe(0)
    expect(first.log).not.toMatch(/Could not read the tags/)
    expect(tagsOf(first)).toEqual(['2.0.0', '2.0', '2', 'latest', 'sha-0123456'])
    // The listing did get Hub's 401 for the new repository, with a token for the user.
    expect(
      hub.requests.some(
        (r) => r.path.includes(`${repository}/tags/list`) && r.status === 401 && r.authorization === 'bearer'
      )
    ).toBe(true)
  })

  it('pushes once and tags the rest by manifest, all at the digest it reports', async () => {
    expect(first.log).toMatch(/Pushed 5 references, 4 of them by a manifest PUT/)
    for (const tag of ['2.0.0', '2.0', '2', 'latest', 'sha-0123456'])
      expect(await registryDigest(tb, repository, tag)).toBe(first.outputs.digest)
  })

  it('reads the tags with the login of the earlier step, so an older release leaves latest alone', async () => {
    const older = await release(hub, repository, '1.9.0', config)
    expect(older.exitCode).toBe(0)
    expect(tagsOf(older)).toEqual(['1.9.0', '1.9', '1', 'sha-0123456'])
    expect(older.summary).toContain(
      '`latest` was not moved: the registry already has 2.0.0, newer than 1.9.0.'
    )
    expect(await registryDigest(tb, repository, 'latest')).toBe(first.outputs.digest)
    const newer = await release(hub, repository, '2.1.0', config)
    expect(tagsOf(newer)).toEqual(['2.1.0', '2.1', '2', 'latest', 'sha-0123456'])
    expect(await registryDigest(tb, repository, 'latest')).toBe(newer.outputs.digest)
  })

  it('sends the password only to the token realm, and only Bearer tokens to the registry', () => {
    const basic = hub.requests.filter((r) => r.authorization === 'basic')
    expect(basic.length).toBeGreaterThan(0)
    expect(basic.every((r) => r.server === 'token')).toBe(true)
    expect(visibleText(first.everything)).not.toContain(USER.password)
  })
})

describe('a tag list longer than the action reads', () => {
  it('is unknown, never complete: the aliases stay where they are', async () => {
    const long = await startStandInRegistry({
      flavour: 'hub',
      upstream: { registry: tb.registry, username: tb.username, password: tb.password },
      user: USER,
      // 100 pages of 100 and one more: past the 100 pages the client reads.
      fillerTags: 100 * 100 + 1,
      maxPageSize: 100
    })
    try {
      const repository = `e2e/long-${Date.now().toString(36)}`
      const config = await loggedInConfig(long.registry)
      // The first release finds no repository; the second finds it, with its long tag list.
      expect((await release(long, repository, '2.9.0', config)).exitCode).toBe(0)
      const run = await release(long, repository, '3.0.0', config)
      expect(run.exitCode).toBe(0)
      expect(run.log).toMatch(/::warning::Could not read the tags of .*longer than 100 pages/)
      expect(tagsOf(run)).toEqual(['3.0.0', 'sha-0123456'])
    } finally {
      await long.close()
    }
  })
})

describe('ghcr.io, logged in by an earlier step only', () => {
  it('lists with a token for the user and moves the aliases', async () => {
    const repository = `acme/ghcr-${Date.now().toString(36)}`
    const config = await loggedInConfig(ghcr.registry)
    const run = await release(ghcr, repository, '1.0.0', config)
    expect(run.exitCode).toBe(0)
    expect(tagsOf(run)).toEqual(['1.0.0', '1.0', '1', 'latest', 'sha-0123456'])
    expect(await registryDigest(tb, repository, 'latest')).toBe(run.outputs.digest)
  })
})
