// Push. An image built into an OCI layout goes up as those exact bytes, through the action's
// registry client: every blob once (skipped when the registry has it, mounted from a repository
// pushed just before), the manifests, the index, then each tag pointed at the index. An image
// loaded into the engine goes up once per repository with `docker push`; its other tags are then
// pointed at the same manifest through the Registry API (one manifest PUT each, as `crane tag`
// does) instead of a `docker push` per tag that re-checks every layer. The manifest read back
// from the registry is hashed, so the digest output is the registry's own.
import * as core from '@actions/core'
import { registryTimeout } from '../docker/cli.js'
import { parseImageReference, type ImageName } from '../lib/image-name.js'
import { ProgramTimeoutError } from '../program/program.js'
import type { Manifest, RegistryClient } from '../registry/api.js'
import type { Release } from '../release/release.js'
import { REGISTRY_RETRY, withRetry, type RetryPolicy } from '../program/retry.js'
import type { RunContext } from '../run/context.js'
import { code } from '../lib/markdown.js'
import { StepError, type Step } from '../run/step.js'
import type { BuildResult, BuiltLayout } from '../build/step.js'
import { readLayoutGraph } from '../oci/layout.js'
import { withRefusalFix } from '../registry/refusal-hint.js'
import { pushLayout, tagLayout } from './layout-push.js'
import { signPushed, type SigningResult } from './signing.js'
import type { ScanResult } from '../scan/step.js'

export interface PushResult {
  /** The manifest digest the registry holds for the first reference (the version tag). */
  digest: string
  /** The references that are in the registry now, in push order. */
  pushed: string[]
  /** The reference whose push failed, when one did (the ones after it were not tried). */
  failed?: string
  /** References pointed at the manifest by the Registry API rather than by `docker push`. */
  taggedByApi: number
  /** For an OCI layout: what its blobs took (summed over the repositories). */
  blobs?: { uploaded: number; skipped: number; mounted: number; bytesUploaded: number }
  /** What was signed, when the sign input asked. */
  signing?: SigningResult
}

/** `docker push` ends with `<tag>: digest: sha256:<hex> size: <n>`: the registry's answer. */
export function digestFromPushOutput(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
}

interface RepositoryGroup {
  image: ImageName
  references: { reference: string; tag: string }[]
}

/** References grouped by repository (whatever alias names it), in first-seen order. */
export function groupByRepository(references: string[]): RepositoryGroup[] {
  const groups = new Map<string, RepositoryGroup>()
  for (const reference of references) {
    const { image, tag } = parseImageReference(reference)
    const key = `${image.registry}/${image.repository}`
    const group = groups.get(key) ?? { image, references: [] }
    group.references.push({ reference, tag })
    groups.set(key, group)
  }
  return [...groups.values()]
}

export async function push(
  run: RunContext,
  built: BuildResult,
  retry: RetryPolicy = REGISTRY_RETRY
): Promise<PushResult> {
  return built.layout ? pushBuiltLayout(run, built, built.layout, retry) : pushFromEngine(run, built, retry)
}

/** The layout's bytes to every repository of the release, and each tag pointed at its index. */
async function pushBuiltLayout(
  run: RunContext,
  built: BuildResult,
  layout: BuiltLayout,
  retry: RetryPolicy
): Promise<PushResult> {
  const result: PushResult = {
    digest: '',
    pushed: [],
    taggedByApi: 0,
    blobs: { uploaded: 0, skipped: 0, mounted: 0, bytesUploaded: 0 }
  }
  const graph = readLayoutGraph(layout.dir)
  // Repositories already pushed, per registry: their blobs can be mounted rather than uploaded.
  const pushedTo = new Map<string, string[]>()
  let current = ''
  try {
    for (const group of groupByRepository(built.references)) {
      current = group.references[0]?.reference ?? group.image.name
      const client = await run.registries(group.image.registry)
      const mountFrom = pushedTo.get(group.image.registry) ?? []
      const uploaded = await pushLayout(client, group.image.repository, graph, { mountFrom, retry })
      if (uploaded.digest !== layout.digest) {
        throw new Error(
          `${group.image.name} stored the image as ${uploaded.digest}, not the ${layout.digest} that was built and scanned`
        )
      }
      const blobs = result.blobs as NonNullable<PushResult['blobs']>
      blobs.uploaded += uploaded.blobsUploaded
      blobs.skipped += uploaded.blobsSkipped
      blobs.mounted += uploaded.blobsMounted
      blobs.bytesUploaded += uploaded.bytesUploaded
      pushedTo.set(group.image.registry, [...mountFrom, group.image.repository])
      result.digest = layout.digest
      const tags = group.references.map(({ tag }) => tag)
      await tagLayout(client, group.image.repository, uploaded.manifest, tags, retry)
      result.pushed.push(...group.references.map(({ reference }) => reference))
      result.taggedByApi += tags.length
    }
  } catch (error) {
    result.failed = current
    inReleaseOrder(result.pushed, built.references)
    throw new StepError(
      `${failureMessage(error, current, run)}\nPushed before the failure: ${result.pushed.join(', ') || 'nothing'}`,
      result
    )
  }
  inReleaseOrder(result.pushed, built.references)
  const { uploaded, skipped, mounted, bytesUploaded } = result.blobs as NonNullable<PushResult['blobs']>
  core.info(
    `Pushed ${layout.digest} under ${result.pushed.length} references: ${uploaded} blobs uploaded (${bytesUploaded} bytes), ${skipped} already there, ${mounted} mounted`
  )
  return result
}

/** Why the push failed, with what to do when the registry refused it (registry/refusal-hint.ts). */
function failureMessage(error: unknown, reference: string, run: RunContext): string {
  let image: Pick<ImageName, 'registry' | 'repository'> = run.inputs.image
  try {
    if (reference) image = parseImageReference(reference).image
  } catch {
    // Not a name:tag (the step had not started a reference): the image input's registry.
  }
  return withRefusalFix((error as Error).message, error, image.registry, image.repository)
}

async function pushFromEngine(run: RunContext, built: BuildResult, retry: RetryPolicy): Promise<PushResult> {
  const result: PushResult = { digest: '', pushed: [], taggedByApi: 0 }
  let current = ''
  const limit = registryTimeout(run.inputs.publish.registryTimeout)
  try {
    for (const group of groupByRepository(built.references)) {
      const [first, ...rest] = group.references
      if (!first) continue
      current = first.reference
      const output = await withRetry(`docker push ${first.reference}`, retry, () =>
        run.docker.run(['push', first.reference], { timeout: limit })
      )
      const pushedDigest = digestFromPushOutput(output.stdout)
      if (!pushedDigest) throw new Error(`docker push ${first.reference} succeeded but printed no digest`)
      result.pushed.push(first.reference)
      const client = await run.registries(group.image.registry)
      const manifest = await readBack(client, group, first.tag, pushedDigest, retry)
      if (!result.digest) result.digest = manifest?.digest ?? pushedDigest
      else if ((manifest?.digest ?? pushedDigest) !== result.digest)
        core.warning(
          `${first.reference} was stored as ${manifest?.digest ?? pushedDigest}, not ${result.digest}`
        )
      // The other tags at once: each is one manifest PUT, and none depends on another.
      const tagged = manifest
        ? await Promise.all(
            rest.map(({ tag }) => tagByApi(client, group.image, tag, manifest as Manifest, retry))
          )
        : rest.map(() => false)
      rest.forEach(({ reference }, index) => {
        if (!tagged[index]) return
        result.pushed.push(reference)
        result.taggedByApi++
      })
      for (const [index, { reference }] of rest.entries()) {
        if (tagged[index]) continue
        current = reference
        await withRetry(`docker push ${reference}`, retry, () =>
          run.docker.run(['push', reference], { timeout: limit })
        )
        result.pushed.push(reference)
      }
    }
  } catch (error) {
    result.failed = current
    inReleaseOrder(result.pushed, built.references)
    // Measured on Engine 20.10: stopping docker push does not end the engine's own request.
    const stalled =
      error instanceof ProgramTimeoutError
        ? '\nThe engine keeps waiting on the registry for the upload it started until the registry ends it; a push of the same layers waits behind it.'
        : ''
    throw new StepError(
      `${failureMessage(error, current, run)}${stalled}\nPushed before the failure: ${result.pushed.join(', ') || 'nothing'}`,
      result
    )
  }
  inReleaseOrder(result.pushed, built.references)
  core.info(
    `Pushed ${result.pushed.length} references, ${result.taggedByApi} of them by a manifest PUT; digest ${result.digest}`
  )
  return result
}

/** Sorts the pushed references in place into the order the release lists them. */
function inReleaseOrder(pushed: string[], references: string[]): void {
  pushed.sort((a, b) => references.indexOf(a) - references.indexOf(b))
}

/**
 * The manifest just pushed, read back and hashed. Its digest must be the one `docker push`
 * printed; undefined (with a warning) when the Registry API cannot be used with the credentials
 * found, so the remaining tags fall back to `docker push`.
 */
async function readBack(
  client: RegistryClient,
  group: RepositoryGroup,
  tag: string,
  pushedDigest: string,
  retry: RetryPolicy
): Promise<Manifest | undefined> {
  let manifest: Manifest
  try {
    manifest = await withRetry(`read back ${group.image.name}:${tag}`, retry, () =>
      client.getManifest(group.image.repository, tag)
    )
  } catch (error) {
    core.warning(
      `Could not read ${group.image.name}:${tag} back through the Registry API (${(error as Error).message}): the digest is the one docker push printed, and the other tags are pushed with docker push`
    )
    return undefined
  }
  if (manifest.digest !== pushedDigest) {
    throw new Error(
      `${group.image.name}:${tag} holds ${manifest.digest} in the registry, not the ${pushedDigest} docker push reported: another push raced this one`
    )
  }
  return manifest
}

async function tagByApi(
  client: RegistryClient,
  image: ImageName,
  tag: string,
  manifest: Manifest,
  retry: RetryPolicy
): Promise<boolean> {
  try {
    await withRetry(`tag ${image.name}:${tag}`, retry, () =>
      client.putManifest(image.repository, tag, manifest)
    )
    return true
  } catch (error) {
    // Credentials that may pull but not write manifests through the API, say: docker push can.
    core.warning(
      `Could not tag ${image.name}:${tag} through the Registry API (${(error as Error).message}): pushing the rest with docker push`
    )
    return false
  }
}

export const pushStep: Step<'push', PushResult, undefined, { build?: BuildResult; scan?: ScanResult }> = {
  name: 'push',
  title: 'Push',
  requires: [{ step: 'build', because: 'works on the image the build step makes' }],
  skip: (_inputs, { release }: { release: Release }) =>
    release.pushing.push ? undefined : `Nothing was pushed: ${release.pushing.reason}.`,
  run: async ({ context, earlier }) => {
    if (!earlier.build) throw new Error('push needs the image the build step makes')
    const result = await push(context, earlier.build)
    if (context.inputs.signing.sign === 'off') return result
    try {
      result.signing = await signPushed(context, result.pushed, result.digest, earlier.scan)
    } catch (error) {
      throw new StepError(
        `${(error as Error).message}\nThe image was pushed (${result.digest}) but not signed: a deploy that verifies refuses it.`,
        result
      )
    }
    return result
  },
  report: (result, run) => {
    const rows: [string, string][] = []
    const notes: string[] = []
    const reason = run.release?.pushing.reason
    if (result) {
      rows.push(['Pushed', `${result.pushed.length} of ${run.release?.references.length ?? '?'} references`])
      if (result.digest) rows.push(['Digest', code(result.digest)])
      if (result.signing) {
        rows.push([
          'Signed',
          `${result.signing.signed.map(code).join(' ')}${result.signing.attested ? ', with the scan verdict attested' : ''}`
        ])
      }
      if (result.blobs) {
        const { uploaded, skipped, mounted, bytesUploaded } = result.blobs
        rows.push([
          'Blobs',
          `${uploaded} uploaded (${bytesUploaded} bytes), ${skipped} already in the registry, ${mounted} mounted`
        ])
      }
      if (result.failed) {
        notes.push(
          `Push failed at ${code(result.failed)}; in the registry: ${result.pushed.map(code).join(' ') || 'nothing'}.`
        )
      }
    } else if (reason && !run.release?.pushing.push) rows.push(['Pushed', `no (${reason})`])
    return {
      outputs: {
        digest: result?.digest ?? '',
        'pushed-tags': (result?.pushed ?? []).join('\n')
      },
      rows,
      notes
    }
  }
}
