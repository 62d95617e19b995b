// The orchestrator: validates every input, sets up the private Docker config and the logins,
// plans the release, then runs build -> scan -> push -> deploy in that fixed order, handing each
// step the results of the steps before it. Outputs and the step summary are derived from what
// the steps returned, also when one fails.
import { rmSync } from 'node:fs'
import os from 'node:os'
import * as core from '@actions/core'
import { State, type Output } from './names.js'
import { DockerCli } from '../docker/cli.js'
import { createPrivateDockerConfig, removePrivateDockerConfig } from '../docker/config.js'
import { closeDeployTarget, prepareDeploy, type DeployTarget } from '../deploy/target.js'
import { readGitHubContext, type GitHubContext } from '../github/context.js'
import { getInputs, refuseUntrustedDeploy, type Inputs } from '../inputs/inputs.js'
import { logIn } from '../registry/login.js'
import { registryClients } from '../registry/access.js'
import { planRelease, reportRelease, type Release } from '../release/release.js'
import type { RunContext } from './context.js'
import type { StepReport } from './report.js'
import type { RecordedStep, RunRecord, StepResults } from './record.js'
import { StepError, type Step } from './step.js'
import { maskSecretInputs } from '../inputs/secrets.js'
import { savedAccess, type RemoteAccess } from '../deploy/host/remote-engine.js'
import { claimEveryState, saveForPost, savedForPost } from './saved-for-post.js'
import { buildStep, chooseBuilder } from '../build/step.js'
import { deployStep, deploySkipReason } from '../deploy/step.js'
import { pushStep } from '../push/step.js'
import { scanStep } from '../scan/step.js'
import { writeSummary } from './summary.js'

/** Every step, in the order they run. */
export const STEPS = [buildStep, scanStep, pushStep, deployStep] as const

export async function run(): Promise<void> {
  const record: RunRecord = { results: {} }
  let context: RunContext | undefined
  try {
    maskSecretInputs()
    const inputs = getInputs((name) => core.getInput(name))
    record.inputs = inputs
    const github = readGitHubContext()
    refuseUntrustedDeploy(inputs, github.eventName)
    claimEveryState()
    context = await setUp(inputs, github, record)
    await runSteps(context, record.release as Release, record)
  } catch (error) {
    record.error = (error as Error).message
    core.setFailed(record.error)
  } finally {
    // The tunnel as the deploy target saved it: also when the run failed before the target was
    // handed over (another part of the set-up failed first).
    closeDeployTarget(
      context?.deployTarget ?? (credentials.access ? { access: credentials.access } : undefined)
    )
    removeCredentials()
    const reports = reportRun(record)
    setOutputs(reports)
    await writeSummary(record, reports).catch((error: Error) =>
      core.warning(`could not write the step summary: ${error.message}`)
    )
  }
}

/**
 * The private Docker config (saved for the post step before anything can fail), then at the
 * same time, as none needs another: the builder probe, the login, and the release plan (whose
 * tag listing takes the inputs' credentials directly, not the login's result) followed by the
 * deploy target (compose files checked, host reached), so a bad host fails before the build.
 */
async function setUp(inputs: Inputs, github: GitHubContext, record: RunRecord): Promise<RunContext> {
  const tempRoot = process.env.RUNNER_TEMP || os.tmpdir()
  const { registry, username } = inputs.publish
  const configDir = createPrivateDockerConfig(tempRoot, username ? [registry] : [])
  saveForPost(State.DockerConfig, configDir)
  credentials.dockerConfig = configDir
  const docker = new DockerCli(configDir)
  const registries = registryClients(inputs, configDir)
  const [builder, , deployTarget] = await Promise.all([
    inputs.steps.includes('build') ? chooseBuilder(docker, inputs.build) : undefined,
    username ? logIn(docker, registries, inputs.publish) : undefined,
    planRelease(inputs, github, registries).then((release) => {
      record.release = release
      return prepareDeployTarget(inputs, release, docker, tempRoot)
    })
  ])
  return { inputs, github, docker, builder, registries, tempRoot, deployTarget }
}

/** The deploy target when the deploy step will run; its access files are saved for post. */
async function prepareDeployTarget(
  inputs: Inputs,
  release: Release,
  docker: DockerCli,
  tempRoot: string
): Promise<DeployTarget | undefined> {
  if (deploySkipReason(inputs, release)) return undefined
  return prepareDeploy(inputs, release.plan.version, docker, {
    tempRoot,
    cwd: process.cwd(),
    onAccess: (access) => {
      credentials.access = access
      saveForPost(State.DeployAccess, JSON.stringify(savedAccess(access)))
    }
  })
}

/** The folders with credentials this run wrote: the private Docker config, the deploy host's access. */
const credentials: { dockerConfig?: string; access?: RemoteAccess } = {}

/**
 * Removes the credentials as soon as nothing needs them: at the end of the main step, unless a
 * deploy lock or an interrupted rollout is left for the post step, which then needs the host's
 * access and removes them itself.
 */
function removeCredentials(): void {
  if (savedForPost(State.DeployLock) || savedForPost(State.DeployRollout)) return
  const { access, dockerConfig } = credentials
  for (const dir of [access?.dir, access?.socketDir]) if (dir) rmSync(dir, { recursive: true, force: true })
  if (access) {
    saveForPost(State.DeployAccess, '')
    core.info(`Removed the deploy host's access folder ${access.dir}`)
  }
  if (dockerConfig) {
    removePrivateDockerConfig(dockerConfig)
    saveForPost(State.DockerConfig, '')
    core.info(`Removed the private Docker config ${dockerConfig}`)
  }
}

/** A step as the orchestrator handles it: by name, its result recorded under that name. */
type AnyStep = Step<RecordedStep, StepResults[RecordedStep], StepResults>

async function runSteps(context: RunContext, release: Release, record: RunRecord): Promise<void> {
  for (const step of STEPS as readonly AnyStep[]) {
    if (!context.inputs.steps.includes(step.name)) continue
    const skip = step.skip?.(context, release)
    if (skip) {
      core.notice(skip)
      continue
    }
    try {
      const result = await core.group(step.title, () => step.run(context, release, record.results))
      record.results = { ...record.results, [step.name]: result }
    } catch (error) {
      if (error instanceof StepError) record.results = { ...record.results, [step.name]: error.partial }
      throw error
    }
  }
}

/** Every output and summary row, from the release and each step's result (or its absence). */
export function reportRun(record: RunRecord): StepReport[] {
  return [
    reportRelease(record.inputs, record.release),
    ...(STEPS as readonly AnyStep[]).map((step) => step.report(record.results[step.name], record))
  ]
}

function setOutputs(reports: StepReport[]): void {
  for (const report of reports) {
    for (const [name, value] of Object.entries(report.outputs) as [Output, string][]) {
      core.setOutput(name, value)
    }
  }
}
