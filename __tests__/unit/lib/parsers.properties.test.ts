// Property-based tests of the action's parsers: tag planning (src/release/tags.ts), the Trivy report
// reader (src/scan/trivy/report.ts), the Dockerfile layer map (src/scan/dockerfile-map.ts), command words
// (src/command-words.ts), docker-host (src/docker-host.ts) and image names (src/image-name.ts).
// On any text each either gives a result that keeps its documented promises or throws a plain
// Error with a message of its own, never a crash (TypeError, RangeError, a stack trace, a value
// printed as [object Object]).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import semver from 'semver'
import { splitCommandWords } from '../../../src/lib/command-words.js'
import { parseDockerHost } from '../../../src/deploy/host/docker-host.js'
import {
  describeStep,
  mapLayers,
  parseDockerfile,
  type ImageLayers
} from '../../../src/scan/dockerfile-map.js'
import { readGitHubContext } from '../../../src/github/context.js'
import {
  isValidTag,
  parseImageName,
  parseImageReference,
  parseRegistry,
  sanitizeTag
} from '../../../src/lib/image-name.js'
import { SEVERITIES } from '../../../src/scan/severity.js'
import { planTags, type TagPlan, type TagRequest } from '../../../src/release/tags.js'
import {
  findingsOf,
  imageLayersOf,
  parseTrivyReport,
  type TrivyReport
} from '../../../src/scan/trivy/report.js'

const REPORTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../__fixtures__/trivy/reports')

/** Crash wording and stack traces: never part of a message (the generators never produce them). */
const FORBIDDEN =
  /TypeError|RangeError|undefined|\[object Object\]|Cannot read propert|is not a function|is not iterable|Cannot convert|Maximum call stack|\n\s+at \S|\.ts:\d+:\d+/i
const clean = (text: string): boolean => !FORBIDDEN.test(text)

/** Docker's tag grammar (distribution/reference). */
const DOCKER_TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/

/** Any text, with shell and parser metacharacters and control characters favoured. */
const anyText: fc.Arbitrary<string> = fc
  .oneof(
    fc.string(),
    fc.string({ unit: 'binary' }),
    fc.string({ unit: 'binary-ascii' }),
    fc
      .array(
        fc.constantFrom(
          ';',
          '$(id)',
          '|',
          '&',
          '`',
          "'",
          '"',
          '\n',
          ' ',
          '\t',
          '\\',
          '=',
          ':',
          '/',
          '@',
          '#',
          '[',
          ']',
          '{',
          '}',
          '-',
          '.',
          '0',
          'a',
          'Z',
          '\u0000',
          'é'
        ),
        { maxLength: 40 }
      )
      .map((parts) => parts.join(''))
  )
  .filter(clean)

/** Runs `parse`, returning what it gave or the error it threw. */
function attempt<T>(parse: () => T): { ok: true; value: T } | { ok: false; error: unknown } {
  try {
    return { ok: true, value: parse() }
  } catch (error) {
    return { ok: false, error }
  }
}

/** Counts how a property's runs went, to check afterwards that each branch was exercised. */
function tally(): { add: (what: string) => void; count: (what: string) => number } {
  const counts = new Map<string, number>()
  return {
    add: (what) => counts.set(what, (counts.get(what) ?? 0) + 1),
    count: (what) => counts.get(what) ?? 0
  }
}

/** A plain Error (not a TypeError, RangeError or SyntaxError) whose message is its own. */
function expectPlainError(error: unknown, message: RegExp = /./): void {
  expect(error).toBeInstanceOf(Error)
  expect((error as Error).constructor).toBe(Error)
  expect((error as Error).message).toMatch(message)
  expect((error as Error).message).not.toMatch(FORBIDDEN)
}

// ---------------------------------------------------------------------------------------------
// planTags

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

// ---------------------------------------------------------------------------------------------
// parseTrivyReport

const FIXTURES: { name: string; text: string; json: unknown }[] = readdirSync(REPORTS)
  .filter((name) => name.endsWith('.json'))
  .sort()
  .map((name) => {
    const text = readFileSync(path.join(REPORTS, name), 'utf8')
    return { name, text, json: JSON.parse(text) as unknown }
  })

type JsonPath = (string | number)[]

/** Every path to a value inside a JSON tree (the root excluded). */
function jsonPaths(value: unknown, at: JsonPath = []): JsonPath[] {
  if (typeof value !== 'object' || value === null) return []
  const entries = Array.isArray(value)
    ? value.map((item, index) => [index, item] as const)
    : Object.entries(value as Record<string, unknown>)
  return entries.flatMap(([key, item]) => [[...at, key], ...jsonPaths(item, [...at, key])])
}

const FIXTURE_PATHS = FIXTURES.map((fixture) => jsonPaths(fixture.json))

/** A copy of `tree` with the value at `at` dropped (`replacement` undefined) or replaced. */
function mutate(tree: unknown, at: JsonPath, replacement: unknown): unknown {
  const copy = structuredClone(tree) as Record<string | number, unknown>
  let parent = copy
  for (const key of at.slice(0, -1)) parent = parent[key] as Record<string | number, unknown>
  const last = at[at.length - 1] as string | number
  if (replacement !== undefined) parent[last] = replacement
  else if (Array.isArray(parent)) parent.splice(last as number, 1)
  else delete parent[last]
  return copy
}

/** What a successfully parsed report promises its readers. */
function expectUsableReport(report: TrivyReport): void {
  expect(report.SchemaVersion).toBe(2)
  expect(Array.isArray(report.Results)).toBe(true)
  // Plain checks collected into one expect: a per-item expect is slow over thousands of runs.
  const wrong = findingsOf(report).filter(
    (finding) =>
      !(SEVERITIES as readonly string[]).includes(finding.severity) ||
      typeof finding.id !== 'string' ||
      finding.id === '' ||
      (finding.lines !== undefined && !(finding.lines.end >= finding.lines.start && finding.lines.start >= 1))
  )
  expect(wrong).toEqual([])
  const layers = imageLayersOf(report)
  expect(layers.diffIds.filter((diffId) => typeof diffId !== 'string')).toEqual([])
  expect(
    layers.history.filter(
      (entry) => typeof entry.createdBy !== 'string' || typeof entry.emptyLayer !== 'boolean'
    )
  ).toEqual([])
}

function expectReportOutcome(text: string): ReturnType<typeof attempt<TrivyReport>> {
  const outcome = attempt(() => parseTrivyReport(text))
  if (!outcome.ok) expectPlainError(outcome.error, /^Trivy report[ :]/)
  else expectUsableReport(outcome.value)
  return outcome
}

/** A value of any type for a field of a report: right, wrong, null. */
const anyValue = fc.oneof(
  fc.string(),
  fc.constantFrom('CRITICAL', 'high', 'PASS', 'FAIL', 'EXCEPTION', ''),
  fc.integer({ min: -2, max: 50 }),
  fc.jsonValue({ maxDepth: 2 })
)
/** The IDs a finding must have (present and not empty). */
const REQUIRED = ['VulnerabilityID', 'RuleID', 'ID', 'Name']
/** Mostly of the field's type (numbers for lines, booleans for flags, else strings), sometimes not. */
const fieldOf = (key: string): fc.Arbitrary<unknown> => {
  const typed = /Line$/.test(key)
    ? fc.nat({ max: 100 })
    : ['EOSL', 'empty_layer'].includes(key)
      ? fc.boolean()
      : REQUIRED.includes(key)
        ? fc.string({ minLength: 1 })
        : fc.oneof(fc.string(), fc.constantFrom('CRITICAL', 'high', 'PASS', 'FAIL', 'EXCEPTION', ''))
  return fc.oneof({ arbitrary: typed, weight: 30 }, { arbitrary: anyValue, weight: 1 })
}
const fieldValue = fieldOf('')
/** The keys, each present or not (an ID mostly present), each mostly of its type. */
const record = (keys: string[]) =>
  fc
    .tuple(
      fc.record(Object.fromEntries(keys.map((key) => [key, fieldOf(key)])), { requiredKeys: [] }),
      fc.record(
        Object.fromEntries(keys.filter((key) => REQUIRED.includes(key)).map((key) => [key, fieldOf(key)]))
      ),
      fc.nat({ max: 20 })
    )
    .map(([fields, ids, dice]) => (dice === 0 ? fields : { ...fields, ...ids }))
const orJunk = (arbitrary: fc.Arbitrary<unknown>) =>
  fc.oneof({ arbitrary, weight: 20 }, { arbitrary: anyValue, weight: 1 })
const listOf = (item: fc.Arbitrary<unknown>) => orJunk(fc.array(item, { maxLength: 3 }))
const layerValue = orJunk(record(['Digest', 'DiffID']))
/** Report-shaped JSON: the fields the parser reads, each present or not, of any type. */
const reportShaped = fc.record(
  {
    SchemaVersion: fc.oneof({ arbitrary: fc.constant(2), weight: 8 }, { arbitrary: fieldValue, weight: 1 }),
    Trivy: orJunk(record(['Version'])),
    ArtifactName: fieldValue,
    ArtifactType: fieldValue,
    Metadata: orJunk(
      fc.record(
        {
          OS: orJunk(record(['Family', 'Name', 'EOSL'])),
          ImageID: fieldValue,
          DiffIDs: listOf(fieldValue),
          RepoDigests: listOf(fieldValue),
          ImageConfig: orJunk(
            fc.record({ history: listOf(record(['created_by', 'empty_layer'])) }, { requiredKeys: [] })
          )
        },
        { requiredKeys: [] }
      )
    ),
    Results: listOf(
      fc.record(
        {
          Target: fc.oneof({ arbitrary: fc.string(), weight: 30 }, { arbitrary: anyValue, weight: 1 }),
          Class: fieldValue,
          Type: fieldValue,
          Vulnerabilities: listOf(
            fc
              .tuple(
                record([
                  'VulnerabilityID',
                  'PkgName',
                  'PkgPath',
                  'InstalledVersion',
                  'FixedVersion',
                  'Status',
                  'Severity',
                  'Title',
                  'PrimaryURL'
                ]),
                fc.option(orJunk(record(['PURL'])), { nil: undefined }),
                fc.option(layerValue, { nil: undefined })
              )
              .map(([fields, identifier, layer]) => ({ ...fields, PkgIdentifier: identifier, Layer: layer }))
          ),
          Secrets: listOf(
            fc
              .tuple(
                record(['RuleID', 'Category', 'Severity', 'Title', 'StartLine', 'EndLine', 'Match']),
                fc.option(layerValue, { nil: undefined })
              )
              .map(([fields, layer]) => ({ ...fields, Layer: layer }))
          ),
          Misconfigurations: listOf(
            fc
              .tuple(
                record(['ID', 'AVDID', 'Namespace', 'Title', 'Message', 'Severity', 'Status', 'PrimaryURL']),
                fc.option(orJunk(record(['StartLine', 'EndLine'])), { nil: undefined })
              )
              .map(([fields, cause]) => ({ ...fields, CauseMetadata: cause }))
          ),
          Licenses: listOf(record(['Name', 'Severity', 'Category', 'PkgName', 'FilePath', 'Link']))
        },
        { requiredKeys: ['Target'] }
      )
    )
  },
  { requiredKeys: ['SchemaVersion'] }
)

describe('parseTrivyReport on arbitrary and damaged reports', () => {
  it('reads any JSON text into a usable report or refuses it with a plain message', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.json(),
          fc.anything().map((value) => JSON.stringify(value) ?? ''),
          reportShaped.map((value) => JSON.stringify(value)),
          anyText
        ),
        (text) => {
          expectReportOutcome(text)
        }
      ),
      { numRuns: 500 }
    )
  })

  it('report-shaped JSON with fields of any type: every failure names the field', () => {
    let parsed = 0
    fc.assert(
      fc.property(reportShaped, (value) => {
        const outcome = expectReportOutcome(JSON.stringify(value))
        if (outcome.ok) parsed++
        else if (value.SchemaVersion === 2) {
          expect((outcome.error as Error).message).toMatch(
            /^Trivy report: (the top level|[A-Za-z_]+(\[\d+\])?(\.[A-Za-z_]+(\[\d+\])?)*) (must be|is missing|is empty)/
          )
        }
      }),
      { numRuns: 400 }
    )
    expect(parsed).toBeGreaterThan(50)
  })

  it('real reports with a field dropped or given a value of another type', () => {
    const runs = tally()
    fc.assert(
      fc.property(
        fc.nat({ max: FIXTURES.length - 1 }),
        fc.nat(),
        fc.option(fc.jsonValue({ maxDepth: 2 }), { nil: undefined }),
        (index, pick, replacement) => {
          const paths = FIXTURE_PATHS[index] as JsonPath[]
          const at = paths[pick % paths.length] as JsonPath
          const outcome = expectReportOutcome(
            JSON.stringify(mutate((FIXTURES[index] as (typeof FIXTURES)[0]).json, at, replacement))
          )
          runs.add(outcome.ok ? 'read' : 'refused')
        }
      ),
      { numRuns: 400 }
    )
    expect(runs.count('read')).toBeGreaterThan(20)
    expect(runs.count('refused')).toBeGreaterThan(20)
  })

  it('real reports cut short anywhere are refused as truncated (or read, when only blanks were cut)', () => {
    fc.assert(
      fc.property(fc.nat({ max: FIXTURES.length - 1 }), fc.nat(), (index, cut) => {
        const { text } = FIXTURES[index] as (typeof FIXTURES)[0]
        const truncated = text.slice(0, 1 + (cut % (text.length - 1)))
        const outcome = expectReportOutcome(truncated)
        const message = outcome.ok ? undefined : (outcome.error as Error).message
        if (truncated.trim() === text.trim()) expect(message).toBeUndefined()
        else
          expect(message).toMatch(
            /^Trivy report is truncated: the JSON stops at line \d+, column \d+, before it is complete$/
          )
      }),
      { numRuns: 400 }
    )
  })

  // A report cut right after a number's `.` (or its `-`, or its exponent's `e`/`e+`), such as
  // `{"SchemaVersion": 2, "x": 7.`, stops at the end of the text: it is truncated, not invalid.
  it('a report cut inside a number is refused as truncated', () => {
    const cuts = FIXTURES.flatMap(({ text }) =>
      [...text.matchAll(/:\s*-?\d+\./g)].map((match) => text.slice(0, (match.index ?? 0) + match[0].length))
    )
    expect(cuts.length).toBeGreaterThan(0)
    const numberCuts = fc.oneof(
      fc.constantFrom(...cuts),
      fc
        .tuple(
          fc.constantFrom('-', '7.', '-7.', '0.', '7e', '7E', '7e+', '7e-', '7.5e', '-0.25E+'),
          fc.constantFrom('{"SchemaVersion": 2, "x": ', '{"SchemaVersion": 2, "x": [1, ', '[')
        )
        .map(([number, before]) => before + number)
    )
    fc.assert(
      fc.property(numberCuts, (truncated) => {
        const lines = truncated.split('\n')
        const column = (lines[lines.length - 1] as string).length + 1
        expect(() => parseTrivyReport(truncated)).toThrow(
          `Trivy report is truncated: the JSON stops at line ${lines.length}, column ${column}, before it is complete`
        )
      }),
      { numRuns: 100 }
    )
  })

  it('real reports with a character inserted, replaced or removed anywhere', () => {
    fc.assert(
      fc.property(
        fc.nat({ max: FIXTURES.length - 1 }),
        fc.nat(),
        fc.constantFrom('insert', 'replace', 'remove'),
        fc.string({ unit: 'binary-ascii', minLength: 1, maxLength: 1 }),
        (index, at, how, char) => {
          const { text } = FIXTURES[index] as (typeof FIXTURES)[0]
          const position = at % text.length
          const damaged =
            text.slice(0, position) +
            (how === 'remove' ? '' : char) +
            text.slice(position + (how === 'insert' ? 0 : 1))
          expectReportOutcome(damaged)
        }
      ),
      { numRuns: 400 }
    )
  })

  it('nested JSON, complete or cut short, is refused with a plain message', () => {
    fc.assert(
      fc.property(
        fc.oneof(fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1000, max: 100000 })),
        fc.constantFrom('[', '{"a":'),
        fc.boolean(),
        (depth, open, closed) => {
          const close = open === '[' ? ']' : '}'
          const text = open.repeat(depth) + (closed ? `1${close.repeat(depth)}` : '')
          expectReportOutcome(text)
        }
      ),
      { numRuns: 200 }
    )
  })

  // JSON nested many thousands of levels deep and cut short (`[` x 6000, or `{"a":` x 4000) is
  // truncated: jsonSyntaxError (which looks for where JSON.parse went wrong) keeps its own stack.
  it('deeply nested JSON cut short is refused as truncated at its end', () => {
    fc.assert(
      fc.property(fc.integer({ min: 3000, max: 100000 }), fc.constantFrom('[', '{"a":'), (depth, open) => {
        const text = open.repeat(depth)
        const outcome = expectReportOutcome(text)
        expect(outcome.ok).toBe(false)
        if (!outcome.ok)
          expect((outcome.error as Error).message).toBe(
            `Trivy report is truncated: the JSON stops at line 1, column ${text.length + 1}, before it is complete`
          )
      }),
      { numRuns: 20 }
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Dockerfile layer map

const dockerfileWord = fc.oneof(
  anyText.map((text) => text.slice(0, 30)),
  fc.constantFrom(
    '/app',
    '/app/',
    '.',
    'make',
    '--from=build',
    '--chown=1:1',
    'AS',
    'build',
    '<<EOF',
    '["sh","-c","x"]',
    '[',
    '\\',
    '`',
    '0'
  )
)
const instructionLine = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'FROM',
          'from',
          'RUN',
          'run',
          'COPY',
          'ADD',
          'WORKDIR',
          'ENV',
          'ARG',
          'CMD',
          'USER',
          'LABEL'
        ),
        fc.array(dockerfileWord, { maxLength: 5 })
      )
      .map(([keyword, words]) => [keyword, ...words].join(' ')),
    weight: 6
  },
  {
    arbitrary: fc.constantFrom(
      '',
      '# comment',
      '# escape=`',
      '# escape=\\',
      'EOF',
      '\tEOF',
      '  \\',
      'FROM scratch AS base',
      'FROM base'
    ),
    weight: 2
  },
  { arbitrary: anyText, weight: 1 }
)
const dockerfileText = fc.oneof(
  fc.array(instructionLine, { maxLength: 14 }).map((lines) => lines.join('\n')),
  anyText
)

/** A history entry as BuildKit or the classic builder writes it, for one of the lines or any text. */
function historyEntry(lines: string[]): fc.Arbitrary<{ createdBy: string; emptyLayer: boolean }> {
  const line = lines.length > 0 ? fc.constantFrom(...lines) : fc.constant('RUN true')
  const args = line.map((text) => text.replace(/^\S+\s*/, ''))
  const lastWord = args.map((text) => text.split(' ').pop() ?? '')
  return fc.record({
    createdBy: fc.oneof(
      args.map((command) => `RUN /bin/sh -c ${command} # buildkit`),
      args.map((command) => `|2 A=1 B=2 /bin/sh -c ${command}`),
      args.map((command) => `/bin/sh -c ${command}`),
      lastWord.map((to) => `COPY src ${to} # buildkit`),
      lastWord.map((to) => `/bin/sh -c #(nop) COPY file:0123abcd in ${to} `),
      args.map((dir) => `/bin/sh -c #(nop) WORKDIR ${dir}`),
      args.map((dir) => `WORKDIR ${dir}`),
      fc.constantFrom('/bin/sh -c #(nop)  CMD ["sh"]', 'ENV A=1', '/bin/sh -c #(nop) ADD file:abc in / ', ''),
      anyText
    ),
    emptyLayer: fc.boolean()
  })
}

const layerCase = dockerfileText.chain((text) => {
  const lines = text.split(/\r?\n/)
  const made = (history: { emptyLayer: boolean }[]) => history.filter((entry) => !entry.emptyLayer).length
  return fc.array(historyEntry(lines), { maxLength: 12 }).chain((history) =>
    fc.record({
      text: fc.constant(text),
      history: fc.constant(history),
      diffIds: fc.oneof(
        { arbitrary: fc.constant(Array.from({ length: made(history) }, (_, i) => `sha256:${i}`)), weight: 4 },
        { arbitrary: fc.array(anyText, { maxLength: 12 }), weight: 1 }
      ),
      target: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 3 },
        { arbitrary: fc.oneof(fc.constantFrom('base', 'build', 'BUILD', '0'), anyText), weight: 1 }
      )
    })
  )
})

/** One instruction of a generated Dockerfile and the history entry each builder writes for it. */
interface Step {
  line: string
  buildkit: string
  classic: string
  emptyLayer: boolean
}
const word = fc.stringMatching(/^[a-z][a-z0-9._]{0,6}$/)
/** Destinations are never `/` alone: base image layers are `ADD file:... in /`. */
const destination = fc.stringMatching(/^\/[a-z][a-z0-9]{0,5}(?:\/[a-z0-9]{1,4})?\/?$/)
const keywordCase = (keyword: string) => fc.constantFrom(keyword, keyword.toLowerCase())
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(keywordCase('RUN'), fc.array(word, { minLength: 1, maxLength: 3 })).map(([keyword, words]) => {
    const command = words.join(' ')
    return {
      line: `${keyword} ${command}`,
      buildkit: `RUN /bin/sh -c ${command} # buildkit`,
      classic: `|1 A=1 /bin/sh -c ${command}`,
      emptyLayer: false
    }
  }),
  fc
    .tuple(
      fc.constantFrom('COPY', 'ADD'),
      fc.constantFrom('', '--chown=1:1 ', '--from=s0 '),
      word,
      destination
    )
    .map(([keyword, flags, source, to]) => ({
      line: `${keyword} ${flags}${source} ${to}`,
      buildkit: `${keyword} ${source} ${to} # buildkit`,
      classic: `/bin/sh -c #(nop) ${keyword} file:0a1b2c in ${to} `,
      emptyLayer: false
    })),
  destination.map((directory) => ({
    line: `WORKDIR ${directory}`,
    buildkit: `WORKDIR ${directory}`,
    classic: `/bin/sh -c #(nop) WORKDIR ${directory}`,
    emptyLayer: false
  })),
  fc.tuple(fc.constantFrom('ENV', 'LABEL', 'ARG', 'USER', 'EXPOSE', 'CMD'), word).map(([keyword, value]) => ({
    line: `${keyword} ${value}`,
    buildkit: `${keyword} ${value}`,
    classic: `/bin/sh -c #(nop)  ${keyword} ${value}`,
    emptyLayer: true
  }))
)
/** Layers of a base image, whatever made them. */
const baseLayer = fc.oneof(
  fc.constant({ createdBy: '/bin/sh -c #(nop) ADD file:9f8e in / ', emptyLayer: false }),
  fc.constant({ createdBy: '/bin/sh -c #(nop)  CMD ["sh"]', emptyLayer: true }),
  fc.record({ createdBy: anyText, emptyLayer: fc.boolean() })
)

/**
 * A multi-stage Dockerfile (stage i named s<i>, built on an image or on the stage before), the
 * target built, and the history the image of that target has: the base image's layers, then
 * the layers of each stage it builds on. `expected` is the line each layer came from.
 */
const consistentCase = fc
  .record({
    stages: fc.array(
      fc.record({
        onPrevious: fc.boolean(),
        image: fc.constantFrom('alpine:3.20', 'golang:1.22', 'scratch'),
        steps: fc.array(step, { maxLength: 5 }),
        blankLines: fc.array(fc.constantFrom('', '# a comment', '  '), { maxLength: 2 })
      }),
      { minLength: 1, maxLength: 3 }
    ),
    baseLayers: fc.array(baseLayer, { maxLength: 3 }),
    classic: fc.boolean(),
    pick: fc.nat(),
    named: fc.boolean()
  })
  .map(({ stages, baseLayers, classic, pick, named }) => {
    const lines: string[] = []
    const fromLine: number[] = []
    const stepLines: number[][] = []
    stages.forEach((stage, index) => {
      lines.push(...stage.blankLines)
      const base = index > 0 && stage.onPrevious ? `s${index - 1}` : stage.image
      lines.push(`FROM ${base} AS s${index}`)
      fromLine.push(lines.length)
      stepLines.push(
        stage.steps.map((made) => {
          lines.push(made.line)
          return lines.length
        })
      )
    })
    const built = pick % stages.length
    const chain: number[] = [built]
    while (chain[0] !== 0 && (stages[chain[0] as number] as (typeof stages)[0]).onPrevious) {
      chain.unshift((chain[0] as number) - 1)
    }
    const root = chain[0] as number
    const history = baseLayers.map((layer) => ({ ...layer }))
    const expected: { line: number; base: boolean }[] = baseLayers
      .filter((layer) => !layer.emptyLayer)
      .map(() => ({ line: fromLine[root] as number, base: true }))
    for (const index of chain) {
      ;(stages[index] as (typeof stages)[0]).steps.forEach((made, position) => {
        history.push({ createdBy: classic ? made.classic : made.buildkit, emptyLayer: made.emptyLayer })
        if (!made.emptyLayer)
          expected.push({ line: (stepLines[index] as number[])[position] as number, base: false })
      })
    }
    return {
      text: lines.join('\n'),
      history,
      diffIds: expected.map((_, index) => `sha256:${index}`),
      expected,
      // The last stage is built when no target is named.
      target: named || built !== stages.length - 1 ? `S${built}` : undefined
    }
  })

describe('the Dockerfile layer map on arbitrary Dockerfiles and image histories', () => {
  it('parseDockerfile never throws and gives stages of instructions on lines of the file', () => {
    fc.assert(
      fc.property(dockerfileText, (text) => {
        const lineCount = text.split(/\r?\n/).length
        const { stages } = parseDockerfile(text)
        let previous = 0
        for (const stage of stages) {
          expect(stage.from.keyword).toBe('FROM')
          for (const instruction of [stage.from, ...stage.instructions]) {
            expect(instruction.line).toBeGreaterThan(previous)
            expect(instruction.line).toBeLessThanOrEqual(lineCount)
            expect(instruction.keyword).toMatch(/^\S+$/)
            expect(instruction.keyword).toBe(instruction.keyword.toUpperCase())
            previous = instruction.line
          }
        }
      }),
      { numRuns: 400 }
    )
  })

  it('describeStep never throws and says what kind of step it is', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          historyEntry(['RUN make', 'COPY a /app', 'WORKDIR /w']).map((entry) => entry.createdBy)
        ),
        (createdBy) => {
          const step = describeStep(createdBy)
          expect(['RUN', 'COPY', 'WORKDIR', 'OTHER']).toContain(step.kind)
          expect(typeof step.text).toBe('string')
        }
      ),
      { numRuns: 400 }
    )
  })

  it('mapLayers never throws, places layers only on lines that made them, or says why not', () => {
    const runs = tally()
    fc.assert(
      fc.property(layerCase, ({ text, history, diffIds, target }) => {
        const dockerfile = parseDockerfile(text)
        const image: ImageLayers = { diffIds, history }
        const map = mapLayers(dockerfile, image, target)
        const made = history.filter((entry) => !entry.emptyLayer).length
        const instructions = dockerfile.stages.flatMap((stage) => [stage.from, ...stage.instructions])
        const fromLines = dockerfile.stages.map((stage) => stage.from.line)
        runs.add(map.reliable ? 'reliable' : 'unreliable')
        if (!map.reliable) {
          expect(map.byDiffId.size).toBe(0)
          expect(typeof map.reason).toBe('string')
          expect(map.reason).not.toBe('')
          return
        }
        expect(made).toBe(diffIds.length)
        expect(dockerfile.stages.length).toBeGreaterThan(0)
        for (const [diffId, source] of map.byDiffId) {
          expect(diffIds).toContain(diffId)
          expect(instructions.map((instruction) => instruction.line)).toContain(source.line)
          expect(source.instruction.length).toBeLessThanOrEqual(80)
          if (source.base) expect(fromLines).toContain(source.line)
          runs.add(source.base ? 'on a FROM line' : 'on an instruction')
        }
        // Every layer is placed (distinct layer ids: each on one line).
        if (new Set(diffIds).size === diffIds.length) expect(map.byDiffId.size).toBe(diffIds.length)
      }),
      { numRuns: 400 }
    )
    for (const what of ['reliable', 'unreliable', 'on a FROM line'])
      expect(runs.count(what)).toBeGreaterThan(10)
  })

  it("mapLayers places every layer on the line that made it, when the history is the Dockerfile's", () => {
    const runs = tally()
    fc.assert(
      fc.property(consistentCase, ({ text, history, diffIds, expected, target }) => {
        const map = mapLayers(parseDockerfile(text), { diffIds, history }, target)
        expect(map.reliable).toBe(true)
        const placed = diffIds.map((diffId) => {
          const source = map.byDiffId.get(diffId)
          return source && { line: source.line, base: source.base }
        })
        expect(placed).toEqual(expected)
        for (const { base } of expected) runs.add(base ? 'base' : 'instruction')
      }),
      { numRuns: 300 }
    )
    expect(runs.count('base')).toBeGreaterThan(50)
    expect(runs.count('instruction')).toBeGreaterThan(100)
  })

  it('mapLayers reads the layers of the real reports against their Dockerfile', () => {
    const dockerfile = parseDockerfile(readFileSync(path.join(REPORTS, 'testbed.Dockerfile'), 'utf8'))
    for (const name of ['testbed-buildkit.json', 'testbed-classic.json']) {
      const layers = imageLayersOf(parseTrivyReport(readFileSync(path.join(REPORTS, name), 'utf8')))
      const map = mapLayers(dockerfile, layers)
      expect(map.reliable).toBe(true)
      expect(map.byDiffId.size).toBe(layers.diffIds.length)
    }
  })
})

// ---------------------------------------------------------------------------------------------
// splitCommandWords

/** Blank runs between words, as a shell splits on them. */
const blanks = fc
  .array(fc.constantFrom(' ', '\t', '\n'), { minLength: 1, maxLength: 3 })
  .map((b) => b.join(''))

describe('splitCommandWords', () => {
  it('gives back any words (of characters but the single quote) written in single quotes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string(), fc.string({ unit: 'binary' })).map((word) => word.replaceAll("'", '')),
          {
            maxLength: 8
          }
        ),
        blanks,
        (words, separator) => {
          const text = words.map((word) => `'${word}'`).join(separator)
          expect(splitCommandWords(text)).toEqual(words)
        }
      ),
      { numRuns: 400 }
    )
  })

  it("gives back any words at all quoted as a POSIX shell quotes them ('\\'' for a quote)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }), blanks, (words, separator) => {
        const text = words.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(separator)
        expect(splitCommandWords(text)).toEqual(words)
      }),
      { numRuns: 300 }
    )
  })

  it('splits text without quotes or backslashes on its blanks, like a shell', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab$`;|&(){}<>*?~=:/- \t\n') }), (text) => {
        expect(splitCommandWords(text)).toEqual(text.split(/\s+/).filter((word) => word !== ''))
      }),
      { numRuns: 300 }
    )
  })

  it('on any text returns words or says which quote is not closed, nothing else', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const outcome = attempt(() => splitCommandWords(text))
        if (!outcome.ok) {
          expectPlainError(outcome.error, /^the quote ['"] is not closed$/)
          const quote = (outcome.error as Error).message.charAt(10)
          expect(text).toContain(quote)
        } else {
          for (const word of outcome.value) expect(typeof word).toBe('string')
        }
      }),
      { numRuns: 400 }
    )
  })
})

// ---------------------------------------------------------------------------------------------
// parseDockerHost

const hostName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,12}[A-Za-z0-9])?$/),
  fc.constantFrom('[::1]', '[fe80::1]', '10.0.0.1', 'Example.COM')
)
const hostPort = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 65536, 99999)).map(String)
/** Hosts of the three forms, some with a port out of range, a trailing slash or blanks around. */
const wellFormedHost = fc
  .tuple(
    fc.oneof(
      fc
        .tuple(fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/)), hostName, fc.option(hostPort))
        .map(([user, host, port]) => `ssh://${user ? `${user}@` : ''}${host}${port ? `:${port}` : ''}`),
      fc.tuple(hostName, hostPort).map(([host, port]) => `tcp://${host}:${port}`),
      fc.stringMatching(/^\/[a-z0-9/._-]{0,20}$/).map((socket) => `unix://${socket}`)
    ),
    fc.constantFrom('', '/'),
    fc.constantFrom('', ' ', '\n')
  )
  .map(([url, slash, blank]) => `${blank}${url}${slash}${blank}`)
const hostText = fc.oneof(
  { arbitrary: wellFormedHost, weight: 3 },
  anyText,
  fc
    .tuple(
      fc.constantFrom('ssh://', 'tcp://', 'unix://', 'unix:///', 'http://', 'SSH://', ' ', ''),
      fc.array(
        fc.constantFrom(
          'user',
          '@',
          'host',
          '.',
          '-',
          'example.com',
          '[::1]',
          '[',
          ']',
          ':',
          '22',
          '0',
          '65536',
          '99999999999999999999',
          '/',
          ' ',
          'var/run/docker.sock',
          '_'
        ),
        { maxLength: 8 }
      )
    )
    .map(([scheme, parts]) => scheme + parts.join(''))
)

describe('parseDockerHost', () => {
  it('parses any text into a host it can reach or refuses it with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(hostText, (text) => {
        const outcome = attempt(() => parseDockerHost(text))
        runs.add(outcome.ok ? outcome.value.scheme : 'refused')
        if (!outcome.ok) {
          expectPlainError(
            outcome.error,
            /is not ssh:\/\/user@host\[:port\], tcp:\/\/host:port or unix:\/\/\/path$|^port \d+ is not between 1 and 65535$/
          )
          return
        }
        const host = outcome.value
        expect(host.url).toBe(text.trim())
        if (host.scheme === 'unix') {
          expect(host.path.startsWith('/')).toBe(true)
          expect(host.path).not.toMatch(/\s/)
        } else {
          expect(host.host).not.toBe('')
          expect(host.host).not.toMatch(/[\s/@]/)
          if (host.port !== undefined) {
            expect(Number.isInteger(host.port) && host.port >= 1 && host.port <= 65535).toBe(true)
          }
          if (host.scheme === 'tcp') expect(host.port).toBeDefined()
        }
      }),
      { numRuns: 500 }
    )
    for (const what of ['ssh', 'tcp', 'unix', 'refused']) expect(runs.count(what)).toBeGreaterThan(5)
  })

  it('reads back the parts of well-formed ssh:// and tcp:// hosts', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,20}[A-Za-z0-9])?$/)
    fc.assert(
      fc.property(
        fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { nil: undefined }),
        name,
        fc.integer({ min: 1, max: 65535 }),
        (user, host, port) => {
          expect(parseDockerHost(`ssh://${user ? `${user}@` : ''}${host}:${port}`)).toEqual({
            scheme: 'ssh',
            url: `ssh://${user ? `${user}@` : ''}${host}:${port}`,
            user,
            host,
            port
          })
          expect(parseDockerHost(`tcp://${host}:${port}/`)).toEqual({
            scheme: 'tcp',
            url: `tcp://${host}:${port}/`,
            host,
            port
          })
        }
      ),
      { numRuns: 300 }
    )
  })
})

// ---------------------------------------------------------------------------------------------
// Image names, references and registries

const PATH_GRAMMAR = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/
const pathComponent = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}$/)
/** Registries that parse, with what they normalise to. */
const GOOD_REGISTRIES: [string, string][] = [
  ['ghcr.io', 'ghcr.io'],
  ['localhost:5000', 'localhost:5000'],
  ['Registry.Example.COM:443', 'registry.example.com:443'],
  ['[::1]:5000', '[::1]:5000'],
  ['index.docker.io', 'docker.io'],
  ['localhost', 'localhost']
]
/**
 * Names of the grammar: an optional registry, then /-separated path components (without a
 * registry, the first has no `.`: it would name a registry host).
 */
const grammarName = fc
  .tuple(
    fc.option(fc.constantFrom(...GOOD_REGISTRIES), { nil: undefined }),
    fc.array(pathComponent, { minLength: 1, maxLength: 3 })
  )
  .filter(
    ([registry, path]) => registry !== undefined || path.length === 1 || !(path[0] as string).includes('.')
  )
const tagOrNot = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/).map((tag) => `:${tag}`),
  fc.constantFrom(':-bad', ':', `:${'x'.repeat(129)}`, '@sha256:abc', ':.x')
)
const wellFormedName = fc
  .tuple(
    fc.oneof(
      grammarName.map(([registry, path]) => `${registry ? `${registry[0]}/` : ''}${path.join('/')}`),
      fc
        .tuple(fc.constantFrom('a.b:0', 'x.io:70000', 'bad_host.io', 'Acme'), pathComponent)
        .map((parts) => parts.join('/'))
    ),
    tagOrNot
  )
  .map(([name, tag]) => name + tag)
const nameText = fc.oneof(
  { arbitrary: wellFormedName, weight: 3 },
  anyText,
  fc
    .array(
      fc.constantFrom(
        'ghcr.io',
        'localhost',
        'Registry.Example.COM',
        ':5000',
        ':0',
        ':99999',
        ':443',
        '/',
        'acme',
        'web',
        'Web',
        'a',
        '-',
        '_',
        '__',
        '.',
        '@sha256:abc',
        ':tag',
        ':1.2',
        '[::1]',
        '[',
        ' ',
        '..',
        '//'
      ),
      { maxLength: 10 }
    )
    .map((parts) => parts.join('')),
  fc.integer({ min: 250, max: 270 }).map((length) => `ghcr.io/${'a'.repeat(length)}`)
)

/** Registry addresses, well-formed or not, and any name text. */
const registryText = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.constantFrom(...GOOD_REGISTRIES.map(([registry]) => registry)),
          fc.constantFrom('a.b:0', 'x.io:70000', 'bad_host.io', 'HOST:1', '[::1]', '[::1', 'a..b', '-a.io'),
          hostName
        ),
        fc.constantFrom('', ' ', ':5000', ':0')
      )
      .map(([registry, suffix]) => registry + suffix),
    weight: 2
  },
  nameText
)

describe('image names, references and registries', () => {
  it('parseImageName gives a repository of the grammar or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(nameText, (text) => {
        const outcome = attempt(() => parseImageName(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        const name = outcome.value
        expect(name.name).toBe(text.trim())
        expect(name.name).not.toContain('@')
        expect(name.name.length).toBeLessThanOrEqual(255)
        expect(name.repository).toMatch(PATH_GRAMMAR)
        expect(name.registry).toBe(name.registry.toLowerCase())
        expect(name.registry).not.toBe('')
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })

  it('parseImageName accepts every name of the grammar and reads its registry and repository', () => {
    fc.assert(
      fc.property(grammarName, ([registry, path]) => {
        const name = `${registry ? `${registry[0]}/` : ''}${path.join('/')}`
        const host = registry?.[1] ?? 'docker.io'
        expect(parseImageName(name)).toEqual({
          registry: host,
          repository: host === 'docker.io' && path.length === 1 ? `library/${path[0]}` : path.join('/'),
          name
        })
      }),
      { numRuns: 300 }
    )
  })

  it('parseImageReference gives name:tag with a valid tag or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(nameText, (text) => {
        const outcome = attempt(() => parseImageReference(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        const reference = outcome.value
        expect(isValidTag(reference.tag)).toBe(true)
        expect(`${reference.image.name}:${reference.tag}`).toBe(text.trim())
        expect(reference.image.repository).toMatch(PATH_GRAMMAR)
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })

  it('parseRegistry gives a lowercase host[:port] or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(registryText, (text) => {
        const outcome = attempt(() => parseRegistry(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        expect(outcome.value).toBe(outcome.value.toLowerCase())
        expect(outcome.value).not.toMatch(/[\s/@]/)
        const port = /:(\d+)$/.exec(outcome.value)?.[1]
        if (port !== undefined && !outcome.value.endsWith(']')) {
          expect(Number(port) >= 1 && Number(port) <= 65535).toBe(true)
        }
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })
})
