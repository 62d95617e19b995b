import { describe, expect, it, test } from '@jest/globals'
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { decideGate, reportedFindings, type GateOptions } from '../../../src/scan/gate.js'
import { finding } from '../../../__fixtures__/findings.js'
import { countBySeverity, type Severity } from '../../../src/scan/severity.js'
import { parsePlainIgnore, parseYamlIgnore } from '../../../src/scan/ignore/ignore-file.js'
import { findingsOf, type Finding } from '../../../src/scan/trivy/findings.js'
import { parseTrivyReport } from '../../../src/scan/trivy/report.js'

const REPORTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../__fixtures__/trivy/reports')
const fixture = (name: string): Finding[] =>
  findingsOf(parseTrivyReport(readFileSync(path.join(REPORTS, `${name}.json`), 'utf8')))
const NOW = new Date('2025-03-01T12:00:00Z')

/** The action's defaults: threshold HIGH, no budgets, nothing ignored. */
const options = (over: Partial<GateOptions> = {}): GateOptions => ({
  severityThreshold: 'HIGH',
  maxFindings: {},
  ignoreUnfixed: false,
  ignoreRules: [],
  ...over
})

let serial = 0
const made = (severity: Severity, over: Partial<Finding> = {}): Finding =>
  finding({
    id: `CVE-2025-${String(++serial).padStart(4, '0')}`,
    severity,
    target: 'app (debian 12.5)',
    pkgName: 'openssl',
    pkgVersion: '3.0.11-1',
    fixedVersion: '3.0.13-1',
    ...over
  })
const many = (count: number, severity: Severity, over: Partial<Finding> = {}): Finding[] =>
  Array.from({ length: count }, () => made(severity, over))
const messages = (findings: Finding[], over: Partial<GateOptions> = {}, now = NOW): string[] =>
  decideGate(findings, options(over), now).failures.map((failure) => failure.message)

describe('the severity threshold', () => {
  test.each<[string, string, Severity | 'none', string[]]>([
    ['alpine-39', 'the default HIGH', 'HIGH', ['2 CRITICAL findings at or above the threshold HIGH']],
    ['alpine-39', 'CRITICAL', 'CRITICAL', ['2 CRITICAL findings at or above the threshold CRITICAL']],
    [
      'alpine-39',
      'MEDIUM',
      'MEDIUM',
      [
        '2 CRITICAL findings at or above the threshold MEDIUM',
        '4 MEDIUM findings at or above the threshold MEDIUM'
      ]
    ],
    ['alpine-39', 'none', 'none', []],
    ['alpine-310', 'the default HIGH', 'HIGH', []],
    ['alpine-310', 'MEDIUM', 'MEDIUM', ['4 MEDIUM findings at or above the threshold MEDIUM']],
    [
      'fluentd-gems',
      'LOW',
      'LOW',
      ['1 CRITICAL finding at or above the threshold LOW', '1 HIGH finding at or above the threshold LOW']
    ],
    [
      'debian-buster',
      'UNKNOWN',
      'UNKNOWN',
      [
        '1 CRITICAL finding at or above the threshold UNKNOWN',
        '1 LOW finding at or above the threshold UNKNOWN'
      ]
    ],
    ['npm', 'the default HIGH', 'HIGH', []]
  ])('%s with %s', (name, _label, severityThreshold, expected) => {
    const verdict = decideGate(fixture(name), options({ severityThreshold }), NOW)
    expect(verdict.failures.map((failure) => failure.message)).toEqual(expected)
    expect(verdict.passed).toBe(expected.length === 0)
  })

  it('names the rule, the severity, the count and the threshold of each failure', () => {
    expect(decideGate(fixture('alpine-39'), options(), NOW)).toMatchObject({
      passed: false,
      failures: [
        {
          rule: 'severity-threshold',
          severity: 'CRITICAL',
          count: 2,
          threshold: 'HIGH',
          message: '2 CRITICAL findings at or above the threshold HIGH'
        }
      ],
      counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 4, HIGH: 0, CRITICAL: 2 },
      ignored: [],
      expiredIgnores: []
    })
  })

  it('passes when nothing was found', () => {
    expect(decideGate([], options({ severityThreshold: 'UNKNOWN' }), NOW)).toEqual({
      passed: true,
      failures: [],
      counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 },
      remaining: [],
      ignored: [],
      expiredIgnores: []
    })
  })
})

describe('budgets (max-findings)', () => {
  test.each<[string, Partial<Record<Severity, number>>, string[]]>([
    ['a budget the count exceeds', { MEDIUM: 3 }, ['MEDIUM: 4 findings over the budget of 3']],
    ['a budget the count meets', { MEDIUM: 4 }, []],
    ['a budget of 0', { CRITICAL: 0 }, ['CRITICAL: 2 findings over the budget of 0']],
    ['a budget of a severity not found', { HIGH: 0, LOW: 0 }, []],
    [
      'several budgets, reported from CRITICAL down',
      { MEDIUM: 1, CRITICAL: 1 },
      ['CRITICAL: 2 findings over the budget of 1', 'MEDIUM: 4 findings over the budget of 1']
    ]
  ])('alpine-39 with threshold none and %s', (_name, maxFindings, expected) => {
    expect(messages(fixture('alpine-39'), { severityThreshold: 'none', maxFindings })).toEqual(expected)
  })

  it('says a single finding over the budget in the singular', () => {
    expect(messages(many(1, 'LOW'), { severityThreshold: 'none', maxFindings: { LOW: 0 } })).toEqual([
      'LOW: 1 finding over the budget of 0'
    ])
  })

  it('names the rule, the severity, the count and the budget', () => {
    expect(
      decideGate(many(7, 'HIGH'), options({ severityThreshold: 'none', maxFindings: { HIGH: 5 } }), NOW)
        .failures
    ).toEqual([
      {
        rule: 'max-findings',
        severity: 'HIGH',
        count: 7,
        budget: 5,
        message: 'HIGH: 7 findings over the budget of 5'
      }
    ])
  })
})

describe('threshold and budgets together', () => {
  test.each<[string, Finding[], Partial<GateOptions>, string[]]>([
    [
      'both fail: threshold reasons first, then budgets',
      fixture('alpine-39'),
      { maxFindings: { MEDIUM: 3 } },
      ['2 CRITICAL findings at or above the threshold HIGH', 'MEDIUM: 4 findings over the budget of 3']
    ],
    [
      'a budget below the threshold fails although the threshold passes',
      fixture('alpine-310'),
      { maxFindings: { MEDIUM: 2 } },
      ['MEDIUM: 4 findings over the budget of 2']
    ],
    [
      'a budget at the threshold replaces it for that severity: over the budget',
      many(7, 'HIGH'),
      { maxFindings: { HIGH: 5 } },
      ['HIGH: 7 findings over the budget of 5']
    ],
    [
      'a budget at the threshold replaces it for that severity: within the budget',
      many(5, 'HIGH'),
      { maxFindings: { HIGH: 5 } },
      []
    ],
    [
      'critical=0,high=5 with the default threshold: CRITICAL by its budget, HIGH within',
      [...many(1, 'CRITICAL'), ...many(5, 'HIGH')],
      { maxFindings: { CRITICAL: 0, HIGH: 5 } },
      ['CRITICAL: 1 finding over the budget of 0']
    ],
    [
      'a severity over the threshold without a budget still fails by the threshold',
      [...many(1, 'CRITICAL'), ...many(5, 'HIGH')],
      { maxFindings: { HIGH: 5 } },
      ['1 CRITICAL finding at or above the threshold HIGH']
    ],
    [
      'a budget within its limit, with the threshold above it',
      [...many(5, 'HIGH'), ...many(9, 'LOW')],
      { severityThreshold: 'CRITICAL', maxFindings: { CRITICAL: 0, HIGH: 5 } },
      []
    ],
    [
      'one over the budget, with the threshold above it',
      [...many(6, 'HIGH'), ...many(9, 'LOW')],
      { severityThreshold: 'CRITICAL', maxFindings: { CRITICAL: 0, HIGH: 5 } },
      ['HIGH: 6 findings over the budget of 5']
    ]
  ])('%s', (_name, findings, over, expected) => {
    expect(messages(findings, over)).toEqual(expected)
  })
})

describe('ignores', () => {
  it("leaves what Trivy's own --ignorefile run left (alpine-39 against alpine-39-ignore-cveids)", () => {
    const rules = parsePlainIgnore('# accepted\nCVE-2019-1549\nCVE-2019-14697 exp:2030-01-01\n')
    const verdict = decideGate(fixture('alpine-39'), options({ ignoreRules: rules }), NOW)
    const key = (finding: Finding): string => `${finding.id} ${finding.pkgName}`
    expect(verdict.remaining.map(key)).toEqual(fixture('alpine-39-ignore-cveids').map(key))
    expect(verdict.passed).toBe(true)
    expect(verdict.counts).toEqual({ UNKNOWN: 0, LOW: 0, MEDIUM: 2, HIGH: 0, CRITICAL: 0 })
    expect(verdict.ignored.map((item) => item.message)).toEqual([
      'CVE-2019-1549 (libcrypto1.1): ignored by .trivyignore line 2',
      'CVE-2019-1549 (libssl1.1): ignored by .trivyignore line 2',
      'CVE-2019-14697 (musl): ignored by .trivyignore line 3 until 2030-01-01',
      'CVE-2019-14697 (musl-utils): ignored by .trivyignore line 3 until 2030-01-01'
    ])
    expect(verdict.ignored[0]).toMatchObject({
      reason: 'ignore-file',
      rule: { id: 'CVE-2019-1549', line: 2 }
    })
  })

  test.each<[string, string, boolean, string[]]>([
    ['without ignores, over the budget', '', false, ['MEDIUM: 4 findings over the budget of 2']],
    ['an ignore that brings the count to the budget', 'CVE-2019-1549', true, []],
    [
      'an ignore of another severity, still over',
      'CVE-2019-14697',
      false,
      ['MEDIUM: 4 findings over the budget of 2']
    ]
  ])('a MEDIUM budget of 2 on alpine-39, %s', (_name, ignoreFile, passed, expected) => {
    const verdict = decideGate(
      fixture('alpine-39'),
      options({
        severityThreshold: 'none',
        maxFindings: { MEDIUM: 2 },
        ignoreRules: parsePlainIgnore(ignoreFile)
      }),
      NOW
    )
    expect(verdict.failures.map((failure) => failure.message)).toEqual(expected)
    expect(verdict.passed).toBe(passed)
  })

  it('quotes the statement of a YAML entry and ignores a misconfiguration by the ID Trivy docs use', () => {
    const rules = parseYamlIgnore(
      'misconfigurations:\n  - id: AVD-DS-0002\n    statement: The image needs root privileges\n',
      '.trivyignore.yaml'
    )
    const verdict = decideGate(fixture('dockerfile'), options({ ignoreRules: rules }), NOW)
    expect(verdict.passed).toBe(true)
    expect(verdict.ignored.map((item) => item.message)).toEqual([
      'DS-0002 (Dockerfile): ignored by .trivyignore.yaml line 2: The image needs root privileges'
    ])
  })

  it('counts a finding again once its ignore rule has expired, and says so', () => {
    const rules = parsePlainIgnore('CVE-2019-14697 exp:2024-01-01')
    const before = decideGate(
      fixture('alpine-39'),
      options({ ignoreRules: rules }),
      new Date('2023-12-31T23:00:00Z')
    )
    expect(before.passed).toBe(true)
    expect(before.expiredIgnores).toEqual([])

    const after = decideGate(fixture('alpine-39'), options({ ignoreRules: rules }), NOW)
    expect(after.failures.map((failure) => failure.message)).toEqual([
      '2 CRITICAL findings at or above the threshold HIGH'
    ])
    expect(after.ignored).toEqual([])
    expect(after.expiredIgnores.map((item) => item.message)).toEqual([
      'CVE-2019-14697 (musl): the ignore rule at .trivyignore line 1 expired on 2024-01-01, so it counts again',
      'CVE-2019-14697 (musl-utils): the ignore rule at .trivyignore line 1 expired on 2024-01-01, so it counts again'
    ])
  })
})

describe('ignore-unfixed', () => {
  it("drops what Trivy's --ignore-unfixed run dropped (debian-buster against debian-buster-ignore-unfixed)", () => {
    const verdict = decideGate(
      fixture('debian-buster'),
      options({ severityThreshold: 'none', ignoreUnfixed: true }),
      NOW
    )
    expect(verdict.remaining.map((finding) => finding.id)).toEqual(
      fixture('debian-buster-ignore-unfixed').map((finding) => finding.id)
    )
    expect(verdict.passed).toBe(true)
    expect(verdict.ignored).toEqual([
      expect.objectContaining({
        reason: 'unfixed',
        message: 'CVE-2019-18276 (bash): status affected, not fixed (ignore-unfixed)'
      })
    ])
  })

  test.each<[string, boolean, Partial<GateOptions>, string[]]>([
    [
      'threshold none and a LOW budget of 0, without it',
      false,
      { severityThreshold: 'none', maxFindings: { LOW: 0 } },
      ['LOW: 1 finding over the budget of 0']
    ],
    [
      'threshold none and a LOW budget of 0, with it',
      true,
      { severityThreshold: 'none', maxFindings: { LOW: 0 } },
      []
    ],
    [
      'threshold LOW, with it: the fixed CRITICAL still fails',
      true,
      { severityThreshold: 'LOW' },
      ['1 CRITICAL finding at or above the threshold LOW']
    ]
  ])('debian-buster with %s', (_name, ignoreUnfixed, over, expected) => {
    expect(messages(fixture('debian-buster'), { ...over, ignoreUnfixed })).toEqual(expected)
  })

  test.each([
    ['will_not_fix', true],
    ['fix_deferred', true],
    ['end_of_life', true],
    ['unknown', true],
    ['affected', true],
    ['fixed', false]
  ])('drops a vulnerability of status %s: %s', (status, dropped) => {
    const verdict = decideGate([made('CRITICAL', { status })], options({ ignoreUnfixed: true }), NOW)
    expect(verdict.ignored.length === 1).toBe(dropped)
    expect(verdict.passed).toBe(dropped)
  })

  it('comes before the ignore file, as in Trivy', () => {
    const verdict = decideGate(
      fixture('debian-buster'),
      options({ ignoreUnfixed: true, ignoreRules: parsePlainIgnore('CVE-2019-18276') }),
      NOW
    )
    expect(verdict.ignored.map((item) => [item.finding.id, item.reason])).toEqual([
      ['CVE-2019-18276', 'unfixed']
    ])
  })

  it('leaves secrets and misconfigurations alone: they have no fix to wait for', () => {
    const findings = [...fixture('secrets'), ...fixture('dockerfile')]
    const verdict = decideGate(findings, options({ ignoreUnfixed: true }), NOW)
    expect(verdict.ignored).toEqual([])
    expect(verdict.remaining).toHaveLength(3)
  })
})

describe('secrets and misconfigurations', () => {
  it('count by their severity like vulnerabilities', () => {
    expect(messages(fixture('secrets'))).toEqual([
      '1 CRITICAL finding at or above the threshold HIGH',
      '1 HIGH finding at or above the threshold HIGH'
    ])
    expect(messages(fixture('dockerfile'))).toEqual(['1 HIGH finding at or above the threshold HIGH'])
    expect(messages(fixture('secrets'), { severityThreshold: 'none', maxFindings: { HIGH: 0 } })).toEqual([
      'HIGH: 1 finding over the budget of 0'
    ])
  })

  it('are ignored by their rule ID and file', () => {
    const rules = parseYamlIgnore(
      'secrets:\n  - id: mysecret\n    paths: ["*.sh"]\n  - id: aws-access-key-id\n    paths: ["docs/*"]\n'
    )
    const verdict = decideGate(fixture('secrets'), options({ ignoreRules: rules }), NOW)
    expect(verdict.ignored.map((item) => item.finding.id)).toEqual(['mysecret'])
    expect(verdict.failures.map((failure) => failure.message)).toEqual([
      '1 CRITICAL finding at or above the threshold HIGH'
    ])
  })

  it('count together with vulnerabilities against one budget', () => {
    const findings = [...fixture('fluentd-gems'), ...fixture('secrets'), ...fixture('dockerfile')]
    expect(countBySeverity(findings)).toEqual({ UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 3, CRITICAL: 2 })
    expect(messages(findings, { severityThreshold: 'none', maxFindings: { HIGH: 2 } })).toEqual([
      'HIGH: 3 findings over the budget of 2'
    ])
  })
})

describe('what is reported', () => {
  test.each<[Severity[], number]>([
    [['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'], 6],
    [['HIGH', 'CRITICAL'], 2],
    [['MEDIUM'], 4],
    [['LOW'], 0]
  ])('severities %j report %i of alpine-39, and the verdict stays the same', (severities, count) => {
    const findings = fixture('alpine-39')
    const verdict = decideGate(findings, options(), NOW)
    const reported = reportedFindings(verdict.remaining, severities)
    expect(reported).toHaveLength(count)
    expect(reported.every((finding) => severities.includes(finding.severity))).toBe(true)
    expect(decideGate(findings, options(), NOW)).toEqual(verdict)
    expect(verdict.failures.map((failure) => failure.message)).toEqual([
      '2 CRITICAL findings at or above the threshold HIGH'
    ])
  })

  it("matches Trivy's --severity HIGH,CRITICAL run (alpine-39-high-critical)", () => {
    const key = (finding: Finding): string => `${finding.id} ${finding.pkgName}`
    expect(reportedFindings(fixture('alpine-39'), ['HIGH', 'CRITICAL']).map(key)).toEqual(
      fixture('alpine-39-high-critical').map(key)
    )
  })
})
