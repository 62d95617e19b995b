import { describe, expect, it, test } from '@jest/globals'
import { readGitHubContext } from '../../src/github-context.js'
import { needsExistingTags, planTags, type TagRequest } from '../../src/tags.js'
import { eventEnv, type EventFixture } from '../../__fixtures__/events.js'

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
