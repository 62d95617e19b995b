// The deploy step's inputs: the host and how to reach it, the Compose project and service, and
// the rollout's waits. Also the refusal to deploy from events anyone may trigger.
import { ENGINE_VARIABLES } from '../docker/cli.js'
import { parseWholeNumber } from '../inputs/bounds.js'
import {
  checkPem,
  InputError,
  parseBoolean,
  parseChoice,
  type InputFields,
  type InputScope
} from '../inputs/fields.js'
import { parseKeyValueLines, parseLines, type KeyValue } from '../lib/key-value.js'
import { parseSwitchCommand, type SwitchCommand } from './compose/switch-command.js'
import { parseDockerHosts, type DockerHost } from './host/docker-host.js'
import { readReleaseChoice, type ReleaseChoice } from './release-choice/choice.js'

/** How many hosts change at once: a count, or a percentage of the deploy-host lines. */
export type RolloutBatch = { hosts: number } | { percent: number }

/** What a failure on one host does to the hosts already on the new release. */
export type OnFailure = 'rollback' | 'stop'

export interface DeployInputs {
  /** The deploy-host lines, in order; empty skips deploy. */
  dockerHosts: DockerHost[]
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
  /** After a successful deploy, images of the service's repository kept per host; 0 keeps all. */
  keepReleases: number
  /** A lock older than lockTimeout whose run no longer exists (asked of GitHub) may be broken. */
  breakStaleLock: boolean
  /** The github-token input: the GitHub deployment is created with it, and GitHub asked whether a lock's run still exists. */
  githubToken: string
  /** Deploy also on events whose code or text may come from outside (UNTRUSTED_DEPLOY_EVENTS). */
  allowUntrustedEvents: boolean
  env: KeyValue[]
  rolloutBatch: RolloutBatch
  /** Seconds a batch's new containers must stay healthy before the next batch starts. */
  batchWait: number
  onFailure: OnFailure
  /** Who rolls the service out: the action (Compose blue-green) or Docker Swarm (swarm/). */
  orchestrator: Orchestrator
  /** The GitHub environment the deploy is reported to as a deployment (github-deployment.ts); '' for none. */
  environment: string
  /** The environment's address, on the deployment's success status. */
  environmentUrl: string
  /** Which release: the event's, a version (version input) or the one before (rollback input). */
  choice: ReleaseChoice
}

export const ORCHESTRATORS = ['compose', 'swarm'] as const
export type Orchestrator = (typeof ORCHESTRATORS)[number]

/**
 * The host's keys, and env (it feeds the deployed service, so its values may be secrets). The
 * github-token the deployment is created with is the scan step's secret input, masked with it.
 */
export const DEPLOY_SECRET_INPUTS = { whole: ['ssh-private-key', 'tls-key'], values: ['env'] } as const

const ENV_KEY = /^[A-Za-z_][A-Za-z0-9_]*$/
/** A Compose project name, as Compose normalises one. */
export const COMPOSE_PROJECT = /^[a-z0-9][a-z0-9_-]*$/
const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export function readDeployInputs(fields: InputFields, scope: InputScope): DeployInputs {
  const { read } = fields
  const dockerHosts = fields.field('deploy-host', parseDockerHosts, [])
  const sshPrivateKey = read('ssh-private-key')
  const sshKnownHosts = read('ssh-known-hosts')
  const tlsCa = read('tls-ca')
  const tlsCert = read('tls-cert')
  const tlsKey = read('tls-key')
  checkPem(fields, 'ssh-private-key', sshPrivateKey, 'PRIVATE KEY')
  checkPem(fields, 'tls-ca', tlsCa, 'CERTIFICATE')
  checkPem(fields, 'tls-cert', tlsCert, 'CERTIFICATE')
  checkPem(fields, 'tls-key', tlsKey, 'PRIVATE KEY')
  checkRemoteAccess(fields, dockerHosts, { sshKnownHosts, tlsCa, tlsCert, tlsKey })

  const service = read('service')
  const deploying = scope.steps.includes('deploy') && dockerHosts.length > 0
  if (service && !SERVICE_NAME.test(service))
    fields.problem(`service: "${service}" is not a Compose service name`)
  if (deploying && !service) fields.problem('service: is required to deploy (deploy-host is set)')

  const seconds = (name: Parameters<typeof parseWholeNumber>[1], fallback: number): number =>
    fields.field(name, (raw) => parseWholeNumber(raw, name), fallback)
  const orchestrator = fields.field(
    'orchestrator',
    (raw) => parseChoice(raw || 'compose', ORCHESTRATORS),
    'compose' as Orchestrator
  )
  // Swarm spreads the tasks over its nodes itself: the action talks to one manager.
  if (orchestrator === 'swarm' && dockerHosts.length > 1)
    fields.problem('deploy-host: orchestrator swarm takes one host, a Swarm manager, not several')
  return {
    dockerHosts,
    sshPrivateKey,
    sshKnownHosts,
    tlsCa,
    tlsCert,
    tlsKey,
    composeFiles: fields.field('compose-file', parseLines, ['docker-compose.yml']),
    composeProject: fields.field('compose-project', parseComposeProject, ''),
    service,
    replicas: fields.field(
      'replicas',
      (raw) => (raw ? parseWholeNumber(raw, 'replicas') : undefined),
      undefined
    ),
    healthTimeout: seconds('health-timeout', 120),
    switchCommand: fields.field('switch-command', parseSwitchCommand, undefined),
    drainSeconds: seconds('drain-seconds', 0),
    startupGrace: seconds('startup-grace', 10),
    lockTimeout: seconds('lock-timeout', 600),
    keepReleases: fields.field('keep-releases', (raw) => parseWholeNumber(raw, 'keep-releases'), 3),
    breakStaleLock: fields.field('break-stale-lock', parseBoolean, false),
    githubToken: read('github-token'),
    allowUntrustedEvents: fields.field('deploy-on-untrusted-events', parseBoolean, false),
    env: fields.field('env', parseDeployEnv, []),
    rolloutBatch: fields.field('rollout-batch', parseRolloutBatch, { hosts: 1 }),
    batchWait: seconds('batch-wait', 0),
    onFailure: fields.field('on-failure', parseOnFailure, 'rollback'),
    orchestrator,
    ...readEnvironment(fields),
    choice: readReleaseChoice(fields, scope.steps, { hosts: dockerHosts.length, orchestrator })
  }
}

/** GitHub's limit on an environment's name (REST docs, Create or update an environment). */
export const ENVIRONMENT_NAME_MAX = 255

/** environment and environment-url: a name GitHub takes, an http(s) address only with a name. */
function readEnvironment(fields: InputFields): Pick<DeployInputs, 'environment' | 'environmentUrl'> {
  const environment = fields.field('environment', parseEnvironmentName, '')
  const environmentUrl = fields.field('environment-url', parseEnvironmentUrl, '')
  if (environmentUrl && !environment)
    fields.problem(
      'environment-url: needs environment, the GitHub environment whose deployment it belongs to'
    )
  return { environment, environmentUrl }
}

export function parseEnvironmentName(raw: string): string {
  if (raw.length > ENVIRONMENT_NAME_MAX)
    throw new Error(`is ${raw.length} characters long; GitHub takes at most ${ENVIRONMENT_NAME_MAX}`)
  // eslint-disable-next-line no-control-regex
  if (/[\u0000-\u001f\u007f]/.test(raw)) throw new Error('has a control character (a line break?)')
  return raw
}

export function parseEnvironmentUrl(raw: string): string {
  if (!raw) return ''
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`"${raw}" is not an address (https://...)`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${raw}" is not an http:// or https:// address`)
  if (url.username || url.password)
    throw new Error(
      'has a user name or password in it: GitHub shows the address to everyone who can read the repository'
    )
  return raw
}

/** `2` hosts at a time, or `25%` of them (rounded up, at least one host). */
export function parseRolloutBatch(raw: string): RolloutBatch {
  const percent = /^(\d+)%$/.exec(raw)
  if (!percent) return { hosts: parseWholeNumber(raw, 'rollout-batch') }
  const value = Number(percent[1])
  if (value < 1 || value > 100) throw new Error(`"${raw}" is not a percentage from 1% to 100%`)
  return { percent: value }
}

function parseOnFailure(raw: string): OnFailure {
  if (raw === 'rollback' || raw === 'stop') return raw
  throw new Error(
    `"${raw}" is not rollback (the hosts already on the new release go back to the old one) or stop (they stay on the new one)`
  )
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
      `${reserved.map(({ key }) => key).join(', ')} cannot be set here: the action sets ${reserved.length === 1 ? 'it' : 'them'} (APP_VERSION to the version, the others from deploy-host)`
    )
  }
  return env
}

function checkRemoteAccess(
  fields: InputFields,
  hosts: DockerHost[],
  access: { sshKnownHosts: string; tlsCa: string; tlsCert: string; tlsKey: string }
): void {
  const ssh = hosts.find((host) => host.scheme === 'ssh')
  if (ssh && !access.sshKnownHosts) {
    const port = ssh.port && ssh.port !== 22 ? `-p ${ssh.port} ` : ''
    fields.problem(
      `ssh-known-hosts: is required for an ssh:// deploy-host (host keys are always verified): run \`ssh-keyscan ${port}${ssh.host}\`, check the key's fingerprint (ssh-keygen -lf -) against the host's own (ssh-keygen -lf /etc/ssh/ssh_host_ed25519_key.pub on it), and pass those lines from a secret or variable`
    )
  }
  if (hosts.some((host) => host.scheme === 'tcp')) {
    for (const [name, value] of [
      ['tls-ca', access.tlsCa],
      ['tls-cert', access.tlsCert],
      ['tls-key', access.tlsKey]
    ] as const) {
      if (!value)
        fields.problem(
          `${name}: is required for a tcp:// deploy-host (the engine is reached over mutual TLS)`
        )
    }
  }
}

/**
 * Events that run a workflow on code or text anyone may send (a pull request, a fork's, a queued
 * merge, a comment): a deploy from them would put that code in production, or run with its
 * secrets at their word.
 */
export const UNTRUSTED_DEPLOY_EVENTS = ['pull_request', 'pull_request_target', 'merge_group', 'issue_comment']

/**
 * Refuses a run that would deploy (deploy in steps, deploy-host set) on such an event, unless
 * deploy-on-untrusted-events allows it; checked before anything is set up.
 */
export function refuseUntrustedDeploy(
  inputs: { steps: readonly string[]; deploy: Pick<DeployInputs, 'dockerHosts' | 'allowUntrustedEvents'> },
  eventName: string
): void {
  const deploying = inputs.steps.includes('deploy') && inputs.deploy.dockerHosts.length > 0
  if (!deploying || inputs.deploy.allowUntrustedEvents || !UNTRUSTED_DEPLOY_EVENTS.includes(eventName)) return
  throw new InputError([
    `steps: deploy does not run on a ${eventName} event, whose code or text may come from anyone who can open a pull request or comment. Deploy from push, release, workflow_dispatch or a job behind an environment approval, and keep this step's deploy off such runs with \`if: github.event_name != '${eventName}'\` (or steps: build,scan on them); or set deploy-on-untrusted-events: true to allow it on this event.`
  ])
}
