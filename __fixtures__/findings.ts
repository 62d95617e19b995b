// Findings for unit tests: one made by hand from neutral defaults, and the test bed's real
// BuildKit scan (__fixtures__/trivy/reports/testbed-buildkit.json) with its layers mapped on the
// Dockerfile it was built from.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { mapLayers, parseDockerfile, type LayerMap } from '../src/scan/dockerfile-map.js'
import { findingsOf, type Finding } from '../src/scan/trivy/findings.js'
import { imageLayersOf, parseTrivyReport, type TrivyReport } from '../src/scan/trivy/report.js'

export const REPORTS = path.join(path.dirname(fileURLToPath(import.meta.url)), 'trivy/reports')

/** One of the Trivy reports in __fixtures__/trivy/reports, parsed. */
export function reportFixture(name: string): TrivyReport {
  return parseTrivyReport(readFileSync(path.join(REPORTS, name), 'utf8'))
}

/** A fixed HIGH vulnerability of an OS package; `over` changes what a test is about. */
export function finding(over: Partial<Finding> = {}): Finding {
  return {
    kind: 'vulnerability',
    id: 'CVE-2026-0001',
    otherIds: [],
    severity: 'HIGH',
    target: 'image (alpine 3.9.4)',
    resultClass: 'os-pkgs',
    pkgName: 'pkg',
    pkgPath: '',
    pkgVersion: '1.0',
    purl: '',
    fixedVersion: '1.1',
    status: 'fixed',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId: '',
    ...over
  }
}

/** The test bed's real BuildKit scan: its findings, and its layers mapped on testbed.Dockerfile. */
export function testbedScan(): { findings: Finding[]; layers: LayerMap } {
  const report = reportFixture('testbed-buildkit.json')
  const dockerfile = parseDockerfile(readFileSync(path.join(REPORTS, 'testbed.Dockerfile'), 'utf8'))
  return { findings: findingsOf(report), layers: mapLayers(dockerfile, imageLayersOf(report)) }
}
