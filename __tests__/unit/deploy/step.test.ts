import { describe, expect, it, jest } from '@jest/globals'
import { makeInputs } from '../../../__fixtures__/inputs.js'
import type { ContainerState } from '../../../src/deploy/compose/containers.js'
import { defaultReplicas } from '../../../src/deploy/compose/blue-green.js'
import { deploySkipReason, deployStep, lockHolder, refuseUnpushed } from '../../../src/deploy/step.js'
import { deploySection, printContainerLogs } from '../../../src/deploy/summary.js'
import type { HostResult } from '../../../src/deploy/result.js'
import type { BuildResult } from '../../../src/build/step.js'
import { nameHolders } from '../../../src/deploy/compose/traffic-switch.js'

const HOST = 'unix:///var/run/docker.sock'
const PUBLIC_KEY =
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----'
/** Inputs as getInputs parses them, for the image ghcr.io/acme/web. */
const inputsWith = (given: Record<string, string>) => makeInputs({ image: 'ghcr.io/acme/web', ...given })
const pushed = { pushing: { push: true, reason: 'a tag was pushed' } }
const notPushed = (reason: string) => ({ pushing: { push: false, reason } })

describe('refuseUnpushed: an image built and deployed without a push', () => {
  const loaded: BuildResult = {
    imageId: 'sha256:0123',
    references: ['ghcr.io/acme/web:1.2.3'],
    builder: { kind: 'buildx', name: 'default', driver: 'docker', platforms: [], output: 'load' },
    dockerfile: 'Dockerfile',
    target: '',
    metadata: '{}'
  }
  it('deploys one loaded into the engine', () => {
    expect(() => refuseUnpushed(inputsWith({}), loaded)).not.toThrow()
  })
  it('refuses one built into an OCI layout, which the engine does not hold', () => {
    const layout = { ...loaded, layout: { dir: '/tmp/l', digest: 'sha256:ab' } }
    expect(() => refuseUnpushed(inputsWith({}), layout)).toThrow(
      'the image was built into an OCI layout (builder default), which the engine does not hold: add push to steps'
    )
  })
  it('refuses when verify asks for a signature in the registry', () => {
    expect(() =>
      refuseUnpushed(inputsWith({ verify: 'signature', 'cosign-public-key': PUBLIC_KEY }), loaded)
    ).toThrow('verify: signature checks the image in the registry, and this run does not push it')
  })
})

describe('deploySkipReason', () => {
  it.each([
    [
      'deploy is not in steps',
      { steps: 'build,scan,push', 'deploy-host': HOST },
      pushed,
      'deploy is not in steps'
    ],
    ['deploy-host is empty', { steps: 'build,push,deploy' }, pushed, 'deploy-host is empty'],
    [
      'push is in steps but nothing was pushed',
      { steps: 'build,push,deploy', 'deploy-host': HOST, service: 'web' },
      notPushed('pull request builds are not pushed'),
      'nothing was pushed (pull request builds are not pushed)'
    ],
    [
      'deploy alone is not in steps, before deploy-host',
      { steps: 'build' },
      notPushed('push is not in steps'),
      'deploy is not in steps'
    ]
  ])('%s', (_name, given, release, reason) => {
    expect(deploySkipReason(inputsWith(given), release)).toBe(reason)
  })

  it.each([
    [
      'build,deploy without push (the local image, nothing to push)',
      'build,deploy',
      notPushed('push is not in steps')
    ],
    ['build,push,deploy with a push', 'build,push,deploy', pushed],
    ['deploy alone', 'deploy', notPushed('push is not in steps')]
  ])('deploys for %s', (_name, steps, release) => {
    expect(
      deploySkipReason(inputsWith({ steps, 'deploy-host': HOST, service: 'web' }), release)
    ).toBeUndefined()
  })
})

describe('lockHolder', () => {
  const github = { repositoryUrl: 'https://github.com/acme/shop', repository: 'acme/shop' }

  it("is the workflow run's address", () => {
    expect(lockHolder(github, { GITHUB_RUN_ID: '9876543210' })).toBe(
      'https://github.com/acme/shop/actions/runs/9876543210'
    )
  })

  it("is the repository's address without a run ID", () => {
    expect(lockHolder(github, {})).toBe('https://github.com/acme/shop')
    expect(lockHolder(github, { GITHUB_RUN_ID: '' })).toBe('https://github.com/acme/shop')
  })

  it('is the repository and the run ID without an address', () => {
    expect(lockHolder({ repository: 'acme/shop' }, { GITHUB_RUN_ID: '42' })).toBe('acme/shop, run 42')
    expect(lockHolder({ repository: 'acme/shop' }, {})).toBe('acme/shop')
  })

  it('says a workflow run when nothing is known', () => {
    expect(lockHolder({}, {})).toBe('a workflow run')
  })

  it('reads GITHUB_RUN_ID from the environment by default', () => {
    const saved = process.env.GITHUB_RUN_ID
    process.env.GITHUB_RUN_ID = '777'
    try {
      expect(lockHolder(github)).toBe('https://github.com/acme/shop/actions/runs/777')
    } finally {
      if (saved === undefined) delete process.env.GITHUB_RUN_ID
      else process.env.GITHUB_RUN_ID = saved
    }
  })
})

describe('nameHolders', () => {
  const container = (id: string, name: string, networks: ContainerState['networks']): ContainerState => ({
    id,
    name,
    image: 'ghcr.io/acme/web:1.3.0',
    imageId: 'sha256:0123',
    created: '2024-05-01T10:00:00Z',
    running: true,
    status: 'running',
    exitCode: 0,
    restartCount: 0,
    networks
  })
  const ID1 = `aaaaaaaaaaaa${'1'.repeat(52)}`
  const ID2 = `bbbbbbbbbbbb${'2'.repeat(52)}`
  const web1 = container(ID1, 'proj-web-1', {
    proj_default: { ip: '172.18.0.10', aliases: ['proj-web-1', 'web', 'aaaaaaaaaaaa'] },
    proj_backend: { ip: '172.19.0.3', aliases: ['web', 'aaaaaaaaaaaa', 'api'] },
    // Attached without the service's name: not a holder.
    'shared-metrics': { ip: '10.5.0.2', aliases: ['proj-web-1', 'aaaaaaaaaaaa'] }
  })
  const web2 = container(ID2, 'proj-web-2', {
    proj_default: { ip: '172.18.0.9', aliases: ['proj-web-2', 'web', 'bbbbbbbbbbbb'] }
  })

  it('lists each endpoint that carries the name, by network then lowest IPv4 first, without the short ID', () => {
    expect(nameHolders([web1, web2], 'web')).toEqual([
      { container: web1, network: 'proj_backend', ip: '172.19.0.3', aliases: ['web', 'api'] },
      { container: web2, network: 'proj_default', ip: '172.18.0.9', aliases: ['proj-web-2', 'web'] },
      { container: web1, network: 'proj_default', ip: '172.18.0.10', aliases: ['proj-web-1', 'web'] }
    ])
  })

  it('orders addresses by number, not as text', () => {
    const at = (id: string, ip: string) => container(id, id, { net: { ip, aliases: ['web'] } })
    const holders = nameHolders(
      [at('c', '10.0.1.0'), at('a', '10.0.0.200'), at('d', '9.255.255.255'), at('b', '10.0.0.20')],
      'web'
    )
    expect(holders.map((holder) => holder.ip)).toEqual([
      '9.255.255.255',
      '10.0.0.20',
      '10.0.0.200',
      '10.0.1.0'
    ])
  })

  it('is empty when no endpoint carries the name', () => {
    expect(nameHolders([web1, web2], 'api-gateway')).toEqual([])
    expect(nameHolders([], 'web')).toEqual([])
  })

  it('keeps the aliases of another container that happen to look like a short ID', () => {
    const [holder] = nameHolders(
      [container(ID2, 'proj-web-2', { n: { ip: '172.18.0.2', aliases: ['web', 'aaaaaaaaaaaa'] } })],
      'web'
    )
    expect(holder?.aliases).toEqual(['web', 'aaaaaaaaaaaa'])
  })
})

describe('defaultReplicas', () => {
  const running = (...images: string[]) => images.map((imageId) => ({ imageId }))

  it('is the running count, else the compose file replicas, else 1', () => {
    expect(defaultReplicas(running('a', 'a', 'a'), 5)).toBe(3)
    expect(defaultReplicas([], 5)).toBe(5)
    expect(defaultReplicas([])).toBe(1)
  })

  it('counts only the image most containers run after an unfinished rollout (N old + N new)', () => {
    expect(defaultReplicas(running('old', 'old', 'old', 'new', 'new', 'new'))).toBe(3)
    expect(defaultReplicas(running('old', 'old', 'new'))).toBe(2)
  })
})

describe('printContainerLogs', () => {
  it('prints each failed container`s health checks and last log lines in a job log group of its own', () => {
    const lines: string[] = []
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
      lines.push(...String(text).replace(/\n$/, '').split('\n'))
      return true
    })
    try {
      printContainerLogs([
        {
          name: 'shop-web-4',
          id: 'a'.repeat(64),
          reason: 'became unhealthy',
          healthLog: ['exit 1: 404 Not Found', 'exit 1: 404 Not Found'],
          logTail: 'starting\ncannot open the database'
        },
        { name: 'shop-web-5', id: 'b'.repeat(64), reason: 'exited with code 3', healthLog: [], logTail: '' }
      ])
    } finally {
      write.mockRestore()
    }
    expect(lines).toEqual([
      '::group::Logs of shop-web-4 (aaaaaaaaaaaa)',
      'Last health checks:',
      'exit 1: 404 Not Found',
      'exit 1: 404 Not Found',
      'Last 20 log lines:',
      'starting',
      'cannot open the database',
      '::endgroup::',
      '::group::Logs of shop-web-5 (bbbbbbbbbbbb)',
      'Last 20 log lines:',
      '(nothing)',
      '::endgroup::'
    ])
  })
})

describe('deploySection with several hosts: a row per host', () => {
  const host = (
    url: string,
    outcome: HostResult['outcome'],
    extra: Partial<HostResult> = {}
  ): HostResult => ({
    host: url,
    outcome,
    deployed: outcome === 'deployed',
    previousImage: 'reg/web:1.0.0',
    containers: outcome === 'deployed' ? ['a'.repeat(64), 'b'.repeat(64)] : [],
    failures: [],
    timeline: [
      { phase: 'image pulled', seconds: 0.42 },
      { phase: 'lock taken', seconds: 0.05 }
    ],
    ...extra
  })
  it("says each host's result and phase times", () => {
    const section = deploySection({
      deployed: false,
      previousImage: 'reg/web:1.0.0',
      containers: [],
      host: 'ssh://a, ssh://b, ssh://c',
      project: 'shop',
      service: 'web',
      image: 'reg/web:2.0.0',
      timeline: [],
      failures: [],
      hosts: [
        host('ssh://a', 'reverted'),
        host('ssh://b', 'failed', { rolledBack: true }),
        host('ssh://c', 'not reached', { timeline: [] })
      ]
    })
    expect(section.split('\n')).toEqual([
      '### Deploy',
      '',
      '| Host | Result | Phases (seconds) | Total |',
      '| --- | --- | --- | ---: |',
      '| `ssh://a` | rolled back to the release before | image pulled 0.4 · lock taken 0.1 | 0.5 |',
      '| `ssh://b` | **failed**, its new containers removed | image pulled 0.4 · lock taken 0.1 | 0.5 |',
      '| `ssh://c` | not changed |  | 0.0 |',
      ''
    ])
  })
})

describe('the version output of a chosen release', () => {
  const deployInputs = (given: Record<string, string>) =>
    makeInputs({ image: 'ghcr.io/acme/web', steps: 'deploy', 'deploy-host': HOST, service: 'web', ...given })
      .deploy

  it('is left to the release without a version or rollback input', () => {
    expect(deployStep.report(undefined, { inputs: deployInputs({}) }).outputs).not.toHaveProperty('version')
  })

  it('names the version chosen, also when nothing was deployed', () => {
    expect(deployStep.report(undefined, { inputs: deployInputs({ version: '1.0.0' }) }).outputs.version).toBe(
      '1.0.0'
    )
  })

  it('names the release a rollback deployed, empty when it was not found', () => {
    const inputs = deployInputs({ rollback: 'true' })
    expect(deployStep.report(undefined, { inputs }).outputs.version).toBe('')
    const result = {
      deployed: true,
      previousImage: 'ghcr.io/acme/web:2.0.0@sha256:' + 'b'.repeat(64),
      containers: ['c1'],
      failures: [],
      host: HOST,
      project: 'p',
      service: 'web',
      image: 'ghcr.io/acme/web:1.0.0@sha256:' + 'a'.repeat(64),
      timeline: [],
      hosts: [],
      version: '1.0.0'
    }
    const report = deployStep.report(result, { inputs })
    expect(report.outputs.version).toBe('1.0.0')
    expect(report.rows?.[0]).toEqual([
      'Chosen release',
      '`1.0.0`, the release before the current one (rollback)'
    ])
  })
})
