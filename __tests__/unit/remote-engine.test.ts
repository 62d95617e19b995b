import { readFileSync, statSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { DockerCli } from '../../src/docker-cli.js'
import { parseDockerHost } from '../../src/docker-host.js'
import { prepareRemoteAccess, sshConfig } from '../../src/remote-engine.js'

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

  it('gives ssh:// a key, known hosts and a config the docker CLI reaches through PATH', () => {
    const access = prepareRemoteAccess(parseDockerHost('ssh://deploy@127.0.0.1:2222'), inputs, temp())
    expect(mode(path.join(access.dir, 'id_key'))).toBe(0o600)
    expect(readFileSync(path.join(access.dir, 'id_key'), 'utf8')).toBe(`${KEY}\n`)
    expect(readFileSync(path.join(access.dir, 'known_hosts'), 'utf8')).toBe(`${KNOWN_HOSTS}\n`)
    const wrapper = readFileSync(path.join(access.dir, 'bin', 'ssh'), 'utf8')
    expect(wrapper).toBe(`#!/bin/sh\nexec '/usr/bin/ssh' -F '${path.join(access.dir, 'ssh_config')}' "$@"\n`)
    const env = new DockerCli('/tmp/config').withEngine(access.engine).env
    expect(env.DOCKER_HOST).toBe('ssh://deploy@127.0.0.1:2222')
    expect(env.PATH?.split(path.delimiter)[0]).toBe(path.join(access.dir, 'bin'))
    expect(env.DOCKER_TLS_VERIFY).toBeUndefined()
  })
})

describe('sshConfig', () => {
  it('verifies the host key, uses only the given key and shares one connection', () => {
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
      '  ControlMaster auto',
      '  ControlPath /r/cm',
      '  ControlPersist 120',
      ''
    ])
  })
})
