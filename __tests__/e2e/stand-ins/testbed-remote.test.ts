// The test bed's "remote" engines (scripts/testbed.sh): the local dockerd reached over ssh:// (an
// sshd of the test bed's own) and over tcp:// with mutual TLS, Compose v1 and v2, and the offline
// nginx image, checked with the real CLIs so the deploy tests can rely on them.
import { execFile } from 'node:child_process'
import { chmodSync, mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { testbed, type Testbed } from '../../support/harness.js'

jest.setTimeout(120_000)

const execFileAsync = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to its end without throwing: its exit code and output. */
async function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      env: { ...process.env, ...env },
      timeout: 60_000
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error)
    }
  }
}

let tb: Testbed
let scratch: string

beforeAll(() => {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'testbed-remote-'))
})

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true })
})

/** The docker CLI's environment for the test bed's ssh:// host: the `ssh` wrapper first on PATH. */
function sshEnv(sshPath = tb.sshPath): Record<string, string> {
  return { PATH: `${sshPath}:${process.env.PATH ?? ''}`, DOCKER_HOST: tb.sshHost }
}

function tlsEnv(): Record<string, string> {
  return { DOCKER_HOST: tb.tlsHost, DOCKER_TLS_VERIFY: '1', DOCKER_CERT_PATH: tb.tlsDir }
}

describe('the engine over ssh://', () => {
  it('answers docker version and docker compose ls as deploy@127.0.0.1:2222', async () => {
    expect(tb.sshHost).toBe('ssh://deploy@127.0.0.1:2222')
    expect(statSync(tb.sshKeyFile).mode & 0o777).toBe(0o600)
    expect(readFileSync(tb.sshKnownHostsFile, 'utf8')).toMatch(/^\[127\.0\.0\.1\]:2222 ssh-ed25519 \S+\n$/)

    const version = await run('docker', ['version', '--format', '{{.Server.Version}}'], sshEnv())
    expect(version.stderr).toBe('')
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^20\.10\.\d+/) })
    const ls = await run('docker', ['compose', 'ls'], sshEnv())
    expect(ls).toMatchObject({ code: 0, stdout: expect.stringMatching(/^NAME\s+STATUS/) })
  })

  it('is refused when known_hosts holds another host key', async () => {
    const dir = path.join(scratch, 'wrong-known-hosts')
    const other = path.join(dir, 'other_host_key')
    await run('mkdir', ['-p', path.join(dir, 'bin')])
    const keygen = await run('ssh-keygen', ['-q', '-t', 'ed25519', '-N', '', '-f', other])
    expect(keygen.code).toBe(0)
    const knownHosts = path.join(dir, 'known_hosts')
    const otherKey = readFileSync(`${other}.pub`, 'utf8').split(' ').slice(0, 2).join(' ')
    writeFileSync(knownHosts, `[127.0.0.1]:2222 ${otherKey}\n`)
    const config = readFileSync(tb.sshConfigFile, 'utf8').replace(
      /UserKnownHostsFile .*/,
      `UserKnownHostsFile ${knownHosts}`
    )
    expect(config).toContain(knownHosts)
    writeFileSync(path.join(dir, 'config'), config, { mode: 0o600 })
    const wrapper = path.join(dir, 'bin', 'ssh')
    writeFileSync(wrapper, `#!/bin/sh\nexec /usr/bin/ssh -F ${path.join(dir, 'config')} "$@"\n`)
    chmodSync(wrapper, 0o755)

    const version = await run(
      'docker',
      ['version', '--format', '{{.Server.Version}}'],
      sshEnv(path.dirname(wrapper))
    )
    expect(version.code).not.toBe(0)
    expect(version.stdout).not.toMatch(/20\.10/)
    expect(version.stderr).toMatch(/REMOTE HOST IDENTIFICATION HAS CHANGED|Host key verification failed/)
  })
})

describe('the engine over tcp:// with mutual TLS', () => {
  it('answers docker version and docker compose ls with the client certificate', async () => {
    expect(tb.tlsHost).toBe('tcp://127.0.0.1:2376')
    expect(statSync(path.join(tb.tlsDir, 'key.pem')).mode & 0o777).toBe(0o600)
    const version = await run('docker', ['version', '--format', '{{.Server.Version}}'], tlsEnv())
    expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^20\.10\.\d+/) })
    const flags = await run('docker', [
      '--tlsverify',
      '--tlscacert',
      path.join(tb.tlsDir, 'ca.pem'),
      '--tlscert',
      path.join(tb.tlsDir, 'cert.pem'),
      '--tlskey',
      path.join(tb.tlsDir, 'key.pem'),
      '-H',
      tb.tlsHost,
      'version',
      '--format',
      '{{.Server.Version}}'
    ])
    expect(flags).toMatchObject({ code: 0, stdout: version.stdout })
    const ls = await run('docker', ['compose', 'ls'], tlsEnv())
    expect(ls).toMatchObject({ code: 0, stdout: expect.stringMatching(/^NAME\s+STATUS/) })
  })

  it('refuses a client without a certificate', async () => {
    const version = await run('docker', [
      '--tlsverify',
      '--tlscacert',
      path.join(tb.tlsDir, 'ca.pem'),
      '-H',
      tb.tlsHost,
      'version',
      '--format',
      '{{.Server.Version}}'
    ])
    expect(version.code).not.toBe(0)
    expect(version.stdout).not.toMatch(/20\.10/)
    const curl = await run('curl', [
      '-sS',
      '--cacert',
      path.join(tb.tlsDir, 'ca.pem'),
      `https://127.0.0.1:2376/version`
    ])
    expect(curl.code).not.toBe(0)
    expect(curl.stdout).toBe('')
  })
})

describe('Compose', () => {
  it('has v2 as a docker CLI plugin and Debian v1 as docker-compose', async () => {
    const v2 = await run('docker', ['compose', 'version', '--short'])
    expect(v2).toMatchObject({ code: 0, stdout: expect.stringMatching(/^v?2\.\d+\.\d+/) })
    const v1 = await run(tb.composeV1, ['version', '--short'])
    expect(v1).toMatchObject({ code: 0, stdout: `${tb.composeV1Version}\n` })
    expect(tb.composeV1Version).toMatch(/^1\.\d+\.\d+$/)
  })
})

describe('the offline nginx image', () => {
  it('serves a page and reloads', async () => {
    const name = `testbed-nginx-${process.pid}`
    const started = await run('docker', ['run', '-d', '--name', name, '-p', '127.0.0.1::80', tb.nginxImage])
    expect(started.code).toBe(0)
    try {
      const port = await run('docker', ['port', name, '80/tcp'])
      const address = port.stdout.trim().split('\n')[0]
      expect(address).toMatch(/^127\.0\.0\.1:\d+$/)
      const page = async (): Promise<string> => {
        for (let attempt = 0; attempt < 40; attempt++) {
          try {
            const response = await fetch(`http://${address}/`)
            if (response.ok) return await response.text()
          } catch {
            // not listening yet
          }
          await new Promise((resolve) => setTimeout(resolve, 250))
        }
        throw new Error(`nginx did not answer on ${address}`)
      }
      expect(await page()).toContain('Welcome to nginx')
      const reload = await run('docker', ['exec', name, 'nginx', '-s', 'reload'])
      expect(reload.code).toBe(0)
      expect(await page()).toContain('Welcome to nginx')
    } finally {
      await run('docker', ['rm', '-f', name])
    }
  })
})
