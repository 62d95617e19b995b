// Property-based tests of the compose files of the deploy step (src/deploy/compose/file/): whatever
// YAML text the files hold and whatever the env input gives, loadCompose, checkRolloutService and
// composeProjectName either succeed with a result that keeps their promises or throw a
// ComposeFileError whose every problem names the input at fault (compose-file:, service:,
// compose-project: or env:), never another error, a crash's message or [object Object].
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { Document, isNode, isScalar, visit } from 'yaml'
import { loadCompose, type ComposeFileText } from '../../../../src/deploy/compose/file/load.js'
import { ComposeFileError, type ComposeModel } from '../../../../src/deploy/compose/file/model.js'
import { composeProjectName } from '../../../../src/deploy/compose/file/project-name.js'
import { checkRolloutService } from '../../../../src/deploy/compose/file/rollout-service.js'
import { clean, FORBIDDEN, textFavouring } from '../../../support/arbitraries.js'
import { attempt } from '../../../support/property-checks.js'

const PROBLEM = /^(compose-file|service|compose-project|env: COMPOSE_PROJECT_NAME): /

/** Any text, YAML and interpolation syntax favoured. */
const anyText: fc.Arbitrary<string> = textFavouring(
  [
    ':',
    ': ',
    '- ',
    '\n',
    '  ',
    '{',
    '}',
    '[',
    ']',
    ',',
    '"',
    "'",
    '#',
    '&a',
    '*a',
    '<<: ',
    '!reset ',
    '!override ',
    '---\n',
    '|',
    '>',
    '?',
    '$',
    '${',
    '}',
    'A',
    'services',
    'web',
    'image',
    'ports',
    '80',
    '\t',
    '\u0000'
  ],
  { maxLength: 40, strings: [fc.string(), fc.string({ unit: 'binary' })] }
)

/** Values with Compose interpolation, well-formed or not. */
const interpolated = fc.constantFrom(
  '${APP_VERSION}',
  'ghcr.io/acme/web:${APP_VERSION}',
  '${A:-x}',
  '${A-}',
  '${A:?A is needed}',
  '${A?}',
  '${A:+alt}',
  '${A:-${B:-deep}}',
  '$${A}',
  '$A',
  '${',
  '${A',
  '${1}',
  '${A:x}',
  'cost 5$'
)
const json = fc.jsonValue({ maxDepth: 2 }).filter((value) => clean(JSON.stringify(value)))
const RESET = '__reset__'
const OVERRIDE = '__override__'

/**
 * A compose document. `noisy`: strings of any text and broken interpolations, and any attribute
 * sometimes of another type; else well-typed attributes, so that many runs get past loading.
 */
function composeDocument(noisy: boolean): fc.Arbitrary<Record<string, unknown>> {
  const text = noisy
    ? fc.oneof(
        { arbitrary: fc.string().filter(clean), weight: 8 },
        { arbitrary: anyText, weight: 1 },
        { arbitrary: interpolated, weight: 1 }
      )
    : fc.oneof(
        { arbitrary: fc.string({ unit: fc.constantFrom(...'abcxyz019_-./: ') }), weight: 8 },
        { arbitrary: fc.constantFrom('${APP_VERSION}', '${A:-x}', '$${A}', '$A', '${B-}'), weight: 1 }
      )
  /** Any value of an attribute: of its type, or (noisy) sometimes of another. */
  const orAny = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    noisy ? fc.oneof({ arbitrary, weight: 12 }, { arbitrary: json, weight: 1 }) : arbitrary
  /** A value, or Compose's !reset, or the value tagged !override. */
  const tagged = <T>(arbitrary: fc.Arbitrary<T>): fc.Arbitrary<unknown> =>
    fc.oneof(
      { arbitrary: arbitrary as fc.Arbitrary<unknown>, weight: 8 },
      { arbitrary: fc.constant(RESET), weight: 1 },
      { arbitrary: arbitrary.map((value) => ({ [OVERRIDE]: value })), weight: 1 }
    )
  const serviceName = noisy
    ? fc.oneof(fc.constantFrom('web', 'db', 'nginx', 'api.v2'), anyText)
    : fc.constantFrom('web', 'db', 'api.v2')
  const networkKey = noisy
    ? fc.oneof(fc.constantFrom('backend', 'front', 'default'), anyText)
    : fc.constantFrom('backend', 'front', 'default')
  const keyValues = orAny(
    fc.oneof(
      fc.array(fc.oneof(fc.constantFrom('A=1', 'B', 'C=', '=x'), text), { maxLength: 4 }),
      fc.dictionary(
        fc.oneof(fc.constantFrom('A', 'B'), text),
        fc.oneof(text, fc.integer(), fc.constant(null)),
        {
          maxKeys: 4
        }
      )
    )
  )
  const port = fc.oneof(
    fc.nat({ max: 70000 }),
    fc.constantFrom(
      '80',
      '8080:80',
      '127.0.0.1::80',
      '8000-8010:80',
      '[::1]:8080:80/udp',
      '80-81:80-81',
      '8000-8000:80',
      'x:y',
      ''
    ),
    fc.record(
      {
        target: orAny(fc.nat({ max: 70000 })),
        published: orAny(fc.constantFrom('8080', '8000-8010', '')),
        host_ip: orAny(text),
        protocol: text
      },
      { requiredKeys: [] }
    ),
    ...(noisy ? [text] : [])
  )
  const service = fc.record(
    {
      image: tagged(
        orAny(fc.oneof(text, fc.constantFrom('ghcr.io/acme/web:${APP_VERSION}', 'nginx', 'nginx:', 'a b')))
      ),
      build: orAny(fc.oneof(text, fc.record({ context: text, dockerfile: text }, { requiredKeys: [] }))),
      container_name: orAny(text),
      ports: tagged(orAny(fc.array(port, { maxLength: 3 }))),
      healthcheck: orAny(
        fc.record(
          {
            test: orAny(fc.oneof(fc.array(text, { maxLength: 3 }), fc.constant(['NONE']), text)),
            disable: fc.boolean(),
            interval: text
          },
          { requiredKeys: [] }
        )
      ),
      deploy: orAny(
        fc.record(
          { replicas: orAny(fc.oneof(fc.nat({ max: 10 }), text)), labels: keyValues },
          { requiredKeys: [] }
        )
      ),
      scale: orAny(fc.oneof(fc.nat({ max: 10 }), text)),
      stop_grace_period: orAny(
        fc.oneof(fc.constantFrom('10s', '1m30s', '500ms', '0', '1.5h', '.5s', 'x', ''), text)
      ),
      network_mode: orAny(fc.constantFrom('host', 'bridge', 'none', 'service:db')),
      networks: tagged(
        orAny(
          fc.oneof(
            fc.array(networkKey, { maxLength: 3 }),
            fc.dictionary(
              networkKey,
              fc.oneof(fc.constant(null), fc.record({ aliases: fc.array(text, { maxLength: 2 }) })),
              { maxKeys: 3 }
            )
          )
        )
      ),
      depends_on: orAny(
        fc.oneof(
          fc.array(serviceName, { maxLength: 3 }),
          fc.dictionary(
            serviceName,
            fc.record({ condition: fc.constantFrom('service_started', 'service_healthy') }),
            { maxKeys: 3 }
          )
        )
      ),
      environment: tagged(keyValues),
      labels: keyValues
    },
    { requiredKeys: noisy ? [] : ['image'] }
  )
  return fc.record(
    {
      name: orAny(fc.oneof(fc.constantFrom('web', 'My App', '-_', ''), text)),
      services: tagged(orAny(fc.dictionary(serviceName, tagged(orAny(service)), { minKeys: 1, maxKeys: 3 }))),
      networks: orAny(
        fc.dictionary(
          networkKey,
          fc.oneof(
            fc.constant(null),
            fc.record({ name: text, external: fc.boolean() }, { requiredKeys: [] })
          ),
          { maxKeys: 3 }
        )
      )
    },
    { requiredKeys: noisy ? [] : ['services'] }
  )
}

/** The YAML text of a document, with the markers above written as !reset and !override tags. */
function yamlText(value: unknown): string {
  const document = new Document(value)
  visit(document, {
    Scalar(_key, node) {
      if (node.value === RESET) {
        node.tag = '!reset'
        node.value = null
      }
    },
    Map(_key, node) {
      const only = node.items.length === 1 ? node.items[0] : undefined
      if (only && isScalar(only.key) && only.key.value === OVERRIDE) {
        const inner = isNode(only.value) ? only.value : document.createNode(null)
        inner.tag = '!override'
        return inner
      }
    }
  })
  return document.toString()
}

/** A document whose services can be rolled out: what checkRolloutService accepts. */
const deployableDocument = fc.record({
  services: fc.dictionary(
    fc.constantFrom('web', 'db', 'api.v2'),
    fc.record(
      {
        image: fc.constantFrom('ghcr.io/acme/web:${APP_VERSION}', 'nginx:1.27', 'ghcr.io/acme/web@sha256:0a'),
        ports: fc.array(fc.constantFrom('80', '127.0.0.1::80', '8000-8010:80', '[::1]::443/udp', 3000), {
          maxLength: 2
        }),
        healthcheck: fc.oneof(
          fc.record({ test: fc.constantFrom(['CMD', 'true'], ['NONE'], 'curl -f localhost') }),
          fc.record({ disable: fc.constant(true) }),
          fc.record({ interval: fc.constant('5s') })
        ),
        deploy: fc.record({ replicas: fc.nat({ max: 5 }) }),
        stop_grace_period: fc.constantFrom('10s', '1m30s', '500ms', '0', '1.5h', '.5s'),
        networks: fc.oneof(fc.constant(['backend']), fc.constant({ backend: null, default: null })),
        environment: fc.constant(['A=1', 'B']),
        labels: fc.constant({ team: 'web' })
      },
      { requiredKeys: ['image'] }
    ),
    { minKeys: 1, maxKeys: 3 }
  ),
  networks: fc.constant({ backend: {} })
})
const oneDocument = fc.oneof(deployableDocument, composeDocument(false), composeDocument(true))
const fileText = fc.oneof(
  { arbitrary: oneDocument.map(yamlText), weight: 8 },
  {
    arbitrary: fc
      .array(oneDocument, { minLength: 2, maxLength: 3 })
      .map((docs) => docs.map(yamlText).join('---\n')),
    weight: 1
  },
  { arbitrary: anyText, weight: 1 }
)
const files: fc.Arbitrary<ComposeFileText[]> = fc.oneof(
  {
    arbitrary: fc.array(
      fc.record({
        path: fc.oneof(
          { arbitrary: fc.constantFrom('docker-compose.yml', 'deploy/prod.yml'), weight: 4 },
          { arbitrary: anyText, weight: 1 }
        ),
        text: fileText
      }),
      { minLength: 1, maxLength: 3 }
    ),
    weight: 20
  },
  { arbitrary: fc.constant([] as ComposeFileText[]), weight: 1 }
)
const env = fc.dictionary(
  fc.oneof(fc.constantFrom('A', 'B', 'APP_VERSION', 'COMPOSE_PROJECT_NAME'), anyText),
  fc.oneof(fc.constantFrom('', '1', 'web', 'Web', '-x', '${A}'), fc.string().filter(clean), interpolated),
  { maxKeys: 4 }
)

/** The checks every ComposeFileError must pass. */
function expectComposeError(error: unknown): void {
  expect(error).toBeInstanceOf(ComposeFileError)
  const { problems, message } = error as ComposeFileError
  expect(problems.length).toBeGreaterThan(0)
  expect(problems.filter((problem) => !PROBLEM.test(problem))).toEqual([])
  expect(message).toBe(problems.length === 1 ? problems[0] : problems.map((p) => `- ${p}`).join('\n'))
  expect(message).not.toMatch(FORBIDDEN)
}

/** The error `run` throws; undefined when it returns. */
function thrownBy(run: () => unknown): unknown {
  const outcome = attempt(run)
  return outcome.ok ? undefined : outcome.error
}

describe('compose files of any text', () => {
  it('loadCompose, checkRolloutService and composeProjectName succeed or throw a ComposeFileError naming the input', () => {
    const counts = { loaded: 0, rollouts: 0, projects: 0 }
    fc.assert(
      fc.property(
        files,
        env,
        fc.nat(),
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 4 },
          { arbitrary: fc.oneof(fc.constantFrom('web', 'db'), anyText), weight: 1 }
        ),
        fc.oneof(
          { arbitrary: fc.constant(undefined), weight: 3 },
          { arbitrary: fc.constantFrom('web', 'Web', '-x', 'my_app'), weight: 1 },
          { arbitrary: anyText, weight: 1 }
        ),
        fc.constantFrom('/work/app', '/', '/tmp/-_', '/srv/Ünï Côdé'),
        (given, variables, pick, otherService, composeProject, cwd) => {
          const loaded = attempt(() => loadCompose(given, variables))
          if (!loaded.ok) return expectComposeError(loaded.error)
          counts.loaded++
          const model: ComposeModel = loaded.value
          const names = Object.keys(model.services)
          expect(names.length).toBeGreaterThan(0)
          expect(model.files).toEqual(given.map((file) => file.path))

          const service = otherService ?? (names[pick % names.length] as string)
          const rollout = attempt(() => checkRolloutService(model, service))
          if (!rollout.ok) expectComposeError(rollout.error)
          else {
            counts.rollouts++
            const checked = rollout.value
            expect(checked.name).toBe(service)
            expect(checked.image).not.toBe('')
            expect(checked.image).not.toMatch(/\s|[:@]$/)
            for (const { published } of checked.ports) {
              // Only the engine picks host ports: none, or a range of at least two ports.
              if (published) expect(published).toMatch(/^\d+-\d+$/)
            }
            if (checked.replicas !== undefined) expect(Number.isSafeInteger(checked.replicas)).toBe(true)
            if (checked.stopGracePeriodSeconds !== undefined) {
              expect(Number.isFinite(checked.stopGracePeriodSeconds)).toBe(true)
              expect(checked.stopGracePeriodSeconds).toBeGreaterThanOrEqual(0)
            }
            expect(['compose', 'disabled', 'image']).toContain(checked.healthcheck)
          }

          const project = attempt(() => composeProjectName(model, { composeProject, env: variables, cwd }))
          if (!project.ok) expectComposeError(project.error)
          else {
            counts.projects++
            expect(project.value).toMatch(/^[a-z0-9][a-z0-9_-]*$/)
          }
        }
      ),
      { numRuns: 250 }
    )
    // Each step was reached and passed often enough for its checks to mean something.
    expect(counts.loaded).toBeGreaterThan(25)
    expect(counts.rollouts).toBeGreaterThan(10)
    expect(counts.projects).toBeGreaterThan(10)
  })

  // A compose file whose top level is tagged !override or !reset (`!override {}`) is refused, saying
  // what its top level is (describe() knows the Tagged marker), never "[object Object]".
  it('a top level tagged !override or !reset is refused without [object Object]', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('!override', '!reset'),
        fc.constantFrom('{}', '', '\nservices:\n  web:\n    image: nginx'),
        (tag, rest) => {
          const error = thrownBy(() => loadCompose([{ path: 'c.yml', text: `${tag} ${rest}\n` }], {}))
          expectComposeError(error)
          expect((error as Error).message).toMatch(
            new RegExp(
              `^compose-file: c\\.yml is not a Compose file: its top level is (a mapping|an empty value) tagged ${tag}; `
            )
          )
        }
      ),
      { numRuns: 20 }
    )
  })

  // Mappings where Compose wants a scalar (`deploy.replicas: {}`, `scale: {}`, `networks: [{a: 1}]`,
  // a long-syntax port's target, published or host_ip) are refused when the file is loaded, saying
  // "a mapping", never printed with String() as "[object Object]".
  it('a mapping where Compose wants a scalar is refused as a mapping, never printed as [object Object]', () => {
    const mapping = fc.dictionary(fc.constantFrom('a', 'b'), fc.integer(), { minKeys: 1, maxKeys: 2 })
    fc.assert(
      fc.property(
        fc.constantFrom('replicas', 'scale', 'network', 'target', 'published', 'host_ip'),
        mapping,
        (where, value) => {
          const service: Record<string, unknown> = { image: 'nginx' }
          if (where === 'replicas') service.deploy = { replicas: value }
          if (where === 'scale') service.scale = value
          if (where === 'network') service.networks = [value]
          if (where === 'target') service.ports = [{ target: value, published: 8080 }]
          if (where === 'published') service.ports = [{ target: 80, published: value }]
          if (where === 'host_ip') service.ports = [{ target: 80, published: 8080, host_ip: value }]
          const text = yamlText({ services: { web: service } })
          const error = thrownBy(() => loadCompose([{ path: 'c.yml', text }], {}))
          expectComposeError(error)
          expect((error as Error).message).toMatch(/^compose-file: services\.web: .* a mapping, not /)
        }
      ),
      { numRuns: 50 }
    )
  })

  // `services: !override` gets the same checks as an untagged `services:`: each service is a
  // mapping, so an empty one (`services: !override\n  web:\n`) is refused as it would be untagged.
  it('an empty service under services: !override is refused with a message of its own', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('web', 'db', ''),
        fc.constantFrom('', ' null', ' ~', ' !override'),
        fc.constantFrom('services: !override', 'services:'),
        (name, empty, services) => {
          const text = `${services}\n  ${JSON.stringify(name)}:${empty}\n`
          const error = thrownBy(() => loadCompose([{ path: 'c.yml', text }], {}))
          expectComposeError(error)
          expect((error as Error).message).toBe(
            `compose-file: c.yml: services.${name} is empty, not a mapping`
          )
        }
      ),
      { numRuns: 20 }
    )
  })

  // An anchor inside a node tagged !override or !reset resolves for an alias anywhere after it, in
  // a tagged node or not, as go-yaml resolves it for Compose: the tagged nodes stay in the YAML
  // document (they convert to their marker), so their anchors are there for the aliases.
  it('aliases to anchors in !override and !reset nodes resolve', () => {
    fc.assert(
      fc.property(
        fc.constantFrom('!override', '!reset'),
        fc.constantFrom('!override', '!reset', ''),
        fc.constantFrom('img', 'a1'),
        (first, second, anchor) => {
          const text = `services:\n  web: ${first}\n    image: &${anchor} nginx\n  db: ${second}\n    image: *${anchor}\n`
          // A service tagged !reset is dropped; any other gets the anchored image.
          const expected = Object.fromEntries(
            [
              ['web', first],
              ['db', second]
            ]
              .filter(([, tag]) => tag !== '!reset')
              .map(([name]) => [name, 'nginx'])
          )
          const outcome = attempt(() => loadCompose([{ path: 'c.yml', text }], {}))
          if (Object.keys(expected).length === 0) {
            expectComposeError(outcome.ok ? undefined : outcome.error)
            expect((outcome as { error: Error }).error.message).toBe('compose-file: c.yml define no services')
            return
          }
          if (!outcome.ok) throw outcome.error
          const images = Object.values(outcome.value.services).map((service) => [service.name, service.image])
          expect(Object.fromEntries(images)).toEqual(expected)
        }
      ),
      { numRuns: 20 }
    )
  })
})
