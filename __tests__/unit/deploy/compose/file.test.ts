import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parseComposeDuration } from '../../../../src/deploy/compose/file/duration.js'
import { interpolate } from '../../../../src/deploy/compose/file/interpolate.js'
import { loadCompose, readComposeFiles } from '../../../../src/deploy/compose/file/load.js'
import { parsePort } from '../../../../src/deploy/compose/file/long-form.js'
import { ComposeFileError, type ComposeModel } from '../../../../src/deploy/compose/file/model.js'
import {
  composeProjectName,
  networkName,
  normalizeProjectName
} from '../../../../src/deploy/compose/file/project-name.js'
import { checkRolloutService } from '../../../../src/deploy/compose/file/rollout-service.js'

const FIXTURES = path.join(process.cwd(), '__fixtures__', 'compose')
const read = (file: string): string => readFileSync(path.join(FIXTURES, file), 'utf8')

/** One file named docker-compose.yml. */
function load(text: string, env: Record<string, string> = {}): ComposeModel {
  return loadCompose([{ path: 'docker-compose.yml', text }], env)
}

function errorOf(run: () => unknown): ComposeFileError {
  try {
    run()
  } catch (error) {
    expect(error).toBeInstanceOf(ComposeFileError)
    return error as ComposeFileError
  }
  throw new Error('expected a ComposeFileError')
}

describe('interpolation (compose-spec 12-interpolation.md, compose-go template.go)', () => {
  const env = { SET: 'value', EMPTY: '', NESTED: 'inner' }
  it.each([
    ['plain', 'no variables', 'no variables'],
    ['braced', 'a-${SET}-b', 'a-value-b'],
    ['unbraced', 'a-$SET-b', 'a-value-b'],
    ['unbraced name stops at the first other character', '$SET.x', 'value.x'],
    [':- when set', '${SET:-d}', 'value'],
    [':- when empty', '${EMPTY:-d}', 'd'],
    [':- when unset', '${UNSET:-d}', 'd'],
    ['- when empty keeps the empty value', '${EMPTY-d}', ''],
    ['- when unset', '${UNSET-d}', 'd'],
    ['empty default', '${UNSET:-}', ''],
    ['default with spaces and colons', '${UNSET:-a b:c}', 'a b:c'],
    ['nested default', '${UNSET:-${NESTED}}', 'inner'],
    ['doubly nested default', '${UNSET:-${ALSO_UNSET:-deep}}', 'deep'],
    [':+ when set', '${SET:+alt}', 'alt'],
    [':+ when empty', '${EMPTY:+alt}', ''],
    ['+ when empty', '${EMPTY+alt}', 'alt'],
    ['+ when unset', '${UNSET+alt}', ''],
    ['$$ is a literal $', '$$SET and $${SET}', '$SET and ${SET}'],
    ['$$ inside a default', '${UNSET:-$$x}', '$x'],
    ['a $ before anything else is kept', 'cost: 5$ or $1 or $', 'cost: 5$ or $1 or $'],
    [':? when set', '${SET:?must be set}', 'value'],
    ['? when empty is fine', '${EMPTY?must be set}', '']
  ])('%s', (_name, text, expected) => {
    expect(interpolate(text, env)).toBe(expected)
  })

  it('warns about an unset variable and uses an empty string', () => {
    const warnings: string[] = []
    expect(interpolate('web:${TAG}', {}, (warning) => warnings.push(warning))).toBe('web:')
    expect(warnings).toEqual(['the "TAG" variable is not set. Defaulting to a blank string.'])
  })

  it.each([
    [':? unset', '${UNSET:?set it in env}', 'required variable UNSET is missing a value: set it in env'],
    [':? empty', '${EMPTY:?no empty}', 'required variable EMPTY is missing a value: no empty'],
    ['? unset without a message', '${UNSET?}', 'required variable UNSET is missing a value'],
    ['an unclosed brace', 'a ${SET', 'without a closing }'],
    ['an empty name', '${}', 'does not start with a name'],
    ['a shell feature Compose lacks', '${SET/a/b}', 'is not supported']
  ])('refuses %s', (_name, text, message) => {
    expect(() => interpolate(text, { EMPTY: '' })).toThrow(message)
  })

  it('interpolates values, not keys, before the merge, naming the file and the path on error', () => {
    const model = load('services:\n  ${KEY}:\n    image: app:${TAG}\n    labels:\n      v: $TAG\n', {
      KEY: 'k',
      TAG: '1.0'
    })
    expect(Object.keys(model.services)).toEqual(['${KEY}'])
    expect(model.services['${KEY}']?.image).toBe('app:1.0')
    expect(model.services['${KEY}']?.labels).toEqual({ v: '1.0' })
    const error = errorOf(() => load('services:\n  web:\n    image: app:${APP_VERSION:?not set}\n'))
    expect(error.message).toBe(
      'compose-file: docker-compose.yml: services.web.image: required variable APP_VERSION is missing a value: not set'
    )
  })

  it('collects the unset-variable warnings with the file', () => {
    const model = load('services:\n  web:\n    image: app:${TAG}\n')
    expect(model.warnings).toEqual([
      'docker-compose.yml: the "TAG" variable is not set. Defaulting to a blank string.'
    ])
  })
})

describe('loading errors', () => {
  it.each([
    [
      'invalid YAML',
      'services:\n  web: [\n',
      /^compose-file: docker-compose\.yml is not valid YAML: line \d+, column \d+: /
    ],
    [
      'duplicate keys',
      'services:\n  web: {}\n  web: {}\n',
      /is not valid YAML: line 3, column 3: Map keys must be unique/
    ],
    [
      'a list at the top',
      '- web\n',
      /docker-compose\.yml is not a Compose file: its top level is a list, not a mapping/
    ],
    ['a scalar at the top', 'hello\n', /its top level is the text "hello", not a mapping/],
    ['an empty file', '', /docker-compose\.yml is empty/],
    ['only a comment', '# nothing\n', /docker-compose\.yml is empty/],
    ['no services', 'networks:\n  a: {}\n', /compose-file: docker-compose\.yml define no services/],
    ['empty services', 'services: {}\n', /define no services/],
    [
      'services not a mapping',
      'services:\n  - web\n',
      /docker-compose\.yml: services is a list, not a mapping/
    ],
    [
      'a service not a mapping',
      'services:\n  web: nginx\n',
      /services\.web is the text "nginx", not a mapping/
    ],
    [
      'a count that is not a number',
      'services:\n  web:\n    image: a\n    scale: many\n',
      /services\.web: scale "many" is not a whole number/
    ],
    [
      'a malformed port',
      'services:\n  web:\n    image: a\n    ports: ["http:80:x"]\n',
      /ports entry "http:80:x" is not/
    ],
    [
      'a top level tagged !override',
      '!override {}\n',
      /^compose-file: docker-compose\.yml is not a Compose file: its top level is a mapping tagged !override; !override applies to the values inside a file, not to the file$/
    ],
    [
      'a top level tagged !reset',
      '!reset\n',
      /^compose-file: docker-compose\.yml is not a Compose file: its top level is an empty value tagged !reset; /
    ],
    [
      'an empty service under services: !override',
      'services: !override\n  "": null\n',
      /^compose-file: docker-compose\.yml: services\. is empty, not a mapping$/
    ],
    [
      'a service under services: !override that is not a mapping',
      'services: !override\n  web: nginx\n',
      /^compose-file: docker-compose\.yml: services\.web is the text "nginx", not a mapping$/
    ],
    [
      'an empty service tagged !override',
      'services:\n  web: !override\n',
      /^compose-file: docker-compose\.yml: services\.web is empty, not a mapping$/
    ],
    [
      'a count that is a mapping',
      'services:\n  web:\n    image: a\n    deploy:\n      replicas: {a: 1}\n',
      /^compose-file: services\.web: deploy\.replicas is a mapping, not a whole number$/
    ],
    [
      'a scale that is a list',
      'services:\n  web:\n    image: a\n    scale: [1]\n',
      /^compose-file: services\.web: scale is a list, not a whole number$/
    ],
    [
      'a network name that is a mapping',
      'services:\n  web:\n    image: a\n    networks: [{a: 1}]\n',
      /^compose-file: services\.web: networks\[0\] is a mapping, not a name$/
    ],
    [
      'a long-syntax port whose target is a mapping',
      'services:\n  web:\n    image: a\n    ports: [{target: {a: 1}, published: 8080}]\n',
      /^compose-file: services\.web: ports entry \{"target":\{"a":1\},"published":8080\} has target a mapping, not a port$/
    ],
    [
      'a long-syntax port whose host_ip is a mapping',
      'services:\n  web:\n    image: a\n    ports: [{target: 80, published: 8080, host_ip: {a: 1}}]\n',
      /has host_ip a mapping, not an address$/
    ]
  ])('%s', (_name, text, message) => {
    expect(errorOf(() => load(text)).message).toMatch(message)
  })

  it('names the failing file of several', () => {
    const error = errorOf(() =>
      loadCompose(
        [
          { path: 'a.yml', text: 'services:\n  web:\n    image: a\n' },
          { path: 'b.yml', text: 'services:\n  web:\n    ports: "80"\n' }
        ],
        {}
      )
    )
    expect(error.message).toMatch(/^compose-file: b\.yml: .*ports is the text "80", not a list/)
  })

  it('refuses to merge a mapping with a list', () => {
    const error = errorOf(() =>
      loadCompose(
        [
          { path: 'a.yml', text: 'services:\n  web:\n    image: a\n    deploy: {replicas: 1}\n' },
          { path: 'b.yml', text: 'services:\n  web:\n    deploy: [1]\n' }
        ],
        {}
      )
    )
    expect(error.message).toBe(
      'compose-file: b.yml: cannot override services.web.deploy: a mapping with a list'
    )
  })

  it('names the file that cannot be read', () => {
    const error = errorOf(() =>
      readComposeFiles(['docker-compose.yml', 'missing.yml'], (file) => {
        if (file === 'missing.yml') throw new Error('ENOENT: no such file')
        return 'services: {}'
      })
    )
    expect(error.message).toBe('compose-file: cannot read missing.yml: ENOENT: no such file')
  })

  it('resolves aliases to anchors inside nodes tagged !override or !reset, as go-yaml does', () => {
    const model = load(
      'services:\n  web: !override\n    image: &img nginx:1.27\n  worker: !reset\n    image: &cmd run\n  db:\n    image: *img\n    command: *cmd\n  cron: !override\n    image: *img\n'
    )
    // worker is reset (dropped); its anchor still names its value.
    expect(Object.keys(model.services).sort()).toEqual(['cron', 'db', 'web'])
    expect(model.services.web?.image).toBe('nginx:1.27')
    expect(model.services.db?.image).toBe('nginx:1.27')
    expect(model.services.db?.raw.command).toBe('run')
    expect(model.services.cron?.image).toBe('nginx:1.27')
  })

  it('gives an alias to a tagged node the tag, and merges a tagged mapping by << as plain entries', () => {
    const model = loadCompose(
      [
        {
          path: 'a.yml',
          text: 'services:\n  web:\n    image: a\n    ports: ["80:80"]\n  db:\n    image: b\n'
        },
        {
          path: 'b.yml',
          text: 'x-ports: &ports !override ["127.0.0.1::80"]\nx-base: &base !override {image: c}\nservices:\n  web:\n    ports: *ports\n  db:\n    <<: *base\n'
        }
      ],
      {}
    )
    expect(model.services.web?.ports.map((port) => port.raw)).toEqual(['127.0.0.1::80'])
    expect(model.services.db?.image).toBe('c')
  })

  it('refuses an alias to an anchor that is not set, as not valid YAML naming the file', () => {
    expect(errorOf(() => load('services:\n  web: !override\n    image: *img\n')).message).toMatch(
      /^compose-file: docker-compose\.yml is not valid YAML: .*img/
    )
  })

  it('reads multi-document files, YAML anchors and merge keys', () => {
    const model = load(
      'x-common: &common\n  restart: always\n  stop_grace_period: 5s\nservices:\n  web:\n    <<: *common\n    image: a\n---\nservices:\n  web:\n    scale: 2\n'
    )
    expect(model.services.web?.stopGracePeriod).toBe('5s')
    expect(model.services.web?.scale).toBe(2)
    expect(model.services.web?.raw.restart).toBe('always')
  })
})

describe('merging (compose-spec 13-merge.md, compose-go override/merge.go)', () => {
  function merge(...texts: string[]): ComposeModel {
    return loadCompose(
      texts.map((text, index) => ({ path: `f${index}.yml`, text })),
      {}
    )
  }

  it('overrides scalars and merges mappings key by key', () => {
    const model = merge(
      'services:\n  web:\n    image: a:1\n    container_name: x\n    deploy: {replicas: 2, resources: {limits: {cpus: "1"}}}\n  db:\n    image: pg\n',
      'services:\n  web:\n    image: a:2\n    deploy: {replicas: 4}\n'
    )
    expect(model.services.web?.image).toBe('a:2')
    expect(model.services.web?.containerName).toBe('x')
    expect(model.services.web?.replicas).toBe(4)
    expect(model.services.web?.raw.deploy).toEqual({ replicas: 4, resources: { limits: { cpus: '1' } } })
    expect(Object.keys(model.services)).toEqual(['web', 'db'])
  })

  it('appends ports, keeping one entry per {host_ip, published, target, protocol}', () => {
    const model = merge(
      'services:\n  web:\n    image: a\n    ports: ["8080:80", "443"]\n',
      'services:\n  web:\n    ports: ["8080:80", "9090:90/udp", 5000]\n'
    )
    expect(model.services.web?.ports.map((port) => port.raw)).toEqual([
      '8080:80',
      '443',
      '9090:90/udp',
      '5000'
    ])
  })

  it('merges environment and labels by key whether lists or mappings, later values winning', () => {
    const model = merge(
      'services:\n  web:\n    image: a\n    environment: [A=1, B=2, FLAG]\n    labels: {x: "1"}\n',
      'services:\n  web:\n    environment: {B: 3, C: "=c"}\n    labels: [y=2, x=0]\n'
    )
    expect(model.services.web?.environment).toEqual({ A: '1', B: '3', FLAG: null, C: '=c' })
    expect(model.services.web?.labels).toEqual({ x: '0', y: '2' })
  })

  it('merges networks and depends_on given as lists or mappings', () => {
    const model = merge(
      'services:\n  web:\n    image: a\n    networks: [front, back]\n    depends_on: [db]\n',
      'services:\n  web:\n    networks: {back: {aliases: [app]}}\n    depends_on: {cache: {condition: service_healthy}}\n'
    )
    expect(model.services.web?.networks).toEqual({ front: null, back: { aliases: ['app'] } })
    expect(model.services.web?.dependsOn).toEqual({
      db: { condition: 'service_started', required: true },
      cache: { condition: 'service_healthy' }
    })
  })

  it('turns build: PATH into a mapping before merging it', () => {
    const model = merge(
      'services:\n  web:\n    build: ./app\n',
      'services:\n  web:\n    build: {dockerfile: Dockerfile.prod}\n'
    )
    expect(model.services.web?.build).toEqual({ context: './app', dockerfile: 'Dockerfile.prod' })
  })

  it('replaces healthcheck.test and command instead of appending them', () => {
    const model = merge(
      'services:\n  web:\n    image: a\n    command: [a, b]\n    healthcheck: {test: [CMD, a], interval: 5s}\n',
      'services:\n  web:\n    command: [c]\n    healthcheck: {test: [CMD, b]}\n'
    )
    expect(model.services.web?.raw.command).toEqual(['c'])
    expect(model.services.web?.healthcheck).toEqual({ test: ['CMD', 'b'], interval: '5s' })
  })

  it('honours !reset and !override', () => {
    const model = merge(
      'services:\n  web:\n    image: a\n    container_name: web\n    ports: ["80:80"]\n    environment: {A: "1", B: "2"}\n    networks: [front]\n',
      'services:\n  web:\n    container_name: !reset null\n    ports: !override ["8443:443"]\n    environment: {A: !reset null}\n    networks: !override {back: {}}\n'
    )
    expect(model.services.web?.containerName).toBeUndefined()
    expect(model.services.web?.ports.map((port) => port.raw)).toEqual(['8443:443'])
    expect(model.services.web?.environment).toEqual({ B: '2' })
    expect(model.services.web?.networks).toEqual({ back: {} })
  })

  it('merges the prod override fixture onto the base file', () => {
    const files = readComposeFiles(['docker-compose.yml', 'docker-compose.prod.yml'], read)
    const model = loadCompose(files, { APP_VERSION: '1.4.0' })
    const web = model.services.web
    expect(web?.image).toBe('ghcr.io/acme/web:1.4.0')
    expect(web?.build).toEqual({ context: '.' })
    expect(web?.ports).toEqual([])
    expect(web?.environment).toEqual({ NODE_ENV: 'production' })
    expect(web?.labels).toEqual({ team: 'web', tier: 'frontend' })
    expect(web?.healthcheck).toEqual({
      test: ['CMD-SHELL', 'wget -qO- http://127.0.0.1:3000/health || exit 1'],
      interval: '30s',
      retries: 3
    })
    expect(web?.replicas).toBe(3)
    expect(web?.stopGracePeriod).toBe('1m30s')
    expect(web?.networks).toEqual({ backend: { aliases: ['app'] }, metrics: {} })
    expect(web?.dependsOn).toEqual({ cache: { condition: 'service_healthy' } })
    expect(Object.keys(model.services).sort()).toEqual(['cache', 'nginx', 'web'])
    expect(model.name).toBe('Acme Shop')
    expect(model.warnings).toEqual([])
  })
})

describe('the project name (compose-go cli/options.go and loader.NormalizeProjectName)', () => {
  const base = 'services:\n  web:\n    image: a\n'
  it.each([
    ['My App', 'myapp'],
    ['_-Web.Shop_1', 'webshop_1'],
    ['prod-2024', 'prod-2024'],
    ['ÄÖ', ''],
    ['9lives', '9lives']
  ])('normalises %j to %j', (name, expected) => {
    expect(normalizeProjectName(name)).toBe(expected)
  })

  it('takes the compose-project input first, then COMPOSE_PROJECT_NAME, then name:, then the folder', () => {
    const named = loadCompose([{ path: '/srv/My.Stack/compose.yml', text: `name: Shop\n${base}` }], {})
    const unnamed = loadCompose([{ path: '/srv/My.Stack/compose.yml', text: base }], {})
    expect(composeProjectName(named, { composeProject: 'given', env: { COMPOSE_PROJECT_NAME: 'env' } })).toBe(
      'given'
    )
    expect(composeProjectName(named, { env: { COMPOSE_PROJECT_NAME: 'env' } })).toBe('env')
    expect(composeProjectName(named, { env: { COMPOSE_PROJECT_NAME: '' } })).toBe('shop')
    expect(composeProjectName(unnamed)).toBe('mystack')
    expect(
      composeProjectName(loadCompose([{ path: 'deploy/compose.yml', text: base }], {}), { cwd: '/w/Repo' })
    ).toBe('deploy')
    expect(
      composeProjectName(loadCompose([{ path: 'compose.yml', text: base }], {}), { cwd: '/w/_Repo' })
    ).toBe('repo')
  })

  it('takes the last name: of several files, interpolated', () => {
    const model = loadCompose(
      [
        { path: 'a/one.yml', text: `name: first\n${base}` },
        { path: 'b/two.yml', text: 'name: ${STACK}-prod\n' }
      ],
      { STACK: 'Shop' }
    )
    expect(composeProjectName(model)).toBe('shop-prod')
  })

  it('refuses an invalid COMPOSE_PROJECT_NAME and a name that normalises to nothing', () => {
    const model = load(base)
    expect(() => composeProjectName(model, { env: { COMPOSE_PROJECT_NAME: 'My App' } })).toThrow(
      'env: COMPOSE_PROJECT_NAME: "My App" is not a Compose project name'
    )
    expect(() => composeProjectName(load(`name: "!!!"\n${base}`))).toThrow('leaves no valid project name')
  })

  it('names networks as the engine does', () => {
    const model = load(`${base}networks:\n  front: {}\n  shared: {external: true}\n  named: {name: my-net}\n`)
    expect(networkName(model, 'shop', 'default')).toBe('shop_default')
    expect(networkName(model, 'shop', 'front')).toBe('shop_front')
    expect(networkName(model, 'shop', 'shared')).toBe('shared')
    expect(networkName(model, 'shop', 'named')).toBe('my-net')
  })
})

describe('durations', () => {
  it.each([
    ['10s', 10],
    ['1m30s', 90],
    ['1.5h', 5400],
    ['500ms', 0.5],
    ['2m', 120],
    ['1h1m1s', 3661],
    ['0', 0]
  ])('%s is %d seconds', (text, seconds) => {
    expect(parseComposeDuration(text)).toBe(seconds)
  })

  it.each(['10', '', 'abc', '10 s', '-5s', '1x'])('refuses %j', (text) => {
    expect(() => parseComposeDuration(text)).toThrow('is not a duration')
  })
})

describe('ports', () => {
  it.each([
    ['80', { target: '80', protocol: 'tcp' }],
    ['8080:80', { target: '80', published: '8080', protocol: 'tcp' }],
    ['127.0.0.1:8080:80/udp', { target: '80', published: '8080', hostIp: '127.0.0.1', protocol: 'udp' }],
    ['127.0.0.1::80', { target: '80', published: '', hostIp: '127.0.0.1', protocol: 'tcp' }],
    ['[::1]:8080:80', { target: '80', published: '8080', hostIp: '::1', protocol: 'tcp' }],
    ['8000-8010:80', { target: '80', published: '8000-8010', protocol: 'tcp' }]
  ])('parses %j', (text, expected) => {
    expect(parsePort(text)).toEqual({ ...expected, raw: text })
  })

  it('parses the long syntax and numbers', () => {
    expect(parsePort({ target: 80, published: 8080, host_ip: '0.0.0.0', protocol: 'tcp' })).toMatchObject({
      target: '80',
      published: '8080',
      hostIp: '0.0.0.0'
    })
    expect(parsePort(3000)).toEqual({ target: '3000', protocol: 'tcp', raw: '3000' })
  })
})

describe('checkRolloutService', () => {
  const service = (body: string, extra = ''): ComposeModel =>
    load(
      `services:\n  web:\n    image: ghcr.io/acme/web:\${APP_VERSION}\n${body}\n  db:\n    image: pg\n${extra}`,
      {
        APP_VERSION: '1.4.0'
      }
    )

  it('returns the facts of a service that can run twice', () => {
    const model = service(
      '    ports: ["3000", "127.0.0.1::3001", {target: 3002}]\n    healthcheck: {test: [CMD, true]}\n    scale: 3\n    stop_grace_period: 1m30s\n    networks: [front]',
      'networks:\n  front: {}\n'
    )
    expect(checkRolloutService(model, 'web')).toEqual({
      name: 'web',
      image: 'ghcr.io/acme/web:1.4.0',
      healthcheck: 'compose',
      replicas: 3,
      stopGracePeriodSeconds: 90,
      networks: ['front'],
      ports: [
        { target: '3000', protocol: 'tcp', raw: '3000' },
        { target: '3001', published: '', hostIp: '127.0.0.1', protocol: 'tcp', raw: '127.0.0.1::3001' },
        { target: '3002', protocol: 'tcp', raw: '{"target":3002}' }
      ]
    })
  })

  it('leaves out what the files do not set', () => {
    expect(checkRolloutService(service('    environment: [A=1]'), 'web')).toEqual({
      name: 'web',
      image: 'ghcr.io/acme/web:1.4.0',
      healthcheck: 'image',
      networks: ['default'],
      ports: []
    })
  })

  it.each([
    ['a healthcheck with a test', '    healthcheck: {test: "curl -f localhost"}', 'compose'],
    ['disable: true', '    healthcheck: {disable: true}', 'disabled'],
    ['test: [NONE]', '    healthcheck: {test: [NONE]}', 'disabled'],
    ['only intervals (they tune the image HEALTHCHECK)', '    healthcheck: {interval: 5s}', 'image'],
    ['no healthcheck', '    environment: {}', 'image']
  ])('healthcheck: %s', (_name, body, kind) => {
    expect(checkRolloutService(service(body), 'web').healthcheck).toBe(kind)
  })

  it.each([
    ['deploy.replicas', '    deploy: {replicas: 4}', 4],
    ['scale', '    scale: 2', 2],
    ['both, equal', '    scale: 2\n    deploy: {replicas: 2}', 2],
    ['an interpolated string', '    deploy: {replicas: "${N:-5}"}', 5],
    ['neither', '    environment: {}', undefined]
  ])('replicas from %s', (_name, body, replicas) => {
    expect(checkRolloutService(service(body), 'web').replicas).toBe(replicas)
  })

  it('names the services there are when the service is missing', () => {
    const error = errorOf(() => checkRolloutService(service('    scale: 1'), 'api'))
    expect(error.message).toBe(
      'service: "api" is not a service of docker-compose.yml; the services there are db, web'
    )
  })

  it.each([
    [
      'container_name',
      '    container_name: web-1',
      /sets container_name "web-1" \(in docker-compose\.yml\): a fixed container name/
    ],
    ['a fixed host port', '    ports: ["8080:80"]', /publishes the fixed host port 8080 "8080:80"/],
    [
      'a host IP with a port',
      '    ports: ["127.0.0.1:8080:80"]',
      /the fixed host port 8080 on 127\.0\.0\.1 "127\.0\.0\.1:8080:80"/
    ],
    [
      'long syntax with published',
      '    ports: [{target: 80, published: "8080"}]',
      /the fixed host port 8080 "\{"target":80,"published":"8080"\}"/
    ],
    [
      'a range mapped one to one',
      '    ports: ["8000-8001:80-81"]',
      /the host port range 8000-8001 one to one/
    ],
    ['a range of one port', '    ports: ["8000-8000:80"]', /the host port range 8000-8000 of one port/],
    ['network_mode: host', '    network_mode: host', /uses network_mode: host/],
    [
      'scale and replicas that differ',
      '    scale: 2\n    deploy: {replicas: 3}',
      /distinct values on scale \(2\) and deploy\.replicas \(3\)/
    ],
    [
      'a bad stop_grace_period',
      '    stop_grace_period: soon',
      /stop_grace_period \(in docker-compose\.yml\): "soon" is not a duration/
    ],
    [
      'an undefined network',
      '    networks: [nowhere]',
      /is on network nowhere, which no top-level networks: entry defines/
    ]
  ])('refuses %s, naming compose-file:', (_name, body, message) => {
    const error = errorOf(() => checkRolloutService(service(body), 'web'))
    expect(error.message).toMatch(/^compose-file: service web /)
    expect(error.message).toMatch(message)
  })

  it('allows a host port range for one container port (the engine takes a free one each)', () => {
    expect(checkRolloutService(service('    ports: ["8000-8010:80"]'), 'web').ports).toHaveLength(1)
  })

  it.each([
    ['no image', 'services:\n  web:\n    build: .\n', /service web has no image/],
    [
      'an image whose tag variable is unset',
      'services:\n  web:\n    image: app:${TAG}\n',
      /image "app:" .*is a variable in it unset\?/
    ]
  ])('refuses %s', (_name, text, message) => {
    expect(errorOf(() => checkRolloutService(load(text), 'web')).message).toMatch(message)
  })

  it('reports every problem at once, naming the file that set each', () => {
    const model = loadCompose(
      [
        { path: 'docker-compose.yml', text: 'services:\n  web:\n    image: a\n    ports: ["3000:3000"]\n' },
        {
          path: 'docker-compose.prod.yml',
          text: 'services:\n  web:\n    container_name: web\n    ports: ["443:443"]\n'
        }
      ],
      {}
    )
    const error = errorOf(() => checkRolloutService(model, 'web'))
    expect(error.problems).toEqual([
      expect.stringMatching(/container_name "web" \(in docker-compose\.prod\.yml\)/),
      expect.stringMatching(/"3000:3000" \(in docker-compose\.yml\)/),
      expect.stringMatching(/"443:443" \(in docker-compose\.prod\.yml\)/)
    ])
  })

  it('accepts the fixture merged with its prod override, whose !reset drops the dev port', () => {
    const files = readComposeFiles(['docker-compose.yml', 'docker-compose.prod.yml'], read)
    const model = loadCompose(files, { APP_VERSION: '1.4.0', WEB_REPLICAS: '4' })
    expect(checkRolloutService(model, 'web')).toEqual({
      name: 'web',
      image: 'ghcr.io/acme/web:1.4.0',
      healthcheck: 'compose',
      replicas: 4,
      stopGracePeriodSeconds: 90,
      networks: ['backend', 'metrics'],
      ports: []
    })
    expect(composeProjectName(model)).toBe('acmeshop')
    expect(networkName(model, 'acmeshop', 'metrics')).toBe('shared-metrics')
    // Alone, the base file publishes the dev port: refused.
    expect(() => checkRolloutService(loadCompose([files[0]!], {}), 'web')).toThrow(
      /publishes the fixed host port 3000 "3000:3000"/
    )
    // The nginx in front publishes a fixed port: fine, it is not the service rolled out.
  })

  it('refuses the prod override without APP_VERSION, saying why', () => {
    const files = readComposeFiles(['docker-compose.yml', 'docker-compose.prod.yml'], read)
    expect(() => loadCompose(files, {})).toThrow(
      'compose-file: docker-compose.prod.yml: services.web.image: required variable APP_VERSION is missing a value: the action sets APP_VERSION'
    )
  })
})
