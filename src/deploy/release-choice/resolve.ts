// The chosen release made concrete. A version is checked to be in the registry (a HEAD of its
// manifest, with the run's registry credentials) before any host is reached; a rollback reads
// from every host what its running containers record as the release before theirs, and the
// hosts must agree. Either way the rollout that follows is the usual one: pinned to a digest,
// verified as the verify input asks, blue-green.
import { parseImageReference, sameRepository, type ImageName } from '../../lib/image-name.js'
import { REGISTRY_RETRY, withRetry } from '../../program/retry.js'
import type { RegistryClients } from '../../registry/access.js'
import type { DeployPlan } from '../strategy.js'
import { chosenAppVersion, DIGEST, previousRelease, type ReleaseChoice } from './choice.js'
import { recordedPrevious } from './previous-label.js'

/** The registry's digest of image:reference (a tag or a digest); undefined when it holds none. */
export type ManifestLookup = (image: ImageName, reference: string) => Promise<string | undefined>

/** Looks manifests up through the run's registry clients, retrying what a registry may mend. */
export function registryLookup(registries: RegistryClients): ManifestLookup {
  return async (image, reference) => {
    const client = await registries(image.registry)
    return withRetry(`find ${image.name}:${reference}`, REGISTRY_RETRY, () =>
      client.manifestDigest(image.repository, reference)
    )
  }
}

/**
 * The APP_VERSION the plan is read with: the event's, or a chosen version once the registry is
 * found to hold it (else an error naming the input, with nothing touched). A rollback's is only
 * known once the hosts are reached: the event's stands in until then.
 */
export async function planVersion(
  choice: ReleaseChoice,
  eventVersion: string,
  image: ImageName,
  lookup: ManifestLookup
): Promise<string> {
  if (choice.kind !== 'version') return eventVersion
  const digest = await lookup(image, choice.version)
  if (!digest) {
    throw new Error(
      `version: ${image.name}${DIGEST.test(choice.version) ? '@' : ':'}${choice.version} is not in the registry (it answered 404 Not Found): nothing was deployed`
    )
  }
  return chosenAppVersion(choice.version)
}

/** The digest a chosen digest pins the plan to (a tag is read from the registry as the event's is). */
export function chosenDigest(choice: ReleaseChoice): string | undefined {
  return choice.kind === 'version' && DIGEST.test(choice.version) ? choice.version : undefined
}

/** The version a deploy of a chosen release reports (the version output), else undefined. */
export function reportedVersion(choice: ReleaseChoice, plan: Pick<DeployPlan, 'image'>): string | undefined {
  if (choice.kind === 'version') return choice.version
  if (choice.kind !== 'rollback') return undefined
  // `repo:1.0.0@sha256:...`: the tag it was released as.
  const unpinned = plan.image.replace(/@sha256:[0-9a-f]{64}$/, '')
  const tagAt = unpinned.lastIndexOf(':')
  return tagAt > unpinned.lastIndexOf('/') ? unpinned.slice(tagAt + 1) : ''
}

/**
 * The plan of the release before the current one: what every host's running containers record
 * (`labelsOf`, by host), which must be the same on all and a release of the action's image
 * that the strategy's files make, and which the registry still holds (the hosts pull it).
 */
export async function rollbackPlan(
  plan: DeployPlan,
  image: ImageName,
  hosts: readonly { host: string; labels: () => Promise<Record<string, string>[]> }[],
  lookup: ManifestLookup
): Promise<DeployPlan> {
  const recorded = await Promise.all(
    hosts.map(async ({ host, labels }) => {
      try {
        return { host, previous: recordedPrevious(await labels()) }
      } catch (error) {
        throw new Error(`rollback: ${host}: ${(error as Error).message}`)
      }
    })
  )
  const previous = previousRelease(recorded)
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(previous)?.[1]
  const release = plan.releaseOf(previous)
  if (!digest || !ofImage(previous, image) || release?.image !== previous) {
    throw new Error(
      `rollback: the release recorded before the current one, ${previous}, is not ${image.name} by digest as the compose file's image makes it: deploy a version instead`
    )
  }
  if (!(await lookup(image, digest)))
    throw new Error(
      `rollback: ${image.name}@${digest}, the release before the current one, is no longer in the registry: deploy a version instead`
    )
  return release
}

/** Whether `reference` (`name:tag@digest`) names a tag of `image`'s repository. */
function ofImage(reference: string, image: ImageName): boolean {
  try {
    return sameRepository(parseImageReference(reference.replace(/@sha256:[0-9a-f]{64}$/, '')).image, image)
  } catch {
    return false
  }
}
