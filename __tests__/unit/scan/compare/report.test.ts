// Unit tests of how the comparison is shown (src/scan/compare/report.ts) and that it leads the
// pull request comment (src/scan/output/pr-comment/body.ts).
import { describe, expect, it } from '@jest/globals'
import {
  comparisonLead,
  comparisonRow,
  comparisonSection,
  type ComparisonReport
} from '../../../../src/scan/compare/report.js'
import { commentBody } from '../../../../src/scan/output/pr-comment/body.js'
import type { Finding } from '../../../../src/scan/trivy/findings.js'

const none = { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 }

function finding(pkgName: string): Finding {
  return {
    kind: 'vulnerability',
    id: 'CVE-2019-14697',
    otherIds: [],
    severity: 'CRITICAL',
    target: 'image (alpine 3.9.4)',
    resultClass: 'os-pkgs',
    pkgName,
    pkgPath: '',
    pkgVersion: '1.1.20-r4',
    purl: '',
    fixedVersion: '1.1.20-r5',
    status: 'fixed',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId: ''
  }
}

function report(over: Partial<ComparisonReport> = {}): ComparisonReport {
  return {
    reference: `ghcr.io/acme/web@sha256:${'b2'.repeat(32)}`,
    headline: '1 new (1 CRITICAL), 2 fixed, 4 unchanged',
    counts: {
      added: { ...none, CRITICAL: 1 },
      fixed: { ...none, HIGH: 2 },
      unchanged: { ...none, MEDIUM: 4 }
    },
    gateOn: 'all',
    added: [{ finding: finding('musl-dev'), line: 3 }],
    ...over
  }
}

describe('the comparison in the step summary', () => {
  it('is a row with the headline and the production image', () => {
    expect(comparisonRow(report())).toEqual([
      'Compared with production',
      `**1 new (1 CRITICAL), 2 fixed, 4 unchanged** (\`ghcr.io/acme/web@sha256:${'b2'.repeat(32)}\`)`
    ])
    expect(comparisonRow(report({ gateOn: 'new' }))[1]).toContain(
      '; the gate counts only the new findings (gate-on: new))'
    )
  })

  it('is a section with the counts of each group and the new findings', () => {
    const section = comparisonSection(report(), 'Dockerfile')
    expect(section).toContain('| New | 1 | 0 | 0 | 0 | 0 |')
    expect(section).toContain('| Fixed | 0 | 2 | 0 | 0 | 0 |')
    expect(section).toContain('| Unchanged | 0 | 0 | 4 | 0 | 0 |')
    expect(section).toMatch(
      /#### New findings[\s\S]*\| CRITICAL \| `CVE-2019-14697` \| `musl-dev` .* `Dockerfile:3` \|/
    )
    expect(comparisonSection(report({ added: [] }), 'Dockerfile')).not.toContain('#### New findings')
  })

  it('keeps a strange image name in a code span', () => {
    expect(comparisonLead(report({ reference: 'a`b|c' }))).toContain("`a'b|c`")
  })
})

describe('the comparison in the pull request comment', () => {
  it('comes first, after the title and before the verdict', () => {
    const body = commentBody({
      image: 'ghcr.io/acme/web',
      passed: true,
      reasons: [],
      counts: none,
      rows: [],
      ignored: 0,
      dockerfile: 'Dockerfile',
      comparison: comparisonLead(report({ gateOn: 'new' }))
    })
    const lines = body.split('\n')
    expect(lines[1]).toBe('## Container Ship scan: `ghcr.io/acme/web`')
    expect(lines[3]).toBe(
      `**1 new (1 CRITICAL), 2 fixed, 4 unchanged** compared with production \`ghcr.io/acme/web@sha256:${'b2'.repeat(32)}\`; the gate counts only the new findings (gate-on: new).`
    )
    expect(lines[5]).toBe(':white_check_mark: **Passed**: no finding fails the gate.')
  })
})
