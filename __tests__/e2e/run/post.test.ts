// The post step runs even after a failed main step, in whatever state that left: it warns and
// never fails. post() is imported and driven in-process; the bundle is run once as the runner does.
import { execFileSync, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, describe, expect, it, jest } from '@jest/globals'
import { parseDockerHost } from '../../../src/deploy/host/docker-host.js'
import { CLEANUPS } from '../../../src/pipeline/cleanups.js'
import { post } from '../../../src/run/post.js'
import { openTunnel, prepareRemoteAccess, savedAccess } from '../../../src/deploy/host/remote-engine.js'
import { REPO_ROOT, testbed } from '../../support/harness.js'

const STATE = 'STATE_docker-config'

afterEach(() => {
  delete process.env[STATE]
  jest.restoreAllMocks()
})

function capture(): () => string {
  const chunks: string[] = []
  jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
    chunks.push(String(chunk))
    return true
  })
  return () => chunks.join('')
}

describe('the post step', () => {
  it('does nothing when the main step saved no state', async () => {
    const log = capture()
    await post(CLEANUPS)
    expect(log()).toBe('')
  })

  it('removes the private config, and with it the login, without following links out of it', async () => {
    const user = mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
    mkdirSync(path.join(user, 'buildx'))
    writeFileSync(path.join(user, 'buildx', 'current'), 'builder')
    writeFileSync(path.join(user, 'config.json'), '{"auths":{"ghcr.io":{"auth":"dXNlcjpwYXNz"}}}')
    const dir = mkdtempSync(path.join(os.tmpdir(), 'container-ship-docker-'))
    symlinkSync(path.join(user, 'buildx'), path.join(dir, 'buildx'))
    writeFileSync(path.join(dir, 'config.json'), '{"auths":{"127.0.0.1:5000":{"auth":"eDp5"}}}')
    process.env[STATE] = dir
    const log = capture()
    await post(CLEANUPS)
    expect(log()).toContain(`Removed the private Docker config ${dir}`)
    expect(existsSync(dir)).toBe(false)
    expect(readFileSync(path.join(user, 'buildx', 'current'), 'utf8')).toBe('builder')
    expect(readFileSync(path.join(user, 'config.json'), 'utf8')).toContain('ghcr.io')
  })

  it('exits 0 from the bundle when the config folder is already gone', () => {
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/post.js')], {
      env: { PATH: process.env.PATH ?? '', [STATE]: '/nonexistent/container-ship-docker-x' },
      encoding: 'utf8'
    })
    expect(result.status).toBe(0)
  })

  it('after a cancelled deploy: releases the lock it held, closes the SSH tunnel, removes the key', async () => {
    const tb = testbed()
    const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    const access = prepareRemoteAccess(
      parseDockerHost(tb.sshHost),
      {
        sshPrivateKey: readFileSync(tb.sshKeyFile, 'utf8'),
        sshKnownHosts: readFileSync(tb.sshKnownHostsFile, 'utf8'),
        tlsCa: '',
        tlsCert: '',
        tlsKey: ''
      },
      runnerTemp
    )
    const pid = await openTunnel(access, '/usr/bin/ssh')
    const lock = `container-ship-lock-post-test-${process.pid}`
    execFileSync('docker', ['create', '--name', lock, '--network', 'none', 'busybox:latest', 'true'])
    const configDir = mkdtempSync(path.join(runnerTemp, 'container-ship-docker-'))
    writeFileSync(path.join(configDir, 'config.json'), '{}')
    const log = capture()
    // As the runner hands them over: the main step's state, and the inputs again.
    await post(CLEANUPS, {
      RUNNER_TEMP: runnerTemp,
      'INPUT_DOCKER-HOST': tb.sshHost,
      [STATE]: configDir,
      'STATE_deploy-access': JSON.stringify(savedAccess(access)),
      'STATE_deploy-lock': lock
    })
    expect(log()).toContain(`Released the deploy lock ${lock} on ${tb.sshHost}`)
    expect(log()).toContain(`Closed the SSH tunnel to ${tb.sshHost}`)
    expect(execFileSync('docker', ['ps', '-aq', '--filter', `name=^${lock}$`], { encoding: 'utf8' })).toBe('')
    expect(existsSync(access.dir)).toBe(false)
    expect(existsSync(configDir)).toBe(false)
    for (let i = 0; i < 50 && existsSync(`/proc/${pid}`); i++)
      await new Promise((resolve) => setTimeout(resolve, 100))
    expect(existsSync(`/proc/${pid}`)).toBe(false)
  })
})
