// Credentials as the docker CLI finds them, and the private config's promise: every login that
// worked before the step still resolves, and the action's own login never reaches the user's
// credential store. A fake `docker-credential-*` helper on PATH speaks the helper protocol
// (get/store/erase, the server address on stdin, JSON on stdout; "credentials not found" and
// exit 1 when it has none) and logs every call, so the test sees who asked it what.
import { chmodSync, existsSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { execFileSync } from 'node:child_process'
import { beforeAll, describe, expect, it } from '@jest/globals'
import { DockerCli } from '../../../src/docker/cli.js'
import { createPrivateDockerConfig, lookUpCredentials, readDockerConfig } from '../../../src/docker/config.js'
import { eventEnv } from '../../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type Testbed } from '../../support/harness.js'
import { registryDigest, uniqueRepository } from '../../support/registry-helpers.js'

let tb: Testbed
let binDir: string
let helperLog: string
let helperStore: string

/** A credential helper named `fake` whose store is a JSON file of address -> {Username, Secret}. */
function installFakeHelper(): void {
  binDir = mkdtempSync(path.join(os.tmpdir(), 'cred-helper-'))
  helperLog = path.join(binDir, 'calls.log')
  helperStore = path.join(binDir, 'store.json')
  writeFileSync(helperLog, '')
  writeFileSync(helperStore, '{}')
  const script = `#!/usr/bin/env node
const fs = require('fs')
const action = process.argv[2]
const input = fs.readFileSync(0, 'utf8').trim()
fs.appendFileSync(${JSON.stringify(helperLog)}, action + ' ' + (action === 'store' ? JSON.parse(input).ServerURL : input) + '\\n')
const store = JSON.parse(fs.readFileSync(${JSON.stringify(helperStore)}, 'utf8'))
if (action === 'get') {
  if (!store[input]) { process.stdout.write('credentials not found in native keychain'); process.exit(1) }
  process.stdout.write(JSON.stringify({ ServerURL: input, ...store[input] }))
} else if (action === 'store') {
  const entry = JSON.parse(input)
  store[entry.ServerURL] = { Username: entry.Username, Secret: entry.Secret }
  fs.writeFileSync(${JSON.stringify(helperStore)}, JSON.stringify(store))
} else if (action === 'erase') {
  delete store[input]
  fs.writeFileSync(${JSON.stringify(helperStore)}, JSON.stringify(store))
}
`
  const file = path.join(binDir, 'docker-credential-fake')
  writeFileSync(file, script)
  chmodSync(file, 0o755)
}

function userConfig(config: object): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config))
  return dir
}

const env = (): NodeJS.ProcessEnv => ({ ...process.env, PATH: `${binDir}:${process.env.PATH}` })

beforeAll(() => {
  tb = testbed()
  installFakeHelper()
})

describe('lookUpCredentials', () => {
  it('reads auths as the CLI wrote them, whatever alias names Docker Hub', async () => {
    const dir = userConfig({
      auths: {
        'https://index.docker.io/v1/': { auth: Buffer.from('hubuser:hubpass').toString('base64') },
        'https://ghcr.io': { username: 'gh', password: 'ghpass' },
        'quay.io': { identitytoken: 'refresh-me' }
      }
    })
    for (const hub of ['docker.io', 'index.docker.io', 'registry-1.docker.io']) {
      expect(await lookUpCredentials(dir, hub, env())).toEqual({ username: 'hubuser', password: 'hubpass' })
    }
    expect(await lookUpCredentials(dir, 'ghcr.io', env())).toEqual({ username: 'gh', password: 'ghpass' })
    expect(await lookUpCredentials(dir, 'quay.io', env())).toEqual({ identityToken: 'refresh-me' })
    expect(await lookUpCredentials(dir, 'example.com', env())).toBeUndefined()
  })

  it('asks the credHelpers entry of the registry, else the credsStore', async () => {
    writeFileSync(
      helperStore,
      JSON.stringify({
        'ghcr.io': { Username: 'helped', Secret: 'from-helper' },
        'https://index.docker.io/v1/': { Username: '<token>', Secret: 'identity' }
      })
    )
    const withStore = userConfig({ credsStore: 'fake', auths: { 'ghcr.io': {} } })
    expect(await lookUpCredentials(withStore, 'ghcr.io', env())).toEqual({
      username: 'helped',
      password: 'from-helper'
    })
    expect(await lookUpCredentials(withStore, 'docker.io', env())).toEqual({ identityToken: 'identity' })
    expect(await lookUpCredentials(withStore, 'quay.io', env())).toBeUndefined()
    const withHelper = userConfig({ credHelpers: { 'ghcr.io': 'fake' } })
    expect(await lookUpCredentials(withHelper, 'ghcr.io', env())).toEqual({
      username: 'helped',
      password: 'from-helper'
    })
    // A helper that is not installed: no credentials, as for the CLI.
    const missing = userConfig({ credsStore: 'not-installed' })
    expect(await lookUpCredentials(missing, 'ghcr.io', env())).toBeUndefined()
  })
})

describe('the private Docker config', () => {
  it('keeps every earlier login resolvable and keeps the action login out of the user store', async () => {
    writeFileSync(helperStore, JSON.stringify({ 'ghcr.io': { Username: 'helped', Secret: 'from-helper' } }))
    writeFileSync(helperLog, '')
    const userDir = userConfig({ credsStore: 'fake', auths: { 'ghcr.io': {} } })
    const before = readFileSync(path.join(userDir, 'config.json'), 'utf8')
    const tempRoot = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    const privateDir = createPrivateDockerConfig(tempRoot, [tb.registry], userDir)

    // The earlier login still resolves through the user's store.
    expect(await lookUpCredentials(privateDir, 'ghcr.io', env())).toEqual({
      username: 'helped',
      password: 'from-helper'
    })
    expect(readDockerConfig(privateDir).credHelpers).toEqual({ [tb.registry]: '' })

    // A real docker login with the private config stores in its config.json, not the helper.
    const docker = new DockerCli(privateDir)
    const loginEnv = { ...docker.env, PATH: env().PATH }
    execFileSync('docker', ['login', '--username', tb.username, '--password-stdin', tb.registry], {
      input: tb.password,
      env: loginEnv,
      stdio: ['pipe', 'ignore', 'pipe']
    })
    expect(readFileSync(helperLog, 'utf8')).not.toMatch(/^store /m)
    expect(readDockerConfig(privateDir).auths?.[tb.registry]?.auth).toBe(
      Buffer.from(`${tb.username}:${tb.password}`).toString('base64')
    )
    expect(await lookUpCredentials(privateDir, tb.registry, env())).toEqual({
      username: tb.username,
      password: tb.password
    })
    // The user's config and store are as they were.
    expect(readFileSync(path.join(userDir, 'config.json'), 'utf8')).toBe(before)
    expect(JSON.parse(readFileSync(helperStore, 'utf8'))).toEqual({
      'ghcr.io': { Username: 'helped', Secret: 'from-helper' }
    })
    expect(existsSync(path.join(privateDir, 'config.json'))).toBe(true)
  })

  it('is a file the runner user alone can read', () => {
    const tempRoot = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    const dir = createPrivateDockerConfig(tempRoot, [], userConfig({}))
    expect(
      execFileSync('stat', ['-c', '%a', path.join(dir, 'config.json')], { encoding: 'utf8' }).trim()
    ).toBe('600')
  })
})

describe('the action with a user whose logins live in a credential store', () => {
  it('pushes with its own login, leaves the store as it was and never writes to it', async () => {
    writeFileSync(helperStore, JSON.stringify({ 'ghcr.io': { Username: 'helped', Secret: 'from-helper' } }))
    writeFileSync(helperLog, '')
    const userDir = userConfig({ credsStore: 'fake', auths: { 'ghcr.io': {} } })
    symlinkSync(path.join(os.homedir(), '.docker', 'cli-plugins'), path.join(userDir, 'cli-plugins'))
    const { image, repository } = uniqueRepository(tb, 'credstore')
    const result = await runAction({
      inputs: { image, username: tb.username, password: tb.password, steps: 'build,push', tags: 'edge' },
      event: eventEnv('branch-push'),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo store > /s\n` }),
      env: { DOCKER_CONFIG: userDir, PATH: env().PATH ?? '' }
    })
    expect(result.log).not.toMatch(/::error::/)
    expect(result.exitCode).toBe(0)
    expect(await registryDigest(tb, repository, 'edge')).toBe(result.outputs.digest)
    expect(readFileSync(helperLog, 'utf8')).not.toMatch(/^(store|erase) /m)
    expect(JSON.parse(readFileSync(helperStore, 'utf8'))).toEqual({
      'ghcr.io': { Username: 'helped', Secret: 'from-helper' }
    })
  })
})
