// The pure logic of .github/workflows/release.yml (scripts/release/lib.mjs): which tags are
// releases, their order, which moving tags a release moves, and the changelog section it
// publishes. scripts/run-release.sh runs the workflow itself through act.
import { describe, expect, it } from '@jest/globals'
import { changelogSection, compareVersions, movingTags, parseTag } from '../../../scripts/release/lib.mjs'

const tag = (name: string) => {
  const parsed = parseTag(name)
  if (parsed === undefined) throw new Error(`${name} is not a release tag`)
  return parsed
}

describe('parseTag', () => {
  it.each(['v1.2.3', 'v0.0.0', 'v10.20.30', 'v1.2.3-rc.1', 'v1.2.3-alpha', 'v1.2.3-0.beta-2'])(
    '%s is a release tag',
    (name) => expect(parseTag(name)?.tag).toBe(name)
  )
  it.each([
    '1.2.3',
    'v1',
    'v1.2',
    'v1.2.x',
    'v01.2.3',
    'v1.02.3',
    'v1.2.3-rc.01',
    'v1.2.3+build',
    'v1.2.3-',
    'v1.2.3 '
  ])('%s is not', (name) => expect(parseTag(name)).toBeUndefined())
  it('splits the version and its prerelease identifiers', () => {
    expect(parseTag('v1.2.3-rc.1')).toEqual({
      tag: 'v1.2.3-rc.1',
      version: '1.2.3-rc.1',
      major: 1,
      minor: 2,
      patch: 3,
      prerelease: ['rc', '1']
    })
  })
})

describe('compareVersions', () => {
  it('orders as Semantic Versioning 2.0.0 does (its own example)', () => {
    const ordered = [
      'v1.0.0-alpha',
      'v1.0.0-alpha.1',
      'v1.0.0-alpha.beta',
      'v1.0.0-beta',
      'v1.0.0-beta.2',
      'v1.0.0-beta.11',
      'v1.0.0-rc.1',
      'v1.0.0',
      'v1.0.1',
      'v1.2.0',
      'v1.10.0',
      'v2.0.0'
    ]
    const shuffled = [...ordered].reverse().map(tag)
    expect(shuffled.sort(compareVersions).map((t) => t.tag)).toEqual(ordered)
  })
})

describe('movingTags', () => {
  it('moves v1 and v1.2 to the highest release of their line', () => {
    expect(movingTags(tag('v1.2.4'), ['v1', 'v1.2', 'v1.2.3', 'v1.1.0', 'v0.9.0'])).toEqual({
      move: ['v1', 'v1.2'],
      skip: []
    })
  })
  it('moves v1.3 for the first release of 1.3, and v1 with it', () => {
    expect(movingTags(tag('v1.3.0'), ['v1', 'v1.2', 'v1.2.4', 'v1.3.0']).move).toEqual(['v1', 'v1.3'])
  })
  it('never moves v1 back behind a higher release: a fix of an older line moves only its minor', () => {
    expect(movingTags(tag('v1.2.5'), ['v1', 'v1.2', 'v1.3', 'v1.2.4', 'v1.3.0'])).toEqual({
      move: ['v1.2'],
      skip: [{ tag: 'v1', reason: 'v1.3.0 is a higher release of v1' }]
    })
  })
  it('never moves either back on a re-release of an older patch', () => {
    expect(movingTags(tag('v1.2.3'), ['v1.2.3', 'v1.2.4']).move).toEqual([])
  })
  it('ignores prereleases and other majors when looking for a higher release', () => {
    expect(movingTags(tag('v1.2.4'), ['v1.3.0-rc.1', 'v2.0.0', 'v1.2.4', 'latest']).move).toEqual([
      'v1',
      'v1.2'
    ])
  })
  it('moves nothing for a prerelease', () => {
    expect(movingTags(tag('v2.0.0-rc.1'), ['v1', 'v1.9.9'])).toEqual({
      move: [],
      skip: [
        { tag: 'v2', reason: 'v2.0.0-rc.1 is a prerelease' },
        { tag: 'v2.0', reason: 'v2.0.0-rc.1 is a prerelease' }
      ]
    })
  })
})

describe('changelogSection', () => {
  const changelog = [
    '# Changelog',
    '',
    '## Unreleased',
    '',
    '- Not yet.',
    '',
    '## [1.2.3] - 2026-12-06',
    '',
    '### Fixed',
    '',
    '- A fix, with `code`.',
    '',
    '## 1.2.2',
    '',
    '- Older.',
    '',
    '## [1.2.3-rc.1]',
    '',
    '## [1.0.0] - 2026-01-01',
    '',
    '- The first.',
    '',
    '[1.2.3]: https://github.com/your-org/container-ship/compare/v1.2.2...v1.2.3',
    '[1.0.0]: https://github.com/your-org/container-ship/releases/tag/v1.0.0',
    ''
  ].join('\n')
  it('is the lines between the heading and the next one, trimmed', () => {
    expect(changelogSection(changelog, '1.2.3')).toBe('### Fixed\n\n- A fix, with `code`.')
  })
  it('takes headings without brackets or date', () => {
    expect(changelogSection(changelog, '1.2.2')).toBe('- Older.')
  })
  it('leaves out the link definitions that close the file', () => {
    expect(changelogSection(changelog, '1.0.0')).toBe('- The first.')
  })
  it('is empty for an empty section and undefined for a missing one', () => {
    expect(changelogSection(changelog, '1.2.3-rc.1')).toBe('')
    expect(changelogSection(changelog, '1.2.4')).toBeUndefined()
    // 1.2 is not 1.2.3, and the dots of a version are not wildcards.
    expect(changelogSection(changelog, '1.2')).toBeUndefined()
    expect(changelogSection(changelog.replace('1.2.2', '1x2x2'), '1.2.2')).toBeUndefined()
  })
  it('reads CRLF line ends', () => {
    expect(changelogSection(changelog.replace(/\n/g, '\r\n'), '1.2.3')).toBe(
      '### Fixed\n\n- A fix, with `code`.'
    )
  })
})
