// The orchestrator: validates every input, then runs build -> scan -> push -> deploy in that
// fixed order, passing each step's typed result on. Outputs and the step summary are written
// with whatever is known, also when a step fails.
import os from 'node:os'
import * as core from '@actions/core'
import { Output, State } from './constants.js'
import { createPrivateDockerConfig, DockerCli } from './docker-cli.js'
import { PULL_REQUEST_EVENTS, readGitHubContext, type GitHubContext } from './github-context.js'
import { getInputs, SECRET_INPUTS, type Inputs } from './inputs.js'
import { keyValueValues } from './key-value.js'
import { RegistryClient } from './registry-api.js'
import { REGISTRY_RETRY, withRetry } from './retry.js'
import type { RunContext } from './run-context.js'
import { build, chooseBuilder, type BuildResult } from './steps/build.js'
import { DEPLOY_IMPLEMENTED } from './steps/deploy.js'
import { push, type PushResult } from './steps/push.js'
import { scan, type ScanResult } from './steps/scan.js'
import { writeSummary } from './summary.js'
import {
  needsExistingTags,
  planTags,
  tagReferences,
  type ExistingTags,
  type TagPlan,
  type TagRequest
} from './tags.js'

/** What the run learned so far; turned into outputs and the summary however it ends. */
export interface RunRecord {
  inputs?: Inputs
  plan?: TagPlan
  pushing?: { push: boolean; reason: string }
  built?: BuildResult
  scanned?: ScanResult
  pushed?: PushResult
  deploySkipped?: string
  error?: string
}

export async function run(): Promise<void> {
  const record: RunRecord = {}
  try {
    maskSecretInputs()
    const inputs = getInputs((name) => core.getInput(name))
    record.inputs = inputs
    const github = readGitHubContext()
    refuseUnimplementedDeploy(inputs)
    await runSteps(inputs, github, record)
  } catch (error) {
    record.error = (error as Error).message
    core.setFailed(record.error)
  } finally {
    setOutputs(record)
    await writeSummary(record).catch((error: Error) =>
      core.warning(`could not write the step summary: ${error.message}`)
    )
  }
}

async function runSteps(inputs: Inputs, github: GitHubContext, record: RunRecord): Promise<void> {
  const tempRoot = process.env.RUNNER_TEMP || os.tmpdir()
  const configDir = createPrivateDockerConfig(tempRoot)
  core.saveState(State.DockerConfig, configDir)
  const docker = new DockerCli(configDir)
  const run: RunContext = { inputs, github, docker, tempRoot }
  const builder = inputs.steps.includes('build') ? await chooseBuilder(docker, inputs) : undefined

  if (inputs.username) {
    // Saved first: a login that half-happened is still logged out by the post step.
    core.saveState(State.LoggedInRegistry, inputs.registry)
    await core.group(`Log in to ${inputs.registry}`, () =>
      docker.login(inputs.registry, inputs.username, inputs.password)
    )
  }

  record.pushing = decidePush(inputs, github)
  const request = tagRequest(inputs, github)
  const existing: ExistingTags =
    record.pushing.push && needsExistingTags(request) ? await readExistingTags(inputs) : []
  const plan = planTags(request, existing)
  record.plan = plan
  for (const { tag, reason } of plan.withheld) core.info(`Tag ${tag} stays where it is: ${reason}.`)

  if (builder) {
    record.built = await core.group('Build', () => build(run, plan, builder))
    const { imageId, builder: usedBuilder, buildRef } = record.built
    core.info(`Built ${imageId} with ${usedBuilder}${buildRef ? ` (build ${buildRef})` : ''}`)
  }
  if (inputs.steps.includes('scan')) {
    record.scanned = await core.group('Scan', () => scan())
    if (record.scanned.result === 'failed')
      throw new Error('The scan gate failed: nothing is pushed or deployed.')
  }
  if (record.built && record.pushing.push) {
    const built = record.built
    record.pushed = await core.group('Push', () => push(run, built))
    core.info(`Pushed ${record.pushed.pushed.length} tags, digest ${record.pushed.digest}`)
  } else if (inputs.steps.includes('push')) {
    core.notice(`Nothing was pushed: ${record.pushing.reason}.`)
  }
  if (inputs.steps.includes('deploy') && !inputs.dockerHost) {
    record.deploySkipped = 'docker-host is empty'
    core.notice('The deploy step was skipped: docker-host is empty.')
  }
}

function maskSecretInputs(): void {
  for (const name of SECRET_INPUTS) {
    const value = core.getInput(name)
    if (value) core.setSecret(value)
  }
  // Build secrets are KEY=VALUE lines: mask each value, before parsing can mention them.
  for (const value of keyValueValues(core.getInput('secrets'))) core.setSecret(value)
}

function refuseUnimplementedDeploy(inputs: Inputs): void {
  if (!DEPLOY_IMPLEMENTED && inputs.steps.includes('deploy') && inputs.dockerHost) {
    throw new Error(
      'docker-host is set, but the deploy step is not implemented in this version yet: remove deploy from steps or leave docker-host empty'
    )
  }
}

export function decidePush(
  inputs: Pick<Inputs, 'steps' | 'push'>,
  github: Pick<GitHubContext, 'eventName'>
): { push: boolean; reason: string } {
  if (!inputs.steps.includes('push')) return { push: false, reason: 'push is not in steps' }
  if (inputs.push === 'false') return { push: false, reason: 'the push input is false' }
  if (inputs.push === 'auto' && PULL_REQUEST_EVENTS.has(github.eventName)) {
    return { push: false, reason: `push is auto and this is a ${github.eventName} event` }
  }
  return { push: true, reason: inputs.push === 'true' ? 'the push input is true' : 'push is auto' }
}

function tagRequest(inputs: Inputs, github: GitHubContext): TagRequest {
  return {
    eventName: github.eventName,
    ref: github.ref,
    sha: github.sha,
    pullRequestNumber: github.pullRequestNumber,
    tagSha: inputs.tagSha,
    tagLatest: inputs.tagLatest,
    extraTags: inputs.tags
  }
}

/** The registry's tags, so `latest` and the version aliases only move forward. */
async function readExistingTags(inputs: Inputs): Promise<ExistingTags> {
  // The credentials belong to the registry logged in to; another registry is asked anonymously.
  const credentials =
    inputs.username && inputs.registry === inputs.image.registry
      ? { username: inputs.username, password: inputs.password }
      : undefined
  const client = new RegistryClient(inputs.image.registry, credentials)
  try {
    return await withRetry(`list the tags of ${inputs.image.name}`, REGISTRY_RETRY, () =>
      client.listTags(inputs.image.repository)
    )
  } catch (error) {
    core.warning(
      `Could not read the tags of ${inputs.image.name}, so latest and the version aliases are left where they are: ${(error as Error).message}`
    )
    return 'unknown'
  }
}

function setOutputs(record: RunRecord): void {
  const { inputs, plan, built, scanned, pushed } = record
  const values: Record<Output, string> = {
    [Output.Image]: inputs?.image.name ?? '',
    [Output.Tags]: plan && inputs ? tagReferences(inputs.image.name, plan).join('\n') : '',
    [Output.Version]: plan?.version ?? '',
    [Output.Digest]: pushed?.digest ?? '',
    [Output.ImageId]: built?.imageId ?? '',
    [Output.ScanResult]: scanned?.result ?? 'skipped',
    [Output.Findings]: JSON.stringify(scanned?.findings ?? {}),
    [Output.ReportFile]: '',
    [Output.SarifFile]: '',
    [Output.Deployed]: 'false',
    [Output.PreviousImage]: '',
    [Output.Containers]: ''
  }
  for (const [name, value] of Object.entries(values)) core.setOutput(name, value)
}
