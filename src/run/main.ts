// The orchestrator: masks every secret input, reads and checks every input, sets up the private
// Docker config and the login, plans the release and lets each step prepare, then runs the steps
// in their order, handing each the results of the steps before it. Outputs and the step summary
// are derived from what the steps returned, also when one fails. It knows the Step contract
// only: the steps are given (pipeline/steps.ts).
import os from 'node:os'
import * as core from '@actions/core'
import { DockerCli } from '../docker/cli.js'
import { createPrivateDockerConfig, removePrivateDockerConfig } from '../docker/config.js'
import { readGitHubContext, type GitHubContext } from '../github/context.js'
import { foreignInputWarnings } from '../inputs/foreign.js'
import { allSecretInputs, maskSecretInputs, type SecretInputs } from '../inputs/secrets.js'
import { registryClients } from '../registry/access.js'
import { logIn } from '../registry/login.js'
import { RELEASE_SECRET_INPUTS } from '../release/inputs.js'
import { planRelease, reportRelease, type Release } from '../release/release.js'
import type { RunContext, RunInputs } from './context.js'
import { State } from './names.js'
import type { RunRecord } from './record.js'
import type { StepReport } from './report.js'
import { readInputs } from './run-inputs.js'
import { claimEveryState, saveForPost } from './saved-for-post.js'
import { StepError, type AnyStep } from './step.js'
import { writeSummary } from './summary.js'

export async function run(steps: readonly AnyStep[]): Promise<void> {
  const record: RunRecord & { own: Record<string, unknown> } = { own: {}, results: {} }
  const prepared = new Map<string, unknown>()
  try {
    maskSecretInputs(secretInputsOf(steps))
    for (const warning of foreignInputWarnings(process.env)) core.warning(warning)
    const { run: inputs, own, warnings } = readInputs(steps, (name) => core.getInput(name), process.cwd())
    for (const warning of warnings) core.warning(warning)
    record.inputs = inputs
    record.own = own
    const github = readGitHubContext()
    for (const step of chosen(steps, inputs))
      step.admit?.(own[step.name], { steps: inputs.steps, eventName: github.eventName })
    claimEveryState([...Object.values(State), ...steps.flatMap((step) => statesOf(step, own[step.name]))])
    const context = await setUp(steps, { inputs, github, record, prepared })
    await runSteps(steps, context, record, prepared)
  } catch (error) {
    record.error = (error as Error).message
    core.setFailed(record.error)
  } finally {
    // Also when a step's preparation failed half-way: each step knows what it opened.
    for (const step of steps) step.finish?.(prepared.get(step.name))
    removeDockerConfig(steps)
    const reports = reportRun(steps, record)
    setOutputs(reports)
    await writeSummary(record, reports).catch((error: Error) =>
      core.warning(`could not write the step summary: ${error.message}`)
    )
  }
}

/** The names of the state a step saves, for its inputs. */
function statesOf(step: AnyStep, inputs: unknown): readonly string[] {
  return typeof step.states === 'function' ? step.states(inputs) : (step.states ?? [])
}

/** Every secret input of the run: the release's and each step's. */
export function secretInputsOf(steps: readonly AnyStep[]): SecretInputs {
  return allSecretInputs([RELEASE_SECRET_INPUTS, ...steps.map((step) => step.secretInputs)])
}

function chosen(steps: readonly AnyStep[], inputs: RunInputs): AnyStep[] {
  return steps.filter((step) => inputs.steps.includes(step.name))
}

/**
 * The private Docker config (saved for the post step before anything can fail), then at the
 * same time, as neither needs the other: the login, and the release plan (whose tag listing
 * takes the inputs' credentials directly, not the login's result) followed by every step's
 * preparation (the deploy host reached), so a bad host fails before the build.
 */
async function setUp(
  steps: readonly AnyStep[],
  run: {
    inputs: RunInputs
    github: GitHubContext
    record: RunRecord & { own: Record<string, unknown> }
    prepared: Map<string, unknown>
  }
): Promise<RunContext> {
  const { inputs, github, record, prepared } = run
  const tempRoot = process.env.RUNNER_TEMP || os.tmpdir()
  const { registry, username } = inputs.publish
  const configDir = createPrivateDockerConfig(tempRoot, username ? [registry] : [])
  saveForPost(State.DockerConfig, configDir)
  dockerConfig = configDir
  const docker = new DockerCli(configDir)
  const registries = registryClients(inputs, configDir)
  const context: RunContext = { inputs, github, docker, registries, tempRoot }
  await allSettledFirstError([
    username ? logIn(docker, registries, inputs.publish) : Promise.resolve(),
    planRelease(inputs, github, registries).then((release) => {
      record.release = release
      return allSettledFirstError(
        chosen(steps, inputs)
          .filter(
            (step) => step.prepare && !step.skip?.(record.own[step.name], { steps: inputs.steps, release })
          )
          .map(async (step) => {
            prepared.set(step.name, await step.prepare?.({ context, release, inputs: record.own[step.name] }))
          })
      )
    })
  ])
  return context
}

/**
 * Waits for every promise, then throws the first failure: a program a preparation started (a
 * `docker buildx inspect` writing into the private Docker config, an SSH tunnel) has ended
 * before the main step cleans up after a failure.
 */
async function allSettledFirstError(promises: Promise<unknown>[]): Promise<void> {
  const failed = (await Promise.allSettled(promises)).find((result) => result.status === 'rejected')
  if (failed) throw failed.reason
}

async function runSteps(
  steps: readonly AnyStep[],
  context: RunContext,
  record: RunRecord & { own: Record<string, unknown> },
  prepared: Map<string, unknown>
): Promise<void> {
  const release = record.release as Release
  for (const step of chosen(steps, context.inputs)) {
    const inputs = record.own[step.name]
    const skip = step.skip?.(inputs, { steps: context.inputs.steps, release })
    if (skip) {
      core.notice(skip)
      continue
    }
    try {
      const result = await core.group(step.title, () =>
        step.run({
          context,
          release,
          inputs,
          earlier: record.results,
          prepared: prepared.get(step.name),
          preparedBy: (name: string) => prepared.get(name)
        })
      )
      record.results = { ...record.results, [step.name]: result }
    } catch (error) {
      if (error instanceof StepError) record.results = { ...record.results, [step.name]: error.partial }
      throw error
    }
  }
}

/** The private Docker config this run wrote. */
let dockerConfig: string | undefined

/**
 * Removes the private Docker config as soon as nothing needs it: at the end of the main step,
 * unless a step left work for the post step (a deploy lock, an interrupted rollout), which then
 * needs the credentials and removes them itself.
 */
function removeDockerConfig(steps: readonly AnyStep[]): void {
  if (!dockerConfig || steps.some((step) => step.leftForPost?.())) return
  removePrivateDockerConfig(dockerConfig)
  saveForPost(State.DockerConfig, '')
  core.info(`Removed the private Docker config ${dockerConfig}`)
}

/** Every output and summary row, from the release and each step's result (or its absence). */
export function reportRun(steps: readonly AnyStep[], record: RunRecord): StepReport[] {
  return [
    reportRelease(record.inputs, record.release),
    ...steps.map((step) =>
      step.report(record.results[step.name], {
        inputs: record.own?.[step.name],
        run: record.inputs,
        release: record.release
      })
    )
  ]
}

function setOutputs(reports: StepReport[]): void {
  for (const report of reports) {
    for (const [name, value] of Object.entries(report.outputs)) core.setOutput(name, value)
  }
}
