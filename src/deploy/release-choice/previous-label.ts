// Where a rollback learns what ran before: every container a Compose rollout starts carries a
// label naming the image of the release it replaces, by digest. The next `rollback: true` reads
// it from the running containers (the host's own record, not a guess from the registry's tags).
// The label goes on through a small compose file of the action's, added after the user's files
// for the scale-up only, outside the workspace.
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { DockerCli } from '../../docker/cli.js'
import type { ContainerState } from '../compose/containers.js'

export const PREVIOUS_IMAGE_LABEL = 'com.container-ship.previous-image'

const PINNED = /@sha256:[0-9a-f]{64}$/

/** The characters and length of an image reference (name, tag, digest). */
const REFERENCE_TEXT = /^[A-Za-z0-9][A-Za-z0-9._:/@-]{0,400}$/

/**
 * The reference `image` ran by, as a digest reference: itself when pinned (what the action
 * deploys), else `image@<digest>` from the image's RepoDigests of the same repository;
 * undefined when neither says.
 */
export function digestReference(image: string, repoDigests: readonly string[]): string | undefined {
  if (PINNED.test(image)) return image
  const tagAt = image.lastIndexOf(':')
  const repository = tagAt > image.lastIndexOf('/') ? image.slice(0, tagAt) : image
  const digest = repoDigests
    .map((entry) => /^(.+)@(sha256:[0-9a-f]{64})$/.exec(entry))
    .find((match) => match?.[1] === repository)?.[2]
  return digest ? `${image}@${digest}` : undefined
}

/** A compose file (JSON is YAML) that puts the label on `service`'s containers. */
export function labelOverride(service: string, previous: string): string {
  return `${JSON.stringify({ services: { [service]: { labels: { [PREVIOUS_IMAGE_LABEL]: previous } } } }, null, 2)}\n`
}

/** The digest reference of the release the old containers run; undefined on a first deploy. */
export async function previousReference(
  docker: DockerCli,
  old: Pick<ContainerState, 'image' | 'imageId'> | undefined
): Promise<string | undefined> {
  if (!old) return undefined
  if (PINNED.test(old.image)) return old.image
  const inspected = await docker.run(['image', 'inspect', '--format', '{{json .RepoDigests}}', old.imageId], {
    quiet: true,
    allowFailure: true
  })
  let repoDigests: unknown
  try {
    repoDigests = JSON.parse(inspected.stdout.trim() || '[]')
  } catch {
    repoDigests = []
  }
  return digestReference(
    old.image,
    Array.isArray(repoDigests) ? repoDigests.filter((entry) => typeof entry === 'string') : []
  )
}

/**
 * Runs `scaleUp` with the label file among the compose files (`files` when there is nothing to
 * record: a first deploy, or an old image the engine knows no digest of); the file is removed after.
 */
export async function withPreviousLabel<T>(
  service: string,
  previous: string | undefined,
  scaleUp: (extraFiles: string[]) => Promise<T>
): Promise<T> {
  if (!previous) return scaleUp([])
  const dir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'container-ship-labels-'))
  try {
    const file = path.join(dir, 'previous-release.yml')
    writeFileSync(file, labelOverride(service, previous), { mode: 0o600 })
    return await scaleUp([file])
  } finally {
    rmSync(dir, { recursive: true, force: true })
  }
}

/**
 * What the running containers of the service record as the release before theirs: undefined
 * when none records one; an error when they record different ones (an unfinished rollout).
 */
export function recordedPrevious(
  labels: readonly (Record<string, string> | undefined)[]
): string | undefined {
  const values = [...new Set(labels.map((entry) => entry?.[PREVIOUS_IMAGE_LABEL] ?? ''))]
  // Quoted in messages only once it looks like an image reference: the host's text stays inert.
  if (values.some((value) => value !== '' && !REFERENCE_TEXT.test(value)))
    throw new Error(`a container's ${PREVIOUS_IMAGE_LABEL} label is not an image reference`)
  if (values.length > 1)
    throw new Error(
      `its containers record different releases before theirs (${values.map((value) => value || 'none').join(', ')}): an earlier rollout did not finish`
    )
  return values[0] || undefined
}

/** The labels of the service's running containers on a host. */
export async function runningLabels(
  docker: DockerCli,
  project: string,
  service: string,
  list: (project: string, service: string) => Promise<string[]>
): Promise<Record<string, string>[]> {
  const ids = await list(project, service)
  if (ids.length === 0) return []
  const result = await docker.run(['container', 'inspect', '--format', '{{json .Config.Labels}}', ...ids], {
    quiet: true
  })
  return result.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => (JSON.parse(line) as Record<string, string> | null) ?? {})
}
