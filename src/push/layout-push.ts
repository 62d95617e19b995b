// Pushing an OCI image layout with the action's own registry client, byte for byte: the build's
// image index, with its platform images and attestation manifests, arrives in the registry with
// the digest it has on disk (a `docker push` of an image loaded into the engine would re-encode
// it, and cannot push an index at all). Blobs first (each once, a few at a time, skipped when the
// registry has them, mounted from a sibling repository when it can), then the manifests children
// first, each by digest, and the index last: a registry refuses a manifest naming what it lacks.
import type { Manifest, RegistryClient } from '../registry/api.js'
import { REGISTRY_RETRY, withRetry, type RetryPolicy } from '../program/retry.js'
import { mapLimit } from '../lib/map-limit.js'
import {
  LayoutError,
  openCheckedBlob,
  type LayoutBlob,
  type LayoutGraph,
  type LayoutManifest
} from '../oci/layout.js'

export const DEFAULT_PUSH_CONCURRENCY = 4

export interface LayoutPushOptions {
  /** Blobs in flight at once; default DEFAULT_PUSH_CONCURRENCY. */
  concurrency?: number
  /** Repositories of the same registry a missing blob may be mounted from, tried in order. */
  mountFrom?: string[]
  retry?: RetryPolicy
}

export interface LayoutPushResult {
  /** The digest of what index.json names (the image index), as the registry stored it. */
  digest: string
  /** That manifest's bytes and type: what tagLayout puts under each tag. */
  manifest: Manifest
  blobsUploaded: number
  /** Blobs the registry had already. */
  blobsSkipped: number
  /** Blobs linked from a `mountFrom` repository instead of uploaded. */
  blobsMounted: number
  bytesUploaded: number
  /** Manifests and indexes put by digest, the root included. */
  manifestsPut: number
}

type BlobOutcome = 'uploaded' | 'skipped' | 'mounted'

/**
 * Pushes the graph readLayoutGraph read (one root in index.json) into `repository` and returns
 * the root's digest and what was sent. A blob whose bytes do not hash to its digest fails the
 * push before it is uploaded.
 */
export async function pushLayout(
  client: RegistryClient,
  repository: string,
  layout: LayoutGraph,
  options: LayoutPushOptions = {}
): Promise<LayoutPushResult> {
  const retry = options.retry ?? REGISTRY_RETRY
  const [root, ...others] = layout.roots
  if (!root || others.length > 0)
    throw new LayoutError(
      `${layout.dir}/index.json names ${layout.roots.length} manifests: a push takes exactly one`
    )
  const mountFrom = (options.mountFrom ?? []).filter((from) => from !== repository)
  const outcomes = await mapLimit(layout.blobs, options.concurrency ?? DEFAULT_PUSH_CONCURRENCY, (blob) =>
    pushBlob(client, repository, layout.dir, blob, mountFrom, retry)
  )
  const uploaded = layout.blobs.filter((_, index) => outcomes[index] === 'uploaded')

  // Children before parents (a registry refuses an index naming a manifest it lacks): level by
  // level, each level's manifests at once (the platforms' and the attestations', then the index).
  let manifest: Manifest | undefined
  for (const level of manifestLevels(layout.manifests)) {
    await mapLimit(level, options.concurrency ?? DEFAULT_PUSH_CONCURRENCY, async (child) => {
      const sent = asManifest(child)
      await withRetry(`put the manifest ${repository}@${child.digest}`, retry, () =>
        client.putManifest(repository, child.digest, sent)
      )
      if (child.digest === root.digest) manifest = sent
    })
  }
  if (!manifest)
    throw new LayoutError(`${root.digest}, named by index.json, was not among the manifests read`)
  return {
    digest: manifest.digest,
    manifest,
    blobsUploaded: uploaded.length,
    blobsSkipped: outcomes.filter((outcome) => outcome === 'skipped').length,
    blobsMounted: outcomes.filter((outcome) => outcome === 'mounted').length,
    bytesUploaded: uploaded.reduce((sum, blob) => sum + blob.size, 0),
    manifestsPut: layout.manifests.length
  }
}

/**
 * The manifests in levels: the first names no other manifest, each later one only manifests of
 * the levels before it. `manifests` comes children first (readLayoutGraph), so one pass does.
 */
export function manifestLevels(manifests: readonly LayoutManifest[]): LayoutManifest[][] {
  const levelOf = new Map<string, number>()
  const levels: LayoutManifest[][] = []
  for (const manifest of manifests) {
    const children = namedManifests(manifest.body).filter((digest) => levelOf.has(digest))
    const level =
      children.length === 0 ? 0 : 1 + Math.max(...children.map((digest) => levelOf.get(digest) ?? 0))
    levelOf.set(manifest.digest, level)
    ;(levels[level] ??= []).push(manifest)
  }
  return levels.filter(Boolean)
}

/** The digests an index's `manifests` names (none for an image manifest). */
function namedManifests(body: Buffer): string[] {
  const parsed = JSON.parse(body.toString('utf8')) as { manifests?: { digest?: unknown }[] }
  return Array.isArray(parsed.manifests)
    ? parsed.manifests
        .map((entry) => entry.digest)
        .filter((digest): digest is string => typeof digest === 'string')
    : []
}

/**
 * Points each tag at the pushed index (one manifest PUT each, all at once); returns the tags
 * in the order given.
 */
export async function tagLayout(
  client: RegistryClient,
  repository: string,
  manifest: Manifest,
  tags: string[],
  retry: RetryPolicy = REGISTRY_RETRY
): Promise<string[]> {
  await mapLimit(tags, DEFAULT_PUSH_CONCURRENCY, (tag) =>
    withRetry(`tag ${repository}:${tag}`, retry, () => client.putManifest(repository, tag, manifest))
  )
  return tags
}

async function pushBlob(
  client: RegistryClient,
  repository: string,
  layoutDir: string,
  blob: LayoutBlob,
  mountFrom: string[],
  retry: RetryPolicy
): Promise<BlobOutcome> {
  const { digest, size } = blob
  if (
    await withRetry(`check for ${digest} in ${repository}`, retry, () => client.hasBlob(repository, digest))
  )
    return 'skipped'
  // A refused mount opens an upload session: used for the upload, or ended before the next try.
  let session: string | undefined
  for (const from of mountFrom) {
    if (session) await cancelQuietly(client, repository, session)
    const mount = await withRetry(`mount ${digest} from ${from} into ${repository}`, retry, () =>
      client.mountBlob(repository, digest, from)
    )
    if (mount.mounted) return 'mounted'
    session = mount.location
  }
  // Checked as it is sent (openCheckedBlob), outside the retries: bytes that are not what they
  // are named fail the push and are never retried; their upload never completes.
  await withRetry(`upload ${digest} to ${repository}`, retry, () => {
    // A session serves one attempt: a retry starts a fresh one.
    const opened = session
    session = undefined
    return client.uploadBlob(repository, digest, size, () => openCheckedBlob(layoutDir, blob), opened)
  })
  return 'uploaded'
}

/** An upload session left open only costs the registry until it expires it: a failed DELETE is no failure. */
async function cancelQuietly(client: RegistryClient, repository: string, location: string): Promise<void> {
  await client.cancelUpload(repository, location).catch(() => undefined)
}

function asManifest(manifest: LayoutManifest): Manifest {
  return { body: manifest.body, mediaType: manifest.mediaType, digest: manifest.digest }
}
