import { mkdtempSync, readFileSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { DockerCli } from '../../../../src/docker/cli.js'
import { parseDockerHost } from '../../../../src/deploy/host/docker-host.js'
import {
  localSocket,
  prepareRemoteAccess,
  sshConfig,
  sshComplaint,
  closeTunnel
} from '../../../../src/deploy/host/remote-engine.js'

const KEY = '-----BEGIN OPENSSH PRIVATE KEY-----\nb3BlbnNzaC1rZXktdjEAAAAA\n-----END OPENSSH PRIVATE KEY-----'
const KNOWN_HOSTS = '[127.0.0.1]:2222 ssh-ed25519 AAAAC3NzaC1lZDI1NTE5AAAAIExample'
const PEM = (kind: string) => `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`
const inputs = {
  sshPrivateKey: KEY,
  sshKnownHosts: KNOWN_HOSTS,
  tlsCa: PEM('CERTIFICATE'),
  tlsCert: PEM('CERTIFICATE'),
  tlsKey: PEM('PRIVATE KEY')
}
const mode = (file: string): number => statSync(file).mode & 0o777
const temp = (): string => mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))

describe('prepareRemoteAccess', () => {
  it('lays out the TLS files 0600 in a 0700 folder, as DOCKER_CERT_PATH expects', () => {
    const access = prepareRemoteAccess(parseDockerHost('tcp://prod.example.com:2376'), inputs, temp())
    expect(mode(access.dir)).toBe(0o700)
    for (const name of ['ca.pem', 'cert.pem', 'key.pem'])
      expect(mode(path.join(access.dir, name))).toBe(0o600)
    expect(readFileSync(path.join(access.dir, 'key.pem'), 'utf8')).toBe(inputs.tlsKey)
    const env = new DockerCli('/tmp/config').withEngine(access.engine).env
    expect(env).toMatchObject({
      DOCKER_HOST: 'tcp://prod.example.com:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: access.dir
    })
  })

  it('gives ssh:// a key, known hosts, a config and a tunnel whose local socket is the engine', () => {
    const access = prepareRemoteAccess(parseDockerHost('ssh://deploy@127.0.0.1:2222'), inputs, temp())
    expect(mode(path.join(access.dir, 'id_key'))).toBe(0o600)
    expect(readFileSync(path.join(access.dir, 'id_key'), 'utf8')).toBe(`${KEY}\n`)
    expect(readFileSync(path.join(access.dir, 'known_hosts'), 'utf8')).toBe(`${KNOWN_HOSTS}\n`)
    const socket = path.join(access.dir, 'docker.sock')
    expect(access.tunnel).toEqual({
      args: [
        '-F',
        path.join(access.dir, 'ssh_config'),
        '-N',
        '-T',
        '-L',
        `${socket}:/var/run/docker.sock`,
        '127.0.0.1'
      ],
      socket,
      log: path.join(access.dir, 'ssh.log')
    })
    expect(access.url).toBe('ssh://deploy@127.0.0.1:2222')
    const env = new DockerCli('/tmp/config').withEngine(access.engine).env
    expect(env.DOCKER_HOST).toBe(`unix://${socket}`)
    expect(env.PATH).toBe(process.env.PATH)
    expect(env.DOCKER_TLS_VERIFY).toBeUndefined()
  })
})

describe('sshConfig', () => {
  it('verifies the host key, uses only the given key, keeps the connection alive and reads no other config', () => {
    const config = sshConfig(
      { scheme: 'ssh', url: 'ssh://deploy@[::1]:2222', user: 'deploy', host: '[::1]', port: 2222 },
      '/r'
    )
    expect(config.split('\n')).toEqual([
      'Host ::1',
      '  HostName ::1',
      '  Port 2222',
      '  User deploy',
      '  IdentityFile /r/id_key',
      '  IdentitiesOnly yes',
      '  UserKnownHostsFile /r/known_hosts',
      '  GlobalKnownHostsFile /dev/null',
      '  StrictHostKeyChecking yes',
      '  BatchMode yes',
      '  ConnectTimeout 20',
      '  ServerAliveInterval 15',
      '  ServerAliveCountMax 4',
      '  ExitOnForwardFailure yes',
      '  ControlMaster no',
      '  ControlPath none',
      ''
    ])
  })
})

describe('localSocket', () => {
  /** A makeShortDir that records its calls and makes a real folder (localSocket chmods it). */
  function shortDirs() {
    const made: string[] = []
    return {
      made,
      make: () => {
        const dir = mkdtempSync(path.join(os.tmpdir(), 'cs-'))
        made.push(dir)
        return dir
      }
    }
  }
  /** A folder path whose `/docker.sock` is exactly `bytes` bytes long. */
  const dirFor = (bytes: number): string => `/${'d'.repeat(bytes - '/docker.sock'.length - 1)}`

  it('puts the socket in the access folder when the path is short, making no other folder', () => {
    const dirs = shortDirs()
    expect(localSocket('/home/runner/work/_temp/container-ship-remote-Ab12', dirs.make)).toEqual({
      path: '/home/runner/work/_temp/container-ship-remote-Ab12/docker.sock'
    })
    expect(localSocket(dirFor(90), dirs.make)).toEqual({ path: `${dirFor(90)}/docker.sock` })
    expect(dirs.made).toEqual([])
  })

  it('moves the socket to a private short folder when dir/docker.sock is longer than 90 bytes', () => {
    const dirs = shortDirs()
    const socket = localSocket(dirFor(91), dirs.make)
    expect(dirs.made).toHaveLength(1)
    expect(socket).toEqual({ path: path.join(dirs.made[0]!, 'docker.sock'), dir: dirs.made[0] })
    expect(mode(dirs.made[0]!)).toBe(0o700)
  })

  it('counts bytes, not characters', () => {
    const dirs = shortDirs()
    // 39 two-byte characters: 52 characters with /docker.sock, 91 bytes.
    const deep = `/${'é'.repeat(39)}`
    expect(Buffer.byteLength(`${deep}/docker.sock`)).toBe(91)
    const socket = localSocket(deep, dirs.make)
    expect(socket).toEqual({ path: path.join(dirs.made[0]!, 'docker.sock'), dir: dirs.made[0] })
  })

  it('moves the socket out of a deep self-hosted RUNNER_TEMP', () => {
    const dirs = shortDirs()
    const deep = '/srv/github-actions-runners/runner-build-pool-07/_work/_temp/container-ship-remote-q1W2e3'
    expect(Buffer.byteLength(`${deep}/docker.sock`)).toBeGreaterThan(90)
    expect(localSocket(deep, dirs.make).dir).toBe(dirs.made[0])
  })
})

describe('sshComplaint', () => {
  it("keeps ssh's last lines without its known-hosts chatter", () => {
    const log = path.join(temp(), 'ssh.log')
    writeFileSync(
      log,
      "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nchannel 2: open failed: connect failed: open failed\nPermission denied (publickey).\n"
    )
    expect(sshComplaint(log)).toBe(
      'channel 2: open failed: connect failed: open failed; Permission denied (publickey).'
    )
    expect(sshComplaint(path.join(temp(), 'missing.log'))).toBe('')
  })
})

describe('closeTunnel', () => {
  it('never signals a process that is not the tunnel (a PID reused after it ended)', () => {
    expect(closeTunnel({ pid: process.pid, socket: '/nowhere/docker.sock' })).toBe(false)
    expect(closeTunnel({ socket: '/nowhere/docker.sock' })).toBe(false)
  })
})
