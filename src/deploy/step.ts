// The deploy step: what every rollout shares, whatever its strategy (strategy.ts: Compose
// blue-green or Swarm). Every host was reached and the strategy's files checked before the build
// (target.ts); here the image is pinned to its digest and verified (pinned-release.ts), pulled on
// every host side by side, the deploy locks taken (in one order, so two runs never wait for each
// other), and the rollout handed to the strategy host by host, batch by batch (fleet/rollout.ts),
// with each host's timeline, the log and the post step's state; then the locks are released, and
// the step reports: its outputs and the result over every host (result.ts), as the summary and
// the log show it (summary.ts).
import * as core from '@actions/core'
import { DeployState, hostState } from './states.js'
import { registryTimeout } from '../docker/cli.js'
import { acquireLock, lockRecordFrom, releaseLock, type DeployLock } from './lock.js'
import { brokenLockMessage, pruneAfterDeploy, staleLockJudge } from './retention/after-deploy.js'
import {
  deployLeftForPost,
  deployStates,
  finishDeploy,
  prepareDeployTarget,
  type DeployFleet,
  type DeployTarget
} from './target.js'
import { runUrlFrom, type GitHubContext } from '../github/context.js'
import type { ShownDeployment } from './github-deployment.js'
import { DEPLOY_SECRET_INPUTS, readDeployInputs, refuseUntrustedDeploy, type DeployInputs } from './inputs.js'
import type { Release } from '../release/release.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'
import { tunnelAlive } from './host/remote-engine.js'
import type { RunContext, RunInputs } from '../run/context.js'
import { saveForPost } from '../run/saved-for-post.js'
import { StepError, type Step } from '../run/step.js'
import type { PushResult } from '../push/step.js'
import type { BuildResult } from '../build/step.js'
import type { ScanResult } from '../scan/step.js'
import type { DeployPlan, RolloutHooks, RolloutReport } from './strategy.js'
import { mapLimit } from '../lib/map-limit.js'
import { imageIdOn } from './host/images.js'
import { rolloutBatches } from './fleet/batches.js'
import { rollOutInBatches, type FleetHost, type HostOutcome } from './fleet/rollout.js'
import { revertHost } from './fleet/revert.js'
import { emptyFleetState, type FleetState } from './fleet/fleet-state.js'
import { canServe } from './compose/health.js'
import { Containers } from './compose/containers.js'
import { reportedVersion } from './release-choice/resolve.js'
import {
  combineHostReports,
  emptyResult,
  type DeployResult,
  type HostResult,
  type TimelineEntry
} from './result.js'
import { checkPulledDigest, pinnedFleet, verifyPinned } from './pinned-release.js'
import { choiceRow, deployRow, deploySection, githubDeploymentRow, printContainerLogs } from './summary.js'

/** Pulls and image checks on this many hosts at once. */
const HOSTS_AT_ONCE = 16

/** A reason not to deploy although deploy is in steps, or undefined. */
export function deploySkipReason(
  inputs: { steps: readonly string[]; deploy: Pick<DeployInputs, 'dockerHosts'> },
  release: Pick<Release, 'pushing'>
): string | undefined {
  if (!inputs.steps.includes('deploy')) return 'deploy is not in steps'
  if (inputs.deploy.dockerHosts.length === 0) return 'deploy-host is empty'
  if (inputs.steps.includes('push') && !release.pushing.push) {
    return `nothing was pushed (${release.pushing.reason})`
  }
  return undefined
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

  constructor(private readonly entries: TimelineEntry[]) {}

  mark(phase: string): void {
    const now = Date.now()
    this.entries.push({ phase, seconds: (now - this.last) / 1000 })
    this.last = now
  }
}

/**
 * An image built but not pushed is deployed from the local engine (the host then): refused when
 * it is not there (built into an OCI layout) or when the verify input asks for a signature.
 */
export function refuseUnpushed(inputs: Pick<RunInputs, 'signing'>, built: BuildResult | undefined): void {
  if (built?.layout) {
    throw new Error(
      `the image was built into an OCI layout (builder ${built.builder.kind === 'buildx' ? built.builder.name : 'classic'}), which the engine does not hold: add push to steps to deploy it from the registry, or build with the docker driver`
    )
  }
  if (inputs.signing.verify !== 'none') {
    throw new Error(
      `verify: ${inputs.signing.verify} checks the image in the registry, and this run does not push it: add push to steps, or set verify: none`
    )
  }
}

export const deployStep: Step<
  'deploy',
  DeployResult,
  DeployInputs,
  { build?: BuildResult; push?: PushResult; scan?: ScanResult },
  DeployFleet
> = {
  name: 'deploy',
  title: 'Deploy',
  secretInputs: DEPLOY_SECRET_INPUTS,
  states: (deploy) => deployStates(deploy?.dockerHosts.length ?? 1),
  readInputs: readDeployInputs,
  admit: (deploy, { steps, eventName }) => refuseUntrustedDeploy({ steps, deploy }, eventName),
  skip: (deploy, { steps, release }) => {
    const reason = deploySkipReason({ steps, deploy }, release)
    return reason ? `The deploy step was skipped: ${reason}.` : undefined
  },
  prepare: prepareDeployTarget,
  finish: finishDeploy,
  leftForPost: deployLeftForPost,
  run: async ({ context, inputs: deploy, prepared, earlier }) => {
    if (!prepared) throw new Error('the deploy target was not prepared')
    let fleet = prepared
    const result = emptyResult(fleet)
    const timelines = result.hosts.map((host) => new Timeline(host.timeline))
    const shown = deploy.environment ? await showOnGitHub(context, deploy) : undefined
    if (shown)
      result.githubDeployment = { id: shown.id, environment: shown.environment, url: deploy.environmentUrl }
    try {
      if (!pullsImage(context.inputs)) refuseUnpushed(context.inputs, earlier.build)
      else {
        fleet = await pinnedFleet(prepared, context, earlier.push, deploy.choice)
        result.image = fleet.plan.image
        result.version = reportedVersion(deploy.choice, fleet.plan)
        // Before the pull: an image that fails is refused with nothing changed on any host.
        await verifyPinned(fleet.plan, context)
        await onEveryHost(fleet, async (target) => {
          // An orchestrator's nodes pull the image themselves (Swarm).
          if (target.rollout.nodesPull) return
          await pullImage(target, context.inputs, timelines[target.index] as Timeline)
          if (fleet !== prepared) await checkPulledDigest(target, fleet.plan.image)
        })
      }
      const imageIds = await onEveryHost(fleet, (target) =>
        target.rollout.nodesPull
          ? Promise.resolve('')
          : imageIdOn(target.docker, fleet.plan.image, target.host.url)
      )
      await withLocks(fleet, { context, deploy }, timelines, async () => {
        await rollOutFleet(fleet, deploy, { imageIds, timelines, result })
        await pruneFleet(fleet, deploy, imageIds, result)
      })
      combineHostReports(result)
      await shown?.finish('success', `Deployed ${result.image}`)
      await tellPullRequest(context, deploy, earlier.scan, result, 'success')
      return result
    } catch (error) {
      combineHostReports(result)
      // Never the error's text: it may quote a program, and GitHub shows the description to every reader.
      await shown?.finish('failure', result.rolledBack ? 'Failed; rolled back' : 'Failed')
      await tellPullRequest(context, deploy, earlier.scan, result, 'failure')
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
      containers: result?.deployed ? result.containers.join('\n') : '',
      // A chosen release replaces the event's version (the release's output of the same name).
      ...(deploy && deploy.choice.kind !== 'event'
        ? { version: result?.version ?? (deploy.choice.kind === 'version' ? deploy.choice.version : '') }
        : {})
    }
    if (!result) {
      const skipped =
        run?.steps.includes('deploy') && deploy && release
          ? deploySkipReason({ steps: run.steps, deploy }, release)
          : undefined
      return { outputs, rows: skipped ? [['Deploy', `skipped (${skipped})`]] : [] }
    }
    const chosen = choiceRow(deploy?.choice, result.version)
    const rows: [string, string][] = [...(chosen ? [chosen] : []), ['Deploy', deployRow(result)]]
    if (result.githubDeployment)
      rows.push(['GitHub deployment', githubDeploymentRow(result.githubDeployment)])
    return { outputs, rows, sections: [deploySection(result)] }
  }
}

/**
 * The deploy reported to GitHub (environment), the deployment created and marked in_progress, or
 * undefined. Its client is loaded only then (a chunk of its own: Octokit stays out of the main one).
 */
async function showOnGitHub(context: RunContext, deploy: DeployInputs): Promise<ShownDeployment | undefined> {
  const { showOnGitHub: show } = await import('./github-deployment.js')
  return show({
    token: deploy.githubToken,
    environment: deploy.environment,
    environmentUrl: deploy.environmentUrl,
    repository: context.github.repository,
    // The commit reviewed: a pull request's head, not the merge commit GitHub made for the run.
    sha: context.github.tagSha,
    logUrl: runUrlFrom(),
    log: core,
    save: (value) => saveForPost(DeployState.GitHubDeployment, value)
  }).catch((error: Error) => {
    core.warning(`environment: no GitHub deployment is shown: ${error.message}`)
    return undefined
  })
}

/**
 * On a pull request run that deployed to an environment, the scan's sticky comment gets the
 * deployment's line (where, how it ended). Loaded only then, as the deployment's client is.
 */
async function tellPullRequest(
  context: RunContext,
  deploy: DeployInputs,
  scan: ScanResult | undefined,
  result: DeployResult,
  outcome: 'success' | 'failure'
): Promise<void> {
  const comment = scan?.pullRequestComment
  if (!comment || !result.githubDeployment) return
  const { deploymentCommentLine, linkFromPullRequestComment } = await import('./github-deployment.js')
  await linkFromPullRequestComment({
    comment,
    line: deploymentCommentLine(result.githubDeployment, outcome, result.rolledBack === true),
    token: deploy.githubToken,
    context: context.github,
    log: core
  })
}

/** `work` on every host, some side by side; the results by deploy-host line. */
function onEveryHost<T>(fleet: DeployFleet, work: (target: DeployTarget) => Promise<T>): Promise<T[]> {
  return mapLimit(fleet.targets, HOSTS_AT_ONCE, work)
}

/**
 * Whether the image comes from the registry. A build that was not pushed is only on the local
 * engine, which is the deploy host then (unix://).
 */
function pullsImage(inputs: Pick<RunInputs, 'steps'>): boolean {
  return !(inputs.steps.includes('build') && !inputs.steps.includes('push'))
}

/**
 * The image from the registry, with the runner's credentials sent along with the pull (the
 * docker CLI's X-Registry-Auth): nothing is stored on the host.
 */
async function pullImage(target: DeployTarget, inputs: RunInputs, timeline: Timeline): Promise<void> {
  const image = target.plan.image
  await withRetry(`docker pull ${image} on ${target.host.url}`, REGISTRY_RETRY, () =>
    target.docker.run(['pull', '--quiet', image], {
      quiet: true,
      timeout: registryTimeout(inputs.publish.registryTimeout)
    })
  )
  timeline.mark('image pulled')
}

/**
 * Runs `rollOut` holding the deploy lock of the project on every host. The locks are taken one
 * host at a time in the order of the hosts' addresses, so two runs naming the same hosts in any
 * order never hold one lock each while waiting for the other's.
 */
async function withLocks(
  fleet: DeployFleet,
  {
    context,
    deploy
  }: {
    context: RunContext
    deploy: Pick<DeployInputs, 'lockTimeout' | 'breakStaleLock' | 'githubToken'>
  },
  timelines: Timeline[],
  rollOut: () => Promise<void>
): Promise<void> {
  const { project, image } = fleet.plan
  const { lockTimeout } = deploy
  const several = fleet.targets.length > 1
  const held: { target: DeployTarget; lock: DeployLock }[] = []
  const judgeStale = staleLockJudge({
    breakStaleLock: deploy.breakStaleLock,
    lockTimeoutSeconds: lockTimeout,
    token: deploy.githubToken,
    repository: context.github.repository
  })
  const ordered = [...fleet.targets].sort((a, b) =>
    a.host.url < b.host.url ? -1 : a.host.url > b.host.url ? 1 : 0
  )
  try {
    for (const target of ordered) {
      const lock = await acquireLock(target.docker, project, image, lockHolder(context.github), {
        timeoutMs: lockTimeout * 1000,
        record: lockRecordFrom(),
        ...(judgeStale
          ? {
              judgeStale,
              onBroken: (held, reason) =>
                core.warning(
                  brokenLockMessage(project, several ? ` on ${target.host.url}` : '', held, reason)
                )
            }
          : {}),
        onWait: (holder) =>
          core.info(
            `Another deploy of ${project} holds the lock${several ? ` on ${target.host.url}` : ''} (${holder}); waiting up to ${lockTimeout} s`
          )
      }).catch((error: Error) => {
        throw several ? new Error(`${target.host.url}: ${error.message}`) : error
      })
      held.push({ target, lock })
      saveForPost(hostState(DeployState.Lock, target.index), lock.name)
      timelines[target.index]?.mark('lock taken')
    }
    await rollOut()
  } finally {
    // Left in the state when the host cannot be reached: the post step tries again.
    await Promise.all(
      held.map(async ({ target, lock }) => {
        if (await releaseLock(target.docker, lock)) saveForPost(hostState(DeployState.Lock, target.index), '')
      })
    )
  }
}

/**
 * The rollout over every host, batch by batch; each host's report in `result.hosts`. With
 * several hosts, which hosts finished and what each ran before is saved for the post step until
 * the rollout is over (a cancelled run leaves every host on one release).
 */
async function rollOutFleet(
  fleet: DeployFleet,
  deploy: DeployInputs,
  run: { imageIds: string[]; timelines: Timeline[]; result: DeployResult }
): Promise<void> {
  const { imageIds, timelines, result } = run
  const several = fleet.targets.length > 1
  const state: FleetState = emptyFleetState()
  const saveFleet = (): void => {
    if (several) saveForPost(DeployState.Finished, JSON.stringify(state))
  }
  const hosts: FleetHost[] = fleet.targets.map((target) => {
    const report = result.hosts[target.index] as HostResult
    const timeline = timelines[target.index] as Timeline
    const hooks = rolloutHooks(target, timeline, () => {
      // The rollout took stock of what ran: the post step may need to go back to it.
      if (report.previousImage && state.previous[target.index] !== report.previousImage) {
        state.previous[target.index] = report.previousImage
        saveFleet()
      }
    })
    return {
      index: target.index,
      url: target.host.url,
      rollOut: () => target.rollout.rollOut(imageIds[target.index] as string, hooks, report),
      checkServing: () => checkServing(target, report.containers),
      revert: () => revertFinished(target, fleet.plan, report, hooks)
    }
  })
  try {
    const { outcomes, error } = await rollOutInBatches(hosts, {
      batches: rolloutBatches(hosts.length, deploy.rolloutBatch),
      batchWaitSeconds: deploy.batchWait,
      onFailure: deploy.onFailure,
      log: core,
      finished: (index) => {
        state.finished.push(index)
        saveFleet()
      },
      batchStarts: (number, indexes) => {
        if (several)
          core.info(
            `Batch ${number}${number === 1 ? ' (canary)' : ''}: ${indexes.map((index) => fleet.targets[index]?.host.url).join(', ')}`
          )
      }
    })
    setOutcomes(result, outcomes)
    if (error) throw error
  } finally {
    if (several) saveForPost(DeployState.Finished, '')
  }
}

/**
 * keep-releases after every host deployed (Compose hosts: a Swarm's nodes hold their own images),
 * still under the deploy locks so no other deploy of the project runs meanwhile.
 */
async function pruneFleet(
  fleet: DeployFleet,
  deploy: Pick<DeployInputs, 'keepReleases'>,
  imageIds: string[],
  result: DeployResult
): Promise<void> {
  const targets = fleet.targets.filter(
    (target) => !target.rollout.nodesPull && result.hosts[target.index]?.outcome === 'deployed'
  )
  const hosts = targets.map((target) => ({
    docker: target.docker,
    url: target.host.url,
    runningId: imageIds[target.index] as string,
    previousImage: result.hosts[target.index]?.previousImage ?? ''
  }))
  const reports = await pruneAfterDeploy(hosts, {
    image: fleet.plan.image,
    keepReleases: deploy.keepReleases,
    log: core,
    each: (work) => mapLimit(hosts, HOSTS_AT_ONCE, work)
  })
  targets.forEach((target, i) => {
    const host = result.hosts[target.index]
    const report = reports[i]
    if (host && report) host.pruned = report
  })
}

function setOutcomes(result: DeployResult, outcomes: Map<number, HostOutcome>): void {
  for (const [index, outcome] of outcomes) {
    const host = result.hosts[index]
    if (host) host.outcome = outcome
  }
}

/** A finished host back on the release it ran before; its report says so. */
async function revertFinished(
  target: DeployTarget,
  plan: DeployPlan,
  report: HostResult,
  hooks: RolloutHooks
): Promise<void> {
  if (!report.previousImage) {
    throw new Error('nothing ran there before this release (a first deploy): it stays on the new release')
  }
  const reverted: RolloutReport = { deployed: false, previousImage: '', containers: [], failures: [] }
  await revertHost(target.docker, target.host.url, plan, report.previousImage, hooks, reverted)
  report.deployed = false
  report.containers = reverted.containers
  hooks.mark('rolled back')
}

/** Throws when one of the host's new containers is no longer running and healthy. */
async function checkServing(target: DeployTarget, containers: string[]): Promise<void> {
  const states = await new Containers(target.docker).inspect(containers)
  const unwell = states.filter((container) => !canServe(container))
  if (states.length < containers.length || unwell.length > 0) {
    throw new Error(
      `its new container(s) ${unwell.map((container) => container.name).join(', ') || containers.join(', ')} stopped serving`
    )
  }
}

/** What the step hands the strategy on one host: its timeline, the log, the post step's state. */
function rolloutHooks(target: DeployTarget, timeline: Timeline, saved: () => void): RolloutHooks {
  const tunnel = target.access.tunnel
  return {
    mark: (phase) => timeline.mark(phase),
    log: core,
    saveState: (state) => {
      saveForPost(hostState(DeployState.Rollout, target.index), state)
      saved()
    },
    connectionAlive: tunnel ? () => tunnelAlive(tunnel) : undefined
  }
}
