import { describe, expect, it } from '@jest/globals'
import { DockerCli, programEnv } from '../../../src/docker/cli.js'

describe('programEnv', () => {
  it('drops every input and saved state the runner passes, keeps the rest', () => {
    expect(
      programEnv({
        PATH: '/usr/bin',
        INPUT_PASSWORD: 'pw',
        INPUT_SECRETS: 'a=b',
        'INPUT_SSH-PRIVATE-KEY': 'key',
        'STATE_docker-config': '/tmp/x',
        DOCKER_HOST: 'unix:///run/user/1000/docker.sock',
        ACTIONS_RUNTIME_TOKEN: 'for buildx cache type=gha'
      })
    ).toEqual({
      PATH: '/usr/bin',
      DOCKER_HOST: 'unix:///run/user/1000/docker.sock',
      ACTIONS_RUNTIME_TOKEN: 'for buildx cache type=gha'
    })
  })
})

describe('DockerCli', () => {
  it("talks to the runner's own engine as the runner's docker would", () => {
    const env = new DockerCli('/tmp/private').env
    expect(env.DOCKER_CONFIG).toBe('/tmp/private')
    expect(env.DOCKER_HOST).toBe(process.env.DOCKER_HOST)
  })

  it('talks to a remote engine over TLS with the same config, whatever the runner points at', () => {
    const previous = { ...process.env }
    Object.assign(process.env, { DOCKER_CONTEXT: 'other', DOCKER_HOST: 'unix:///elsewhere' })
    try {
      const remote = new DockerCli('/tmp/private').withEngine({
        kind: 'remote',
        host: 'tcp://prod.example.com:2376',
        tlsDir: '/tmp/tls'
      })
      expect(remote.env).toMatchObject({
        DOCKER_CONFIG: '/tmp/private',
        DOCKER_HOST: 'tcp://prod.example.com:2376',
        DOCKER_TLS_VERIFY: '1',
        DOCKER_CERT_PATH: '/tmp/tls'
      })
      expect(remote.env.DOCKER_CONTEXT).toBeUndefined()
      const ssh = remote.withEngine({ kind: 'remote', host: 'ssh://deploy@prod.example.com' })
      expect(ssh.env.DOCKER_HOST).toBe('ssh://deploy@prod.example.com')
      expect(ssh.env.DOCKER_TLS_VERIFY).toBeUndefined()
    } finally {
      process.env = previous
    }
  })
})
