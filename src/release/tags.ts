// Which tags an image gets, from the git ref, the event and (for the moving aliases) the tags the
// registry already holds; and which full references of the tags input keep their moving alias.
// Pure: every input is passed in.
import semver, { type SemVer } from 'semver'
import type { GitHubContext } from '../github/context.js'
import { sanitizeTag, sameRepository, type ImageName, type ImageReference } from '../lib/image-name.js'

export type TagLatest = 'auto' | 'true' | 'false'

/** The longest tag Docker takes (distribution/reference: [A-Za-z0-9_][A-Za-z0-9_.-]{0,127}). */
const MAX_TAG_LENGTH = 128

export interface TagRequest {
  github: Pick<GitHubContext, 'eventName' | 'ref' | 'tagSha' | 'pullRequestNumber' | 'mergeGroup'>
  tagSha: boolean
  tagLatest: TagLatest
  extraTags: string[]
}

export interface TagPlan {
  /** The primary, immutable tag: the release version, else sha-<7 hex>, else the ref tag. */
  version: string
  /** Every tag, the version first, without duplicates. */
  tags: string[]
  /** The stable release this ref is, when it is one: its aliases only move forward. */
  release?: SemVer
  /** Aliases left where they are, with the reason (for the log). */
  withheld: { tag: string; reason: string }[]
}

/**
 * Tags in the registry before this push. `unknown` when they could not be read: then the
 * forward-only aliases are withheld rather than risk moving them back.
 */
export type ExistingTags = string[] | 'unknown'

/** Whether the plan for this request depends on the registry's tags (a stable release). */
export function needsExistingTags(request: TagRequest): boolean {
  const release = releaseOf(request.github.ref)
  return release !== undefined && release.prerelease.length === 0
}

export function planTags(request: TagRequest, existing: ExistingTags = []): TagPlan {
  const tags: string[] = []
  const withheld: TagPlan['withheld'] = []
  const { github } = request
  const shaTag =
    request.tagSha && /^[0-9a-f]{7,}$/i.test(github.tagSha)
      ? `sha-${github.tagSha.slice(0, 7).toLowerCase()}`
      : undefined
  const release = releaseOf(github.ref)
  let version: string | undefined

  if (release) {
    // As docker/metadata-action's {{version}}: build metadata (+build.7) is not part of the tag,
    // so the tag still reads back as the release it is, never as a prerelease.
    version = release.version
    // Semver allows a long prerelease; cutting it short would name another version, so refuse.
    if (version.length > MAX_TAG_LENGTH) {
      throw new Error(
        `the version "${version}" of ${github.ref} is ${version.length} characters long; Docker tags hold at most ${MAX_TAG_LENGTH}: release it under a shorter tag`
      )
    }
    tags.push(version)
    if (release.prerelease.length === 0) {
      const candidates = forwardOnlyAliases(release, request.tagLatest)
      for (const alias of candidates) {
        const blocker = newerInLine(alias, release, existing)
        if (blocker) withheld.push({ tag: alias.tag, reason: blocker })
        else tags.push(alias.tag)
      }
    } else if (request.tagLatest === 'true') {
      tags.push('latest')
    }
  } else {
    const refTag = refToTag(request)
    if (refTag) tags.push(refTag)
    if (request.tagLatest === 'true') tags.push('latest')
    version = shaTag ?? refTag
  }
  if (shaTag) tags.push(shaTag)
  tags.push(...request.extraTags)

  const unique = [...new Set(tags)]
  version ??= unique[0]
  if (!version) {
    throw new Error(
      `no tag could be computed for ref "${github.ref}" (event ${github.eventName}): set the tags input`
    )
  }
  return { version, tags: [version, ...unique.filter((tag) => tag !== version)], release, withheld }
}

/** The semver release a ref names: refs/tags/v1.2.3 or refs/tags/1.2.3. */
export function releaseOf(ref: string): SemVer | undefined {
  const match = /^refs\/tags\/(.+)$/.exec(ref)
  if (!match) return undefined
  return semver.parse((match[1] as string).replace(/^v/i, '')) ?? undefined
}

interface Alias {
  tag: string
  /**
   * Which existing versions share the alias (same major, same major and minor, or all); an
   * alias without a line always moves (`tag-latest: true`).
   */
  sameLine?: (other: SemVer) => boolean
}

function forwardOnlyAliases(release: SemVer, tagLatest: TagLatest): Alias[] {
  const aliases: Alias[] = [
    {
      tag: `${release.major}.${release.minor}`,
      sameLine: (o) => o.major === release.major && o.minor === release.minor
    }
  ]
  // A `0` alias would promise a compatibility that 0.x releases do not give.
  if (release.major > 0) aliases.push({ tag: `${release.major}`, sameLine: (o) => o.major === release.major })
  if (tagLatest === 'auto') aliases.push({ tag: 'latest', sameLine: () => true })
  if (tagLatest === 'true') aliases.push({ tag: 'latest' })
  return aliases
}

function newerInLine(alias: Alias, release: SemVer, existing: ExistingTags): string | undefined {
  const sameLine = alias.sameLine
  if (!sameLine) return undefined
  if (existing === 'unknown') return "the registry's tags could not be read"
  const newer = existing
    .map((tag) => semver.parse(tag.replace(/^v/i, '')))
    .filter((v): v is SemVer => v !== null && v.prerelease.length === 0 && sameLine(v))
    .filter((v) => semver.gt(v, release))
    .sort(semver.rcompare)[0]
  return newer ? `the registry already has ${newer.version}, newer than ${release.version}` : undefined
}

/** The aliases among one repository's full references, and the release they would point at. */
export interface ReferenceAliasCheck {
  /** The repository whose tags decide. */
  image: ImageName
  release: SemVer
  aliases: ImageReference[]
}

/**
 * The repositories whose tags must be read before the full references of the tags input are
 * pushed: those with a `latest`, `1` or `1.2` reference and a stable release to compare it with,
 * the run's own, else the highest `x.y.z` tag given in that repository. Without a release the
 * aliases are pushed as given (the same as `tag-latest: true`).
 */
export function referenceAliasChecks(
  references: ImageReference[],
  runRelease: SemVer | undefined
): ReferenceAliasCheck[] {
  const checks: ReferenceAliasCheck[] = []
  for (const reference of references) {
    if (!referenceAliasLine(reference.tag)) continue
    let check = checks.find((c) => sameRepository(c.image, reference.image))
    if (!check) {
      const release = stableReleaseFor(reference.image, references, runRelease)
      if (!release) continue
      check = { image: reference.image, release, aliases: [] }
      checks.push(check)
    }
    check.aliases.push(reference)
  }
  return checks
}

export interface ReferencePlan {
  /** The references to push, in the order given. */
  references: ImageReference[]
  /** Alias references left where they are, with the reason (for the log and the summary). */
  withheld: { reference: ImageReference; reason: string }[]
}

/**
 * The full references of the tags input under the forward-only rule: an alias reference is
 * withheld when its repository already holds a newer stable release in the alias's line, or when
 * that repository's tags could not be read.
 */
export function planReferences(
  references: ImageReference[],
  runRelease: SemVer | undefined,
  existingOf: (image: ImageName) => ExistingTags
): ReferencePlan {
  const blockers = new Map<ImageReference, string>()
  for (const check of referenceAliasChecks(references, runRelease)) {
    const existing = existingOf(check.image)
    for (const reference of check.aliases) {
      const alias: Alias = { tag: reference.tag, sameLine: referenceAliasLine(reference.tag) }
      const blocker = newerInLine(alias, check.release, existing)
      if (blocker) blockers.set(reference, blocker)
    }
  }
  return {
    references: references.filter((reference) => !blockers.has(reference)),
    withheld: [...blockers].map(([reference, reason]) => ({ reference, reason }))
  }
}

/** The versions a moving alias tag stands for (`latest`: all; `1`: 1.x.y; `1.2`: 1.2.z). */
function referenceAliasLine(tag: string): Alias['sameLine'] {
  if (tag === 'latest') return () => true
  const major = /^(\d+)$/.exec(tag)
  if (major) return (o) => o.major === Number(major[1])
  const minor = /^(\d+)\.(\d+)$/.exec(tag)
  if (minor) return (o) => o.major === Number(minor[1]) && o.minor === Number(minor[2])
  return undefined
}

function stableReleaseFor(
  image: ImageName,
  references: ImageReference[],
  runRelease: SemVer | undefined
): SemVer | undefined {
  if (runRelease && runRelease.prerelease.length === 0) return runRelease
  // Several versions in one repository tag the same image: it is the highest of them.
  return references
    .filter((reference) => sameRepository(reference.image, image))
    .map((reference) => semver.parse(reference.tag.replace(/^v/i, '')))
    .filter((v): v is SemVer => v !== null && v.prerelease.length === 0)
    .sort(semver.rcompare)[0]
}

function refToTag({ github }: TagRequest): string | undefined {
  if (github.pullRequestNumber !== undefined) return `pr-${github.pullRequestNumber}`
  if (github.mergeGroup) {
    const { baseBranch, pullRequestNumber } = github.mergeGroup
    const queued = pullRequestNumber === undefined ? '' : `-pr-${pullRequestNumber}`
    return sanitizeTag(`mq-${baseBranch}${queued}`) || undefined
  }
  const match = /^refs\/(heads|tags)\/(.+)$/.exec(github.ref)
  if (!match) return undefined
  return sanitizeTag(match[2] as string) || undefined
}
