// The image the deploy rolls out, pinned to a digest: the one pushed in this run, a release the
// version input chose, the one before (rollback), or the one the registry holds for the version;
// verified (verify input) before any host pulls it, and checked on each host after the pull.
import * as core from '@actions/core'
import type { DeployFleet, DeployTarget } from './target.js'
import type { DeployPlan } from './strategy.js'
import type { RunContext } from '../run/context.js'
import type { PushResult } from '../push/step.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'
import { cosignRunOf } from '../sign/cosign-run.js'
import { verifyImage } from '../sign/verify.js'
import { parseImageReference, type ImageName } from '../lib/image-name.js'
import { Containers } from './compose/containers.js'
import type { ReleaseChoice } from './release-choice/choice.js'
import { runningLabels } from './release-choice/previous-label.js'
import { chosenDigest, registryLookup, rollbackPlan } from './release-choice/resolve.js'

/**
 * The plan pinned to the image's digest: the one pushed in this run, or deploying alone, the one
 * the registry holds for the version now (a tag moved later changes nothing). Every host then
 * pulls `repo:version@sha256:...`, which the engine checks against the digest. Not pinned (with a
 * warning) when the compose file's image is not the action's image.
 */
export async function pinnedFleet(
  fleet: DeployFleet,
  context: RunContext,
  pushed?: PushResult,
  choice: ReleaseChoice = { kind: 'event' }
): Promise<DeployFleet> {
  const image = context.inputs.image
  if (choice.kind === 'rollback') {
    const plan = await rollbackPlan(
      fleet.plan,
      image,
      fleet.targets.map((target) => ({
        host: target.host.url,
        labels: () =>
          runningLabels(target.docker, fleet.plan.project, fleet.plan.service, (project, service) =>
            new Containers(target.docker).list(project, service)
          )
      })),
      registryLookup(context.registries)
    )
    core.info(`Rolling back to ${plan.image}: the release before the current one, as the hosts record it`)
    return replanned(fleet, plan)
  }
  const wanted = parseImageReference(fleet.plan.image)
  if (`${wanted.image.registry}/${wanted.image.repository}` !== `${image.registry}/${image.repository}`) {
    if (choice.kind !== 'event')
      throw new Error(
        `version: the service's image ${fleet.plan.image} is not ${image.name}, the image whose release was chosen`
      )
    core.warning(
      `compose-file: the service's image ${fleet.plan.image} is not ${image.name}: it is deployed by its tag, not by the digest pushed`
    )
    return fleet
  }
  const digest =
    pushed?.digest || chosenDigest(choice) || (await digestInRegistry(context, wanted.image, wanted.tag))
  const plan = fleet.plan.pinned(digest)
  if (!plan.image.endsWith(`@${digest}`)) {
    if (choice.kind !== 'event')
      throw new Error(
        `version: the service's image does not end with \${APP_VERSION} (${plan.image}), so the chosen release cannot be deployed by its digest ${digest}`
      )
    core.warning(
      `compose-file: the service's image does not end with \${APP_VERSION} (${plan.image}): it is deployed by its tag, not by the digest ${digest}`
    )
    return fleet
  }
  core.info(
    `Deploying ${plan.image}: the digest ${pushed?.digest ? 'pushed by this run' : chosenDigest(choice) ? 'chosen (the version input)' : `the registry holds for ${wanted.tag}`}`
  )
  return replanned(fleet, plan)
}

/** The fleet with another plan, bound to every host. */
async function replanned(fleet: DeployFleet, plan: DeployPlan): Promise<DeployFleet> {
  const targets = await Promise.all(
    fleet.targets.map(async (target) => ({ ...target, plan, rollout: await plan.connect(target.docker) }))
  )
  return { plan, targets }
}

/**
 * The signature (and with scan-attestation, the attested scan verdict) of the digest about to be
 * deployed, as the verify input asks; refused when the image is not deployed by a digest.
 */
export async function verifyPinned(plan: DeployPlan, context: RunContext): Promise<void> {
  const { signing, image } = context.inputs
  if (signing.verify === 'none') return
  const digest = /@(sha256:[0-9a-f]{64})$/.exec(plan.image)?.[1]
  if (!digest) {
    throw new Error(
      `verify: ${signing.verify} needs the image deployed by its digest, and ${plan.image} is not: make the service's image end with :\${APP_VERSION}`
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
export async function checkPulledDigest(target: DeployTarget, image: string): Promise<void> {
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
