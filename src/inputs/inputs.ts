// Every input of action.yml, read once into one typed object and validated before any program
// runs. A bad input fails with a message naming the input and what was expected; all problems
// are reported together.
import { existsSync, statSync } from 'node:fs'
import path from 'node:path'
import semver from 'semver'
import { ENGINE_VARIABLES } from '../docker/cli.js'
import { parseDockerHost, type DockerHost } from '../deploy/host/docker-host.js'
import {
  isLoopbackHost,
  isValidTag,
  parseImageName,
  parseImageReference,
  parseRegistry,
  type ImageName,
  type ImageReference
} from '../lib/image-name.js'
import { parseWholeNumber } from './bounds.js'
import { parseKeyValueLines, parseLines, parseList, type KeyValue } from '../lib/key-value.js'
import { writeRefusal, writeRoots } from '../lib/safe-write.js'
import { parseSeverity, SEVERITIES, type Severity } from '../scan/severity.js'
import { parseSwitchCommand, type SwitchCommand } from '../deploy/compose/switch-command.js'
import type { TagLatest } from '../release/tags.js'

export const STEP_NAMES = ['build', 'scan', 'push', 'deploy'] as const
export type StepName = (typeof STEP_NAMES)[number]
export type PushMode = 'auto' | 'true' | 'false'

export const DEFAULT_IGNORE_FILE = '.trivyignore'
/** The Trivy release used when none is on PATH; action.yml's trivy-version default says the same. */
export const DEFAULT_TRIVY_VERSION = '0.74.0'
export const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'] as const
/** Where Trivy's release archives are downloaded from unless trivy-releases names a mirror. */
export const DEFAULT_TRIVY_RELEASES = 'https://github.com/aquasecurity/trivy/releases/download'

/** What the build step needs. */
export interface BuildInputs {
  context: string
  /** True when context is a folder on this machine (not a Git or HTTP URL). */
  contextIsLocal: boolean
  file: string
  buildArgs: KeyValue[]
  labels: KeyValue[]
  secrets: KeyValue[]
  target: string
  platforms: string[]
  cacheFrom: string[]
  cacheTo: string[]
  pull: boolean
  noCache: boolean
}

/** How tags are computed. */
export interface TagInputs {
  /** Extra tags of `image`, from the tags input. */
  extra: string[]
  /** Full references from the tags input (`ghcr.io/acme/web:1.2`), pushed as they are. */
  references: ImageReference[]
  latest: TagLatest
  sha: boolean
}

/** Where and whether to push, and the credentials for the registry input. */
export interface PublishInputs {
  /** The registry the username and password are for, normalised. */
  registry: string
  username: string
  password: string
  push: PushMode
  /** Seconds one attempt at a docker push, pull or login may take before it is stopped. */
  registryTimeout: number
}

export interface ScanInputs {
  severityThreshold: Severity | 'none'
  severities: Severity[]
  ignoreUnfixed: boolean
  ignoreFile: string
  /** False for the default `.trivyignore`, which may be missing. */
  ignoreFileExplicit: boolean
  scanners: string[]
  maxFindings: Partial<Record<Severity, number>>
  trivyVersion: string
  /** Base URL of the release archives (`<base>/v<version>/trivy_<version>_Linux-64bit.tar.gz`). */
  trivyReleases: string
  /** Trivy DB repositories, in order; empty for Trivy's default. */
  dbRepositories: string[]
  skipDbUpdate: boolean
  /** Keep the Trivy DB in the Actions cache, one entry a day (trivy-db-cache.ts). */
  dbCache: boolean
  sarifFile: string
  annotations: boolean
  prComment: boolean
  githubToken: string
}

export interface DeployInputs {
  dockerHost?: DockerHost
  sshPrivateKey: string
  sshKnownHosts: string
  tlsCa: string
  tlsCert: string
  tlsKey: string
  composeFiles: string[]
  composeProject: string
  service: string
  replicas?: number
  healthTimeout: number
  switchCommand?: SwitchCommand
  drainSeconds: number
  /** Without a healthcheck: seconds a new container must stay up to count as ready. */
  startupGrace: number
  /** Seconds to wait for another deploy of the same project on the host to finish. */
  lockTimeout: number
  /** Deploy also on events whose code or text may come from outside (UNTRUSTED_DEPLOY_EVENTS). */
  allowUntrustedEvents: boolean
  env: KeyValue[]
}

/** Every input, grouped by the step that uses it, so each step is handed its own slice. */
export interface Inputs {
  steps: StepName[]
  image: ImageName
  build: BuildInputs
  tags: TagInputs
  publish: PublishInputs
  scan: ScanInputs
  deploy: DeployInputs
}

/** Reads one input as the runner passes it (INPUT_<NAME>), trimmed; '' when unset. */
export type InputReader = (name: string) => string

export class InputError extends Error {
  constructor(readonly problems: string[]) {
    super(
      problems.length === 1
        ? `Invalid input: ${problems[0]}`
        : `Invalid inputs:\n${problems.map((problem) => `- ${problem}`).join('\n')}`
    )
    this.name = 'InputError'
  }
}

const BUILD_ARG_KEY = /^[^\s=]+$/
const SECRET_ID = /^[A-Za-z0-9_.-]+$/
const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
const PLATFORM = /^[a-z0-9_]+\/[a-z0-9_]+(?:\/[a-z0-9_.]+)?$/
const COMPOSE_PROJECT = /^[a-z0-9][a-z0-9_-]*$/
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const REMOTE_CONTEXT = /^(?:[a-z][a-z0-9+.-]*:\/\/|git@|github\.com\/)/i

export function getInputs(read: InputReader, cwd: string = process.cwd()): Inputs {
  const problems: string[] = []
  /** Runs one input's parser; a thrown message becomes a problem naming the input. */
  function field<T>(name: string, parse: (raw: string) => T, fallback: T): T {
    try {
      return parse(read(name))
    } catch (error) {
      problems.push(`${name}: ${(error as Error).message}`)
      return fallback
    }
  }

  const steps = field('steps', parseSteps, [...STEP_NAMES])
  const image = field('image', (raw) => parseImageName(raw), { registry: '', repository: '', name: '' })
  const context = read('context') || '.'
  const contextIsLocal = !REMOTE_CONTEXT.test(context)
  // A remote context brings its own Dockerfile unless one is named.
  const file = read('file') || (contextIsLocal ? path.join(context, 'Dockerfile') : '')
  const building = steps.includes('build')
  if (building && contextIsLocal) {
    if (!isDirectory(path.resolve(cwd, context))) problems.push(`context: "${context}" is not a folder`)
    else if (file && !isFile(path.resolve(cwd, file))) problems.push(`file: "${file}" does not exist`)
  }

  const buildArgs = field(
    'build-args',
    (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, 'a name without spaces'),
    []
  )
  const labels = field('labels', (raw) => parseKeyValueLines(raw, BUILD_ARG_KEY, 'a name without spaces'), [])
  const secrets = field(
    'secrets',
    (raw) => parseKeyValueLines(raw, SECRET_ID, 'an id of letters, digits, . _ -'),
    []
  )
  const platforms = field('platforms', parsePlatforms, [])
  const tags = field('tags', parseTags, { extra: [], references: [] })
  const registry = field('registry', (raw) => (raw ? parseRegistry(raw) : image.registry), image.registry)
  const username = read('username')
  const password = read('password')
  if (password && !username) problems.push('username: is required when password is set')
  if (username && !password) problems.push('password: is required when username is set')

  const severities = field('severities', parseSeverities, [...SEVERITIES])
  const ignoreFile = read('ignore-file') || DEFAULT_IGNORE_FILE
  const ignoreFileExplicit = ignoreFile !== DEFAULT_IGNORE_FILE
  if (steps.includes('scan') && ignoreFileExplicit && !isFile(path.resolve(cwd, ignoreFile))) {
    problems.push(`ignore-file: "${ignoreFile}" does not exist`)
  }

  const dockerHost = field('docker-host', (raw) => (raw ? parseDockerHost(raw) : undefined), undefined)
  const sshPrivateKey = read('ssh-private-key')
  const sshKnownHosts = read('ssh-known-hosts')
  const tlsCa = read('tls-ca')
  const tlsCert = read('tls-cert')
  const tlsKey = read('tls-key')
  checkPem(problems, 'ssh-private-key', sshPrivateKey, 'PRIVATE KEY')
  checkPem(problems, 'tls-ca', tlsCa, 'CERTIFICATE')
  checkPem(problems, 'tls-cert', tlsCert, 'CERTIFICATE')
  checkPem(problems, 'tls-key', tlsKey, 'PRIVATE KEY')
  checkRemoteAccess(problems, dockerHost, { sshKnownHosts, tlsCa, tlsCert, tlsKey })

  const service = read('service')
  const deploying = steps.includes('deploy') && dockerHost !== undefined
  if (service && !SERVICE_NAME.test(service))
    problems.push(`service: "${service}" is not a Compose service name`)
  if (deploying && !service) problems.push('service: is required to deploy (docker-host is set)')

  const inputs: Inputs = {
    steps,
    image,
    build: {
      context,
      contextIsLocal,
      file,
      buildArgs,
      labels,
      secrets,
      target: read('target'),
      platforms,
      cacheFrom: parseLines(read('cache-from')),
      cacheTo: parseLines(read('cache-to')),
      pull: field('pull', parseBoolean, false),
      noCache: field('no-cache', parseBoolean, false)
    },
    tags: {
      extra: tags.extra,
      references: tags.references,
      latest: field(
        'tag-latest',
        (raw) => parseChoice(raw || 'auto', ['auto', 'true', 'false'] as const),
        'auto'
      ),
      sha: field('tag-sha', (raw) => parseBoolean(raw || 'true'), true)
    },
    publish: {
      registry,
      username,
      password,
      push: field('push', (raw) => parseChoice(raw || 'auto', ['auto', 'true', 'false'] as const), 'auto'),
      registryTimeout: field(
        'registry-timeout',
        (raw) => parseWholeNumber(raw || '600', 'registry-timeout'),
        600
      )
    },
    scan: {
      severityThreshold: field('severity-threshold', parseThreshold, 'HIGH'),
      severities,
      ignoreUnfixed: field('ignore-unfixed', parseBoolean, false),
      ignoreFile,
      ignoreFileExplicit,
      scanners: field('scanners', parseScanners, ['vuln', 'secret']),
      maxFindings: field('max-findings', parseMaxFindings, {}),
      trivyVersion: field('trivy-version', parseTrivyVersion, DEFAULT_TRIVY_VERSION),
      trivyReleases: field('trivy-releases', parseReleasesUrl, DEFAULT_TRIVY_RELEASES),
      dbRepositories: field('db-repository', parseDbRepositories, []),
      skipDbUpdate: field('skip-db-update', parseBoolean, false),
      dbCache: field('db-cache', (raw) => parseBoolean(raw || 'true'), true),
      sarifFile: field('sarif-file', (raw) => parseSarifFile(raw, cwd, steps), ''),
      annotations: field('annotations', (raw) => parseBoolean(raw || 'true'), true),
      prComment: field('pr-comment', (raw) => parseBoolean(raw || 'true'), true),
      githubToken: read('github-token')
    },
    deploy: {
      dockerHost,
      sshPrivateKey,
      sshKnownHosts,
      tlsCa,
      tlsCert,
      tlsKey,
      composeFiles: field('compose-file', (raw) => parseLines(raw || 'docker-compose.yml'), [
        'docker-compose.yml'
      ]),
      composeProject: field('compose-project', parseComposeProject, ''),
      service,
      replicas: field('replicas', (raw) => (raw ? parseWholeNumber(raw, 'replicas') : undefined), undefined),
      healthTimeout: field('health-timeout', (raw) => parseWholeNumber(raw || '120', 'health-timeout'), 120),
      switchCommand: field('switch-command', parseSwitchCommand, undefined),
      drainSeconds: field('drain-seconds', (raw) => parseWholeNumber(raw || '0', 'drain-seconds'), 0),
      startupGrace: field('startup-grace', (raw) => parseWholeNumber(raw || '10', 'startup-grace'), 10),
      lockTimeout: field('lock-timeout', (raw) => parseWholeNumber(raw || '600', 'lock-timeout'), 600),
      allowUntrustedEvents: field('deploy-on-untrusted-events', parseBoolean, false),
      env: field('env', parseDeployEnv, [])
    }
  }
  if (problems.length > 0) throw new InputError(problems)
  return inputs
}

/** YAML 1.2 core booleans, as core.getBooleanInput accepts them. */
export function parseBoolean(raw: string): boolean {
  if (['true', 'True', 'TRUE'].includes(raw)) return true
  if (['false', 'False', 'FALSE', ''].includes(raw)) return false
  throw new Error(`"${raw}" is not a boolean (true or false)`)
}

function parseChoice<T extends string>(raw: string, choices: readonly T[]): T {
  const lower = raw.toLowerCase()
  const found = choices.find((choice) => choice === lower)
  if (!found) throw new Error(`"${raw}" is not one of ${choices.join(', ')}`)
  return found
}

function parseSteps(raw: string): StepName[] {
  const named = parseList(raw || STEP_NAMES.join(','))
  if (named.length === 0) throw new Error(`name at least one of ${STEP_NAMES.join(', ')}`)
  for (const step of named) {
    if (!(STEP_NAMES as readonly string[]).includes(step.toLowerCase())) {
      throw new Error(`"${step}" is not one of ${STEP_NAMES.join(', ')}`)
    }
  }
  const lower = named.map((step) => step.toLowerCase())
  const steps = STEP_NAMES.filter((step) => lower.includes(step))
  for (const needsBuild of ['scan', 'push'] as const) {
    if (steps.includes(needsBuild) && !steps.includes('build')) {
      throw new Error(`${needsBuild} works on the image the build step makes: add build`)
    }
  }
  return steps
}

function parsePlatforms(raw: string): string[] {
  const platforms = parseList(raw)
  for (const platform of platforms) {
    if (!PLATFORM.test(platform)) throw new Error(`"${platform}" is not os/arch[/variant], e.g. linux/amd64`)
  }
  if (platforms.length > 1) {
    throw new Error(
      'only one platform is supported for now: the image is loaded into the local engine to be scanned, and the engine holds one platform per tag'
    )
  }
  return platforms
}

/**
 * Plain tags of `image`, and full references (`ghcr.io/acme/web:1.2`, as docker/metadata-action
 * outputs them) that may name other repositories.
 */
function parseTags(raw: string): Pick<TagInputs, 'extra' | 'references'> {
  const extra: string[] = []
  const references: ImageReference[] = []
  for (const item of parseList(raw)) {
    if (item.includes('/') || item.includes(':')) {
      references.push(parseImageReference(item))
    } else if (isValidTag(item)) {
      extra.push(item)
    } else {
      throw new Error(
        `"${item}" is not a valid tag (letters, digits, _ . -, at most 128, not starting with . or -) nor a name:tag reference`
      )
    }
  }
  return { extra, references }
}

function parseSeverities(raw: string): Severity[] {
  const named = parseList(raw || SEVERITIES.join(','))
  const severities = named.map((name) => {
    const severity = parseSeverity(name)
    if (!severity) throw new Error(`"${name}" is not one of ${SEVERITIES.join(', ')}`)
    return severity
  })
  if (severities.length === 0) throw new Error(`name at least one of ${SEVERITIES.join(', ')}`)
  return SEVERITIES.filter((severity) => severities.includes(severity))
}

function parseThreshold(raw: string): Severity | 'none' {
  if ((raw || 'HIGH').toLowerCase() === 'none') return 'none'
  const severity = parseSeverity(raw || 'HIGH')
  if (!severity) throw new Error(`"${raw}" is not one of ${SEVERITIES.join(', ')} or none`)
  return severity
}

function parseScanners(raw: string): string[] {
  const scanners = parseList(raw || 'vuln,secret').map((name) => name.toLowerCase())
  for (const scanner of scanners) {
    if (!(SCANNERS as readonly string[]).includes(scanner))
      throw new Error(`"${scanner}" is not one of ${SCANNERS.join(', ')}`)
  }
  return scanners
}

function parseMaxFindings(raw: string): Partial<Record<Severity, number>> {
  const budgets: Partial<Record<Severity, number>> = {}
  for (const item of parseList(raw)) {
    const match = /^([A-Za-z]+)\s*=\s*(\d+)$/.exec(item)
    const severity = match ? parseSeverity(match[1] as string) : undefined
    if (!match || !severity) throw new Error(`"${item}" is not SEVERITY=COUNT, e.g. critical=0,high=5`)
    try {
      budgets[severity] = parseWholeNumber(match[2] as string, 'max-findings')
    } catch (error) {
      throw new Error(`"${item}": ${(error as Error).message}`)
    }
  }
  return budgets
}

function parseTrivyVersion(raw: string): string {
  const version = semver.valid((raw || DEFAULT_TRIVY_VERSION).replace(/^v/, ''))
  if (!version) throw new Error(`"${raw}" is not a release version such as ${DEFAULT_TRIVY_VERSION}`)
  return version
}

function parseReleasesUrl(raw: string): string {
  const text = raw || DEFAULT_TRIVY_RELEASES
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`"${text}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${text}" is not an http(s) URL`)
  // Plain HTTP lets anyone on the path swap the archive and its checksums file together.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    throw new Error(
      `"${text}" is plain http to a host that is not loopback: use https (http only for 127.0.0.0/8, ::1 or localhost)`
    )
  return text.replace(/\/+$/, '')
}

/** OCI repositories with an optional tag, as Trivy's --db-repository takes them. */
function parseDbRepositories(raw: string): string[] {
  const repositories = parseList(raw)
  for (const repository of repositories) {
    const tagged = /:[\w][\w.-]*$/.test(repository.slice(repository.lastIndexOf('/') + 1))
    if (tagged) parseImageReference(repository)
    else parseImageName(repository)
  }
  return repositories
}

/** A path the scan may write (safe-write.ts): inside the workspace or RUNNER_TEMP, through no link. */
function parseSarifFile(raw: string, cwd: string, steps: StepName[]): string {
  if (!raw || !steps.includes('scan')) return raw
  const refusal = writeRefusal(path.resolve(cwd, raw), writeRoots(cwd))
  if (refusal) throw new Error(`"${raw}" cannot be written: ${refusal}`)
  return raw
}

function parseComposeProject(raw: string): string {
  if (raw && !COMPOSE_PROJECT.test(raw)) {
    throw new Error(
      `"${raw}" is not a Compose project name (lowercase letters, digits, _ and -, starting with a letter or digit)`
    )
  }
  return raw
}

/** The env input: variables for Compose, none of those the action sets for the engine. */
function parseDeployEnv(raw: string): KeyValue[] {
  const env = parseKeyValueLines(raw, ENV_KEY, 'a variable name (letters, digits, _)')
  const reserved = env.filter(({ key }) => ENGINE_VARIABLES.includes(key) || key === 'APP_VERSION')
  if (reserved.length > 0) {
    throw new Error(
      `${reserved.map(({ key }) => key).join(', ')} cannot be set here: the action sets ${reserved.length === 1 ? 'it' : 'them'} (APP_VERSION to the version, the others from docker-host)`
    )
  }
  return env
}

/** Checks that PEM text has the expected block; never quotes the text (it may be a key). */
function checkPem(problems: string[], name: string, text: string, kind: string): void {
  if (!text) return
  if (!new RegExp(`-----BEGIN [A-Z ]*${kind}-----`).test(text) || !/-----END [A-Z ]+-----/.test(text)) {
    problems.push(`${name}: is not PEM text with a ${kind} block (-----BEGIN ...${kind}-----)`)
  }
}

function checkRemoteAccess(
  problems: string[],
  host: DockerHost | undefined,
  access: { sshKnownHosts: string; tlsCa: string; tlsCert: string; tlsKey: string }
): void {
  if (host?.scheme === 'ssh' && !access.sshKnownHosts) {
    problems.push('ssh-known-hosts: is required for an ssh:// docker-host (host keys are always verified)')
  }
  if (host?.scheme === 'tcp') {
    for (const [name, value] of [
      ['tls-ca', access.tlsCa],
      ['tls-cert', access.tlsCert],
      ['tls-key', access.tlsKey]
    ] as const) {
      if (!value)
        problems.push(`${name}: is required for a tcp:// docker-host (the engine is reached over mutual TLS)`)
    }
  }
}

function isDirectory(target: string): boolean {
  return existsSync(target) && statSync(target).isDirectory()
}

function isFile(target: string): boolean {
  return existsSync(target) && statSync(target).isFile()
}

/**
 * Events that run a workflow on code or text anyone may send (a pull request, a fork's, a queued
 * merge, a comment): a deploy from them would put that code in production, or run with its
 * secrets at their word.
 */
export const UNTRUSTED_DEPLOY_EVENTS = ['pull_request', 'pull_request_target', 'merge_group', 'issue_comment']

/**
 * Refuses a run that would deploy (deploy in steps, docker-host set) on such an event, unless
 * deploy-on-untrusted-events allows it; checked before anything is set up.
 */
export function refuseUntrustedDeploy(inputs: Pick<Inputs, 'steps' | 'deploy'>, eventName: string): void {
  const deploying = inputs.steps.includes('deploy') && inputs.deploy.dockerHost !== undefined
  if (!deploying || inputs.deploy.allowUntrustedEvents || !UNTRUSTED_DEPLOY_EVENTS.includes(eventName)) return
  throw new InputError([
    `steps: deploy does not run on a ${eventName} event, whose code or text may come from anyone who can open a pull request or comment. Deploy from push, release, workflow_dispatch or a job behind an environment approval; or set deploy-on-untrusted-events: true to allow it on this event.`
  ])
}
