// The real Trivy (v0.74.0, scripts/testbed.sh) run by the action, with the test bed's offline DB
// built from Trivy's own fixture YAML, against Trivy's own golden report for Alpine 3.9.4
// (__fixtures__/trivy/reports/alpine-39.json, integration/testdata/alpine-39.json.golden at
// v0.74.0). The test bed image is not the golden's image: it holds only some of its packages
// (alpine-baselayout, busybox, musl, musl-utils; no openssl), so the golden's findings are
// narrowed to the packages Trivy reports as installed in the image, and those must be exactly
// the findings the action's report file holds: same IDs, packages, versions, severities.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { findingsOf, type Finding } from '../../../src/scan/trivy/findings.js'
import { parseTrivyReport, type TrivyReport } from '../../../src/scan/trivy/report.js'
import {
  REPO_ROOT,
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun
} from '../../support/harness.js'
import { uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

const GOLDEN = path.join(REPO_ROOT, '__fixtures__/trivy/reports/alpine-39.json')

/** What both reports must agree on for each finding (not the target or layer: another image). */
function comparable(finding: Finding): Record<string, string> {
  return {
    kind: finding.kind,
    id: finding.id,
    pkgName: finding.pkgName,
    pkgVersion: finding.pkgVersion,
    fixedVersion: finding.fixedVersion,
    severity: finding.severity,
    status: finding.status,
    purl: finding.purl,
    url: finding.url,
    title: finding.title,
    resultClass: finding.resultClass
  }
}

const byIdAndPackage = (a: Record<string, string>, b: Record<string, string>): number =>
  `${a.id} ${a.pkgName}`.localeCompare(`${b.id} ${b.pkgName}`)

/** The packages Trivy lists as installed (`Results[].Packages`, which the typed model leaves out). */
function installedPackages(text: string): string[] {
  const raw = JSON.parse(text) as { Results?: { Packages?: { Name: string }[] }[] }
  return [
    ...new Set((raw.Results ?? []).flatMap((result) => (result.Packages ?? []).map((p) => p.Name)))
  ].sort()
}

describe("the real Trivy on the Alpine 3.9.4 test bed image, against Trivy's golden report", () => {
  let result: ActionRun
  let reportText: string
  let report: TrivyReport
  let golden: TrivyReport

  beforeAll(async () => {
    const tb = testbed()
    const setup = scanSetup(tb)
    result = await runAction({
      inputs: {
        image: uniqueRepository(tb, 'golden').image,
        steps: 'build,scan',
        // Everything Trivy finds is in the report whatever the gate says; no threshold lets the
        // run pass, so that a failure here is a failure to scan.
        'severity-threshold': 'none',
        ...setup.inputs
      },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.alpine39Image}\n` }),
      env: setup.env
    })
    reportText = readFileSync(result.outputs['report-file'] ?? '', 'utf8')
    report = parseTrivyReport(reportText)
    golden = parseTrivyReport(readFileSync(GOLDEN, 'utf8'))
  })

  it('scans with the real Trivy and passes without a threshold', () => {
    expect(result.log).not.toMatch(/::error/)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(result.outputs['report-file']).toMatch(/container-ship-scan-\w+\/trivy\.json$/)
  })

  it('detects the same operating system as the golden report', () => {
    expect(report.Metadata.OS).toEqual({ Family: 'alpine', Name: '3.9.4', EOSL: true })
    expect(report.Metadata.OS).toEqual(golden.Metadata.OS)
  })

  it("reports exactly the golden's findings for the packages installed in the image", () => {
    const installed = installedPackages(reportText)
    expect(installed).toEqual(['alpine-baselayout', 'busybox', 'musl', 'musl-utils'])
    const expected = findingsOf(golden)
      .filter((finding) => installed.includes(finding.pkgName))
      .map(comparable)
      .sort(byIdAndPackage)
    // The golden has findings in other packages too (openssl's), and some in these: never vacuous.
    expect(expected.length).toBeLessThan(findingsOf(golden).length)
    expect(expected.map((finding) => `${finding.id} ${finding.pkgName}`)).toEqual([
      'CVE-2019-14697 musl',
      'CVE-2019-14697 musl-utils'
    ])
    expect(findingsOf(report).map(comparable).sort(byIdAndPackage)).toEqual(expected)
  })

  it('counts them in the findings output, and places them on the base image layer', () => {
    expect(JSON.parse(result.outputs.findings ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 0,
      HIGH: 0,
      CRITICAL: 2
    })
    const baseLayer = report.Metadata.DiffIDs?.[0]
    expect(baseLayer).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(findingsOf(report).map((finding) => finding.layerDiffId)).toEqual([baseLayer, baseLayer])
  })
})
