// Deploy: a blue-green rollout of one Compose service on the deploy host, with no request dropped.
// The new containers come up beside the old ones (scale to 2N, --no-recreate, no dependencies
// touched); only when every new one is ready does the traffic move: the old containers leave the
// service's DNS name first, then switch-command makes the proxy re-resolve, then the old ones are
// drained, stopped by ID and removed. When a new container fails, only the new ones are removed:
// the old ones were never touched and keep serving.
import * as core from '@actions/core'
import { State } from '../run/names.js'
import { scaleUpCommand } from './compose/cli.js'
import {
  canServe,
  losesHealthchecksOnRestart,
  restartedSinceStart,
  waitUntilReady,
  type ReadinessOutcome
} from './compose/health.js'
import { Containers, short, type ContainerState } from './compose/containers.js'
import { registryTimeout } from '../docker/cli.js'
import { acquireLock, releaseLock } from './lock.js'
import type { DeployTarget } from './target.js'
import { DEPLOY_STATES, deployLeftForPost, finishDeploy, prepareDeployTarget } from './prepare.js'
import type { GitHubContext } from '../github/context.js'
import { DEPLOY_SECRET_INPUTS, readDeployInputs, refuseUntrustedDeploy, type DeployInputs } from './inputs.js'
import { clip, code, text } from '../lib/markdown.js'
import type { Release } from '../release/release.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'
import type { RolloutState } from './compose/recovery.js'
import { tunnelAlive } from './host/remote-engine.js'
import { saveForPost } from '../run/saved-for-post.js'
import { StepError, type Step } from '../run/step.js'
import { switchTraffic } from './compose/traffic-switch.js'
import { printUntrusted } from '../program/untrusted-output.js'

export interface TimelineEntry {
  phase: string
  seconds: number
}

/**
 * Why a new container was not accepted, and what it said. The summary shows the name, ID and
 * reason; what the container said goes to the job log only (printContainerLogs).
 */
export interface ContainerFailure {
  name: string
  id: string
  reason: string
  /** The last healthcheck outputs, oldest first. */
  healthLog: string[]
  logTail: string
}

export interface DeployResult {
  deployed: boolean
  previousImage: string
  /** IDs of the new containers (kept in the result of a failed release, which removed them). */
  containers: string[]
  host: string
  project: string
  service: string
  image: string
  replicas?: number
  /** True when no container of the service ran before. */
  firstDeploy?: boolean
  timeline: TimelineEntry[]
  /** Set when the release failed and the new containers were removed. */
  rolledBack?: boolean
  failures: ContainerFailure[]
}

const LOG_TAIL_LINES = 20
const HEALTH_LOG_ENTRIES = 3
/** A failure's reason in the summary is cut to this many characters (it can quote docker). */
const REASON_LIMIT = 500

/** A reason not to deploy although deploy is in steps, or undefined. */
export function deploySkipReason(
  inputs: { steps: readonly string[]; deploy: Pick<DeployInputs, 'dockerHost'> },
  release: Pick<Release, 'pushing'>
): string | undefined {
  if (!inputs.steps.includes('deploy')) return 'deploy is not in steps'
  if (!inputs.deploy.dockerHost) return 'docker-host is empty'
  if (inputs.steps.includes('push') && !release.pushing.push) {
    return `nothing was pushed (${release.pushing.reason})`
  }
  return undefined
}

/**
 * N when the replicas input is empty: the number of running containers of the image most of them
 * run (an unfinished earlier rollout leaves two images side by side, and 2N is not what serves),
 * else the compose file's, else 1.
 */
export function defaultReplicas(
  running: Pick<ContainerState, 'imageId'>[],
  composeReplicas?: number
): number {
  const perImage = new Map<string, number>()
  for (const { imageId } of running) perImage.set(imageId, (perImage.get(imageId) ?? 0) + 1)
  return Math.max(0, ...perImage.values()) || composeReplicas || 1
}

/** Who holds the deploy lock: the workflow run's address, else the repository and run ID. */
export function lockHolder(
  github: Pick<GitHubContext, 'repositoryUrl' | 'repository'>,
  env = process.env
): string {
  const runId = env.GITHUB_RUN_ID
  if (github.repositoryUrl) return `${github.repositoryUrl}${runId ? `/actions/runs/${runId}` : ''}`
  const repository = github.repository ?? 'a workflow run'
  return runId ? `${repository}, run ${runId}` : repository
}

/** Seconds between the marks of a rollout's phases. */
class Timeline {
  private last = Date.now()
  readonly started = this.last

  constructor(private readonly entries: TimelineEntry[]) {}

  mark(phase: string): void {
    const now = Date.now()
    this.entries.push({ phase, seconds: (now - this.last) / 1000 })
    this.last = now
  }

  elapsedMs(since: number): number {
    return Date.now() - since
  }
}

export const deployStep: Step<'deploy', DeployResult, DeployInputs, object, DeployTarget> = {
  name: 'deploy',
  title: 'Deploy',
  secretInputs: DEPLOY_SECRET_INPUTS,
  states: DEPLOY_STATES,
  readInputs: readDeployInputs,
  admit: (deploy, { steps, eventName }) => refuseUntrustedDeploy({ steps, deploy }, eventName),
  skip: (deploy, { steps, release }) => {
    const reason = deploySkipReason({ steps, deploy }, release)
    return reason ? `The deploy step was skipped: ${reason}.` : undefined
  },
  prepare: prepareDeployTarget,
  finish: finishDeploy,
  leftForPost: deployLeftForPost,
  run: async ({ context, inputs: deploy, prepared: target }) => {
    if (!target) throw new Error('the deploy target was not prepared')
    const result: DeployResult = {
      deployed: false,
      previousImage: '',
      containers: [],
      host: target.host.url,
      project: target.project,
      service: target.service.name,
      image: target.image,
      timeline: [],
      failures: []
    }
    const timeline = new Timeline(result.timeline)
    try {
      // The image from the registry, with the runner's credentials sent along with the pull
      // (the docker CLI's X-Registry-Auth): nothing is stored on the host. A build that was not
      // pushed is only on the local engine, which is the deploy host then (unix://).
      const pull = !(context.inputs.steps.includes('build') && !context.inputs.steps.includes('push'))
      if (pull) {
        await withRetry(`docker pull ${target.image}`, REGISTRY_RETRY, () =>
          target.docker.run(['pull', '--quiet', target.image], {
            quiet: true,
            timeout: registryTimeout(context.inputs.publish.registryTimeout)
          })
        )
        timeline.mark('image pulled')
      }
      const imageId = await imageIdOn(target, target.image)
      const lock = await acquireLock(
        target.docker,
        target.project,
        target.image,
        lockHolder(context.github),
        {
          timeoutMs: deploy.lockTimeout * 1000,
          onWait: (holder) =>
            core.info(
              `Another deploy of ${target.project} holds the lock (${holder}); waiting up to ${deploy.lockTimeout} s`
            )
        }
      )
      saveForPost(State.DeployLock, lock.name)
      timeline.mark('lock taken')
      try {
        await rollOut(target, deploy, imageId, result, timeline)
      } finally {
        // Left in the state when the host cannot be reached: the post step tries again.
        if (await releaseLock(target.docker, lock)) saveForPost(State.DeployLock, '')
      }
      return result
    } catch (error) {
      // Last in the step, after the lock is released: GitHub does not nest log groups, so the
      // step's own group ends where the first of these begins.
      printContainerLogs(result.failures)
      throw new StepError((error as Error).message, result)
    }
  },
  report: (result, { inputs: deploy, run, release }) => {
    const outputs = {
      deployed: String(result?.deployed ?? false),
      'previous-image': result?.previousImage ?? '',
      containers: result?.deployed ? result.containers.join('\n') : ''
    }
    if (!result) {
      const skipped =
        run?.steps.includes('deploy') && deploy && release
          ? deploySkipReason({ steps: run.steps, deploy }, release)
          : undefined
      return { outputs, rows: skipped ? [['Deploy', `skipped (${skipped})`]] : [] }
    }
    return { outputs, rows: [['Deploy', deployRow(result)]], sections: [deploySection(result)] }
  }
}

async function imageIdOn(target: DeployTarget, image: string): Promise<string> {
  const inspected = await target.docker.run(['image', 'inspect', '--format', '{{.Id}}', image], {
    quiet: true,
    allowFailure: true
  })
  if (inspected.exitCode !== 0) {
    throw new Error(`the image ${image} is not on ${target.host.url}: ${inspected.stderr.trim()}`)
  }
  return inspected.stdout.trim()
}

/** Where the rollout is, for the post step when the main step ends in the middle of it. */
function saveRollout(state: RolloutState | undefined): void {
  saveForPost(State.DeployRollout, state ? JSON.stringify(state) : '')
}

/** The rollout itself, with the lock held. Fills `result` as it goes. */
async function rollOut(
  target: DeployTarget,
  deploy: DeployInputs,
  imageId: string,
  result: DeployResult,
  timeline: Timeline
): Promise<void> {
  const containers = new Containers(target.docker)
  const { project } = target
  const service = target.service.name
  const existing = await containers.inspect(await containers.list(project, service, true))
  // Stopped containers serve nothing, and Compose would count (and restart) them when scaling.
  const stopped = existing.filter((container) => !container.running)
  if (stopped.length > 0) {
    core.info(
      `Removing ${stopped.length} stopped container(s) of ${service}: ${stopped.map((c) => c.name).join(', ')}`
    )
    await containers.remove(stopped.map((container) => container.id))
  }
  const old = existing.filter((container) => container.running)
  const oldIds = new Set(old.map((container) => container.id))
  result.previousImage = old[0]?.image ?? ''
  const images = new Set(old.map((container) => container.imageId))
  if (images.size > 1) {
    core.warning(
      `${old.length} containers of ${service} run ${images.size} different images: an earlier rollout did not finish (its post step did not run). This release replaces all of them.`
    )
  }
  const replicas = deploy.replicas ?? defaultReplicas(old, target.service.replicas)
  result.replicas = replicas
  result.firstDeploy = old.length === 0

  const rollout: RolloutState = {
    project,
    service,
    old: [...oldIds],
    phase: 'scaling'
  }
  saveRollout(rollout)
  const scaleStart = Date.now()
  let fresh: ContainerState[] = []
  try {
    let projectRunning = true
    if (old.length === 0) {
      projectRunning = (await containers.list(project)).length > 0
      // On an empty host the whole stack comes up (the proxy in front included); otherwise only
      // this service, its dependencies left as they are.
      await target.compose.run(
        projectRunning
          ? scaleUpCommand(service, replicas)
          : ['up', '--detach', '--scale', `${service}=${replicas}`]
      )
    } else {
      core.info(`Starting ${replicas} new container(s) of ${service} beside the ${old.length} running`)
      await target.compose.run(scaleUpCommand(service, old.length + replicas))
    }
    fresh = await containers.inspect(
      (await containers.list(project, service, true)).filter((id) => !oldIds.has(id))
    )
    result.containers = fresh.map((container) => container.id)
    timeline.mark('scaled up')
    if (fresh.length !== replicas) {
      throw new Error(`Compose started ${fresh.length} new container(s) of ${service}, not ${replicas}`)
    }
    const stale = fresh.filter((container) => container.imageId !== imageId)
    if (stale.length > 0) {
      throw new Error(
        `the new container(s) ${stale.map((c) => c.name).join(', ')} run ${stale[0]?.image}, not ${target.image} (${short(imageId)}): does the compose file's image use \${APP_VERSION}?`
      )
    }
    if (fresh.some((container) => !container.health)) {
      core.warning(
        `service ${service} has no healthcheck: the new containers count as ready once they have run ${deploy.startupGrace} s (startup-grace). Add a HEALTHCHECK to the image or a healthcheck: to the service, so that a container that runs but does not serve never gets traffic.`
      )
    }
    core.info(`Waiting for ${fresh.map((container) => container.name).join(', ')} to be ready`)
    const tunnel = target.access.tunnel
    const outcome = await waitUntilReady(target.docker, fresh, {
      timeoutMs: Math.max(0, deploy.healthTimeout * 1000 - (Date.now() - scaleStart)),
      graceMs: deploy.startupGrace * 1000,
      inspect: (ids) => containers.inspect(ids),
      connectionAlive: tunnel ? () => tunnelAlive(tunnel) : undefined,
      report: (what, message) => {
        core.warning(message)
        timeline.mark(what === 'lost' ? 'lost the engine' : 'engine back')
      },
      onEngineBack: async (engineVersion, pendingIds) => {
        const unchecked = fresh.filter((c) => c.health && pendingIds.includes(c.id))
        if (!losesHealthchecksOnRestart(engineVersion) || unchecked.length === 0) return
        // A dropped connection leaves the healthchecks running; only a restart stops them.
        if (!(await restartedSinceStart(target.docker, unchecked))) return
        core.warning(
          `The engine restarted, and Engine ${engineVersion} does not run the healthchecks of the containers it kept through a restart (moby/moby#41871, mended in Engine 23.0): pausing and unpausing the ${unchecked.length} new container(s) still starting, which starts their healthchecks again`
        )
        await containers.rearmHealthchecks(unchecked.map((c) => c.id))
      }
    })
    if (!outcome.ready) {
      timeline.mark('not healthy')
      result.failures = await describeFailures(containers, fresh, outcome, deploy.healthTimeout)
      throw new Error(failureMessage(service, result.failures))
    }
    // Once more, right before the traffic moves: none may have turned unhealthy or exited since.
    const recheck = await containers.inspect(fresh.map((container) => container.id))
    const unwell = recheck.filter((container) => !canServe(container))
    if (unwell.length > 0) {
      timeline.mark('not healthy')
      const outcome = {
        ready: false,
        failures: Object.fromEntries(
          unwell.map((container) => [container.id, `${describeState(container)} before the switch`])
        )
      }
      result.failures = await describeFailures(containers, fresh, outcome, deploy.healthTimeout)
      throw new Error(failureMessage(service, result.failures))
    }
    timeline.mark('healthy')
    // A proxy that was already running resolves the name again; one that Compose just started
    // with the new containers already knows them.
    if (old.length > 0 || projectRunning) {
      saveRollout({ ...rollout, phase: 'switching' })
      await switchTraffic(
        { docker: target.docker, project, service },
        deploy.switchCommand,
        containers,
        old,
        core
      )
      timeline.mark('switched')
    }
  } catch (error) {
    // Only what this run started goes; the old containers were never taken off the network
    // (switchTraffic puts them back when the switch itself fails).
    const started = (await containers.list(project, service, true).catch(() => result.containers)).filter(
      (id) => !oldIds.has(id)
    )
    try {
      await containers.remove(started)
    } catch (removal) {
      // The host cannot be reached (a cut connection): the saved rollout state stays, and the
      // post step removes them through a new connection.
      core.warning(
        `could not remove the new containers now (${(removal as Error).message}); the post step will try again`
      )
      throw error
    }
    saveRollout(undefined)
    result.rolledBack = true
    timeline.mark('new containers removed')
    throw error
  }
  saveRollout({ ...rollout, phase: 'switched' })
  if (deploy.drainSeconds > 0) {
    core.info(`Draining: ${deploy.drainSeconds} s before the old containers stop`)
    await new Promise((resolve) => setTimeout(resolve, deploy.drainSeconds * 1000))
    timeline.mark('drained')
  }
  await containers.stopAndRemove([...oldIds])
  if (old.length > 0) timeline.mark('old removed')
  saveRollout(undefined)
  await verify(containers, target, imageId, result, replicas)
  result.deployed = true
}

/** Exactly the new containers run, all of the new image. */
async function verify(
  containers: Containers,
  target: DeployTarget,
  imageId: string,
  result: DeployResult,
  replicas: number
): Promise<void> {
  const running = await containers.inspect(await containers.list(target.project, target.service.name))
  const wanted = new Set(result.containers)
  const strays = running.filter((container) => !wanted.has(container.id) || container.imageId !== imageId)
  if (running.length !== replicas || strays.length > 0) {
    throw new Error(
      `after the rollout ${running.length} container(s) of ${target.service.name} run (${running.map((c) => `${c.name} ${c.image}`).join(', ')}), not the ${replicas} new one(s) of ${target.image}`
    )
  }
}

async function describeFailures(
  containers: Containers,
  fresh: ContainerState[],
  outcome: ReadinessOutcome,
  healthTimeout: number
): Promise<ContainerFailure[]> {
  const latest = await containers.inspect(fresh.map((container) => container.id)).catch(() => fresh)
  const failures: ContainerFailure[] = []
  for (const container of latest) {
    const reason = outcome.failures[container.id]
    if (!reason) continue
    failures.push({
      name: container.name,
      id: container.id,
      reason:
        reason === 'timeout'
          ? `not ready after ${healthTimeout} s (health-timeout)${container.health ? `, health ${container.health.status}` : ''}`
          : reason,
      healthLog: (container.health?.log ?? [])
        .slice(-HEALTH_LOG_ENTRIES)
        .map((probe) => `exit ${probe.exitCode}: ${probe.output.trim()}`),
      logTail: await containers.logTail(container.id, LOG_TAIL_LINES)
    })
  }
  return failures
}

function describeState(container: ContainerState): string {
  if (!container.running) return `was ${container.status} (exit code ${container.exitCode})`
  return `was ${container.health?.status ?? 'not healthy'}`
}

function failureMessage(service: string, failures: ContainerFailure[]): string {
  const first = failures[0]
  const what = first ? `${first.name} ${first.reason}` : 'a new container failed'
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''
  return `the new version of ${service} is not healthy: ${what}${more}. The new containers were removed; the old ones kept serving.`
}

/**
 * The last health checks and log lines of each container that failed, a log group each. They are
 * the container's own words, so they stay out of the summary, which only points here.
 */
export function printContainerLogs(failures: ContainerFailure[]): void {
  for (const failure of failures) {
    core.startGroup(logGroupTitle(failure))
    try {
      if (failure.healthLog.length > 0) {
        core.info('Last health checks:')
        for (const probe of failure.healthLog) printUntrusted(probe)
      }
      core.info(`Last ${LOG_TAIL_LINES} log lines:`)
      if (failure.logTail) printUntrusted(failure.logTail)
      else core.info('(nothing)')
    } finally {
      core.endGroup()
    }
  }
}

function logGroupTitle(failure: ContainerFailure): string {
  return `Logs of ${failure.name} (${short(failure.id)})`
}

function deployRow(result: DeployResult): string {
  const where = `${code(result.image)} to ${code(result.host)} (${text(result.project)}, service ${text(result.service)})`
  if (result.deployed) {
    const count = `${result.containers.length} container(s)`
    return `${where}: ${count}${result.previousImage ? `, replacing ${code(result.previousImage)}` : ', first deploy'}`
  }
  if (result.rolledBack)
    return `${where}: **rolled back**, ${result.previousImage ? `${code(result.previousImage)} still serving` : 'nothing was running before'}`
  return `${where}: not deployed`
}

/** The rollout's timeline, and for each container that failed its name, ID and why. */
export function deploySection(result: DeployResult): string {
  const lines = ['### Deploy', '']
  if (result.timeline.length > 0) {
    const total = result.timeline.reduce((sum, entry) => sum + entry.seconds, 0)
    lines.push('| Phase | Seconds |', '| --- | ---: |')
    for (const entry of result.timeline) lines.push(`| ${entry.phase} | ${entry.seconds.toFixed(1)} |`)
    lines.push(`| **total** | **${total.toFixed(1)}** |`, '')
  }
  for (const failure of result.failures) {
    lines.push(
      `- ${code(clip(failure.name))} (${code(short(failure.id))}): ${text(clip(failure.reason, REASON_LIMIT))}. Its last health checks and log lines are in the job log, in the group ${code(clip(logGroupTitle(failure)))}.`
    )
  }
  if (result.failures.length > 0) lines.push('')
  return lines.join('\n')
}
