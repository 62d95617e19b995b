import { mkdtempSync, realpathSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it } from '@jest/globals'
import {
  Compose,
  composeArgs,
  composeEnv,
  probeCompose,
  scaleUpCommand
} from '../../../../src/deploy/compose/cli.js'
import { DockerCli, type Engine } from '../../../../src/docker/cli.js'

const SSH_ENGINE: Engine = { kind: 'remote', host: 'unix:///r/ssh/docker.sock' }
const TLS_ENGINE: Engine = { kind: 'remote', host: 'tcp://prod.example.com:2376', tlsDir: '/r/tls' }

/** The variables these tests set on the runner, put back as they were afterwards. */
const TOUCHED = [
  'PATH',
  'COMPOSE_FILE',
  'COMPOSE_PROJECT_NAME',
  'COMPOSE_PATH_SEPARATOR',
  'COMPOSE_PARAMIKO_SSH',
  'REQUESTS_CA_BUNDLE',
  'DOCKER_HOST',
  'RUNNER_VARIABLE'
]
let saved: Record<string, string | undefined> = {}
beforeEach(() => {
  saved = Object.fromEntries(TOUCHED.map((key) => [key, process.env[key]]))
  for (const key of TOUCHED.slice(1)) delete process.env[key]
})
afterEach(() => {
  for (const [key, value] of Object.entries(saved)) {
    if (value === undefined) delete process.env[key]
    else process.env[key] = value
  }
})

/** A folder of executable shell scripts, standing in for programs on PATH. */
function fakeBin(scripts: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'fake-bin-'))
  for (const [name, body] of Object.entries(scripts)) {
    writeFileSync(path.join(dir, name), `#!/bin/sh\n${body}\n`, { mode: 0o755 })
  }
  return dir
}

/** A docker CLI without the Compose plugin, as it answers `docker compose ...`. */
const DOCKER_WITHOUT_PLUGIN = `if [ "$1" = compose ]; then
  echo "docker: 'compose' is not a docker command." >&2
  echo "See 'docker --help'" >&2
  exit 1
fi
exit 0`

describe('composeArgs', () => {
  it('names every file, then the project, then the command', () => {
    expect(
      composeArgs(['docker-compose.yml', 'deploy/docker-compose.prod.yml'], 'shop', ['ps', '--quiet'])
    ).toEqual([
      '-f',
      'docker-compose.yml',
      '-f',
      'deploy/docker-compose.prod.yml',
      '-p',
      'shop',
      'ps',
      '--quiet'
    ])
  })

  it('keeps one file and an empty command as they are', () => {
    expect(composeArgs(['compose.yml'], 'p', [])).toEqual(['-f', 'compose.yml', '-p', 'p'])
  })
})

describe('scaleUpCommand', () => {
  it('brings up only the service, at the count, leaving running containers and dependencies alone', () => {
    expect(scaleUpCommand('web', 4)).toEqual([
      'up',
      '--detach',
      '--no-deps',
      '--no-recreate',
      '--scale',
      'web=4',
      'web'
    ])
  })
})

describe('composeEnv', () => {
  it('removes the variables that would pick other files, another project or another SSH path', () => {
    process.env.COMPOSE_FILE = 'other.yml'
    process.env.COMPOSE_PROJECT_NAME = 'other'
    process.env.COMPOSE_PATH_SEPARATOR = ';'
    const env = composeEnv(
      new DockerCli('/tmp/config', SSH_ENGINE),
      { kind: 'v2', version: '2.27.0' },
      { COMPOSE_PARAMIKO_SSH: '1', COMPOSE_FILE: 'from-input.yml', APP_VERSION: '1.4.0' }
    )
    for (const key of [
      'COMPOSE_FILE',
      'COMPOSE_PROJECT_NAME',
      'COMPOSE_PATH_SEPARATOR',
      'COMPOSE_PARAMIKO_SSH'
    ])
      expect(env).not.toHaveProperty(key)
    expect(env.APP_VERSION).toBe('1.4.0')
  })

  it("takes DOCKER_HOST, DOCKER_CONFIG and PATH from the docker CLI's environment", () => {
    process.env.PATH = '/usr/local/bin:/usr/bin:/bin'
    process.env.DOCKER_HOST = 'unix:///var/run/runner-docker.sock'
    const env = composeEnv(new DockerCli('/tmp/config', SSH_ENGINE), { kind: 'v1', version: '1.29.2' }, {})
    expect(env.DOCKER_HOST).toBe('unix:///r/ssh/docker.sock')
    expect(env.DOCKER_CONFIG).toBe('/tmp/config')
    expect(env.PATH).toBe('/usr/local/bin:/usr/bin:/bin')
    expect(env.REQUESTS_CA_BUNDLE).toBeUndefined()
  })

  it('never lets the variables move Compose to another engine, config or PATH', () => {
    process.env.PATH = '/usr/bin:/bin'
    const env = composeEnv(
      new DockerCli('/tmp/config', TLS_ENGINE),
      { kind: 'v2', version: '2.35.0' },
      {
        DOCKER_HOST: 'tcp://elsewhere:2376',
        DOCKER_CERT_PATH: '/elsewhere',
        DOCKER_TLS_VERIFY: '0',
        DOCKER_CONFIG: '/elsewhere/config',
        DOCKER_CONTEXT: 'other',
        PATH: '/elsewhere/bin'
      }
    )
    expect(env).toMatchObject({
      DOCKER_HOST: 'tcp://prod.example.com:2376',
      DOCKER_CERT_PATH: '/r/tls',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CONFIG: '/tmp/config',
      PATH: '/usr/bin:/bin'
    })
    expect(env).not.toHaveProperty('DOCKER_CONTEXT')
  })

  it.each([
    ['v1 against a tcp:// engine with TLS files', 'v1', TLS_ENGINE, '/r/tls/ca.pem'],
    ['v2 against the same engine (the plugin reads DOCKER_CERT_PATH)', 'v2', TLS_ENGINE, undefined],
    ['v1 over ssh://', 'v1', SSH_ENGINE, undefined],
    ['v1 against the local engine', 'v1', { kind: 'local' } as Engine, undefined]
  ] as const)('REQUESTS_CA_BUNDLE: %s', (_name, kind, engine, bundle) => {
    const env = composeEnv(new DockerCli('/tmp/config', engine), { kind, version: 'x' }, {})
    expect(env.REQUESTS_CA_BUNDLE).toBe(bundle)
  })

  it('keeps the TLS variables of a tcp:// engine for v1', () => {
    const env = composeEnv(new DockerCli('/tmp/config', TLS_ENGINE), { kind: 'v1', version: '1.29.2' }, {})
    expect(env).toMatchObject({
      DOCKER_HOST: 'tcp://prod.example.com:2376',
      DOCKER_TLS_VERIFY: '1',
      DOCKER_CERT_PATH: '/r/tls',
      REQUESTS_CA_BUNDLE: '/r/tls/ca.pem'
    })
  })

  it("lets the variables override the runner's", () => {
    process.env.RUNNER_VARIABLE = 'from the runner'
    const env = composeEnv(
      new DockerCli('/tmp/config', SSH_ENGINE),
      { kind: 'v2', version: '2.27.0' },
      { RUNNER_VARIABLE: 'from the env input', APP_VERSION: '1.4.0' }
    )
    expect(env.RUNNER_VARIABLE).toBe('from the env input')
    expect(env.APP_VERSION).toBe('1.4.0')
  })
})

describe('probeCompose (with stand-in programs on PATH)', () => {
  it('takes the v2 plugin when `docker compose` answers', async () => {
    process.env.PATH = fakeBin({
      docker: 'if [ "$*" = "compose version --short" ]; then echo 2.27.0; exit 0; fi\nexit 9',
      'docker-compose': 'echo 1.29.2'
    })
    await expect(probeCompose(new DockerCli('/tmp/config'))).resolves.toEqual({
      kind: 'v2',
      version: '2.27.0'
    })
  })

  it('falls back to docker-compose v1 when the docker CLI has no Compose plugin', async () => {
    process.env.PATH = fakeBin({
      docker: DOCKER_WITHOUT_PLUGIN,
      'docker-compose': '[ "$*" = "version --short" ] || exit 2\necho 1.29.2'
    })
    await expect(probeCompose(new DockerCli('/tmp/config'))).resolves.toEqual({
      kind: 'v1',
      version: '1.29.2'
    })
  })

  it("runs docker-compose with the engine's environment", async () => {
    process.env.PATH = fakeBin({
      docker: DOCKER_WITHOUT_PLUGIN,
      // Answers only with the engine's variables.
      'docker-compose': [
        '[ "$DOCKER_HOST" = "unix:///r/ssh/docker.sock" ] || exit 3',
        '[ "$DOCKER_CONFIG" = /tmp/config ] || exit 4',
        'echo 1.29.2'
      ].join('\n')
    })
    const docker = new DockerCli('/tmp/config', SSH_ENGINE)
    await expect(probeCompose(docker)).resolves.toEqual({ kind: 'v1', version: '1.29.2' })
  })

  it('names both when there is no docker CLI at all', async () => {
    process.env.PATH = fakeBin({})
    await expect(probeCompose(new DockerCli('/tmp/config'))).rejects.toThrow(/^neither `docker compose`/)
  })

  it.each([
    ['docker-compose is not installed', {}],
    ['docker-compose fails', { 'docker-compose': 'echo "ImportError: No module named compose" >&2\nexit 1' }]
  ])('names both when the plugin is missing and %s', async (_name, scripts) => {
    process.env.PATH = fakeBin({ docker: DOCKER_WITHOUT_PLUGIN, ...scripts })
    await expect(probeCompose(new DockerCli('/tmp/config'))).rejects.toThrow(
      new Error(
        'neither `docker compose` (the Compose v2 plugin) nor `docker-compose` (v1) is installed on the runner: the deploy step needs one'
      )
    )
  })
})

describe('Compose', () => {
  it('is labelled by the variant it runs', () => {
    const docker = new DockerCli('/tmp/config')
    expect(new Compose(docker, { kind: 'v2', version: '2.27.0' }, [], 'p', {}, '/').label).toBe(
      'docker compose 2.27.0'
    )
    expect(new Compose(docker, { kind: 'v1', version: '1.29.2' }, [], 'p', {}, '/').label).toBe(
      'docker-compose 1.29.2'
    )
  })

  it.each([
    ['v2', 'docker', 'compose '],
    ['v1', 'docker-compose', '']
  ] as const)(
    '%s runs %s with the files, the project and the variables, in the workspace',
    async (kind, program, first) => {
      const script = 'echo "$* | $(pwd) | $APP_VERSION | ${COMPOSE_PROJECT_NAME-unset}"'
      process.env.PATH = fakeBin({ [program]: script })
      process.env.COMPOSE_PROJECT_NAME = 'other'
      const workspace = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'workspace-')))
      const compose = new Compose(
        new DockerCli('/tmp/config'),
        { kind, version: 'x' },
        ['docker-compose.yml', 'docker-compose.prod.yml'],
        'shop',
        { APP_VERSION: '1.4.0' },
        workspace
      )
      const result = await compose.run(['ps', '--quiet'], { quiet: true })
      expect(result.stdout.trim()).toBe(
        `${first}-f docker-compose.yml -f docker-compose.prod.yml -p shop ps --quiet | ${workspace} | 1.4.0 | unset`
      )
    }
  )
})
