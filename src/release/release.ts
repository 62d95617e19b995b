// What this run publishes: the tags (planned from the event and, for the forward-only aliases,
// the tags the registry already holds), every full reference (whose `latest`, `1` and `1.2` move
// forward only too, by the tags of their own repository), and whether to push at all.
import * as core from '@actions/core'
import type { GitHubContext } from '../github/context.js'
import {
  isLoopbackRegistry,
  parseImageReference,
  sameRepository,
  type ImageName,
  type ImageReference
} from '../lib/image-name.js'
import type { ReleaseInputs } from './inputs.js'
import type { RegistryClients } from '../registry/access.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'
import { code, text } from '../lib/markdown.js'
import {
  needsExistingTags,
  planReferences,
  planTags,
  referenceAliasChecks,
  type ExistingTags,
  type TagPlan,
  type TagRequest
} from './tags.js'

export interface PushDecision {
  push: boolean
  reason: string
}

export interface Release {
  plan: TagPlan
  /** Every full reference the image gets, `name:tag`: the plan's for `image`, then the tags input's. */
  references: string[]
  /** Alias references of the tags input left where they are, with the reason. */
  withheldReferences: { reference: string; reason: string }[]
  pushing: PushDecision
}

export function decidePush(
  inputs: { steps: readonly string[]; publish: Pick<ReleaseInputs['publish'], 'push'> },
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

export function tagRequest(inputs: Pick<ReleaseInputs, 'tags'>, github: GitHubContext): TagRequest {
  return { github, tagSha: inputs.tags.sha, tagLatest: inputs.tags.latest, extraTags: inputs.tags.extra }
}

/** The plan's tags of `image`, then the given full references (of the tags input), without duplicates. */
export function releaseReferences(
  image: ImageName,
  plan: Pick<TagPlan, 'tags'>,
  given: ImageReference[]
): string[] {
  const references = [
    ...plan.tags.map((tag) => `${image.name}:${tag}`),
    ...given.map((reference) => `${reference.image.name}:${reference.tag}`)
  ]
  return [...new Set(references)]
}

export async function planRelease(
  inputs: ReleaseInputs & { steps: readonly string[] },
  github: GitHubContext,
  registries: RegistryClients
): Promise<Release> {
  const pushing = decidePush(inputs, github)
  const request = tagRequest(inputs, github)
  const tagsOf = repositoryListings(registries)
  const existing: ExistingTags = pushing.push && needsExistingTags(request) ? await tagsOf(inputs.image) : []
  const plan = planTags(request, existing)
  for (const { tag, reason } of plan.withheld) core.info(`Tag ${tag} stays where it is: ${reason}.`)

  const given = await checkGivenReferences(inputs, plan, pushing.push ? tagsOf : undefined)
  for (const { reference, reason } of given.withheld) core.info(`${reference} stays where it is: ${reason}.`)

  const references = releaseReferences(inputs.image, plan, given.references)
  if (pushing.push) await warnOfRegistriesWithoutLogin(references, registries)
  return { plan, references, withheldReferences: given.withheld, pushing }
}

/**
 * The full references of the tags input that are pushed, and the alias references withheld,
 * read against their repositories' tags (`tagsOf`; none are read when nothing is pushed).
 */
async function checkGivenReferences(
  inputs: Pick<ReleaseInputs, 'image' | 'tags'>,
  plan: TagPlan,
  tagsOf: ((image: ImageName) => Promise<ExistingTags>) | undefined
): Promise<{ references: ImageReference[]; withheld: Release['withheldReferences'] }> {
  // References the plan pushes for `image` anyway (`tag-latest: true`) are the plan's to decide.
  const checked = inputs.tags.references.filter(
    (reference) => !(sameRepository(reference.image, inputs.image) && plan.tags.includes(reference.tag))
  )
  const listed = tagsOf
    ? await Promise.all(
        referenceAliasChecks(checked, plan.release).map(async ({ image }) => ({
          image,
          tags: await tagsOf(image)
        }))
      )
    : []
  const { withheld } = planReferences(
    checked,
    plan.release,
    (image) => listed.find((listing) => sameRepository(listing.image, image))?.tags ?? []
  )
  return {
    references: inputs.tags.references.filter(
      (reference) => !withheld.some((w) => w.reference === reference)
    ),
    withheld: withheld
      // The same alias of `image` withheld by the plan is told once, as the plan's.
      .filter(
        ({ reference }) =>
          !(
            sameRepository(reference.image, inputs.image) &&
            plan.withheld.some((w) => w.tag === reference.tag)
          )
      )
      .map(({ reference, reason }) => ({ reference: `${reference.image.name}:${reference.tag}`, reason }))
  }
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

/** Each repository's tags, read at most once in a run, whichever alias or shorthand names it. */
function repositoryListings(registries: RegistryClients): (image: ImageName) => Promise<ExistingTags> {
  const listings = new Map<string, Promise<ExistingTags>>()
  return (image) => {
    const key = `${image.registry}/${image.repository}`
    let listing = listings.get(key)
    if (!listing) {
      listing = readExistingTags(image, registries)
      listings.set(key, listing)
    }
    return listing
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

/** What the release adds to the outputs and the summary, in the shape a step reports it. */
export interface ReleaseReport {
  outputs: Record<'image' | 'tags' | 'version', string>
  rows: [string, string][]
  notes: string[]
}

/** The release's outputs and summary rows: the image, its version and every reference. */
export function reportRelease(
  inputs: Pick<ReleaseInputs, 'image'> | undefined,
  release: Release | undefined
): ReleaseReport {
  const rows: [string, string][] = []
  if (release) {
    rows.push(['Version', code(release.plan.version)], ['Tags', release.references.map(code).join(' ')])
  }
  return {
    outputs: {
      image: inputs?.image.name ?? '',
      tags: release?.references.join('\n') ?? '',
      version: release?.plan.version ?? ''
    },
    rows,
    notes: [
      ...(release?.plan.withheld ?? []).map(({ tag, reason }) => ({ name: tag, reason })),
      ...(release?.withheldReferences ?? []).map(({ reference, reason }) => ({ name: reference, reason }))
    ].map(({ name, reason }) => `${code(name)} was not moved: ${text(reason)}.`)
  }
}
