import { readFileSync } from 'node:fs'
import path from 'node:path'
import { gzipSync } from 'node:zlib'
import { describe, expect, it } from '@jest/globals'
import Ajv04 from 'ajv-draft-04'
import addFormats from 'ajv-formats'
import type { Log, ReportingDescriptor, Result } from 'sarif'
import { finding, reportFixture, REPORTS, testbedScan } from '../../../../__fixtures__/findings.js'
import type { LayerMap } from '../../../../src/scan/dockerfile-map.js'
import {
  SARIF_MAX_BYTES,
  SARIF_MAX_RESULTS,
  SARIF_SCHEMA,
  sarifLog,
  type SarifInput
} from '../../../../src/scan/output/sarif.js'
import { findingsOf, type Finding } from '../../../../src/scan/trivy/findings.js'

const FIXTURES = path.join(path.dirname(new URL(import.meta.url).pathname), '../../../../__fixtures__')

const report = reportFixture

function testbedInput(over: Partial<SarifInput> = {}): SarifInput {
  return {
    ...testbedScan(),
    dockerfile: 'docker/testbed.Dockerfile',
    trivyVersion: '0.74.0',
    image: 'registry.example.com/team/app:sha-1234567',
    ...over
  }
}

const NO_LAYERS: LayerMap = { reliable: true, byDiffId: new Map() }

function run(log: Log) {
  expect(log.runs).toHaveLength(1)
  return log.runs[0] as NonNullable<Log['runs'][number]>
}

function rulesOf(log: Log): ReportingDescriptor[] {
  return run(log).tool.driver.rules ?? []
}

function resultsOf(log: Log): Result[] {
  return run(log).results ?? []
}

function lineOf(result: Result): number | undefined {
  return result.locations?.[0]?.physicalLocation?.region?.startLine
}

function fingerprintOf(result: Result): string | undefined {
  return result.partialFingerprints?.primaryLocationLineHash
}

/** How GitHub code scanning reads `security-severity` (its SARIF reference, reportingDescriptor). */
function codeScanningSeverity(score: string): string {
  const value = Number(score)
  if (value >= 9.0 && value <= 10.0) return 'critical'
  if (value >= 7.0 && value < 9.0) return 'high'
  if (value >= 4.0 && value < 7.0) return 'medium'
  if (value >= 0.1 && value < 4.0) return 'low'
  return 'none'
}

/** The official SARIF 2.1.0 schema (draft-04; provenance in __fixtures__/sarif/README.md). */
const validate = (() => {
  const ajv = new Ajv04.default({ allErrors: true, strict: false })
  addFormats.default(ajv)
  const schema = JSON.parse(readFileSync(path.join(FIXTURES, 'sarif/sarif-schema-2.1.0.json'), 'utf8'))
  return ajv.compile(schema)
})()

function schemaErrors(log: unknown): string[] {
  return validate(log) ? [] : (validate.errors ?? []).map((e) => `${e.instancePath} ${e.message}`)
}

describe('sarifLog on the test bed report', () => {
  const log = sarifLog(testbedInput())

  it('is one SARIF 2.1.0 run of Trivy', () => {
    expect(log.$schema).toBe(SARIF_SCHEMA)
    expect(log.version).toBe('2.1.0')
    expect(run(log).tool.driver).toMatchObject({
      name: 'Trivy',
      version: '0.74.0',
      informationUri: 'https://github.com/aquasecurity/trivy'
    })
    expect(run(log).properties).toEqual({ imageName: 'registry.example.com/team/app:sha-1234567' })
  })

  it('has one rule per finding ID, worst first, with code scanning severities', () => {
    expect(
      rulesOf(log).map((rule) => ({
        id: rule.id,
        name: rule.name,
        level: rule.defaultConfiguration?.level,
        severity: codeScanningSeverity(String(rule.properties?.['security-severity'])),
        tags: rule.properties?.tags,
        helpUri: rule.helpUri
      }))
    ).toEqual([
      {
        id: 'CVE-2019-14697',
        name: 'OsPackageVulnerability',
        level: 'error',
        severity: 'critical',
        tags: ['vulnerability', 'security', 'CRITICAL'],
        helpUri: 'https://avd.aquasec.com/nvd/cve-2019-14697'
      },
      {
        id: 'CVE-2019-1549',
        name: 'OsPackageVulnerability',
        level: 'warning',
        severity: 'medium',
        tags: ['vulnerability', 'security', 'MEDIUM'],
        helpUri: 'https://avd.aquasec.com/nvd/cve-2019-1549'
      },
      {
        id: 'CVE-2019-1551',
        name: 'OsPackageVulnerability',
        level: 'warning',
        severity: 'medium',
        tags: ['vulnerability', 'security', 'MEDIUM'],
        helpUri: 'https://avd.aquasec.com/nvd/cve-2019-1551'
      }
    ])
    const [musl, fork] = rulesOf(log)
    // The musl CVE has no title in the report: the descriptions still say what it is.
    expect(musl?.shortDescription?.text).toBe('Vulnerability CVE-2019-14697')
    expect(fork?.shortDescription?.text).toBe('openssl: information disclosure in fork()')
    expect(fork?.fullDescription?.text).toBe('openssl: information disclosure in fork()')
    expect(fork?.help?.text).toBe(
      [
        'Vulnerability CVE-2019-1549',
        'Severity: MEDIUM',
        'openssl: information disclosure in fork()',
        'Link: https://avd.aquasec.com/nvd/cve-2019-1549'
      ].join('\n')
    )
    expect(fork?.help?.markdown).toContain(
      '| MEDIUM | [CVE-2019-1549](https://avd.aquasec.com/nvd/cve-2019-1549) |'
    )
  })

  it('puts each result on the line that introduced its layer, at its level', () => {
    expect(
      resultsOf(log).map((result) => [
        result.ruleId,
        result.ruleIndex,
        result.level,
        lineOf(result),
        result.message.text?.split('\n')[0]
      ])
    ).toEqual([
      ['CVE-2019-14697', 0, 'error', 9, 'CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5'],
      ['CVE-2019-14697', 0, 'error', 9, 'CVE-2019-14697 (CRITICAL) musl-utils 1.1.20-r4, fixed in 1.1.20-r5'],
      [
        'CVE-2019-1549',
        1,
        'warning',
        11,
        'CVE-2019-1549 (MEDIUM) libcrypto1.1 1.1.1b-r1, fixed in 1.1.1d-r0'
      ],
      ['CVE-2019-1549', 1, 'warning', 11, 'CVE-2019-1549 (MEDIUM) libssl1.1 1.1.1b-r1, fixed in 1.1.1d-r0'],
      [
        'CVE-2019-1551',
        2,
        'warning',
        11,
        'CVE-2019-1551 (MEDIUM) libcrypto1.1 1.1.1b-r1, fixed in 1.1.1d-r2'
      ],
      ['CVE-2019-1551', 2, 'warning', 11, 'CVE-2019-1551 (MEDIUM) libssl1.1 1.1.1b-r1, fixed in 1.1.1d-r2']
    ])
    const [first] = resultsOf(log)
    expect(first?.message.text).toBe(
      [
        'CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5',
        'Introduced by FROM container-ship-test/alpine39:base',
        'Image: registry.example.com/team/app:sha-1234567'
      ].join('\n')
    )
    expect(first?.locations).toEqual([
      {
        physicalLocation: {
          artifactLocation: { uri: 'docker/testbed.Dockerfile', uriBaseId: '%SRCROOT%' },
          region: { startLine: 9, startColumn: 1, endLine: 9, endColumn: 1 }
        },
        message: { text: 'FROM container-ship-test/alpine39:base' }
      }
    ])
  })

  it('levels, tags and rule shape agree with Trivy’s own SARIF of the same CVEs', () => {
    const golden = JSON.parse(readFileSync(path.join(REPORTS, 'alpine-310.sarif'), 'utf8')) as Log
    const goldenRun = run(golden)
    for (const goldenRule of goldenRun.tool.driver.rules ?? []) {
      const ours = rulesOf(log).find((rule) => rule.id === goldenRule.id)
      expect(ours).toBeDefined()
      expect(ours?.name).toBe(goldenRule.name)
      expect(ours?.defaultConfiguration).toEqual(goldenRule.defaultConfiguration)
      expect(ours?.helpUri).toBe(goldenRule.helpUri)
      expect(ours?.properties?.precision).toBe(goldenRule.properties?.precision)
      expect(ours?.properties?.tags).toEqual(goldenRule.properties?.tags)
      // Trivy's score is the CVSS score (5.3), ours Trivy's score for the severity (5.5): both medium.
      expect(codeScanningSeverity(String(ours?.properties?.['security-severity']))).toBe(
        codeScanningSeverity(String(goldenRule.properties?.['security-severity']))
      )
    }
    for (const goldenResult of goldenRun.results ?? []) {
      const ours = resultsOf(log).find((result) => result.ruleId === goldenResult.ruleId)
      expect(ours?.level).toBe(goldenResult.level)
    }
    expect(run(log).columnKind).toBe(goldenRun.columnKind)
  })

  it('says why a finding is on line 1 when its layer cannot be placed', () => {
    const unplaced = sarifLog(
      testbedInput({
        layers: { reliable: false, reason: 'the Dockerfile is not on this machine', byDiffId: new Map() }
      })
    )
    expect(resultsOf(unplaced).map(lineOf)).toEqual([1, 1, 1, 1, 1, 1])
    expect(resultsOf(unplaced)[0]?.message.text).toContain(
      'Placed on line 1: the image history and its layers disagree (the Dockerfile is not on this machine).'
    )
    expect(resultsOf(unplaced)[0]?.locations?.[0]?.message).toBeUndefined()
  })
})

describe('sarifLog against the SARIF 2.1.0 schema', () => {
  it('rejects what is not SARIF 2.1.0, and accepts Trivy’s own SARIF', () => {
    const log = sarifLog(testbedInput())
    expect(schemaErrors({ ...log, version: '2.0.0' })).not.toEqual([])
    expect(schemaErrors({ ...log, runs: [{ ...run(log), tool: {} }] })).not.toEqual([])
    expect(schemaErrors(JSON.parse(readFileSync(path.join(REPORTS, 'alpine-310.sarif'), 'utf8')))).toEqual([])
  })

  it('validates the test bed log, also when nothing was placed', () => {
    expect(schemaErrors(sarifLog(testbedInput()))).toEqual([])
    expect(
      schemaErrors(
        sarifLog(
          testbedInput({
            layers: { reliable: false, reason: 'no history', byDiffId: new Map() },
            trivyVersion: ''
          })
        )
      )
    ).toEqual([])
  })

  it('validates every kind of finding, and a log with none', () => {
    const findings = [
      ...findingsOf(report('secrets.json')),
      ...findingsOf(report('dockerfile.json')),
      ...findingsOf(report('fluentd-gems.json')),
      ...findingsOf(report('npm.json')),
      finding({
        kind: 'license',
        id: 'GPL-2.0-only',
        severity: 'HIGH',
        target: 'OS Packages',
        resultClass: 'license',
        pkgName: 'musl',
        pkgVersion: '',
        fixedVersion: '',
        status: '',
        title: 'GPL-2.0-only',
        category: 'restricted',
        url: 'https://spdx.org/licenses/GPL-2.0-only.html'
      }),
      finding({ id: 'CVE-2026-0002', title: 'a | table * breaking _title_ <b>', url: 'not a url' })
    ]
    expect(new Set(findings.map((f) => f.kind))).toEqual(
      new Set(['vulnerability', 'secret', 'misconfiguration', 'license'])
    )
    const log = sarifLog({
      findings,
      layers: NO_LAYERS,
      dockerfile: './build/My Dockerfile',
      trivyVersion: '0.74.0',
      image: 'app:1'
    })
    expect(schemaErrors(log)).toEqual([])
    expect(resultsOf(log)).toHaveLength(findings.length)
    expect(resultsOf(log)[0]?.locations?.[0]?.physicalLocation?.artifactLocation?.uri).toBe(
      'build/My%20Dockerfile'
    )
    const names = Object.fromEntries(rulesOf(log).map((rule) => [rule.id, rule.name]))
    expect(names).toMatchObject({
      'aws-access-key-id': 'Secret',
      'DS-0002': 'Misconfiguration',
      'GPL-2.0-only': 'License'
    })
    // A URL that is not one is left out rather than failing the upload.
    expect(rulesOf(log).find((rule) => rule.id === 'CVE-2026-0002')?.helpUri).toBeUndefined()
    const misconf = resultsOf(log).find((result) => result.ruleId === 'DS-0002')
    expect(misconf?.message.text).toContain(
      'Specify at least 1 USER command in Dockerfile with non-root user as argument'
    )
    expect(
      schemaErrors(
        sarifLog({
          findings: [],
          layers: NO_LAYERS,
          dockerfile: 'Dockerfile',
          trivyVersion: '0.74.0',
          image: 'a'
        })
      )
    ).toEqual([])
  })

  it('refuses a Dockerfile outside the workspace', () => {
    for (const dockerfile of ['/github/workspace/Dockerfile', '../Dockerfile', 'C:\\src\\Dockerfile', '.']) {
      expect(() => sarifLog(testbedInput({ dockerfile }))).toThrow(/relative to the workspace/)
    }
  })
})

describe('partialFingerprints', () => {
  it('are the same from run to run, whatever the image tag, Trivy version or line', () => {
    const first = resultsOf(sarifLog(testbedInput())).map(fingerprintOf)
    expect(first.every((fp) => /^[0-9a-f]{32}:1$/.test(fp ?? ''))).toBe(true)
    expect(resultsOf(sarifLog(testbedInput())).map(fingerprintOf)).toEqual(first)
    const later = sarifLog(
      testbedInput({
        image: 'registry.example.com/team/app:sha-89abcde',
        trivyVersion: '0.75.0',
        layers: { reliable: false, reason: 'moved', byDiffId: new Map() }
      })
    )
    expect(resultsOf(later).map(fingerprintOf)).toEqual(first)
  })

  it('are distinct per package, and change with the version or the Dockerfile', () => {
    const results = resultsOf(sarifLog(testbedInput()))
    expect(new Set(results.map(fingerprintOf)).size).toBe(results.length)
    const base = { layers: NO_LAYERS, trivyVersion: '0.74.0', image: 'app:1' }
    const one = (f: Finding, dockerfile = 'Dockerfile') =>
      fingerprintOf(resultsOf(sarifLog({ ...base, findings: [f], dockerfile }))[0] as Result)
    const pkg = finding({ pkgName: 'openssl', pkgVersion: '1.0' })
    expect(one(finding({ pkgName: 'openssl', pkgVersion: '1.1' }))).not.toBe(one(pkg))
    expect(one(pkg, 'other/Dockerfile')).not.toBe(one(pkg))
    expect(one(finding({ pkgName: 'openssl', pkgVersion: '1.0', fixedVersion: '9' }))).toBe(one(pkg))
  })

  it('count identical findings apart', () => {
    const twice = [finding({}), finding({})]
    const log = sarifLog({
      findings: twice,
      layers: NO_LAYERS,
      dockerfile: 'Dockerfile',
      trivyVersion: '',
      image: 'a'
    })
    const [a, b] = resultsOf(log).map(fingerprintOf)
    expect(a?.endsWith(':1')).toBe(true)
    expect(b).toBe(`${a?.slice(0, -2)}:2`)
  })
})

describe('GitHub’s upload limits', () => {
  const base = { layers: NO_LAYERS, dockerfile: 'Dockerfile', trivyVersion: '0.74.0', image: 'app:1' }

  it('keeps the worst 5,000 results of a larger report and says so', () => {
    const findings = Array.from({ length: 6500 }, (_, i) =>
      finding({
        id: `CVE-2026-${String(i % 700).padStart(5, '0')}`,
        pkgName: `pkg-${i}`,
        severity: i % 5 === 0 ? 'CRITICAL' : i % 5 === 1 ? 'HIGH' : 'LOW'
      })
    )
    const log = sarifLog({ ...base, findings })
    const results = resultsOf(log)
    expect(results).toHaveLength(SARIF_MAX_RESULTS)
    // 1,300 CRITICAL and 1,300 HIGH all stay; LOW ones fill the rest.
    expect(results.filter((r) => r.level === 'error')).toHaveLength(2600)
    expect(results.slice(0, 1300).every((r) => r.level === 'error')).toBe(true)
    expect(rulesOf(log).length).toBeLessThanOrEqual(25000)
    expect(rulesOf(log).every((rule) => (rule.properties?.tags?.length ?? 0) <= 10)).toBe(true)
    expect(results.every((r) => r.locations?.length === 1)).toBe(true)
    // Every result points at its own rule.
    expect(results.every((r) => rulesOf(log)[r.ruleIndex ?? -1]?.id === r.ruleId)).toBe(true)
    expect(run(log).properties).toMatchObject({
      truncated: true,
      note: '5000 of 6500 findings are in this log, the worst first: GitHub code scanning keeps 5000 results of a run. The step summary and the report file list them all.'
    })
    expect(schemaErrors(log)).toEqual([])
  })

  it('stays under 10 MB, gzipped or not, with long texts', () => {
    const long = 'x'.repeat(3000)
    const findings = Array.from({ length: SARIF_MAX_RESULTS }, (_, i) =>
      finding({
        id: `CVE-2026-${String(i).padStart(5, '0')}-${long.slice(0, 40)}`,
        title: `${i} ${long}`,
        pkgName: `pkg-${i}-${long.slice(0, 200)}`,
        url: `https://avd.aquasec.com/nvd/cve-2026-${i}`
      })
    )
    const log = sarifLog({ ...base, findings })
    const text = JSON.stringify(log)
    expect(Buffer.byteLength(text)).toBeLessThanOrEqual(SARIF_MAX_BYTES)
    expect(gzipSync(JSON.stringify(log, null, 2)).length).toBeLessThan(SARIF_MAX_BYTES)
    const shown = resultsOf(log).length
    expect(shown).toBeGreaterThan(1000)
    expect(shown).toBeLessThan(SARIF_MAX_RESULTS)
    expect(run(log).properties?.note).toBe(
      `${shown} of ${SARIF_MAX_RESULTS} findings are in this log, the worst first: GitHub takes at most 10 MB of SARIF. The step summary and the report file list them all.`
    )
    // GitHub's limits on a rule's name and descriptions.
    for (const rule of rulesOf(log)) {
      expect(rule.shortDescription?.text.length).toBeLessThanOrEqual(1024)
      expect(rule.fullDescription?.text.length).toBeLessThanOrEqual(1024)
      expect(rule.name?.length ?? 0).toBeLessThanOrEqual(255)
    }
  })
})
