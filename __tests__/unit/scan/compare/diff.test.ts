// Unit tests of the new/fixed/unchanged split (src/scan/compare/diff.ts).
import { describe, expect, it } from '@jest/globals'
import { compareFindings, comparisonCounts, comparisonHeadline } from '../../../../src/scan/compare/diff.js'
import type { Finding } from '../../../../src/scan/trivy/findings.js'
import type { Severity } from '../../../../src/scan/severity.js'

function vuln(
  id: string,
  pkgName: string,
  pkgVersion: string,
  severity: Severity,
  target = 'img:a (alpine 3.19)'
): Finding {
  return {
    kind: 'vulnerability',
    id,
    otherIds: [],
    severity,
    target,
    resultClass: 'os-pkgs',
    pkgName,
    pkgPath: '',
    pkgVersion,
    purl: '',
    fixedVersion: '',
    status: 'fixed',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId: ''
  }
}

describe('compareFindings', () => {
  it('splits findings into new, fixed and unchanged', () => {
    const production = [vuln('CVE-1', 'openssl', '1.0', 'HIGH'), vuln('CVE-2', 'zlib', '1.2', 'MEDIUM')]
    const candidate = [
      vuln('CVE-1', 'openssl', '1.0', 'HIGH', 'img:b (alpine 3.19)'),
      vuln('CVE-3', 'curl', '8.0', 'CRITICAL')
    ]
    const comparison = compareFindings(candidate, production)
    expect(comparison.added.map((f) => f.id)).toEqual(['CVE-3'])
    expect(comparison.fixed.map((f) => f.id)).toEqual(['CVE-2'])
    expect(comparison.unchanged.map((f) => f.id)).toEqual(['CVE-1'])
    expect(comparisonHeadline(comparison)).toBe('1 new (1 CRITICAL), 1 fixed, 1 unchanged')
    expect(comparisonCounts(comparison).fixed.MEDIUM).toBe(1)
  })

  it('counts a package bumped that keeps the same CVE as unchanged', () => {
    const comparison = compareFindings(
      [vuln('CVE-1', 'openssl', '1.1', 'HIGH')],
      [vuln('CVE-1', 'openssl', '1.0', 'HIGH')]
    )
    expect(comparison.unchanged).toHaveLength(1)
    expect(comparison.added).toHaveLength(0)
    expect(comparison.fixed).toHaveLength(0)
  })

  it('tells the same CVE in another package apart', () => {
    const comparison = compareFindings(
      [vuln('CVE-1', 'libssl', '1.0', 'HIGH')],
      [vuln('CVE-1', 'openssl', '1.0', 'HIGH')]
    )
    expect(comparison.added.map((f) => f.pkgName)).toEqual(['libssl'])
    expect(comparison.fixed.map((f) => f.pkgName)).toEqual(['openssl'])
  })

  it('with nothing in production (first deploy), everything is new', () => {
    const comparison = compareFindings([vuln('CVE-1', 'openssl', '1.0', 'LOW')], [])
    expect(comparisonHeadline(comparison)).toBe('1 new (1 LOW), 0 fixed, 0 unchanged')
  })
})
