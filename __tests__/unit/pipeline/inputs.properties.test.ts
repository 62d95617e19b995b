// Property-based tests of getInputs (src/pipeline/inputs.ts): whatever text the runner passes for any
// input of action.yml, getInputs either returns a typed Inputs object that keeps the promises of
// its validation, or throws an InputError whose every problem names an action.yml input; it never
// crashes with another error, never quotes a secret input, reads only declared inputs and leaves
// the files around it as they were.
import { createHash } from 'node:crypto'
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { parse } from 'yaml'
import { isValidTag } from '../../../src/lib/image-name.js'
import { InputError } from '../../../src/inputs/fields.js'
import { getInputs, type Inputs } from '../../../src/pipeline/inputs.js'
import { STEP_NAMES } from '../../../src/pipeline/steps.js'
import { SEVERITIES } from '../../../src/scan/severity.js'
import { FORBIDDEN, textFavouring } from '../../support/arbitraries.js'

const ACTION_YML = path.join(process.cwd(), 'action.yml')
const INPUT_NAMES: string[] = Object.keys(
  (parse(readFileSync(ACTION_YML, 'utf8')) as { inputs: Record<string, unknown> }).inputs
)

/** Values that are valid on their own (paths relative to the workspace made below). */
const VALID: Record<string, string[]> = {
  steps: ['build', 'build,scan', 'build, push', 'deploy', 'BUILD,Scan,push,deploy'],
  image: ['ghcr.io/acme/web', 'localhost:5000/app', 'nginx', 'docker.io/library/alpine'],
  context: ['.', 'sub', '../ws', 'https://github.com/acme/web.git'],
  file: ['Dockerfile', 'sub/Dockerfile', 'missing/Dockerfile'],
  'build-args': ['A=1\nB=two', '# comment\n\nKEY=x=y'],
  labels: ['org.example.team=web'],
  secrets: ['token=abc', 'npm.rc=x'],
  target: ['build'],
  platforms: ['linux/amd64', 'linux/arm64/v8'],
  'cache-from': ['type=gha', 'type=registry,ref=ghcr.io/acme/web:cache'],
  'cache-to': ['type=gha,mode=max'],
  pull: ['true', 'false', 'TRUE'],
  'no-cache': ['true', 'False'],
  tags: ['edge, v1', 'ghcr.io/acme/web:1.2', 'a\nb'],
  'tag-latest': ['auto', 'true', 'FALSE'],
  'tag-sha': ['true', 'false'],
  registry: ['ghcr.io', 'localhost:5000', 'Index.Docker.IO'],
  username: ['user'],
  password: ['hunter2'],
  push: ['auto', 'true', 'false'],
  'severity-threshold': ['critical', 'none', 'HIGH'],
  severities: ['HIGH,CRITICAL', 'low'],
  'ignore-unfixed': ['true'],
  'ignore-file': ['.trivyignore', 'Dockerfile', 'missing.ignore'],
  scanners: ['vuln,secret,misconfig', 'LICENSE'],
  'max-findings': ['critical=0,high=5', 'low = 3'],
  'trivy-version': ['0.74.0', 'v0.50.1'],
  'trivy-releases': ['https://mirror.example/trivy/', 'http://localhost:8080'],
  'db-repository': ['ghcr.io/aquasecurity/trivy-db:2', 'mirror.gcr.io/aquasec/trivy-db'],
  'skip-db-update': ['true'],
  'sarif-file': ['out.sarif', 'new/../out.sarif', 'new/dir/out.sarif'],
  'scan-annotations': ['false'],
  annotations: [
    'false',
    'manifest:org.opencontainers.image.title=web\nindex:org.opencontainers.image.vendor=acme'
  ],
  'pr-comment': ['false'],
  'github-token': ['ghs_token'],
  environment: ['production', 'staging (eu)'],
  'environment-url': ['https://web.example.com', 'http://10.0.0.1:8080/app'],
  'docker-host': ['unix:///var/run/docker.sock'],
  'deploy-host': ['ssh://deploy@example.com:2222', 'tcp://10.0.0.1:2376', 'unix:///var/run/docker.sock'],
  'ssh-private-key': ['-----BEGIN OPENSSH PRIVATE KEY-----\nabc\n-----END OPENSSH PRIVATE KEY-----'],
  'ssh-known-hosts': ['example.com ssh-ed25519 AAAAC3Nza'],
  'tls-ca': ['-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----'],
  'tls-cert': ['-----BEGIN CERTIFICATE-----\nabc\n-----END CERTIFICATE-----'],
  'tls-key': ['-----BEGIN RSA PRIVATE KEY-----\nabc\n-----END RSA PRIVATE KEY-----'],
  'compose-file': ['docker-compose.yml', 'docker-compose.yml\ndocker-compose.prod.yml'],
  'compose-project': ['web', 'my_app-2'],
  service: ['web', 'api.v2'],
  replicas: ['1', '3'],
  'health-timeout': ['60'],
  'switch-command': ['nginx: nginx -s reload', `proxy: sh -c 'kill -HUP 1'`],
  'drain-seconds': ['0', '5'],
  'startup-grace': ['10'],
  'lock-timeout': ['30'],
  'registry-timeout': ['1', '900'],
  env: ['A=1', 'LOG_LEVEL=debug\nPORT=3000']
}

/** Text a runner may pass for any input: anything, with shell and parser metacharacters favoured. */
const hostileText: fc.Arbitrary<string> = textFavouring(
  [
    ';',
    '$(id)',
    '|',
    '&',
    '`',
    "'",
    '"',
    '\n',
    '\r\n',
    ' ',
    '\t',
    '\\',
    '=',
    ':',
    ',',
    '/',
    '#',
    '-',
    '..',
    '@',
    '${HOME}',
    '-----BEGIN ',
    'PRIVATE KEY-----',
    'ssh://',
    'tcp://',
    'a',
    'Z',
    '0',
    '\u0000',
    '\u001b[31m',
    'é',
    '\u{1d54f}'
  ],
  {
    maxLength: 30,
    more: [
      fc
        .array(
          fc
            .tuple(fc.string(), fc.constantFrom('=', ':', ' = ', ': ', '', '=='), fc.string())
            .map(([key, separator, value]) => key + separator + value),
          { maxLength: 8 }
        )
        .map((lines) => lines.join('\n')),
      fc
        .tuple(fc.constantFrom('a', '=', ':', '/', '-', '1', ' ', 'A='), fc.integer({ min: 500, max: 20000 }))
        .map(([unit, count]) => unit.repeat(count)),
      fc.string({ minLength: 500, maxLength: 3000 })
    ]
  }
)

/** For each input: unset (''), a valid value, or (for a few inputs) hostile text. */
function inputValues(hostileNames: fc.Arbitrary<string[]>): fc.Arbitrary<Record<string, string>> {
  const base = fc.record(
    Object.fromEntries(
      INPUT_NAMES.map((name) => [
        name,
        fc.oneof(
          { arbitrary: fc.constant(''), weight: name === 'image' ? 1 : 6 },
          { arbitrary: fc.constantFrom(...(VALID[name] ?? [''])), weight: name === 'image' ? 8 : 2 }
        )
      ])
    )
  )
  return fc
    .tuple(
      base,
      hostileNames.chain((names) =>
        fc.tuple(...names.map(() => hostileText)).map((texts) => ({ names, texts }))
      )
    )
    .map(([values, { names, texts }]) => {
      const out = { ...values }
      names.forEach((name, index) => {
        out[name] = texts[index] as string
      })
      return out
    })
}

/** Inputs a set input makes required, or whose default follows from it. */
const CONSEQUENCES: Record<string, string[]> = {
  username: ['password'],
  password: ['username'],
  context: ['file'],
  'deploy-host': ['ssh-known-hosts', 'tls-ca', 'tls-cert', 'tls-key', 'service'],
  // The old name: its value is read, and named, as deploy-host (inputs/renamed.ts).
  'docker-host': ['deploy-host', 'ssh-known-hosts', 'tls-ca', 'tls-cert', 'tls-key', 'service']
}

const ANY_INPUTS = inputValues(fc.subarray(INPUT_NAMES, { maxLength: 4 }))

/** A throwaway parent folder holding the workspace, so writes next to it would show too. */
let root: string
let workspace: string

beforeAll(() => {
  root = mkdtempSync(path.join(os.tmpdir(), 'properties-inputs-'))
  workspace = path.join(root, 'ws')
  const files: Record<string, string> = {
    Dockerfile: 'FROM scratch\n',
    'sub/Dockerfile': 'FROM scratch\n',
    'docker-compose.yml': 'services:\n  web:\n    image: ghcr.io/acme/web\n'
  }
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(workspace, name)), { recursive: true })
    writeFileSync(path.join(workspace, name), content)
  }
})

afterAll(() => {
  rmSync(root, { recursive: true, force: true })
})

/**
 * Every entry under a folder: kind, size, mode, modification time and content hash (a folder's
 * modification time also shows a file made and removed again).
 */
function snapshot(folder: string): Record<string, string> {
  const out: Record<string, string> = {}
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const full = path.join(dir, name)
      const stat = statSync(full)
      const rel = path.relative(folder, full)
      if (stat.isDirectory()) {
        out[rel] = `dir ${stat.mode} ${stat.mtimeMs}`
        walk(full)
      } else {
        const hash = createHash('sha256').update(readFileSync(full)).digest('hex')
        out[rel] = `file ${stat.mode} ${stat.size} ${stat.mtimeMs} ${hash}`
      }
    }
  }
  walk(folder)
  return out
}

type Outcome = { ok: true; inputs: Inputs } | { ok: false; error: unknown }

/** Runs getInputs as the runner would (values trimmed, as core.getInput does), recording reads. */
function run(values: Record<string, string>): Outcome & { read: Set<string> } {
  const read = new Set<string>()
  const reader = (name: string): string => {
    read.add(name)
    return (values[name] ?? '').trim()
  }
  try {
    const inputs = getInputs(reader, workspace)
    return { ok: true, inputs, read }
  } catch (error) {
    return { ok: false, error, read }
  }
}

/** The checks every InputError must pass; returns its problems. */
function expectInputError(error: unknown): string[] {
  expect(error).toBeInstanceOf(InputError)
  const inputError = error as InputError
  expect(inputError.name).toBe('InputError')
  expect(inputError.problems.length).toBeGreaterThan(0)
  for (const problem of inputError.problems) {
    const name = /^([a-z][a-z-]*): /.exec(problem)?.[1]
    expect(INPUT_NAMES).toContain(name)
  }
  const expected =
    inputError.problems.length === 1
      ? `Invalid input: ${inputError.problems[0]}`
      : `Invalid inputs:\n${inputError.problems.map((problem) => `- ${problem}`).join('\n')}`
  expect(inputError.message).toBe(expected)
  expect(inputError.message).not.toMatch(FORBIDDEN)
  return inputError.problems
}

/** What validation promises about an Inputs object it returned. */
function expectValidInputs(inputs: Inputs, values: Record<string, string>): void {
  expect(inputs.steps.length).toBeGreaterThan(0)
  expect(inputs.steps).toEqual(STEP_NAMES.filter((step) => inputs.steps.includes(step)))
  expect(inputs.image.name).toBe((values.image ?? '').trim())
  expect(inputs.image.registry).toBe(inputs.image.registry.toLowerCase())
  for (const tag of inputs.tags.extra) expect(isValidTag(tag)).toBe(true)
  for (const reference of inputs.tags.references) expect(isValidTag(reference.tag)).toBe(true)
  expect(inputs.scan.severities.length).toBeGreaterThan(0)
  for (const severity of inputs.scan.severities) expect(SEVERITIES).toContain(severity)
  for (const value of [
    inputs.deploy.drainSeconds,
    inputs.deploy.startupGrace,
    inputs.deploy.lockTimeout,
    inputs.deploy.healthTimeout - 1,
    (inputs.deploy.replicas ?? 1) - 1
  ]) {
    expect(Number.isSafeInteger(value) && value >= 0).toBe(true)
  }
  if (inputs.deploy.switchCommand) {
    expect(inputs.deploy.switchCommand.args.length).toBeGreaterThan(0)
    expect(inputs.deploy.switchCommand.service).toMatch(/^[A-Za-z0-9][A-Za-z0-9_.-]*$/)
  }
  for (const { key } of inputs.deploy.env) expect(key).toMatch(/^[A-Za-z_][A-Za-z0-9_]*$/)
  const host = inputs.deploy.dockerHosts[0]
  if (inputs.steps.includes('deploy') && host) expect(inputs.deploy.service).not.toBe('')
  if (host?.scheme === 'ssh') expect(inputs.deploy.sshKnownHosts).not.toBe('')
  if (host?.scheme === 'tcp') {
    expect([inputs.deploy.tlsCa, inputs.deploy.tlsCert, inputs.deploy.tlsKey]).not.toContain('')
  }
  expect(Boolean(inputs.publish.username)).toBe(Boolean(inputs.publish.password))
}

describe('getInputs on arbitrary input text', () => {
  it('action.yml declares every input the valid samples name (the generators are not stale)', () => {
    expect(INPUT_NAMES.length).toBeGreaterThan(40)
    expect(Object.keys(VALID).filter((name) => !INPUT_NAMES.includes(name))).toEqual([])
  })

  it('returns Inputs that keep the validation promises, or throws an InputError naming inputs', () => {
    let succeeded = 0
    let failed = 0
    fc.assert(
      fc.property(ANY_INPUTS, (values) => {
        const outcome = run(values)
        // Only inputs action.yml declares are read.
        expect([...outcome.read].filter((name) => !INPUT_NAMES.includes(name))).toEqual([])
        if (outcome.ok) {
          succeeded++
          expectValidInputs(outcome.inputs, values)
        } else {
          failed++
          expectInputError(outcome.error)
        }
      }),
      { numRuns: 400 }
    )
    // Both outcomes were exercised, so neither branch of the property is vacuous.
    expect(succeeded).toBeGreaterThan(10)
    expect(failed).toBeGreaterThan(10)
  })

  it('throws an InputError for hostile text in any single input, never another error', () => {
    let refused = 0
    fc.assert(
      fc.property(fc.constantFrom(...INPUT_NAMES), hostileText, (name, text) => {
        const outcome = run({ image: 'ghcr.io/acme/web', [name]: text })
        if (!outcome.ok) {
          refused++
          // The bad input is named, or an input it makes required (or whose default it sets).
          const allowed = [name, ...(CONSEQUENCES[name] ?? [])]
          for (const problem of expectInputError(outcome.error)) {
            expect(allowed).toContain(problem.slice(0, problem.indexOf(':')))
          }
        }
      }),
      { numRuns: 500 }
    )
    expect(refused).toBeGreaterThan(100)
  })

  it('never quotes the text of a secret input in its error', () => {
    const SENTINEL = 'S3NT1NEL'
    const secretText = fc
      .tuple(hostileText, hostileText)
      .map(([before, after]) => `${before.slice(0, 200)}${SENTINEL}${after.slice(0, 200)}`)
    const secretLines = fc
      .array(fc.tuple(fc.stringMatching(/^[A-Za-z_][A-Za-z0-9_.-]{0,10}$/), secretText, fc.boolean()), {
        minLength: 1,
        maxLength: 4
      })
      .map((lines) => lines.map(([key, value, paired]) => (paired ? `${key}=${value}` : value)).join('\n'))
    const secretInputs = fc.record({
      password: secretText,
      'ssh-private-key': secretText,
      'tls-key': secretText,
      'github-token': secretText,
      secrets: secretLines,
      env: secretLines
    })
    let refused = 0
    fc.assert(
      fc.property(
        inputValues(fc.subarray(INPUT_NAMES, { maxLength: 3 })),
        fc.subarray(['password', 'ssh-private-key', 'tls-key', 'github-token', 'secrets', 'env'], {
          minLength: 1
        }),
        secretInputs,
        (values, chosen, secrets) => {
          const given = { ...values }
          for (const name of chosen) given[name] = secrets[name as keyof typeof secrets]
          const outcome = run(given)
          if (!outcome.ok) {
            refused++
            expectInputError(outcome.error)
            expect((outcome.error as Error).message).not.toContain(SENTINEL)
          }
        }
      ),
      { numRuns: 300 }
    )
    expect(refused).toBeGreaterThan(100)
  })

  it('touches nothing outside the process: no file, folder, environment variable or cwd changes', () => {
    const before = snapshot(root)
    const env = { ...process.env }
    const cwd = process.cwd()
    expect(Object.keys(before)).toContain(path.join('ws', 'Dockerfile'))
    fc.assert(
      fc.property(ANY_INPUTS, (values) => {
        const read = (name: string): string => (values[name] ?? '').trim()
        let result: unknown
        try {
          result = getInputs(read, workspace)
        } catch (error) {
          result = error
        }
        // Synchronous: it returns (or throws) its answer, not a promise of work still under way.
        expect(result === null || typeof (result as { then?: unknown }).then !== 'function').toBe(true)
      }),
      { numRuns: 300 }
    )
    expect(snapshot(root)).toEqual(before)
    expect(process.env).toEqual(env)
    expect(process.cwd()).toBe(cwd)
  })
})
