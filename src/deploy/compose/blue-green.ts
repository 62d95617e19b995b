// Compose blue-green, the first deploy strategy: a rollout of one Compose service with no request
// dropped. The new containers come up beside the old ones (scale to 2N, --no-recreate, no
// dependencies touched); only when every new one is ready does the traffic move: the old
// containers leave the service's DNS name first, then switch-command makes the proxy re-resolve,
// then the old ones are drained, stopped by ID and removed. When a new container fails, only the
// new ones are removed: the old ones were never touched and keep serving. Where the rollout is
// is saved at each phase (RolloutState); the post step finishes or undoes it (recovery.ts).
import { Compose, probeCompose, scaleUpCommand } from './cli.js'
import {
  canServe,
  losesHealthchecksOnRestart,
  restartedSinceStart,
  waitUntilReady,
  type ReadinessOutcome
} from './health.js'
import { Containers, short, type ContainerState } from './containers.js'
import { describeFailures, describeState, failureMessage } from './failures.js'
import { readComposePlan, type ComposePlan } from './plan.js'
import { interruptedRollout, type RolloutPhase, type RolloutState } from './recovery.js'
import { switchTraffic } from './traffic-switch.js'
import { previousReference, withPreviousLabel } from '../release-choice/previous-label.js'
import type { DockerCli } from '../../docker/cli.js'
import type { DeployInputs } from '../inputs.js'
import type { DeployStrategy, Rollout, RolloutHooks, RolloutReport } from '../strategy.js'

export const composeBlueGreen: DeployStrategy = {
  prepare: (deploy, version, cwd, log) => {
    const plan = readComposePlan(deploy, version, cwd, log)
    return {
      project: plan.project,
      service: plan.service.name,
      image: plan.service.image,
      connect: (docker) => connect(plan, deploy, docker),
      // `version@sha256:...` is still a tag, with the digest the engine pulls and checks.
      pinned: (digest) => composeBlueGreen.prepare(deploy, `${version}@${digest}`, cwd, log),
      releaseOf: (image) => {
        const other = versionOf(image, (probe) => readComposePlan(deploy, probe, cwd, QUIET).service.image)
        return other === undefined ? undefined : composeBlueGreen.prepare(deploy, other, cwd, QUIET)
      }
    }
  },
  interrupted: interruptedRollout
}

/** The compose files' warnings were given when the plan was first read. */
const QUIET = { info: () => undefined, warning: () => undefined }

/** A stand-in version, to see where APP_VERSION lands in the service's image. */
const VERSION_PROBE = '0.0.0-container-ship-probe'

/** A tag, optionally pinned to a digest: what APP_VERSION holds. */
const RELEASE_VERSION = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}(@sha256:[0-9a-f]{64})?$/

/**
 * The APP_VERSION for which the service's image (`imageFor(version)`) is `image`; undefined when
 * the image does not use APP_VERSION or `image` is not of that form.
 */
export function versionOf(image: string, imageFor: (version: string) => string): string | undefined {
  const probed = imageFor(VERSION_PROBE)
  const at = probed.indexOf(VERSION_PROBE)
  if (at < 0) return undefined
  const prefix = probed.slice(0, at)
  const suffix = probed.slice(at + VERSION_PROBE.length)
  if (image.length <= prefix.length + suffix.length || !image.startsWith(prefix) || !image.endsWith(suffix))
    return undefined
  const version = image.slice(prefix.length, image.length - suffix.length)
  return RELEASE_VERSION.test(version) && imageFor(version) === image ? version : undefined
}

/** The inputs a rollout goes by. */
type RolloutSettings = Pick<
  DeployInputs,
  'replicas' | 'healthTimeout' | 'startupGrace' | 'switchCommand' | 'drainSeconds'
>

/** The Compose to run (the v2 plugin, else v1), against the host's engine. */
async function connect(plan: ComposePlan, settings: RolloutSettings, docker: DockerCli): Promise<Rollout> {
  const variant = await probeCompose(docker)
  const compose = new Compose(docker, variant, plan.files, plan.project, plan.variables, plan.cwd)
  return {
    tool: compose.label,
    rollOut: (imageId, hooks, report) =>
      new BlueGreen(plan, compose, settings, imageId, hooks, report).rollOut()
  }
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

/** One rollout, with the lock held; fills the report as it goes. */
class BlueGreen {
  private readonly containers: Containers
  private readonly project: string
  private readonly service: string
  /** The containers that served before, by ID. */
  private old: ContainerState[] = []
  private oldIds = new Set<string>()
  private fresh: ContainerState[] = []
  private replicas = 0
  private scaleStart = 0

  constructor(
    private readonly plan: ComposePlan,
    private readonly compose: Compose,
    private readonly settings: RolloutSettings,
    private readonly imageId: string,
    private readonly hooks: RolloutHooks,
    private readonly report: RolloutReport
  ) {
    this.containers = new Containers(compose.docker)
    this.project = plan.project
    this.service = plan.service.name
  }

  async rollOut(): Promise<void> {
    await this.takeStock()
    this.save('scaling')
    try {
      // The new containers name the release they replace: the next rollback reads it there.
      const previous = await previousReference(this.compose.docker, this.old[0])
      const projectRunning = await withPreviousLabel(this.service, previous, (files) =>
        this.scaleUp(this.compose.withFiles(files))
      )
      await this.checkNew()
      await this.waitReady()
      await this.recheckBeforeSwitch()
      this.hooks.mark('healthy')
      // A proxy that was already running resolves the name again; one that Compose just started
      // with the new containers already knows them.
      if (this.old.length > 0 || projectRunning) await this.switchTraffic()
    } catch (error) {
      await this.rollBack(error)
    }
    this.save('switched')
    await this.drain()
    await this.stopOld()
    await this.verify()
    this.report.deployed = true
  }

  /** Where the rollout is, for the post step. */
  private save(phase: RolloutPhase): void {
    const state: RolloutState = { project: this.project, service: this.service, old: [...this.oldIds], phase }
    this.hooks.saveState(JSON.stringify(state))
  }

  /** The running containers are the old ones, and say N; stopped ones are removed. */
  private async takeStock(): Promise<void> {
    const existing = await this.containers.inspect(
      await this.containers.list(this.project, this.service, true)
    )
    await this.removeStopped(existing.filter((container) => !container.running))
    this.old = existing.filter((container) => container.running)
    this.oldIds = new Set(this.old.map((container) => container.id))
    this.report.previousImage = this.old[0]?.image ?? ''
    const images = new Set(this.old.map((container) => container.imageId))
    if (images.size > 1) {
      this.hooks.log.warning(
        `${this.old.length} containers of ${this.service} run ${images.size} different images: an earlier rollout did not finish (its post step did not run). This release replaces all of them.`
      )
    }
    this.replicas = this.settings.replicas ?? defaultReplicas(this.old, this.plan.service.replicas)
    this.report.replicas = this.replicas
    this.report.firstDeploy = this.old.length === 0
  }

  /** Stopped containers serve nothing, and Compose would count (and restart) them when scaling. */
  private async removeStopped(stopped: ContainerState[]): Promise<void> {
    if (stopped.length === 0) return
    this.hooks.log.info(
      `Removing ${stopped.length} stopped container(s) of ${this.service}: ${stopped.map((c) => c.name).join(', ')}`
    )
    await this.containers.remove(stopped.map((container) => container.id))
  }

  /** N new containers beside the old ones (`compose`: with the label file); whether the project ran anything before. */
  private async scaleUp(compose: Compose): Promise<boolean> {
    const { service, replicas } = this
    this.scaleStart = Date.now()
    if (this.old.length > 0) {
      this.hooks.log.info(
        `Starting ${replicas} new container(s) of ${service} beside the ${this.old.length} running`
      )
      await compose.run(scaleUpCommand(service, this.old.length + replicas))
      return true
    }
    const projectRunning = (await this.containers.list(this.project)).length > 0
    // On an empty host the whole stack comes up (the proxy in front included); otherwise only
    // this service, its dependencies left as they are.
    await compose.run(
      projectRunning
        ? scaleUpCommand(service, replicas)
        : ['up', '--detach', '--scale', `${service}=${replicas}`]
    )
    return projectRunning
  }

  /** The new containers: N of them, of the image deployed. */
  private async checkNew(): Promise<void> {
    const ids = await this.containers.list(this.project, this.service, true)
    this.fresh = await this.containers.inspect(ids.filter((id) => !this.oldIds.has(id)))
    this.report.containers = this.fresh.map((container) => container.id)
    this.hooks.mark('scaled up')
    if (this.fresh.length !== this.replicas) {
      throw new Error(
        `Compose started ${this.fresh.length} new container(s) of ${this.service}, not ${this.replicas}`
      )
    }
    const stale = this.fresh.filter((container) => container.imageId !== this.imageId)
    if (stale.length > 0) {
      throw new Error(
        `the new container(s) ${stale.map((c) => c.name).join(', ')} run ${stale[0]?.image}, not ${this.plan.service.image} (${short(this.imageId)}): does the compose file's image use \${APP_VERSION}?`
      )
    }
  }

  /** Every new container ready within health-timeout (counted from the scale-up). */
  private async waitReady(): Promise<void> {
    const { log } = this.hooks
    if (this.fresh.some((container) => !container.health)) {
      log.warning(
        `service ${this.service} has no healthcheck: the new containers count as ready once they have run ${this.settings.startupGrace} s (startup-grace). Add a HEALTHCHECK to the image or a healthcheck: to the service, so that a container that runs but does not serve never gets traffic.`
      )
    }
    log.info(`Waiting for ${this.fresh.map((container) => container.name).join(', ')} to be ready`)
    const outcome = await waitUntilReady(this.compose.docker, this.fresh, {
      timeoutMs: Math.max(0, this.settings.healthTimeout * 1000 - (Date.now() - this.scaleStart)),
      graceMs: this.settings.startupGrace * 1000,
      inspect: (ids) => this.containers.inspect(ids),
      connectionAlive: this.hooks.connectionAlive,
      report: (what, message) => {
        log.warning(message)
        this.hooks.mark(what === 'lost' ? 'lost the engine' : 'engine back')
      },
      onEngineBack: (engineVersion, pendingIds) => this.rearmHealthchecks(engineVersion, pendingIds)
    })
    if (!outcome.ready) await this.fail(outcome)
  }

  /** A dropped connection leaves the healthchecks running; only a restart stops them. */
  private async rearmHealthchecks(engineVersion: string, pendingIds: string[]): Promise<void> {
    const unchecked = this.fresh.filter((c) => c.health && pendingIds.includes(c.id))
    if (!losesHealthchecksOnRestart(engineVersion) || unchecked.length === 0) return
    if (!(await restartedSinceStart(this.compose.docker, unchecked))) return
    this.hooks.log.warning(
      `The engine restarted, and Engine ${engineVersion} does not run the healthchecks of the containers it kept through a restart (moby/moby#41871, mended in Engine 23.0): pausing and unpausing the ${unchecked.length} new container(s) still starting, which starts their healthchecks again`
    )
    await this.containers.rearmHealthchecks(unchecked.map((c) => c.id))
  }

  /** Once more, right before the traffic moves: none may have turned unhealthy or exited since. */
  private async recheckBeforeSwitch(): Promise<void> {
    const recheck = await this.containers.inspect(this.fresh.map((container) => container.id))
    const unwell = recheck.filter((container) => !canServe(container))
    if (unwell.length === 0) return
    await this.fail({
      ready: false,
      failures: Object.fromEntries(
        unwell.map((container) => [container.id, `${describeState(container)} before the switch`])
      )
    })
  }

  /** Why the new containers were not accepted, in the report; then the rollout fails. */
  private async fail(outcome: ReadinessOutcome): Promise<never> {
    this.hooks.mark('not healthy')
    this.report.failures = await describeFailures(
      this.containers,
      this.fresh,
      outcome,
      this.settings.healthTimeout
    )
    throw new Error(failureMessage(this.service, this.report.failures))
  }

  /** The old containers leave the name, then switch-command. */
  private async switchTraffic(): Promise<void> {
    this.save('switching')
    await switchTraffic(
      { docker: this.compose.docker, project: this.project, service: this.service },
      this.settings.switchCommand,
      this.containers,
      this.old,
      this.hooks.log
    )
    this.hooks.mark('switched')
  }

  /**
   * Only what this run started goes, and `error` is thrown again; the old containers were never
   * taken off the network (switchTraffic puts them back when the switch itself fails).
   */
  private async rollBack(error: unknown): Promise<never> {
    const listed = await this.containers
      .list(this.project, this.service, true)
      .catch(() => this.report.containers)
    try {
      await this.containers.remove(listed.filter((id) => !this.oldIds.has(id)))
    } catch (removal) {
      // The host cannot be reached (a cut connection): the saved rollout state stays, and the
      // post step removes them through a new connection.
      this.hooks.log.warning(
        `could not remove the new containers now (${(removal as Error).message}); the post step will try again`
      )
      throw error
    }
    this.hooks.saveState('')
    this.report.rolledBack = true
    this.hooks.mark('new containers removed')
    throw error
  }

  private async drain(): Promise<void> {
    const seconds = this.settings.drainSeconds
    if (seconds <= 0) return
    this.hooks.log.info(`Draining: ${seconds} s before the old containers stop`)
    await new Promise((resolve) => setTimeout(resolve, seconds * 1000))
    this.hooks.mark('drained')
  }

  private async stopOld(): Promise<void> {
    await this.containers.stopAndRemove([...this.oldIds])
    if (this.old.length > 0) this.hooks.mark('old removed')
    this.hooks.saveState('')
  }

  /** Exactly the new containers run, all of the new image. */
  private async verify(): Promise<void> {
    const running = await this.containers.inspect(await this.containers.list(this.project, this.service))
    const wanted = new Set(this.report.containers)
    const strays = running.filter(
      (container) => !wanted.has(container.id) || container.imageId !== this.imageId
    )
    if (running.length !== this.replicas || strays.length > 0) {
      throw new Error(
        `after the rollout ${running.length} container(s) of ${this.service} run (${running.map((c) => `${c.name} ${c.image}`).join(', ')}), not the ${this.replicas} new one(s) of ${this.plan.service.image}`
      )
    }
  }
}
