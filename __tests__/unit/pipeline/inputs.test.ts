import { mkdtempSync, writeFileSync, mkdirSync, readdirSync, symlinkSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterEach, beforeEach, describe, expect, it, test } from '@jest/globals'
import { refuseUntrustedDeploy } from '../../../src/deploy/inputs.js'
import { InputError, parseBoolean } from '../../../src/inputs/fields.js'
import { getInputs } from '../../../src/pipeline/inputs.js'

/** A workspace with a Dockerfile, and a reader over the given inputs (unset ones read ''). */
function setup(
  given: Record<string, string>,
  files: Record<string, string> = { Dockerfile: 'FROM scratch\n' }
) {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'inputs-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(cwd, name)), { recursive: true })
    writeFileSync(path.join(cwd, name), content)
  }
  return { read: (name: string) => given[name] ?? '', cwd }
}

function inputs(given: Record<string, string>, files?: Record<string, string>) {
  const { read, cwd } = setup({ image: 'ghcr.io/acme/web', ...given }, files)
  return getInputs(read, cwd)
}

function problems(given: Record<string, string>, files?: Record<string, string>): string[] {
  try {
    inputs(given, files)
  } catch (error) {
    if (error instanceof InputError) return error.problems
    throw error
  }
  throw new Error('expected an InputError')
}

describe('defaults', () => {
  it('match action.yml and the SPEC', () => {
    const parsed = inputs({})
    expect(parsed).toMatchObject({
      steps: ['build', 'scan', 'push', 'deploy'],
      image: { registry: 'ghcr.io', repository: 'acme/web', name: 'ghcr.io/acme/web' },
      build: { context: '.', file: 'Dockerfile' },
      tags: { extra: [], references: [], latest: 'auto', sha: true },
      publish: { registry: 'ghcr.io', push: 'auto' },
      scan: {
        severityThreshold: 'HIGH',
        severities: ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'],
        ignoreFile: '.trivyignore',
        ignoreFileExplicit: false,
        scanners: ['vuln', 'secret'],
        annotations: true,
        prComment: true
      },
      deploy: { composeFiles: ['docker-compose.yml'], healthTimeout: 120, drainSeconds: 0 }
    })
    expect(parsed.deploy.replicas).toBeUndefined()
    expect(parsed.deploy.dockerHosts).toEqual([])
  })
})

describe('each input is validated, and the message names it', () => {
  test.each([
    [{ image: '' }, 'image: is empty: set image to the repository to build and push'],
    [{ image: 'ghcr.io/acme/web:1.0' }, 'image: "ghcr.io/acme/web:1.0" has a tag'],
    [{ image: 'ghcr.io/Acme/web' }, 'image: "ghcr.io/Acme/web" is not a valid repository name'],
    [{ image: 'acme/web@sha256:abc' }, 'image: "acme/web@sha256:abc" has a digest'],
    [{ steps: 'build,ship' }, 'steps: "ship" is not one of build, scan, push, deploy'],
    [{ steps: 'push' }, 'steps: push works on the image the build step makes: add build'],
    [{ context: 'nowhere' }, 'context: "nowhere" is not a folder'],
    [{ file: 'docker/Dockerfile.prod' }, 'file: "docker/Dockerfile.prod" does not exist'],
    [{ 'build-args': 'GOOD=1\nno equals sign' }, 'build-args: line 2 is not KEY=VALUE'],
    [{ labels: 'has space=1' }, 'labels: line 1: the key is not a name without spaces'],
    [{ secrets: 'bad/id=x' }, 'secrets: line 1: the key is not an id of letters, digits, . _ -'],
    [{ platforms: 'linux' }, 'platforms: "linux" is not os/arch[/variant]'],
    [{ platforms: 'linux/amd64,linux/arm64,linux/amd64' }, 'platforms: "linux/amd64" is named twice'],
    [{ builder: 'my builder' }, 'builder: "my builder" is not a buildx builder name'],
    [{ provenance: 'mode=full' }, 'provenance: mode is min or max, not "full"'],
    [{ sbom: 'spdx' }, 'sbom: "spdx" is not a boolean'],
    [{ pull: 'yes' }, 'pull: "yes" is not a boolean'],
    [{ 'no-cache': '1' }, 'no-cache: "1" is not a boolean'],
    [{ tags: 'good, -bad' }, 'tags: "-bad" is not a valid tag'],
    [{ tags: 'ghcr.io/acme/web' }, 'tags: "ghcr.io/acme/web" has no tag'],
    [{ tags: 'ghcr.io/acme/web@sha256:abc' }, 'tags: "ghcr.io/acme/web@sha256:abc" has a digest'],
    [
      { image: 'localhost:99999999/x' },
      'image: "localhost:99999999" has port 99999999, which is not between 1 and 65535'
    ],
    [{ image: 'localhost:0/x' }, 'image: "localhost:0" has port 0, which is not between 1 and 65535'],
    [
      { registry: 'ghcr.io:65536' },
      'registry: "ghcr.io:65536" has port 65536, which is not between 1 and 65535'
    ],
    [{ tags: 'localhost:70000/x:1' }, 'tags: "localhost:70000" has port 70000'],
    [
      { 'trivy-releases': 'ftp://mirror/trivy' },
      'trivy-releases: "ftp://mirror/trivy" is not an http(s) URL'
    ],
    [
      { 'db-repository': 'mirror.example.com/Trivy-DB:2' },
      'db-repository: "mirror.example.com/Trivy-DB" is not a valid repository name'
    ],
    [{ 'skip-db-update': 'yes' }, 'skip-db-update: "yes" is not a boolean'],
    [{ 'tag-latest': 'always' }, 'tag-latest: "always" is not one of auto, true, false'],
    [{ 'tag-sha': 'on' }, 'tag-sha: "on" is not a boolean'],
    [{ registry: 'https://ghcr.io' }, 'registry: "https://ghcr.io" is not a registry host[:port]'],
    [{ username: 'me' }, 'password: is required when username is set'],
    [{ password: 'p' }, 'username: is required when password is set'],
    [{ push: 'maybe' }, 'push: "maybe" is not one of auto, true, false'],
    [
      { 'severity-threshold': 'SEVERE' },
      'severity-threshold: "SEVERE" is not one of UNKNOWN, LOW, MEDIUM, HIGH, CRITICAL or none'
    ],
    [{ severities: 'HIGH,URGENT' }, 'severities: "URGENT" is not one of'],
    [{ 'ignore-unfixed': 'y' }, 'ignore-unfixed: "y" is not a boolean'],
    [{ 'ignore-file': '.trivyignore.yaml' }, 'ignore-file: ".trivyignore.yaml" does not exist'],
    [{ scanners: 'vuln,malware' }, 'scanners: "malware" is not one of vuln, secret, misconfig, license'],
    [{ 'max-findings': 'critical=0,high=many' }, 'max-findings: "high=many" is not SEVERITY=COUNT'],
    [{ 'max-findings': 'severe=1' }, 'max-findings: "severe=1" is not SEVERITY=COUNT'],
    [{ 'trivy-version': 'latest' }, 'trivy-version: "latest" is not a release version'],
    [{ 'scan-annotations': 'nope' }, 'scan-annotations: "nope" is not a boolean'],
    [{ 'pr-comment': 'sometimes' }, 'pr-comment: "sometimes" is not a boolean'],
    [{ 'deploy-host': 'prod.example.com' }, 'deploy-host: "prod.example.com" is not ssh://user@host[:port]'],
    [
      { 'deploy-host': 'tcp://prod:99999', 'tls-ca': 'x' },
      'deploy-host: port 99999 is not between 1 and 65535'
    ],
    [
      { 'deploy-host': 'ssh://deploy@prod', service: 'web' },
      'ssh-known-hosts: is required for an ssh:// deploy-host (host keys are always verified): run `ssh-keyscan prod`'
    ],
    [
      { 'deploy-host': 'ssh://deploy@prod:2222', service: 'web' },
      'run `ssh-keyscan -p 2222 prod`, check the key'
    ],
    [{ 'deploy-host': 'tcp://prod:2376', service: 'web' }, 'tls-ca: is required for a tcp:// deploy-host'],
    [{ 'ssh-private-key': 'hunter2' }, 'ssh-private-key: is not PEM text with a PRIVATE KEY block'],
    [{ 'tls-cert': 'garbage' }, 'tls-cert: is not PEM text with a CERTIFICATE block'],
    [{ 'deploy-host': 'unix:///var/run/docker.sock' }, 'service: is required to deploy (deploy-host is set)'],
    [{ service: 'web app' }, 'service: "web app" is not a Compose service name'],
    [{ 'compose-project': 'My_Project' }, 'compose-project: "My_Project" is not a Compose project name'],
    [{ replicas: '0' }, 'replicas: "0" is not a whole number of at least 1'],
    [{ 'health-timeout': '2m' }, 'health-timeout: "2m" is not a whole number of at least 1'],
    [{ 'drain-seconds': '-1' }, 'drain-seconds: "-1" is not a whole number of at least 0'],
    [{ 'switch-command': 'nginx -s reload' }, 'switch-command: "nginx -s reload" is not SERVICE: command'],
    [
      { 'switch-command': "proxy: sh -c 'kill -HUP 1" },
      `switch-command: "proxy: sh -c 'kill -HUP 1": the quote ' is not closed`
    ],
    [{ 'startup-grace': '-1' }, 'startup-grace: "-1" is not a whole number of at least 0'],
    [{ environment: 'a\nb' }, 'environment: has a control character (a line break?)'],
    [{ environment: 'e'.repeat(256) }, 'environment: is 256 characters long; GitHub takes at most 255'],
    [
      { 'environment-url': 'https://web.example.com' },
      'environment-url: needs environment, the GitHub environment whose deployment it belongs to'
    ],
    [
      { environment: 'production', 'environment-url': 'web.example.com' },
      'environment-url: "web.example.com" is not an address (https://...)'
    ],
    [
      { environment: 'production', 'environment-url': 'javascript:alert(1)' },
      'environment-url: "javascript:alert(1)" is not an http:// or https:// address'
    ],
    [
      { environment: 'production', 'environment-url': 'https://user:pw@web.example.com' },
      'environment-url: has a user name or password in it'
    ],
    [{ 'lock-timeout': 'soon' }, 'lock-timeout: "soon" is not a whole number of at least 0'],
    [{ 'registry-timeout': '0' }, 'registry-timeout: "0" is not a whole number of at least 1'],
    [{ env: '1ST=x' }, 'env: line 1: the key is not a variable name'],
    [
      { env: 'DOCKER_HOST=tcp://elsewhere:2376\nAPP_VERSION=1\nOK=1' },
      'env: DOCKER_HOST, APP_VERSION cannot be set here: the action sets them'
    ]
  ])('%j', (given, message) => {
    expect(problems(given).join('\n')).toContain(message)
  })

  it('reads environment, environment-url and the token the deployment needs', () => {
    const parsed = inputs({
      environment: 'production',
      'environment-url': 'https://web.example.com',
      'github-token': 'ghs_abc'
    })
    expect(parsed.deploy).toMatchObject({
      environment: 'production',
      environmentUrl: 'https://web.example.com',
      githubToken: 'ghs_abc'
    })
    // Without an environment the token is still read: break-stale-lock asks GitHub with it.
    expect(inputs({ 'github-token': 'ghs_abc' }).deploy).toMatchObject({
      environment: '',
      githubToken: 'ghs_abc'
    })
  })

  it('reports every problem at once', () => {
    expect(problems({ image: 'x:1', pull: 'yes', replicas: 'two' })).toHaveLength(3)
  })

  it('never quotes a secret in a message', () => {
    const key = '-----BEGIN NOT A KEY----- hunter2-secret'
    const message = problems({
      'ssh-private-key': key,
      'tls-key': key,
      secrets: 'novalue-hunter2-secret'
    }).join('\n')
    expect(message).not.toContain('hunter2')
  })
})

describe('parsed values', () => {
  it('reads lists, KEY=VALUE lines and numbers', () => {
    const parsed = inputs({
      steps: 'build, push\nscan',
      'build-args': 'A=1\n\n# a comment\nURL=https://x.example/?a=b\n',
      tags: 'edge\nnightly, 2024',
      'cache-from': 'type=registry,ref=ghcr.io/acme/web:cache\ntype=gha',
      'max-findings': 'critical=0, HIGH=5',
      severities: 'critical,high',
      'severity-threshold': 'none',
      replicas: '3',
      'switch-command': 'nginx: nginx -s reload',
      'deploy-host': 'ssh://deploy@prod.example.com:2222',
      'ssh-known-hosts': 'prod.example.com ssh-ed25519 AAAA',
      service: 'web',
      'compose-file': 'docker-compose.yml\ndocker-compose.prod.yml'
    })
    expect(parsed.steps).toEqual(['build', 'scan', 'push'])
    expect(parsed.build.buildArgs).toEqual([
      { key: 'A', value: '1' },
      { key: 'URL', value: 'https://x.example/?a=b' }
    ])
    expect(parsed.tags.extra).toEqual(['edge', 'nightly', '2024'])
    expect(parsed.build.cacheFrom).toEqual(['type=registry,ref=ghcr.io/acme/web:cache', 'type=gha'])
    expect(parsed.scan.maxFindings).toEqual({ CRITICAL: 0, HIGH: 5 })
    expect(parsed.scan.severities).toEqual(['HIGH', 'CRITICAL'])
    expect(parsed.scan.severityThreshold).toBe('none')
    expect(parsed.deploy.replicas).toBe(3)
    expect(parsed.deploy.switchCommand).toEqual({
      service: 'nginx',
      command: 'nginx -s reload',
      args: ['nginx', '-s', 'reload']
    })
    expect(parsed.deploy.startupGrace).toBe(10)
    expect(parsed.deploy.lockTimeout).toBe(600)
    expect(parsed.publish.registryTimeout).toBe(600)
    expect(parsed.deploy.dockerHosts[0]).toEqual({
      scheme: 'ssh',
      url: 'ssh://deploy@prod.example.com:2222',
      user: 'deploy',
      host: 'prod.example.com',
      port: 2222
    })
    expect(parsed.deploy.composeFiles).toEqual(['docker-compose.yml', 'docker-compose.prod.yml'])
  })

  it('defaults file to <context>/Dockerfile', () => {
    expect(inputs({ context: 'app' }, { 'app/Dockerfile': 'FROM scratch\n' }).build.file).toBe(
      path.join('app', 'Dockerfile')
    )
  })

  it('does not look for a remote context or its Dockerfile on disk', () => {
    const parsed = inputs({ context: 'https://github.com/acme/web.git#main' }, {})
    expect(parsed.build).toMatchObject({ contextIsLocal: false, file: '' })
  })

  it('does not check the Dockerfile when build is not among the steps', () => {
    expect(inputs({ steps: 'deploy' }, {}).steps).toEqual(['deploy'])
  })

  it('takes a missing default .trivyignore, an existing named ignore file', () => {
    expect(inputs({}).scan.ignoreFileExplicit).toBe(false)
    const named = inputs(
      { 'ignore-file': 'sec/.trivyignore.yaml' },
      { Dockerfile: 'FROM scratch', 'sec/.trivyignore.yaml': 'vulnerabilities: []' }
    )
    expect(named.scan).toMatchObject({ ignoreFile: 'sec/.trivyignore.yaml', ignoreFileExplicit: true })
  })

  it('takes the registry from a Docker Hub image', () => {
    expect(inputs({ image: 'nginx' })).toMatchObject({
      publish: { registry: 'docker.io' },
      image: { repository: 'library/nginx' }
    })
  })

  it('normalises every Docker Hub alias to one registry, library/ added', () => {
    for (const image of ['docker.io/nginx', 'index.docker.io/nginx', 'registry-1.docker.io/nginx', 'nginx']) {
      expect(inputs({ image }).image).toMatchObject({ registry: 'docker.io', repository: 'library/nginx' })
    }
    expect(inputs({ image: 'acme/web', registry: 'index.docker.io' }).publish.registry).toBe('docker.io')
    expect(inputs({ image: 'GHCR.io/acme/web' }).image.registry).toBe('ghcr.io')
  })

  it('takes full references in tags, as docker/metadata-action outputs them', () => {
    const parsed = inputs({
      tags: 'ghcr.io/acme/web:1.2\nghcr.io/acme/web:latest\nacme/web:1.2\nedge'
    })
    expect(parsed.tags.extra).toEqual(['edge'])
    expect(parsed.tags.references).toEqual([
      { image: { registry: 'ghcr.io', repository: 'acme/web', name: 'ghcr.io/acme/web' }, tag: '1.2' },
      { image: { registry: 'ghcr.io', repository: 'acme/web', name: 'ghcr.io/acme/web' }, tag: 'latest' },
      { image: { registry: 'docker.io', repository: 'acme/web', name: 'acme/web' }, tag: '1.2' }
    ])
  })

  it('accepts tcp:// with the three PEM inputs and unix:// paths', () => {
    const pem = (kind: string) => `-----BEGIN ${kind}-----\nMIIB\n-----END ${kind}-----\n`
    const tcp = inputs({
      'deploy-host': 'tcp://10.0.0.5:2376',
      service: 'web',
      'tls-ca': pem('CERTIFICATE'),
      'tls-cert': pem('CERTIFICATE'),
      'tls-key': pem('EC PRIVATE KEY')
    })
    expect(tcp.deploy.dockerHosts[0]).toEqual({
      scheme: 'tcp',
      url: 'tcp://10.0.0.5:2376',
      host: '10.0.0.5',
      port: 2376
    })
    expect(
      inputs({ 'deploy-host': 'unix:///run/user/1000/docker.sock', service: 'web' }).deploy.dockerHosts[0]
    ).toMatchObject({ scheme: 'unix', path: '/run/user/1000/docker.sock' })
  })
})

describe('every number has an upper bound, and the message names the input and the bound', () => {
  const deploy = (parsed: ReturnType<typeof inputs>) => parsed.deploy
  test.each([
    ['replicas', 1000, (parsed: ReturnType<typeof inputs>) => deploy(parsed).replicas],
    ['registry-timeout', 21600, (parsed: ReturnType<typeof inputs>) => parsed.publish.registryTimeout],
    ['health-timeout', 21600, (parsed: ReturnType<typeof inputs>) => deploy(parsed).healthTimeout],
    ['drain-seconds', 21600, (parsed: ReturnType<typeof inputs>) => deploy(parsed).drainSeconds],
    ['startup-grace', 21600, (parsed: ReturnType<typeof inputs>) => deploy(parsed).startupGrace],
    ['lock-timeout', 21600, (parsed: ReturnType<typeof inputs>) => deploy(parsed).lockTimeout]
  ] as const)('%s: %d is taken, one more is refused', (name, max, value) => {
    expect(value(inputs({ [name]: String(max) }))).toBe(max)
    expect(problems({ [name]: String(max + 1) })).toEqual([
      expect.stringMatching(
        new RegExp(`^${name}: ${max + 1} is more than ${max}, the most it takes \\(.+\\)$`)
      )
    ])
  })

  it('says why for each: the host for replicas, a hosted job for the waits', () => {
    expect(problems({ replicas: '100000000' })).toEqual([
      'replicas: 100000000 is more than 1000, the most it takes (all on one host, whose default Compose network, a Linux bridge, takes at most 1024 containers)'
    ])
    expect(problems({ 'lock-timeout': '86400' })).toEqual([
      'lock-timeout: 86400 is more than 21600, the most it takes (6 hours, as long as a job on a GitHub-hosted runner may run)'
    ])
  })

  it('refuses numbers past what JavaScript counts exactly with the same message, not a rounded value', () => {
    expect(problems({ 'health-timeout': '99999999999999999999' })).toEqual([
      expect.stringMatching(/^health-timeout: 99999999999999999999 is more than 21600, /)
    ])
  })

  it('max-findings: a budget of 1000000 is taken, one more is refused, naming the item', () => {
    expect(inputs({ 'max-findings': 'critical=0,high=1000000' }).scan.maxFindings).toEqual({
      CRITICAL: 0,
      HIGH: 1000000
    })
    expect(problems({ 'max-findings': 'critical=0,high=1000001' })).toEqual([
      'max-findings: "high=1000001": 1000001 is more than 1000000, the most it takes (more findings than any report the action can read; severity-threshold: none turns the gate off)'
    ])
  })
})

describe('db-max-age', () => {
  it('is two days unless given, and reads minutes, hours and days', () => {
    expect(inputs({}).scan.dbMaxAge).toEqual({ ms: 2 * 86_400_000, text: '2d' })
    expect(inputs({ 'db-max-age': '36h' }).scan.dbMaxAge).toEqual({ ms: 36 * 3_600_000, text: '36h' })
    expect(inputs({ 'db-max-age': '90m' }).scan.dbMaxAge.ms).toBe(90 * 60_000)
    expect(inputs({ 'db-max-age': '30d' }).scan.dbMaxAge.ms).toBe(30 * 86_400_000)
  })

  test.each(['2 days', '48', '0h', '1.5d', '2w', '-1d'])('refuses %s, naming the input', (raw) => {
    expect(problems({ 'db-max-age': raw })).toEqual([
      `db-max-age: "${raw}" is not a duration such as 2d, 48h or 90m (a whole number and m, h or d)`
    ])
  })

  it('refuses more than 30 days, saying why', () => {
    expect(problems({ 'db-max-age': '721h' })).toEqual([
      'db-max-age: 721h is more than 30d, the most it takes (a DB that old misses a month of advisories)'
    ])
  })
})

describe('trivy-releases', () => {
  test.each([
    'https://mirror.example/trivy',
    'https://10.0.0.5:8443/trivy',
    'http://127.0.0.1:8080/trivy',
    'http://127.45.6.7/trivy',
    'http://[::1]:8080/trivy',
    'http://localhost:8080/trivy',
    'HTTP://LOCALHOST/trivy'
  ])('takes https anywhere and http on loopback: %s', (url) => {
    expect(inputs({ 'trivy-releases': url }).scan.trivyReleases).toBe(url)
  })

  test.each([
    'http://mirror.example/trivy',
    'http://10.0.0.5:8080/trivy',
    'http://127.0.0.1.nip.io/trivy',
    'http://localhost.attacker.example/trivy',
    'http://[::2]/trivy'
  ])('refuses plain http to anything else, naming the input: %s', (url) => {
    expect(problems({ 'trivy-releases': url })).toEqual([
      `trivy-releases: "${url}" is plain http to a host that is not loopback: use https (http only for 127.0.0.0/8, ::1 or localhost)`
    ])
  })
})

describe('sarif-file', () => {
  // The workspace is the working folder getInputs is given; the runner's own would be elsewhere.
  const saved = { GITHUB_WORKSPACE: process.env.GITHUB_WORKSPACE, RUNNER_TEMP: process.env.RUNNER_TEMP }
  beforeEach(() => {
    delete process.env.GITHUB_WORKSPACE
    delete process.env.RUNNER_TEMP
  })
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name]
      else process.env[name] = value
    }
  })

  it('is a path in the workspace, its folders made when the scan writes it', () => {
    expect(inputs({ 'sarif-file': 'reports/new/trivy.sarif' }).scan.sarifFile).toBe('reports/new/trivy.sarif')
  })

  it('is refused through a linked folder or as a link, before anything is touched', () => {
    const { read, cwd } = setup({ image: 'ghcr.io/acme/web', 'sarif-file': 'reports/trivy.sarif' })
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'elsewhere-'))
    symlinkSync(elsewhere, path.join(cwd, 'reports'))
    expect(() => getInputs(read, cwd)).toThrow(
      `Invalid input: sarif-file: "reports/trivy.sarif" cannot be written: ${path.join(cwd, 'reports')} is a symbolic link (to ${elsewhere}): files are never written through a link`
    )
    symlinkSync(path.join(elsewhere, 'x'), path.join(cwd, 'linked.sarif'))
    expect(() => getInputs((name) => (name === 'sarif-file' ? 'linked.sarif' : read(name)), cwd)).toThrow(
      /sarif-file: "linked.sarif" cannot be written: .*linked\.sarif is a symbolic link/
    )
    expect(readdirSync(elsewhere)).toEqual([])
  })

  it('is refused outside the workspace and the runner`s temp folder', () => {
    expect(problems({ 'sarif-file': '../escape.sarif' })).toEqual([
      expect.stringMatching(
        /^sarif-file: "\.\.\/escape\.sarif" cannot be written: \S+escape\.sarif is outside the workspace \(\S+\)$/
      )
    ])
    expect(problems({ 'sarif-file': '/etc/cron.d/x' })[0]).toMatch(/^sarif-file: .* is outside the workspace/)
    process.env.RUNNER_TEMP = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    expect(inputs({ 'sarif-file': path.join(process.env.RUNNER_TEMP, 'trivy.sarif') }).scan.sarifFile).toBe(
      path.join(process.env.RUNNER_TEMP, 'trivy.sarif')
    )
  })

  it('is not looked at when the scan does not run', () => {
    expect(inputs({ steps: 'build,push', 'sarif-file': '../escape.sarif' }).scan.sarifFile).toBe(
      '../escape.sarif'
    )
  })
})

describe('parseBoolean', () => {
  test.each([
    ['true', true],
    ['True', true],
    ['TRUE', true],
    ['false', false],
    ['False', false],
    ['', false]
  ])('%s', (raw, value) => expect(parseBoolean(raw)).toBe(value))
  it('refuses anything else', () => expect(() => parseBoolean('yes')).toThrow('"yes" is not a boolean'))
})

describe('deploys only from trusted events', () => {
  const deploying = { 'deploy-host': 'unix:///var/run/docker.sock', service: 'web' }

  it.each(['pull_request', 'pull_request_target', 'merge_group', 'issue_comment'])(
    'refuses a deploy on %s, naming the event and the input that allows it',
    (event) => {
      expect(() => refuseUntrustedDeploy(inputs(deploying), event)).toThrow(InputError)
      expect(() => refuseUntrustedDeploy(inputs(deploying), event)).toThrow(
        new RegExp(`steps: deploy does not run on a ${event} event.*deploy-on-untrusted-events: true`)
      )
    }
  )

  it('allows it when deploy-on-untrusted-events is true', () => {
    const allowed = inputs({ ...deploying, 'deploy-on-untrusted-events': 'true' })
    expect(() => refuseUntrustedDeploy(allowed, 'pull_request_target')).not.toThrow()
  })

  it('lets trusted events deploy, and untrusted ones run everything but a deploy', () => {
    for (const event of ['push', 'release', 'workflow_dispatch', 'schedule'])
      expect(() => refuseUntrustedDeploy(inputs(deploying), event)).not.toThrow()
    // No deploy-host: the deploy step is skipped anyway; steps without deploy never deploy.
    expect(() => refuseUntrustedDeploy(inputs({}), 'pull_request')).not.toThrow()
    expect(() =>
      refuseUntrustedDeploy(inputs({ ...deploying, steps: 'build,scan' }), 'pull_request')
    ).not.toThrow()
  })

  it('is a boolean input', () => {
    expect(problems({ 'deploy-on-untrusted-events': 'yes' })).toEqual([
      'deploy-on-untrusted-events: "yes" is not a boolean (true or false)'
    ])
  })
})
