// Push: every tag of the built image to the registry, each retried on transient registry errors,
// and the manifest digest the registry answered with.
import * as core from '@actions/core'
import type { RunContext } from '../run-context.js'
import { REGISTRY_RETRY, withRetry, type RetryPolicy } from '../retry.js'
import type { BuildResult } from './build.js'

export interface PushResult {
  /** The manifest digest the registry returned, the same for every tag. */
  digest: string
  pushed: string[]
}

/** `docker push` ends with `<tag>: digest: sha256:<hex> size: <n>`: the registry's answer. */
export function digestFromPushOutput(output: string): string | undefined {
  return /digest: (sha256:[0-9a-f]{64})/.exec(output)?.[1]
}

export async function push(
  run: RunContext,
  built: BuildResult,
  retry: RetryPolicy = REGISTRY_RETRY
): Promise<PushResult> {
  const references = built.references
  const docker = run.docker
  const digests = new Map<string, string>()
  for (const reference of references) {
    const result = await withRetry(`docker push ${reference}`, retry, () => docker.run(['push', reference]))
    const digest = digestFromPushOutput(result.stdout)
    if (!digest) throw new Error(`docker push ${reference} succeeded but printed no digest`)
    digests.set(reference, digest)
  }
  const distinct = new Set(digests.values())
  if (distinct.size > 1) {
    // Only possible if another process retagged the local image between two pushes.
    core.warning(
      `the tags were pushed with different digests: ${[...digests].map(([ref, d]) => `${ref} ${d}`).join(', ')}`
    )
  }
  const digest = digests.get(references[0] as string) as string
  return { digest, pushed: references }
}
