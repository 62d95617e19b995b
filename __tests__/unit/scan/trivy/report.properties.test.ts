// Property-based tests of the Trivy report reader (src/scan/trivy/report.ts): on any text, JSON of any
// shape, and the real reports of __fixtures__/trivy/reports damaged, parseTrivyReport either gives a
// report that keeps its documented promises or throws a plain Error with a message of its own, never a
// crash (TypeError, RangeError, a stack trace, a value printed as [object Object]).
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { SEVERITIES } from '../../../../src/scan/severity.js'
import { findingsOf } from '../../../../src/scan/trivy/findings.js'
import { imageLayersOf, parseTrivyReport, type TrivyReport } from '../../../../src/scan/trivy/report.js'
import { anyText } from '../../../support/arbitraries.js'
import { attempt, expectPlainError, tally } from '../../../support/property-checks.js'

const REPORTS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../__fixtures__/trivy/reports'
)

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
