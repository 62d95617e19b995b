// Property-based tests of tag planning (src/release/tags.ts): on any ref, commit and registry tags,
// planTags either gives valid, unique Docker tags that keep its documented promises or throws a plain
// Error with a message of its own, never a crash (TypeError, RangeError, a stack trace, a value
// printed as [object Object]). Also sanitizeTag (src/lib/image-name.ts), which makes the tags of
// branch names.
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import semver from 'semver'
import { readGitHubContext } from '../../../src/github/context.js'
import { sanitizeTag } from '../../../src/lib/image-name.js'
import { planTags, type TagPlan, type TagRequest } from '../../../src/release/tags.js'
import { anyText, FORBIDDEN } from '../../support/arbitraries.js'
import { attempt, expectPlainError, tally } from '../../support/property-checks.js'

/** Docker's tag grammar (distribution/reference). */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

const hex = (length: number) =>
  fc.string({ unit: fc.constantFrom(...'0123456789abcdefABCDEF'), minLength: length, maxLength: length })
const prNumber = fc.integer({ min: 1, max: 2 ** 31 - 1 })
/**
 * Identifiers of a semver prerelease or build, some long: a version over a Docker tag's 128
 * characters is refused, naming the ref and the limit.
 */
const identifier = fc.oneof(
  fc.stringMatching(/^[0-9A-Za-z-]{1,12}$/),
  fc.nat({ max: 99999 }).map(String),
  fc.integer({ min: 1, max: 35 }).map((length) => 'r'.repeat(length)),
  fc.integer({ min: 36, max: 130 }).map((length) => 'r'.repeat(length))
)
const versionText = fc
  .tuple(
    fc.constantFrom('', 'v', 'V'),
    fc.nat({ max: 30 }),
    fc.nat({ max: 30 }),
    fc.nat({ max: 30 }),
    fc.array(identifier, { maxLength: 3 }),
    fc.array(identifier, { maxLength: 2 })
  )
  .map(
    ([v, major, minor, patch, pre, build]) =>
      `${v}${major}.${minor}.${patch}${pre.length ? `-${pre.join('.')}` : ''}${build.length ? `+${build.join('.')}` : ''}`
  )

/** GitHub's environment for a run: ref, event and commit; the context is read from it. */
/** Stable versions from a small range, so that releases and registry tags meet. */
const stableVersion = fc
  .tuple(fc.constantFrom('', 'v'), fc.nat({ max: 3 }), fc.nat({ max: 3 }), fc.nat({ max: 3 }))
  .map(([v, major, minor, patch]) => `${v}${major}.${minor}.${patch}`)

const runEnv = fc.oneof(
  {
    arbitrary: fc.record({
      GITHUB_REF: stableVersion.map((version) => `refs/tags/${version}`),
      GITHUB_EVENT_NAME: fc.constantFrom('push', 'release')
    }),
    weight: 5
  },
  // Releases whose version may be over a Docker tag's 128 characters (semver allows 256).
  fc.record({
    GITHUB_REF: fc
      .tuple(stableVersion, fc.integer({ min: 100, max: 250 }))
      .map(([version, length]) => `refs/tags/${version}-${'r'.repeat(length)}`),
    GITHUB_EVENT_NAME: fc.constantFrom('push', 'release')
  }),
  fc.record({
    GITHUB_REF: fc.oneof(versionText, anyText).map((tag) => `refs/tags/${tag}`),
    GITHUB_EVENT_NAME: fc.constantFrom('push', 'release', 'workflow_dispatch')
  }),
  fc.record({
    GITHUB_REF: anyText.map((branch) => `refs/heads/${branch}`),
    GITHUB_EVENT_NAME: fc.constantFrom('push', 'workflow_dispatch', 'schedule')
  }),
  fc.record({
    GITHUB_REF: prNumber.map((n) => `refs/pull/${n}/merge`),
    GITHUB_EVENT_NAME: fc.constantFrom('pull_request', 'pull_request_target')
  }),
  fc.record({
    GITHUB_REF: fc
      .tuple(anyText, prNumber, hex(40))
      .map(([base, n, sha]) => `refs/heads/gh-readonly-queue/${base}/pr-${n}-${sha.toLowerCase()}`),
    GITHUB_EVENT_NAME: fc.constant('merge_group')
  }),
  fc.record({ GITHUB_REF: anyText, GITHUB_EVENT_NAME: anyText })
)

const tagRequest: fc.Arbitrary<TagRequest> = fc
  .record({
    env: runEnv,
    sha: fc.oneof(hex(40), anyText),
    tagSha: fc.boolean(),
    tagLatest: fc.constantFrom('auto', 'true', 'false') as fc.Arbitrary<TagRequest['tagLatest']>,
    // The tags input gives only valid tags (getInputs checks them).
    extraTags: fc.array(fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/), { maxLength: 4 })
  })
  .map(({ env, sha, tagSha, tagLatest, extraTags }) => ({
    github: readGitHubContext({ ...env, GITHUB_SHA: sha }),
    tagSha,
    tagLatest,
    extraTags
  }))

const existingTags = fc.oneof(
  { arbitrary: fc.constant('unknown' as const), weight: 1 },
  {
    arbitrary: fc.array(
      fc.oneof(
        stableVersion,
        stableVersion,
        versionText,
        anyText,
        fc.constantFrom('latest', '1', '1.2', 'v2.0.0')
      ),
      { maxLength: 6 }
    ),
    weight: 4
  }
)

/** The semver release a tag ref names (refs/tags/v1.2.3 or refs/tags/1.2.3), as semver reads it. */
function releaseOfRef(ref: string): semver.SemVer | null {
  const match = /^refs\/tags\/(.+)$/.exec(ref)
  return match ? semver.parse((match[1] as string).replace(/^v/i, '')) : null
}

/** The stable versions among the registry's tags that are newer than the release. */
function newerStable(existing: string[], release: semver.SemVer): semver.SemVer[] {
  return existing
    .map((tag) => semver.parse(tag.replace(/^v/i, '')))
    .filter((v): v is semver.SemVer => v !== null && v.prerelease.length === 0 && semver.gt(v, release))
}

describe('planTags on arbitrary refs and registry tags', () => {
  it('gives valid, unique Docker tags with the version first, or says no tag could be computed', () => {
    const runs = tally()
    fc.assert(
      fc.property(tagRequest, existingTags, (request, existing) => {
        const outcome = attempt(() => planTags(request, existing))
        if (!outcome.ok) {
          const release = releaseOfRef(request.github.ref)
          if (release && release.version.length > 128) {
            runs.add('too long')
            expectPlainError(
              outcome.error,
              /^the version "[0-9A-Za-z.-]+" of refs\/tags\/.* is \d+ characters long; Docker tags hold at most 128/s
            )
            expect((outcome.error as Error).message).toContain(
              `"${release.version}" of ${request.github.ref} is ${release.version.length} characters long`
            )
            return
          }
          runs.add('refused')
          expectPlainError(outcome.error, /^no tag could be computed for ref /)
          expect(request.extraTags).toEqual([])
          return
        }
        const plan: TagPlan = outcome.value
        runs.add('planned')
        if (plan.withheld.length > 0) runs.add('withheld')
        expect(plan.tags[0]).toBe(plan.version)
        expect(new Set(plan.tags).size).toBe(plan.tags.length)
        for (const tag of plan.tags) expect(tag).toMatch(DOCKER_TAG)
        for (const tag of request.extraTags) expect(plan.tags).toContain(tag)
        for (const { tag, reason } of plan.withheld) {
          // A withheld alias is not pushed, unless the tags input asks for that tag itself.
          if (!request.extraTags.includes(tag)) expect(plan.tags).not.toContain(tag)
          expect(reason).not.toMatch(FORBIDDEN)
        }
        const sha = request.github.tagSha
        if (request.tagSha && /^[0-9a-f]{7,}$/i.test(sha)) {
          expect(plan.tags).toContain(`sha-${sha.slice(0, 7).toLowerCase()}`)
        }
        if (plan.release) {
          expect(plan.version).toBe(plan.release.version)
          // latest (auto) moves only forward: never past a newer stable release in the registry.
          if (
            plan.release.prerelease.length === 0 &&
            request.tagLatest === 'auto' &&
            !request.extraTags.includes('latest')
          ) {
            runs.add(plan.tags.includes('latest') ? 'latest moved' : 'latest kept')
            const blocked = existing === 'unknown' || newerStable(existing, plan.release).length > 0
            expect(plan.tags.includes('latest')).toBe(!blocked)
          }
        }
      }),
      { numRuns: 500 }
    )
    for (const what of ['planned', 'withheld', 'latest moved', 'latest kept'])
      expect(runs.count(what)).toBeGreaterThan(10)
    expect(runs.count('refused')).toBeGreaterThan(0)
    expect(runs.count('too long')).toBeGreaterThan(0)
  })

  // A release tag whose semver prerelease is long (semver allows 256 characters) could name a
  // version over Docker's 128, e.g. refs/tags/0.0.0-<124 x r> (130 characters), which docker tag
  // refuses: it is refused before the build, naming the ref and the limit, not cut short (a
  // shorter tag would name another version).
  it('a long semver prerelease gives a valid Docker tag or is refused naming the ref and the limit', () => {
    const runs = tally()
    fc.assert(
      fc.property(fc.integer({ min: 100, max: 240 }), fc.constantFrom('', 'v'), (length, v) => {
        const ref = `refs/tags/${v}0.0.0-${'r'.repeat(length)}`
        const version = `0.0.0-${'r'.repeat(length)}`
        const outcome = attempt(() =>
          planTags(
            {
              github: { eventName: 'push', ref, tagSha: '' },
              tagSha: false,
              tagLatest: 'auto',
              extraTags: []
            },
            []
          )
        )
        if (version.length <= 128) {
          runs.add('planned')
          expect(outcome.ok && outcome.value.version).toBe(version)
          if (outcome.ok) for (const tag of outcome.value.tags) expect(tag).toMatch(DOCKER_TAG)
        } else {
          runs.add('refused')
          expect(outcome.ok).toBe(false)
          if (!outcome.ok) {
            expectPlainError(outcome.error)
            expect((outcome.error as Error).message).toBe(
              `the version "${version}" of ${ref} is ${version.length} characters long; Docker tags hold at most 128: release it under a shorter tag`
            )
          }
        }
      }),
      { numRuns: 100 }
    )
    expect(runs.count('planned')).toBeGreaterThan(0)
    expect(runs.count('refused')).toBeGreaterThan(0)
  })

  it('sanitizeTag turns any text into a valid tag or nothing', () => {
    fc.assert(
      fc.property(fc.oneof(anyText, fc.string({ minLength: 100, maxLength: 400 })), (text) => {
        const tag = sanitizeTag(text)
        expect(tag === '' || DOCKER_TAG.test(tag)).toBe(true)
      }),
      { numRuns: 300 }
    )
  })
})
