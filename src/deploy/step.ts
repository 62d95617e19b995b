// The deploy step: what every rollout shares, whatever its strategy (strategy.ts; Compose
// blue-green today). The host was reached and the strategy's files checked before the build
// (target.ts); here the image is pulled on the host, the deploy lock taken, and the rollout
// handed to the strategy with the step's timeline, its log and the post step's state; then the
// lock is released, and the step reports: its outputs, its summary row and section, and the
// logs of the containers that failed.
import * as core from '@actions/core'
import { DeployState } from './states.js'
import { short } from './compose/containers.js'
import { registryTimeout } from '../docker/cli.js'
import { acquireLock, releaseLock } from './lock.js'
import {
  DEPLOY_STATES,
  deployLeftForPost,
  finishDeploy,
  prepareDeployTarget,
  type DeployTarget
} from './target.js'
import type { GitHubContext } from '../github/context.js'
import { DEPLOY_SECRET_INPUTS, readDeployInputs, refuseUntrustedDeploy, type DeployInputs } from './inputs.js'

import { clip, code, text } from '../lib/markdown.js'
import type { Release } from '../release/release.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'
import { tunnelAlive } from './host/remote-engine.js'
import type { RunContext, RunInputs } from '../run/context.js'
import { saveForPost } from '../run/saved-for-post.js'
import { StepError, type Step } from '../run/step.js'
import { printUntrusted } from '../program/untrusted-output.js'
import type { PushResult } from '../push/step.js'
import type { BuildResult } from '../build/step.js'
import { cosignRunOf } from '../sign/cosign-run.js'
import { verifyImage } from '../sign/verify.js'
import { parseImageReference, type ImageName } from '../lib/image-name.js'
import { LOG_TAIL_LINES, type ContainerFailure, type RolloutHooks, type RolloutReport } from './strategy.js'

export type { ContainerFailure } from './strategy.js'

export interface TimelineEntry {
  phase: string
  seconds: number
}

export interface DeployResult extends RolloutReport {
  host: string
  project: string
  service: string
  image: string
  timeline: TimelineEntry[]
}

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
 * The target with its plan pinned to the image's digest: the one pushed in this run, or deploying
 * alone, the one the registry holds for the version now (a tag moved later changes nothing). The
 * host then pulls `repo:version@sha256:...`, which the engine checks against the digest. Not
 * pinned (with a warning) when the compose file's image is not the action's image.
 */
async function pinnedTarget(
  target: DeployTarget,
  context: RunContext,
  pushed?: PushResult
): Promise<DeployTarget> {
  const image = context.inputs.image
  const wanted = parseImageReference(target.plan.image)
  if (`${wanted.image.registry}/${wanted.image.repository}` !== `${image.registry}/${image.repository}`) {
    core.warning(
      `compose-file: the service's image ${target.plan.image} is not ${image.name}: it is deployed by its tag, not by the digest pushed`
    )
    return target
  }
  const digest = pushed?.digest || (await digestInRegistry(context, wanted.image, wanted.tag))
  const plan = target.plan.pinned(digest)
  if (!plan.image.endsWith(`@${digest}`)) {
    core.warning(
      `compose-file: the service's image does not end with \${APP_VERSION} (${plan.image}): it is deployed by its tag, not by the digest ${digest}`
    )
    return target
  }
  core.info(
    `Deploying ${plan.image}: the digest ${pushed?.digest ? 'pushed by this run' : `the registry holds for ${wanted.tag}`}`
  )
  return { ...target, plan, rollout: await plan.connect(target.docker) }
}

/**
 * The signature (and with scan-attestation, the attested scan verdict) of the digest about to be
 * deployed, as the verify input asks; refused when the image is not deployed by a digest.
 */
async function verifyPinned(target: DeployTarget, context: RunContext): Promise<void> {
  const { signing, image } = context.inputs
  if (signing.verify === 'none') return
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(target.plan.image)?.[1]
  if (!digest) {
    throw new Error(
      `verify: ${signing.verify} needs the image deployed by its digest, and ${target.plan.image} is not: make the service's image end with :\${APP_VERSION}`
    )
  }
  await verifyImage(image, digest, signing, await cosignRunOf(context))
}

/** The digest the registry holds for image:tag, read through the registry client. */
async function digestInRegistry(context: RunContext, image: ImageName, tag: string): Promise<string> {
  const client = await context.registries(image.registry)
  const manifest = await withRetry(`read ${image.name}:${tag}`, REGISTRY_RETRY, () =>
    client.getManifest(image.repository, tag)
  )
  return manifest.digest
}

/** The image pulled by digest is the one the host holds under it: its RepoDigests say so. */
async function checkPulledDigest(target: DeployTarget, image: string): Promise<void> {
  const digest = image.slice(image.lastIndexOf('@') + 1)
  const inspected = await target.docker.run(
    ['image', 'inspect', '--format', '{{json .RepoDigests}}', image],
    {
      quiet: true
    }
  )
  const repoDigests = JSON.parse(inspected.stdout.trim() || '[]') as unknown
  if (
    !Array.isArray(repoDigests) ||
    !repoDigests.some((entry) => typeof entry === 'string' && entry.endsWith(`@${digest}`))
  ) {
    throw new Error(
      `the image ${image} on ${target.host.url} is not known by ${digest} (its RepoDigests: ${inspected.stdout.trim()})`
    )
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
  { build?: BuildResult; push?: PushResult },
  DeployTarget
> = {
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
  run: async ({ context, inputs: deploy, prepared, earlier }) => {
    if (!prepared) throw new Error('the deploy target was not prepared')
    let target = prepared
    const result = emptyResult(target)
    const timeline = new Timeline(result.timeline)
    try {
      if (!pullsImage(context.inputs)) refuseUnpushed(context.inputs, earlier.build)
      else {
        target = await pinnedTarget(prepared, context, earlier.push)
        result.image = target.plan.image
        // Before the pull: an image that fails is refused with nothing changed on the host.
        await verifyPinned(target, context)
        if (!target.rollout.nodesPull) {
          await pullImage(target, context.inputs, timeline)
          if (target !== prepared) await checkPulledDigest(target, target.plan.image)
        }
      }
      // An orchestrator's nodes pull the image themselves (Swarm): nothing to read on the host.
      const imageId = target.rollout.nodesPull ? '' : await imageIdOn(target, target.plan.image)
      await withLock(target, { context, deploy }, timeline, () =>
        target.rollout.rollOut(imageId, rolloutHooks(target, timeline), result)
      )
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

function emptyResult(target: DeployTarget): DeployResult {
  return {
    deployed: false,
    previousImage: '',
    containers: [],
    host: target.host.url,
    project: target.plan.project,
    service: target.plan.service,
    image: target.plan.image,
    timeline: [],
    failures: []
  }
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
  await withRetry(`docker pull ${image}`, REGISTRY_RETRY, () =>
    target.docker.run(['pull', '--quiet', image], {
      quiet: true,
      timeout: registryTimeout(inputs.publish.registryTimeout)
    })
  )
  timeline.mark('image pulled')
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

/** Runs `rollOut` holding the deploy lock of the project on the host. */
async function withLock(
  target: DeployTarget,
  { context, deploy }: { context: RunContext; deploy: Pick<DeployInputs, 'lockTimeout'> },
  timeline: Timeline,
  rollOut: () => Promise<void>
): Promise<void> {
  const { project, image } = target.plan
  const { lockTimeout } = deploy
  const lock = await acquireLock(target.docker, project, image, lockHolder(context.github), {
    timeoutMs: lockTimeout * 1000,
    onWait: (holder) =>
      core.info(`Another deploy of ${project} holds the lock (${holder}); waiting up to ${lockTimeout} s`)
  })
  saveForPost(DeployState.Lock, lock.name)
  timeline.mark('lock taken')
  try {
    await rollOut()
  } finally {
    // Left in the state when the host cannot be reached: the post step tries again.
    if (await releaseLock(target.docker, lock)) saveForPost(DeployState.Lock, '')
  }
}

/** What the step hands the strategy: its timeline, its log, the post step's state. */
function rolloutHooks(target: DeployTarget, timeline: Timeline): RolloutHooks {
  const tunnel = target.access.tunnel
  return {
    mark: (phase) => timeline.mark(phase),
    log: core,
    saveState: (state) => saveForPost(DeployState.Rollout, state),
    connectionAlive: tunnel ? () => tunnelAlive(tunnel) : undefined
  }
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

/** An orchestrator's tasks (Swarm), a row each: node, state, health, error. */
function taskTable(result: Pick<DeployResult, 'tasks'>): string[] {
  if (!result.tasks || result.tasks.length === 0) return []
  const cell = (value: string): string => text(clip(value, REASON_LIMIT)).replace(/\|/g, '\\|') || ' '
  return [
    '| Task | Node | State | Health | Error |',
    '| --- | --- | --- | --- | --- |',
    ...result.tasks.map(
      (row) => `| ${[row.task, row.node, row.state, row.health, row.error].map(cell).join(' | ')} |`
    ),
    ''
  ]
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
  lines.push(...taskTable(result))
  for (const failure of result.failures) {
    lines.push(
      `- ${code(clip(failure.name))} (${code(short(failure.id))}): ${text(clip(failure.reason, REASON_LIMIT))}. Its last health checks and log lines are in the job log, in the group ${code(clip(logGroupTitle(failure)))}.`
    )
  }
  if (result.failures.length > 0) lines.push('')
  return lines.join('\n')
}
