// What this run publishes: the tags (planned from the event and, for the forward-only aliases,
// the tags the registry already holds), every full reference, and whether to push at all.
import * as core from '@actions/core'
import { Output } from './constants.js'
import type { GitHubContext } from './github-context.js'
import { isLoopbackRegistry, parseImageReference, type ImageName } from './image-name.js'
import type { Inputs } from './inputs.js'
import type { RegistryClients } from './registry-access.js'
import { REGISTRY_RETRY, withRetry } from './retry.js'
import { code, text } from './markdown.js'
import type { StepReport } from './report.js'
import { needsExistingTags, planTags, type ExistingTags, type TagPlan, type TagRequest } from './tags.js'

export interface PushDecision {
  push: boolean
  reason: string
}

export interface Release {
  plan: TagPlan
  /** Every full reference the image gets, `name:tag`: the plan's for `image`, then the tags input's. */
  references: string[]
  pushing: PushDecision
}

export function decidePush(
  inputs: Pick<Inputs, 'steps'> & { publish: Pick<Inputs['publish'], 'push'> },
  github: Pick<GitHubContext, 'eventName' | 'pullRequestNumber' | 'mergeGroup'>
): PushDecision {
  const mode = inputs.publish.push
  if (!inputs.steps.includes('push')) return { push: false, reason: 'push is not in steps' }
  if (mode === 'false') return { push: false, reason: 'the push input is false' }
  if (mode === 'auto' && github.pullRequestNumber !== undefined) {
    return { push: false, reason: `push is auto and this is a pull request run (${github.eventName})` }
  }
  if (mode === 'auto' && github.mergeGroup) {
    return { push: false, reason: 'push is auto and this is a merge_group run (a check before merging)' }
  }
  return { push: true, reason: mode === 'true' ? 'the push input is true' : 'push is auto' }
}

export function tagRequest(inputs: Pick<Inputs, 'tags'>, github: GitHubContext): TagRequest {
  return { github, tagSha: inputs.tags.sha, tagLatest: inputs.tags.latest, extraTags: inputs.tags.extra }
}

/** The plan's tags of `image`, then the full references of the tags input, without duplicates. */
export function releaseReferences(
  image: ImageName,
  plan: Pick<TagPlan, 'tags'>,
  inputs: Pick<Inputs, 'tags'>
): string[] {
  const references = [
    ...plan.tags.map((tag) => `${image.name}:${tag}`),
    ...inputs.tags.references.map((reference) => `${reference.image.name}:${reference.tag}`)
  ]
  return [...new Set(references)]
}

export async function planRelease(
  inputs: Inputs,
  github: GitHubContext,
  registries: RegistryClients
): Promise<Release> {
  const pushing = decidePush(inputs, github)
  const request = tagRequest(inputs, github)
  const existing: ExistingTags =
    pushing.push && needsExistingTags(request) ? await readExistingTags(inputs.image, registries) : []
  const plan = planTags(request, existing)
  for (const { tag, reason } of plan.withheld) core.info(`Tag ${tag} stays where it is: ${reason}.`)
  const references = releaseReferences(inputs.image, plan, inputs)
  if (pushing.push) await warnOfRegistriesWithoutLogin(references, registries)
  return { plan, references, pushing }
}

/**
 * The username and password are for one registry, and a reference in `tags` may name another:
 * says before the build which registries the push will reach without any credentials.
 */
async function warnOfRegistriesWithoutLogin(
  references: string[],
  registries: RegistryClients
): Promise<void> {
  const named = new Set(references.map((reference) => parseImageReference(reference).image.registry))
  for (const registry of named) {
    if (isLoopbackRegistry(registry) || (await registries(registry)).hasCredentials) continue
    core.warning(
      `No credentials for ${registry} were found (the username and password inputs are not for it, and the Docker config has no login for it): the push goes there without any. Log in first (docker/login-action) if it needs them.`
    )
  }
}

/** The registry's tags, so `latest` and the version aliases only move forward. */
async function readExistingTags(image: ImageName, registries: RegistryClients): Promise<ExistingTags> {
  try {
    const client = await registries(image.registry)
    return await withRetry(`list the tags of ${image.name}`, REGISTRY_RETRY, () =>
      client.listTags(image.repository)
    )
  } catch (error) {
    core.warning(
      `Could not read the tags of ${image.name}, so latest and the version aliases are left where they are: ${(error as Error).message}`
    )
    return 'unknown'
  }
}

/** The release's outputs and summary rows: the image, its version and every reference. */
export function reportRelease(inputs: Inputs | undefined, release: Release | undefined): StepReport {
  const rows: [string, string][] = []
  if (release) {
    rows.push(['Version', code(release.plan.version)], ['Tags', release.references.map(code).join(' ')])
  }
  return {
    outputs: {
      [Output.Image]: inputs?.image.name ?? '',
      [Output.Tags]: release?.references.join('\n') ?? '',
      [Output.Version]: release?.plan.version ?? ''
    },
    rows,
    notes: (release?.plan.withheld ?? []).map(
      ({ tag, reason }) => `${code(tag)} was not moved: ${text(reason)}.`
    )
  }
}
