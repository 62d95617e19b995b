// Which of the service's images on a host a prune may remove.
// Pure: the caller lists the images of the service's repository with when each was created on
// the host, and the image IDs a rollback or any container still needs.

export interface HostImage {
  /** Image ID as the engine reports it (what `docker image rm` is given). */
  id: string
  /** The release (tag) this image was deployed as; for the report only, never for ordering. */
  release: string
  /** When the image came to the host, in ms since the epoch. */
  createdMs: number
  sizeBytes: number
}

export interface PruneChoice {
  /** How many of the most recent releases to keep; 0 keeps all. */
  keepReleases: number
  /** The running image's ID and the previous one (what a rollback would use). */
  runningId?: string
  previousId?: string
  /** IDs any container (of any project) still uses, running or not. */
  inUseIds: ReadonlySet<string>
}

/** The images to remove, oldest first; never the running, the previous, or one in use. */
export function prunableImages(images: readonly HostImage[], choice: PruneChoice): HostImage[] {
  if (choice.keepReleases <= 0) return []
  const newestFirst = [...images].sort((a, b) => b.createdMs - a.createdMs)
  const protectedIds = new Set<string>(choice.inUseIds)
  if (choice.runningId !== undefined) protectedIds.add(choice.runningId)
  if (choice.previousId !== undefined) protectedIds.add(choice.previousId)
  // One ID can carry several tags: count releases by distinct image.
  const seen = new Set<string>()
  const remove: HostImage[] = []
  for (const image of newestFirst) {
    if (seen.has(image.id)) continue
    seen.add(image.id)
    if (seen.size <= choice.keepReleases) continue
    if (!protectedIds.has(image.id)) remove.push(image)
  }
  return remove.reverse()
}

/** Bytes a removal frees, for the summary. */
export function bytesFreed(removed: readonly HostImage[]): number {
  return removed.reduce((sum, image) => sum + image.sizeBytes, 0)
}
