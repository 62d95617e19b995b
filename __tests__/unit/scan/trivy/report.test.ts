import { describe, expect, it, test } from '@jest/globals'
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { findingsOf, type Finding } from '../../../../src/scan/trivy/findings.js'
import { parseTrivyReport } from '../../../../src/scan/trivy/report.js'

const REPORTS = path.join(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../__fixtures__/trivy/reports'
)
const reportText = (name: string): string => readFileSync(path.join(REPORTS, `${name}.json`), 'utf8')
const findings = (name: string): Finding[] => findingsOf(parseTrivyReport(reportText(name)))

/** `kind SEVERITY` -> how many, e.g. { 'vulnerability CRITICAL': 2 }. */
function tally(list: Finding[]): Record<string, number> {
  const counts: Record<string, number> = {}
  for (const finding of list) {
    const key = `${finding.kind} ${finding.severity}`
    counts[key] = (counts[key] ?? 0) + 1
  }
  return counts
}

/** A report of one result, for hand-made cases. */
const oneResult = (result: Record<string, unknown>): string =>
  JSON.stringify({ SchemaVersion: 2, ArtifactName: 'hand-made', Results: [{ Target: 'app', ...result }] })

describe("Trivy's golden reports", () => {
  // Counts checked against the files with jq (README of the fixtures: the same numbers).
  test.each([
    ['alpine-39', { 'vulnerability CRITICAL': 2, 'vulnerability MEDIUM': 4 }],
    ['alpine-39-high-critical', { 'vulnerability CRITICAL': 2 }],
    ['alpine-39-ignore-cveids', { 'vulnerability MEDIUM': 2 }],
    ['alpine-310', { 'vulnerability MEDIUM': 4 }],
    ['debian-buster', { 'vulnerability CRITICAL': 1, 'vulnerability LOW': 1 }],
    ['debian-buster-ignore-unfixed', { 'vulnerability CRITICAL': 1 }],
    ['fluentd-gems', { 'vulnerability CRITICAL': 1, 'vulnerability HIGH': 1 }],
    ['npm', { 'vulnerability MEDIUM': 1 }],
    ['secrets', { 'secret CRITICAL': 1, 'secret HIGH': 1 }],
    ['dockerfile', { 'misconfiguration HIGH': 1 }]
  ])('%s parses into exactly its findings', (name, expected) => {
    expect(tally(findings(name))).toEqual(expected)
  })

  it('parses every JSON report in the fixtures', () => {
    const names = readdirSync(REPORTS).filter((file) => file.endsWith('.json'))
    expect(names.length).toBeGreaterThanOrEqual(10)
    for (const file of names) {
      expect(() => parseTrivyReport(readFileSync(path.join(REPORTS, file), 'utf8'))).not.toThrow()
    }
  })

  it('keeps what a vulnerability finding needs, from an OS package', () => {
    expect(findings('alpine-39')[0]).toEqual({
      kind: 'vulnerability',
      id: 'CVE-2019-1549',
      otherIds: [],
      severity: 'MEDIUM',
      target: 'testdata/fixtures/images/alpine-39.tar.gz (alpine 3.9.4)',
      resultClass: 'os-pkgs',
      pkgName: 'libcrypto1.1',
      pkgPath: '',
      pkgVersion: '1.1.1b-r1',
      purl: 'pkg:apk/alpine/libcrypto1.1@1.1.1b-r1?arch=x86_64&distro=3.9.4',
      fixedVersion: '1.1.1d-r0',
      status: 'fixed',
      title: 'openssl: information disclosure in fork()',
      message: '',
      category: '',
      url: 'https://avd.aquasec.com/nvd/cve-2019-1549',
      layerDiffId: 'sha256:f1b5933fe4b5f49bbe8258745cf396afe07e625bdab3168e364daf7c956b6b81'
    })
  })

  it('keeps the package path and layer of a language package, and the image layers and history', () => {
    const report = parseTrivyReport(reportText('fluentd-gems'))
    const gem = findingsOf(report).find((finding) => finding.pkgName === 'activesupport')
    expect(gem).toMatchObject({
      target: 'Ruby',
      resultClass: 'lang-pkgs',
      pkgPath: 'var/lib/gems/2.5.0/specifications/activesupport-6.0.2.1.gemspec',
      purl: 'pkg:gem/activesupport@6.0.2.1',
      fixedVersion: '6.0.3.1, 5.2.4.3',
      layerDiffId: 'sha256:75e43d55939745950bc3f8fad56c5834617c4339f0f54755e69a0dd5372624e9'
    })
    expect(report.Metadata.DiffIDs).toHaveLength(6)
    const history = report.Metadata.ImageConfig?.history ?? []
    expect(history).toHaveLength(11)
    expect(history.filter((entry) => !entry.empty_layer)).toHaveLength(6)
    expect(history[0]?.created_by).toMatch(/^\/bin\/sh -c #\(nop\) ADD file:/)
    expect(report.Metadata.OS).toEqual({ Family: 'debian', Name: '10.2' })
    expect(report.Metadata.RepoDigests).toBeUndefined()
  })

  it('tells an unfixed vulnerability by its status', () => {
    expect(
      findings('debian-buster').map((finding) => [finding.id, finding.status, finding.fixedVersion])
    ).toEqual([
      ['CVE-2019-18276', 'affected', ''],
      ['CVE-2019-18224', 'fixed', '2.0.5-1+deb10u1']
    ])
  })

  it('keeps the lines of a secret but never its match, and drops the code around it', () => {
    const text = reportText('secrets')
    const report = parseTrivyReport(text)
    const list = findingsOf(report)
    expect(list.map((finding) => [finding.id, finding.category, finding.title, finding.lines])).toEqual([
      ['aws-access-key-id', 'AWS', 'AWS Access Key ID', { start: 3, end: 3 }],
      ['mysecret', 'Custom', 'My Secret', { start: 7, end: 7 }]
    ])
    expect(list[0]?.target).toBe('deploy.sh')
    expect(JSON.stringify(list)).not.toMatch(/AWS_ACCESS_KEY_ID|\*{5}|Match/)
    // The golden file has an unmasked token in the code lines around the second secret.
    expect(text).toContain('ghp_0123456789')
    expect(JSON.stringify(report)).not.toContain('ghp_0123456789')
    expect(report.Results[0]?.Secrets[0]?.Match).toBe('export AWS_ACCESS_KEY_ID=********************')
  })

  it('reads a misconfiguration of a Dockerfile scan with the aliases its check is known by', () => {
    expect(findings('dockerfile')).toEqual([
      expect.objectContaining({
        kind: 'misconfiguration',
        id: 'DS-0002',
        otherIds: ['AVD-DS-0002', 'DS002'],
        severity: 'HIGH',
        target: 'Dockerfile',
        status: 'FAIL',
        title: "Image user should not be 'root'",
        message: 'Specify at least 1 USER command in Dockerfile with non-root user as argument',
        url: 'https://avd.aquasec.com/misconfig/ds-0002'
      })
    ])
    expect(findings('dockerfile')[0]?.lines).toBeUndefined()
  })

  it('reads a repository scan without Metadata', () => {
    const report = parseTrivyReport(reportText('npm'))
    expect(report).toMatchObject({ ArtifactType: 'repository', Metadata: {} })
    expect(findingsOf(report)[0]).toMatchObject({ target: 'package-lock.json', layerDiffId: '' })
  })
})

describe('findings of hand-made reports', () => {
  it('gives no findings for a clean image, whose report has no Results', () => {
    const report = parseTrivyReport('{"SchemaVersion":2,"ArtifactName":"busybox:latest","Metadata":{}}')
    expect(report.Results).toEqual([])
    expect(findingsOf(report)).toEqual([])
  })

  test.each([
    ['a severity Trivy does not have', 'SEVERE', 'UNKNOWN'],
    ['no severity', undefined, 'UNKNOWN'],
    ['a lower-case severity', 'high', 'HIGH'],
    ['UNKNOWN', 'UNKNOWN', 'UNKNOWN']
  ])('maps %s to a severity of the scale', (_name, severity, expected) => {
    const report = parseTrivyReport(
      oneResult({ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Severity: severity }] })
    )
    expect(findingsOf(report)[0]?.severity).toBe(expected)
  })

  it('gives a vulnerability without a Status the status unknown, as Trivy does', () => {
    const report = parseTrivyReport(oneResult({ Vulnerabilities: [{ VulnerabilityID: 'CVE-1' }] }))
    expect(findingsOf(report)[0]?.status).toBe('unknown')
  })

  it('leaves out misconfigurations that passed or were excepted, keeping failures with their lines', () => {
    const report = parseTrivyReport(
      oneResult({
        Class: 'config',
        Misconfigurations: [
          { ID: 'DS-0001', Status: 'PASS', Severity: 'MEDIUM' },
          { ID: 'DS-0005', Status: 'EXCEPTION', Severity: 'LOW' },
          {
            ID: 'KSV-0011',
            AVDID: 'AVD-KSV-0011',
            Namespace: 'builtin.kubernetes.KSV011',
            Status: 'FAIL',
            Severity: 'LOW',
            CauseMetadata: { StartLine: 4, EndLine: 9 }
          },
          {
            ID: 'AWS-0175',
            Namespace: 'builtin.aws.accessanalyzer.aws0175',
            Status: 'FAIL',
            Severity: 'LOW'
          },
          { ID: 'CUSTOM-1', Namespace: 'user.custom', Status: 'FAIL', CauseMetadata: { StartLine: 2 } }
        ]
      })
    )
    expect(findingsOf(report).map((finding) => [finding.id, finding.otherIds, finding.lines])).toEqual([
      ['KSV-0011', ['AVD-KSV-0011', 'KSV011'], { start: 4, end: 9 }],
      ['AWS-0175', ['AVD-AWS-0175'], undefined],
      ['CUSTOM-1', ['AVD-CUSTOM-1'], { start: 2, end: 2 }]
    ])
  })

  it('reads licenses, whose path is the file they were found in', () => {
    const report = parseTrivyReport(
      oneResult({
        Class: 'license-file',
        Licenses: [
          {
            Severity: 'HIGH',
            Category: 'restricted',
            PkgName: '',
            FilePath: 'usr/share/gcc/LICENSE.txt',
            Name: 'GPL-3.0',
            Text: '',
            Confidence: 1,
            Link: 'https://spdx.org/licenses/GPL-3.0.html'
          }
        ]
      })
    )
    expect(findingsOf(report)).toEqual([
      expect.objectContaining({
        kind: 'license',
        id: 'GPL-3.0',
        severity: 'HIGH',
        pkgPath: 'usr/share/gcc/LICENSE.txt',
        category: 'restricted',
        title: 'GPL-3.0',
        url: 'https://spdx.org/licenses/GPL-3.0.html'
      })
    ])
  })

  it('lists findings in report order: per result, vulnerabilities, secrets, misconfigurations, licenses', () => {
    const report = parseTrivyReport(
      JSON.stringify({
        SchemaVersion: 2,
        Results: [
          {
            Target: 'a',
            Licenses: [{ Name: 'MIT', Severity: 'LOW' }],
            Secrets: [{ RuleID: 'github-pat', Severity: 'CRITICAL', StartLine: 1, EndLine: 1 }],
            Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Severity: 'HIGH' }]
          },
          { Target: 'b', Misconfigurations: [{ ID: 'DS-0002', Status: 'FAIL', Severity: 'HIGH' }] }
        ]
      })
    )
    expect(findingsOf(report).map((finding) => `${finding.target}:${finding.kind}`)).toEqual([
      'a:vulnerability',
      'a:secret',
      'a:license',
      'b:misconfiguration'
    ])
  })
})

describe('reports that are refused', () => {
  const alpine = reportText('alpine-39')
  test.each([
    ['an empty file', '', 'Trivy report is empty'],
    ['only white space', ' \n\t', 'Trivy report is empty'],
    [
      'a report cut short inside a list',
      '{"SchemaVersion": 2, "Results": [',
      'Trivy report is truncated: the JSON stops at line 1, column 34, before it is complete'
    ],
    [
      'a report cut short inside a string',
      '{\n  "SchemaVersion": 2,\n  "ArtifactName": "alp',
      'Trivy report is truncated: the JSON stops at line 3, column 23, before it is complete'
    ],
    [
      'a report cut short inside a literal',
      '{"SchemaVersion": 2, "Metadata": {"OS": {"EOSL": tr',
      'Trivy report is truncated: the JSON stops at line 1, column 52, before it is complete'
    ],
    [
      "a report cut short after a number's point",
      '{"SchemaVersion": 2, "x": 7.',
      'Trivy report is truncated: the JSON stops at line 1, column 29, before it is complete'
    ],
    [
      "a report cut short after a number's minus or exponent",
      '{"SchemaVersion": 2, "x": [-, 1e+',
      'Trivy report is not valid JSON: unexpected character at line 1, column 29'
    ],
    [
      "a report cut short inside a number's exponent",
      '{"SchemaVersion": 2, "x": [-1.5e+',
      'Trivy report is truncated: the JSON stops at line 1, column 34, before it is complete'
    ],
    [
      'a number whose point has no digit after it',
      '{"SchemaVersion": 2, "x": 7.}',
      'Trivy report is not valid JSON: unexpected character at line 1, column 29'
    ],
    [
      'a report nested 6000 levels deep and cut short',
      '['.repeat(6000),
      'Trivy report is truncated: the JSON stops at line 1, column 6001, before it is complete'
    ],
    [
      'a report of objects nested 4000 levels deep and cut short',
      '{"a":'.repeat(4000),
      'Trivy report is truncated: the JSON stops at line 1, column 20001, before it is complete'
    ],
    [
      'a report nested 6000 levels deep with a character out of place',
      `${'['.repeat(6000)}1}`,
      'Trivy report is not valid JSON: unexpected character at line 1, column 6002'
    ],
    [
      'text that is not JSON',
      'Fatal error: no DB',
      'Trivy report is not valid JSON: unexpected character at line 1, column 1'
    ],
    [
      'a trailing comma',
      '{\n  "SchemaVersion": 2,\n}',
      'Trivy report is not valid JSON: unexpected character at line 3, column 1'
    ],
    [
      'text after the report',
      '{"SchemaVersion": 2}\nWARN something',
      'Trivy report is not valid JSON: unexpected character at line 2, column 1'
    ],
    [
      'a report of SchemaVersion 1',
      '{"SchemaVersion": 1, "Results": []}',
      'Trivy report has SchemaVersion 1; only SchemaVersion 2 (Trivy v0.74.0) can be read'
    ],
    [
      'a SchemaVersion that is text',
      '{"SchemaVersion": "2"}',
      'Trivy report has SchemaVersion a string; only SchemaVersion 2 (Trivy v0.74.0) can be read'
    ],
    [
      'JSON of something else',
      '{"version": "2.1.0", "runs": []}',
      'Trivy report has no SchemaVersion: it is not a Trivy JSON report'
    ],
    ['a list', '[]', 'Trivy report: the top level must be an object, not a list'],
    [
      'Results that are not a list',
      '{"SchemaVersion": 2, "Results": {}}',
      'Trivy report: Results must be a list, not an object'
    ],
    [
      'a result without a Target',
      '{"SchemaVersion": 2, "Results": [{}]}',
      'Trivy report: Results[0].Target is missing'
    ],
    [
      'a vulnerability without an ID',
      oneResult({ Vulnerabilities: [{ VulnerabilityID: 'CVE-1' }, { PkgName: 'musl' }] }),
      'Trivy report: Results[0].Vulnerabilities[1].VulnerabilityID is missing'
    ],
    [
      'a severity that is a number',
      oneResult({ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Severity: 4 }] }),
      'Trivy report: Results[0].Vulnerabilities[0].Severity must be a string, not a number'
    ],
    [
      'a layer that is text',
      oneResult({ Vulnerabilities: [{ VulnerabilityID: 'CVE-1', Layer: 'sha256:abc' }] }),
      'Trivy report: Results[0].Vulnerabilities[0].Layer must be an object, not a string'
    ],
    [
      'a secret line that is text',
      oneResult({ Secrets: [{ RuleID: 'aws-access-key-id', StartLine: '3' }] }),
      'Trivy report: Results[0].Secrets[0].StartLine must be a line number, not a string'
    ],
    [
      'a secret without a rule',
      oneResult({ Secrets: [{ RuleID: '' }] }),
      'Trivy report: Results[0].Secrets[0].RuleID is empty'
    ],
    [
      'a misconfiguration without an ID',
      oneResult({ Misconfigurations: [{ Status: 'FAIL' }] }),
      'Trivy report: Results[0].Misconfigurations[0].ID is missing'
    ],
    [
      'a license without a name',
      oneResult({ Licenses: [{ Severity: 'HIGH' }] }),
      'Trivy report: Results[0].Licenses[0].Name is missing'
    ],
    [
      'layer IDs that are not text',
      '{"SchemaVersion": 2, "Metadata": {"DiffIDs": ["sha256:a", 7]}}',
      'Trivy report: Metadata.DiffIDs[1] must be a string, not a number'
    ],
    [
      'a history entry whose empty_layer is text',
      '{"SchemaVersion": 2, "Metadata": {"ImageConfig": {"history": [{"empty_layer": "true"}]}}}',
      'Trivy report: Metadata.ImageConfig.history[0].empty_layer must be true or false, not a string'
    ]
  ])('refuses %s', (_name, text, message) => {
    expect(() => parseTrivyReport(text)).toThrow(new Error(message))
  })

  it('says a real report cut in the middle is truncated', () => {
    expect(() => parseTrivyReport(alpine.slice(0, alpine.length / 2))).toThrow(
      /^Trivy report is truncated: the JSON stops at line \d+, column \d+, before it is complete$/
    )
  })

  it('never quotes the report, which may hold secrets', () => {
    const secret = 'ghp_0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZ'
    for (const text of [
      `{"SchemaVersion": 2, "Results": [{"Target": "x", "Secrets": [{"RuleID": "pat", "Match": ${secret}}]}]}`,
      `{"SchemaVersion": 2, "Results": [{"Target": "x", "Secrets": [{"RuleID": ["${secret}"]}]}]}`,
      `{"SchemaVersion": "${secret}"}`
    ]) {
      expect(() => parseTrivyReport(text)).toThrow()
      expect(() => parseTrivyReport(text)).not.toThrow(secret.slice(0, 8))
    }
  })
})
