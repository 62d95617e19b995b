// keep-releases on one host, after a successful deploy: the images of the service's repository
// beyond the N most recent are removed, never the running one, the previous one (what a rollback
// needs) or one any container uses (prunable.ts chooses). Images are removed by their references
// in this repository (`repo:tag`, `repo@digest`), never with --force: the engine refuses to remove
// one a container started using meanwhile, and an image other repositories also name stays.
// "Most recent" is by when the action last deployed an image there: each deploy tags the running
// image again (`repo:version`), which the engine records as its LastTagTime; an image the action
// never deployed counts from its build time (Created). Build time alone misleads: a build cache
// hit, or SOURCE_DATE_EPOCH, gives a new release an old Created.
// Nothing here fails a deploy: every problem comes back as a warning.
import type { DockerCli } from '../../docker/cli.js'
import { bytesFreed, prunableImages, type HostImage } from './prunable.js'

export interface PruneRequest {
  /** The service's repository as the compose file names it, without tag or digest. */
  repository: string
  keepReleases: number
  /** The ID of the image just deployed. */
  runningId: string
  /** `repo:version`, the tag of the release just deployed ('' when deployed by digest alone). */
  deployedTag: string
  /** The reference that ran before this deploy ('' on a first deploy). */
  previousImage: string
}

export interface PruneReport {
  removed: HostImage[]
  /** What the engine reports as the removed images' sizes. */
  bytes: number
  warnings: string[]
}

interface InspectedImage {
  Id?: unknown
  RepoTags?: unknown
  RepoDigests?: unknown
  Created?: unknown
  Size?: unknown
  Metadata?: { LastTagTime?: unknown }
}

const quiet = { quiet: true, allowFailure: true } as const

/** The repository of an image reference: without its digest and tag. */
export function repositoryOf(image: string): string {
  const withoutDigest = image.replace(/@sha256:[0-9a-f]{64}$/, '')
  const colon = withoutDigest.lastIndexOf(':')
  return colon > withoutDigest.lastIndexOf('/') ? withoutDigest.slice(0, colon) : withoutDigest
}

/** `repo:version` of a deployed reference (`repo:version@sha256:...`); '' when it has no tag. */
export function deployedTagOf(image: string): string {
  const withoutDigest = image.replace(/@sha256:[0-9a-f]{64}$/, '')
  return repositoryOf(withoutDigest) === withoutDigest ? '' : withoutDigest
}

/** Removes what keep-releases lets go on the host; a report of what went and what did not. */
export async function pruneReleases(docker: DockerCli, request: PruneRequest): Promise<PruneReport> {
  const report: PruneReport = { removed: [], bytes: 0, warnings: [] }
  if (request.keepReleases <= 0) return report
  const { repository } = request
  if (request.deployedTag) {
    // Marks the running release as the most recently deployed one (its LastTagTime).
    const tagged = await docker.run(['tag', request.runningId, request.deployedTag], quiet)
    if (tagged.exitCode !== 0)
      report.warnings.push(`${request.deployedTag} could not be tagged: ${tagged.stderr.trim()}`)
  }
  const listed = await docker.run(['image', 'ls', '--no-trunc', '--quiet', repository], quiet)
  if (listed.exitCode !== 0)
    throw new Error(`listing the images of ${repository} failed: ${listed.stderr.trim()}`)
  const ids = [
    ...new Set(
      listed.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean)
    )
  ]
  if (ids.length <= request.keepReleases) return report
  const images = await inspectImages(docker, ids, repository)
  const choice = {
    keepReleases: request.keepReleases,
    runningId: request.runningId,
    previousId: request.previousImage ? await previousId(docker, request.previousImage) : undefined,
    inUseIds: await imagesInUse(docker)
  }
  const chosen = new Set(
    prunableImages(
      images.map((entry) => entry.image),
      choice
    ).map((image) => image.id)
  )
  for (const { image, references } of images.filter((entry) => chosen.has(entry.image.id))) {
    const removed = await docker.run(['image', 'rm', ...references], quiet)
    const still = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image.id], quiet)
    if (still.exitCode !== 0 && /No such image/i.test(still.stderr)) {
      report.removed.push(image)
      continue
    }
    const why = removed.exitCode !== 0 ? removed.stderr.trim() : 'other repositories still name it'
    report.warnings.push(`${repository} ${image.release} (${image.id}) was not removed: ${why}`)
  }
  report.removed.sort((a, b) => a.createdMs - b.createdMs)
  report.bytes = bytesFreed(report.removed)
  return report
}

/** Each image with the references that name it in this repository. */
async function inspectImages(
  docker: DockerCli,
  ids: string[],
  repository: string
): Promise<{ image: HostImage; references: string[] }[]> {
  const inspected = await docker.run(['image', 'inspect', '--format', '{{json .}}', ...ids], quiet)
  if (inspected.exitCode !== 0)
    throw new Error(`inspecting the images of ${repository} failed: ${inspected.stderr.trim()}`)
  const strings = (value: unknown): string[] =>
    Array.isArray(value) ? value.filter((item): item is string => typeof item === 'string') : []
  return inspected.stdout
    .split('\n')
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as InspectedImage)
    .flatMap((entry) => {
      const createdMs = Math.max(timeOf(entry.Created), timeOf(entry.Metadata?.LastTagTime))
      if (typeof entry.Id !== 'string' || !Number.isFinite(createdMs)) return []
      const tags = strings(entry.RepoTags).filter((tag) => tag.startsWith(`${repository}:`))
      const digests = strings(entry.RepoDigests).filter((digest) => digest.startsWith(`${repository}@`))
      if (tags.length + digests.length === 0) return []
      const release = releaseName(tags.map((tag) => tag.slice(repository.length + 1)))
      const sizeBytes = typeof entry.Size === 'number' ? entry.Size : 0
      return [{ image: { id: entry.Id, release, createdMs, sizeBytes }, references: [...tags, ...digests] }]
    })
}

/** A time the engine reports, in ms; -Infinity when missing. The zero time (never tagged) is year 1. */
function timeOf(value: unknown): number {
  const ms = typeof value === 'string' ? Date.parse(value) : Number.NaN
  return Number.isNaN(ms) ? -Infinity : ms
}

/**
 * The tag that names the release best: the most specific version (1.2.3 over 1.2 and 1), not
 * latest or sha-*, which move or say little.
 */
export function releaseName(tags: string[]): string {
  const versions = tags.filter((tag) => tag !== 'latest' && !tag.startsWith('sha-'))
  const best = [...versions].sort((a, b) => b.length - a.length || (a < b ? -1 : 1))[0]
  return best ?? tags[0] ?? '<no tag>'
}

/** The previous release's image ID; undefined when the host no longer has it. */
async function previousId(docker: DockerCli, image: string): Promise<string | undefined> {
  const inspected = await docker.run(['image', 'inspect', '--format', '{{.Id}}', image], quiet)
  if (inspected.exitCode === 0) return inspected.stdout.trim()
  if (/No such image/i.test(inspected.stderr)) return undefined
  throw new Error(`inspecting the previous release ${image} failed: ${inspected.stderr.trim()}`)
}

/** The image IDs of every container on the host, running or not, of any project. */
async function imagesInUse(docker: DockerCli): Promise<Set<string>> {
  const listed = await docker.run(['ps', '--all', '--quiet', '--no-trunc'], quiet)
  if (listed.exitCode !== 0) throw new Error(`listing the host's containers failed: ${listed.stderr.trim()}`)
  const ids = listed.stdout
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  if (ids.length === 0) return new Set()
  const inspected = await docker.run(['container', 'inspect', '--format', '{{.Image}}', ...ids], quiet)
  // A container removed since the listing is no longer a user; any other failure is unsure.
  const problems = inspected.stderr
    .split('\n')
    .filter((line) => line.trim() && !/No such container/i.test(line))
  if (inspected.exitCode !== 0 && problems.length > 0)
    throw new Error(`inspecting the host's containers failed: ${problems.join(' ')}`)
  return new Set(
    inspected.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
  )
}

/** `12.3 MB (12345678 bytes)`. */
export function sizeText(bytes: number): string {
  return `${(bytes / 1_000_000).toFixed(1)} MB (${bytes} bytes)`
}

/** The log's line for a host's prune. */
export function pruneMessage(repository: string, where: string, report: PruneReport): string {
  if (report.removed.length === 0) return `keep-releases: no image of ${repository} to remove${where}`
  const list = report.removed.map(
    (image) => `${image.release} (${image.id.replace(/^sha256:/, '').slice(0, 12)})`
  )
  return `keep-releases: removed ${report.removed.length} image(s) of ${repository}${where}: ${list.join(', ')}; ${sizeText(report.bytes)} freed`
}
