import { describe, expect, it, test } from '@jest/globals'
import { SemVer } from 'semver'
import { readGitHubContext } from '../../../src/github/context.js'
import { parseImageReference, type ImageName, type ImageReference } from '../../../src/lib/image-name.js'
import {
  needsExistingTags,
  planReferences,
  planTags,
  referenceAliasChecks,
  type ExistingTags,
  type TagRequest
} from '../../../src/release/tags.js'
import { eventEnv, type EventFixture } from '../../../__fixtures__/events.js'

const SHA = '0123456789abcdef0123456789abcdef01234567'
type Over = Partial<Omit<TagRequest, 'github'>> &
  Partial<Omit<TagRequest['github'], 'tagSha'>> & {
    /** The commit the sha tag names (github.tagSha). */
    sha?: string
  }
const req = ({ tagSha, tagLatest, extraTags, sha, ...github }: Over): TagRequest => ({
  github: { eventName: 'push', ref: '', tagSha: sha ?? SHA, ...github },
  tagSha: tagSha ?? true,
  tagLatest: tagLatest ?? 'auto',
  extraTags: extraTags ?? []
})

describe('tags from the ref', () => {
  test.each([
    ['a stable release', 'refs/tags/v1.2.3', '1.2.3', ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']],
    ['a release without v', 'refs/tags/2.0.0', '2.0.0', ['2.0.0', '2.0', '2', 'latest', 'sha-0123456']],
    [
      'a prerelease: only its full version',
      'refs/tags/v1.2.3-rc.1',
      '1.2.3-rc.1',
      ['1.2.3-rc.1', 'sha-0123456']
    ],
    ['major 0: no 0 alias', 'refs/tags/v0.4.1', '0.4.1', ['0.4.1', '0.4', 'latest', 'sha-0123456']],
    [
      'build metadata is dropped, as metadata-action does',
      'refs/tags/v1.0.0+build.7',
      '1.0.0',
      ['1.0.0', '1.0', '1', 'latest', 'sha-0123456']
    ],
    ['a tag that is not semver', 'refs/tags/release-2024', 'sha-0123456', ['sha-0123456', 'release-2024']],
    [
      'a branch, sanitised',
      'refs/heads/feature/Login-Form',
      'sha-0123456',
      ['sha-0123456', 'feature-Login-Form']
    ],
    ['a branch with odd characters', 'refs/heads/-fix#12@home', 'sha-0123456', ['sha-0123456', 'fix-12-home']]
  ])('%s (%s)', (_name, ref, version, tags) => {
    const plan = planTags(req({ ref }))
    expect(plan.version).toBe(version)
    expect(plan.tags).toEqual(tags)
  })

  it('gives pr-N for a pull request, whatever its ref', () => {
    const plan = planTags(
      req({ eventName: 'pull_request', ref: 'refs/pull/42/merge', pullRequestNumber: 42 })
    )
    expect(plan.tags).toEqual(['sha-0123456', 'pr-42'])
  })

  it('never lets an older release take latest after a release with build metadata', () => {
    // v2.0.0+build.7 was pushed as 2.0.0, which reads back as the stable 2.0.0.
    expect(planTags(req({ ref: 'refs/tags/v2.0.0+build.7' })).version).toBe('2.0.0')
    const plan = planTags(req({ ref: 'refs/tags/v1.9.0' }), ['2.0.0', '2.0', '2', 'latest'])
    expect(plan.tags).toEqual(['1.9.0', '1.9', '1', 'sha-0123456'])
    expect(plan.withheld.map((w) => w.tag)).toEqual(['latest'])
  })

  it('leaves out the sha tag when tag-sha is false, and the ref tag becomes the version', () => {
    const plan = planTags(req({ ref: 'refs/heads/main', tagSha: false }))
    expect(plan).toMatchObject({ version: 'main', tags: ['main'] })
  })

  it('adds extra tags after the computed ones without duplicates', () => {
    const plan = planTags(req({ ref: 'refs/tags/v1.2.3', extraTags: ['stable', '1.2', 'edge'] }))
    expect(plan.tags).toEqual(['1.2.3', '1.2', '1', 'latest', 'sha-0123456', 'stable', 'edge'])
  })

  it('truncates a long branch name to the 128 characters a tag may have', () => {
    const plan = planTags(req({ ref: `refs/heads/${'x'.repeat(300)}`, tagSha: false }))
    expect(plan.version).toHaveLength(128)
  })

  it('refuses a release whose version is over the 128 characters a tag may have, naming the ref', () => {
    const ref = `refs/tags/v0.0.0-${'r'.repeat(123)}`
    expect(() => planTags(req({ ref }))).toThrow(
      new Error(
        `the version "0.0.0-${'r'.repeat(123)}" of ${ref} is 129 characters long; Docker tags hold at most 128: release it under a shorter tag`
      )
    )
    // Exactly 128 is a tag; build metadata is not part of it.
    const longest = `0.0.0-${'r'.repeat(122)}`
    expect(planTags(req({ ref: `refs/tags/v${longest}+${'b'.repeat(100)}` })).version).toBe(longest)
  })

  it('fails naming the tags input when nothing can be computed', () => {
    expect(() => planTags(req({ ref: '', sha: '', eventName: 'schedule' }))).toThrow(/set the tags input/)
  })

  it('uses an extra tag as the version when the ref gives none', () => {
    expect(planTags(req({ ref: '', sha: '', extraTags: ['nightly'] })).version).toBe('nightly')
  })
})

describe('tag-latest', () => {
  it('true adds latest to a branch build', () => {
    expect(planTags(req({ ref: 'refs/heads/main', tagLatest: 'true' })).tags).toContain('latest')
  })
  it('true adds latest to a prerelease', () => {
    expect(planTags(req({ ref: 'refs/tags/v2.0.0-beta.1', tagLatest: 'true' })).tags).toEqual([
      '2.0.0-beta.1',
      'latest',
      'sha-0123456'
    ])
  })
  it('false never adds latest but keeps the version aliases', () => {
    expect(planTags(req({ ref: 'refs/tags/v1.2.3', tagLatest: 'false' })).tags).toEqual([
      '1.2.3',
      '1.2',
      '1',
      'sha-0123456'
    ])
  })
  it('auto adds no latest to a branch build', () => {
    expect(planTags(req({ ref: 'refs/heads/main' })).tags).not.toContain('latest')
  })
})

describe('aliases only move forward (tag-latest: auto)', () => {
  const existing = [
    '1.0.0',
    '1.4.0',
    '1.4.2',
    '1.5.0',
    '2.0.0',
    '2.1.0',
    'v3.0.0-rc.1',
    'latest',
    'sha-abcdef0',
    'main'
  ]

  test.each([
    [
      'a patch on an old line moves only its minor alias',
      'v1.4.3',
      ['1.4.3', '1.4', 'sha-0123456'],
      ['1', 'latest']
    ],
    ['a patch below the line head moves nothing', 'v1.4.1', ['1.4.1', 'sha-0123456'], ['1.4', '1', 'latest']],
    [
      'a new minor on an old major moves 1.6 and 1',
      'v1.6.0',
      ['1.6.0', '1.6', '1', 'sha-0123456'],
      ['latest']
    ],
    ['a release above everything moves all', 'v2.1.1', ['2.1.1', '2.1', '2', 'latest', 'sha-0123456'], []],
    [
      're-running the newest release keeps every alias',
      'v2.1.0',
      ['2.1.0', '2.1', '2', 'latest', 'sha-0123456'],
      []
    ],
    [
      'a prerelease in the registry does not hold back a stable release',
      'v2.2.0',
      ['2.2.0', '2.2', '2', 'latest', 'sha-0123456'],
      []
    ]
  ])('%s (%s)', (_name, version, tags, withheld) => {
    const plan = planTags(req({ ref: `refs/tags/${version}` }), existing)
    expect(plan.tags).toEqual(tags)
    expect(plan.withheld.map((w) => w.tag)).toEqual(withheld)
  })

  it('says which newer release holds an alias back', () => {
    const plan = planTags(req({ ref: 'refs/tags/v1.4.3' }), existing)
    expect(plan.withheld).toContainEqual({
      tag: 'latest',
      reason: 'the registry already has 2.1.0, newer than 1.4.3'
    })
  })

  it('reads v-prefixed release tags in the registry too', () => {
    expect(planTags(req({ ref: 'refs/tags/v1.0.0' }), ['v1.2.0']).tags).not.toContain('latest')
  })

  it('withholds every forward-only alias when the registry tags are unknown', () => {
    const plan = planTags(req({ ref: 'refs/tags/v1.2.3' }), 'unknown')
    expect(plan.tags).toEqual(['1.2.3', 'sha-0123456'])
    expect(plan.withheld.map((w) => w.tag)).toEqual(['1.2', '1', 'latest'])
  })

  it('tag-latest true moves latest back on purpose, the version aliases still only forward', () => {
    const plan = planTags(req({ ref: 'refs/tags/v1.4.3', tagLatest: 'true' }), existing)
    expect(plan.tags).toEqual(['1.4.3', '1.4', 'latest', 'sha-0123456'])
  })

  it('needs the registry only for a stable release', () => {
    expect(needsExistingTags(req({ ref: 'refs/tags/v1.2.3' }))).toBe(true)
    expect(needsExistingTags(req({ ref: 'refs/tags/v1.2.3-rc.1' }))).toBe(false)
    expect(needsExistingTags(req({ ref: 'refs/heads/main' }))).toBe(false)
  })
})

describe('tags for the event fixtures', () => {
  test.each<[EventFixture, string, string[]]>([
    ['tag-push', '1.2.3', ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']],
    ['branch-push', 'sha-89abcde', ['sha-89abcde', 'feature-Login-Form']],
    // A pull request is tagged from its head commit, not the throwaway merge commit.
    ['pull-request', 'sha-5555555', ['sha-5555555', 'pr-42']],
    // Recognised as a pull request by its ref, as metadata-action does.
    ['pull-request-review', 'sha-7777777', ['sha-7777777', 'pr-43']],
    // The merge queue's branch name would make a 72-character tag; this names what it checks.
    ['merge-group', 'sha-cdcdcdc', ['sha-cdcdcdc', 'mq-main-pr-44']],
    ['workflow-dispatch', 'sha-abcdefa', ['sha-abcdefa', 'main']]
  ])('%s', (fixture, version, tags) => {
    const github = readGitHubContext(eventEnv(fixture))
    const plan = planTags({ github, tagSha: true, tagLatest: 'auto', extraTags: [] })
    expect(plan.version).toBe(version)
    expect(plan.tags).toEqual(tags)
  })
})

describe('full references of the tags input only move forward', () => {
  const refs = (...given: string[]): ImageReference[] => given.map(parseImageReference)
  const names = (references: ImageReference[]): string[] =>
    references.map((reference) => `${reference.image.name}:${reference.tag}`)
  /** The registries' tags per repository, `registry/repository`; a repository not named has none. */
  const registries =
    (tags: Record<string, ExistingTags>) =>
    (image: ImageName): ExistingTags =>
      tags[`${image.registry}/${image.repository}`] ?? []
  const release = (version: string): SemVer => new SemVer(version)

  it('withholds latest and the major alias when the repository has a newer release in their line', () => {
    const given = refs(
      'ghcr.io/acme/web:1.2.0',
      'ghcr.io/acme/web:1.2',
      'ghcr.io/acme/web:1',
      'ghcr.io/acme/web:latest'
    )
    const plan = planReferences(
      given,
      release('1.2.0'),
      registries({ 'ghcr.io/acme/web': ['1.2.0', '1.3.0', '1.3', '1', 'latest'] })
    )
    expect(names(plan.references)).toEqual(['ghcr.io/acme/web:1.2.0', 'ghcr.io/acme/web:1.2'])
    expect(plan.withheld.map(({ reference, reason }) => [names([reference])[0], reason])).toEqual([
      ['ghcr.io/acme/web:1', 'the registry already has 1.3.0, newer than 1.2.0'],
      ['ghcr.io/acme/web:latest', 'the registry already has 1.3.0, newer than 1.2.0']
    ])
  })

  it('withholds the major.minor alias only for a newer patch of that minor', () => {
    const given = refs('ghcr.io/acme/web:1.2')
    expect(
      planReferences(given, release('1.2.0'), registries({ 'ghcr.io/acme/web': ['1.2.5'] })).withheld
    ).toEqual([{ reference: given[0], reason: 'the registry already has 1.2.5, newer than 1.2.0' }])
    expect(
      planReferences(given, release('1.2.0'), registries({ 'ghcr.io/acme/web': ['1.3.0', '2.0.0'] }))
        .references
    ).toEqual(given)
  })

  it('reads the major alias as a number: 10.0.0 is not in the line of 1', () => {
    const given = refs('ghcr.io/acme/web:1')
    const plan = planReferences(
      given,
      release('1.2.0'),
      registries({ 'ghcr.io/acme/web': ['10.0.0', '0.9.0'] })
    )
    expect(plan.references).toEqual(given)
  })

  it('moves the aliases of a release newer than everything in the registry', () => {
    const given = refs('ghcr.io/acme/web:latest', 'ghcr.io/acme/web:1', 'ghcr.io/acme/web:1.4')
    const plan = planReferences(
      given,
      release('1.4.0'),
      registries({ 'ghcr.io/acme/web': ['1.3.0', '1.4.0', 'latest', '1', 'sha-abcdef0'] })
    )
    expect(plan).toEqual({ references: given, withheld: [] })
  })

  it('checks each reference against the tags of its own repository', () => {
    const given = refs('quay.io/acme/web:latest', 'ghcr.io/acme/web:latest', 'docker.io/acme/web:1')
    const plan = planReferences(
      given,
      release('1.2.0'),
      registries({
        'quay.io/acme/web': ['2.0.0'],
        'ghcr.io/acme/web': ['1.0.0'],
        'docker.io/acme/web': ['1.1.0']
      })
    )
    expect(names(plan.references)).toEqual(['ghcr.io/acme/web:latest', 'docker.io/acme/web:1'])
    expect(names(plan.withheld.map((w) => w.reference))).toEqual(['quay.io/acme/web:latest'])
  })

  it('withholds every alias reference of a repository whose tags could not be read', () => {
    const given = refs(
      'quay.io/acme/web:latest',
      'quay.io/acme/web:1.2',
      'quay.io/acme/web:edge',
      'ghcr.io/acme/web:1'
    )
    const plan = planReferences(given, release('1.2.0'), registries({ 'quay.io/acme/web': 'unknown' }))
    expect(names(plan.references)).toEqual(['quay.io/acme/web:edge', 'ghcr.io/acme/web:1'])
    expect(plan.withheld.map((w) => w.reason)).toEqual([
      "the registry's tags could not be read",
      "the registry's tags could not be read"
    ])
  })

  it('reads v-prefixed release tags in the registry too', () => {
    const given = refs('ghcr.io/acme/web:latest')
    expect(
      planReferences(given, release('1.2.0'), registries({ 'ghcr.io/acme/web': ['v1.3.0'] })).withheld
    ).toEqual([{ reference: given[0], reason: 'the registry already has 1.3.0, newer than 1.2.0' }])
  })

  it('does not count a newer prerelease as newer', () => {
    const given = refs('ghcr.io/acme/web:latest', 'ghcr.io/acme/web:1')
    const plan = planReferences(
      given,
      release('1.2.0'),
      registries({ 'ghcr.io/acme/web': ['1.3.0-rc.1', 'v2.0.0-beta.1'] })
    )
    expect(plan.references).toEqual(given)
  })

  it('without a release version from the ref, compares with a stable version given for the same repository', () => {
    const given = refs('ghcr.io/acme/web:v1.2.0', 'ghcr.io/acme/web:latest', 'quay.io/acme/web:latest')
    const existing = registries({ 'ghcr.io/acme/web': ['1.3.0'], 'quay.io/acme/web': ['1.3.0'] })
    const plan = planReferences(given, undefined, existing)
    expect(plan.withheld).toEqual([
      { reference: given[1], reason: 'the registry already has 1.3.0, newer than 1.2.0' }
    ])
    // quay.io names no version: nothing to compare with, so its latest goes as given.
    expect(names(plan.references)).toEqual(['ghcr.io/acme/web:v1.2.0', 'quay.io/acme/web:latest'])
    expect(referenceAliasChecks(given, undefined).map((check) => check.image.name)).toEqual([
      'ghcr.io/acme/web'
    ])
  })

  it("takes the ref's stable release before any version given in the references", () => {
    const given = refs('ghcr.io/acme/web:1.9.0', 'ghcr.io/acme/web:latest')
    const plan = planReferences(given, release('1.2.0'), registries({ 'ghcr.io/acme/web': ['1.3.0'] }))
    expect(plan.withheld.map((w) => w.reason)).toEqual(['the registry already has 1.3.0, newer than 1.2.0'])
  })

  it('pushes the aliases as given when there is no stable release to compare with', () => {
    const given = refs('ghcr.io/acme/web:latest', 'ghcr.io/acme/web:1', 'ghcr.io/acme/web:2.0.0-rc.1')
    const existing = registries({ 'ghcr.io/acme/web': ['9.0.0'] })
    // A branch build, and a prerelease (whose prerelease tag is no stable version either).
    for (const runRelease of [undefined, release('2.0.0-rc.1')]) {
      expect(referenceAliasChecks(given, runRelease)).toEqual([])
      expect(planReferences(given, runRelease, existing)).toEqual({ references: given, withheld: [] })
    }
  })

  it('needs one listing per repository with an alias reference, whatever name spells it', () => {
    const given = refs(
      'acme/web:latest',
      'docker.io/acme/web:1',
      'index.docker.io/acme/web:1.2',
      'ghcr.io/acme/web:edge',
      'ghcr.io/acme/web:1.2.0'
    )
    const checks = referenceAliasChecks(given, release('1.2.0'))
    expect(
      checks.map((check) => [check.image.registry, check.image.repository, names(check.aliases)])
    ).toEqual([
      ['docker.io', 'acme/web', ['acme/web:latest', 'docker.io/acme/web:1', 'index.docker.io/acme/web:1.2']]
    ])
  })

  it('leaves tags that only look like aliases alone', () => {
    const given = refs(
      'ghcr.io/acme/web:latest-alpine',
      'ghcr.io/acme/web:1.2.3',
      'ghcr.io/acme/web:v1',
      'ghcr.io/acme/web:1.x'
    )
    expect(referenceAliasChecks(given, release('1.2.0'))).toEqual([])
  })
})
