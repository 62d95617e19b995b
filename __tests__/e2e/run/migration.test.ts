// What users coming from docker/metadata-action + docker/login-action rely on: `tags` taking the
// full references metadata-action outputs (several repositories among them), and no secret input
// reaching the programs the action starts (the runner passes every input as INPUT_<NAME>).
import { chmodSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type ActionRun, type Testbed } from '../../support/harness.js'
import { registryDigest, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let envLog: string
let wrapperDir: string
let result: ActionRun
let main: ReturnType<typeof uniqueRepository>
let mirror: ReturnType<typeof uniqueRepository>
const SECRETS = { password: '', secret: 'build-secret-value-42', env: 'deploy-env-value-43' }

beforeAll(async () => {
  tb = testbed()
  SECRETS.password = tb.password
  // A `docker` first on PATH that writes down the environment it was started with.
  wrapperDir = mkdtempSync(path.join(os.tmpdir(), 'docker-wrapper-'))
  envLog = path.join(wrapperDir, 'env.log')
  const realDocker = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim()
  writeFileSync(
    path.join(wrapperDir, 'docker'),
    `#!/bin/sh\n{ echo "=== docker $1"; env; } >> ${JSON.stringify(envLog)}\nexec ${JSON.stringify(realDocker)} "$@"\n`
  )
  chmodSync(path.join(wrapperDir, 'docker'), 0o755)

  main = uniqueRepository(tb, 'web')
  mirror = uniqueRepository(tb, 'mirror')
  // What `tags: ${{ steps.meta.outputs.tags }}` passes: full references, one per line.
  const metadataActionTags = [`${main.image}:1.4`, `${main.image}:edge`, `${mirror.image}:1.4`].join('\n')
  result = await runAction({
    inputs: {
      image: main.image,
      username: tb.username,
      password: tb.password,
      steps: 'build,push',
      tags: metadataActionTags,
      'tag-sha': 'false',
      secrets: `token=${SECRETS.secret}`,
      env: `API_KEY=${SECRETS.env}`
    },
    event: eventEnv('branch-push'),
    workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo migrated > /m\n` }),
    env: { PATH: `${wrapperDir}:${process.env.PATH}` }
  })
})

describe("docker/metadata-action's tags output", () => {
  it('is pushed as given, to every repository it names', async () => {
    expect(result.log).not.toMatch(/::error::/)
    expect(result.exitCode).toBe(0)
    expect(result.outputs.tags?.split('\n')).toEqual([
      `${main.image}:feature-Login-Form`,
      `${main.image}:1.4`,
      `${main.image}:edge`,
      `${mirror.image}:1.4`
    ])
    for (const tag of ['feature-Login-Form', '1.4', 'edge'])
      expect(await registryDigest(tb, main.repository, tag)).toBe(result.outputs.digest)
    expect(await registryDigest(tb, mirror.repository, '1.4')).toBe(result.outputs.digest)
  })

  it('needs one docker push per repository, the other tags by manifest', () => {
    const pushes = readFileSync(envLog, 'utf8').match(/^=== docker push$/gm) ?? []
    expect(pushes).toHaveLength(2)
    expect(result.log).toMatch(/Pushed 4 references, 2 of them by a manifest PUT/)
  })
})

describe('the programs the action starts', () => {
  it('never see an input, a password, a build secret or an env value in their environment', () => {
    const log = readFileSync(envLog, 'utf8')
    expect(log).toMatch(/^=== docker (build|buildx)$/m)
    expect(log).not.toMatch(/^INPUT_/m)
    expect(log).not.toContain(SECRETS.password)
    expect(log).not.toContain(SECRETS.env)
    // The build secret reaches buildx in its own variable, for --secret env=; never as an input.
    const builds = log
      .split('=== ')
      .filter((block) => block.startsWith('docker build') || block.startsWith('docker buildx'))
    for (const block of log.split('=== ').filter((b) => !builds.includes(b)))
      expect(block).not.toContain(SECRETS.secret)
  })
})
