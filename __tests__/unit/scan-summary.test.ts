import { describe, expect, it } from '@jest/globals'
import { finding } from '../../__fixtures__/findings.js'
import { scanSection, type FindingRow } from '../../src/scan-summary.js'

function row(index: number, line = 3): FindingRow {
  const made = finding({
    id: `CVE-2026-${String(index).padStart(5, '0')}`,
    severity: index < 5 ? 'CRITICAL' : 'MEDIUM',
    pkgName: `pkg${index}`,
    pkgVersion: '1.0|beta',
    url: index % 2 ? `https://avd.aquasec.com/nvd/cve-2026-${index}` : ''
  })
  return { finding: made, line }
}

describe('scanSection', () => {
  it('says when there is nothing to report', () => {
    expect(scanSection([], 'Dockerfile')).toBe('### Scan findings\n\nNothing to report.\n')
  })

  it('shows the worst 20 in a table and all of them collapsed, cells kept in their column', () => {
    const section = scanSection(
      Array.from({ length: 30 }, (_, i) => row(i)),
      'app/Dockerfile'
    )
    const lines = section.split('\n')
    expect(lines.slice(0, 5)).toEqual([
      '### Scan findings',
      '',
      '| Severity | ID | Package | Installed | Fixed | Dockerfile line |',
      '| --- | --- | --- | --- | --- | --- |',
      '| CRITICAL | `CVE-2026-00000` | pkg0 | 1.0\\|beta | 1.1 | app/Dockerfile:3 |'
    ])
    expect(lines[5]).toBe(
      '| CRITICAL | [CVE-2026-00001](https://avd.aquasec.com/nvd/cve-2026-1) | pkg1 | 1.0\\|beta | 1.1 | app/Dockerfile:3 |'
    )
    expect(section).toContain('<details><summary>All 30 reported findings</summary>')
    expect(section.match(/^\| (CRITICAL|MEDIUM) \|/gm)).toHaveLength(50)
    expect(section).not.toContain('did not fit')
  })

  it('stays within its budget and says how many findings did not fit', () => {
    const rows = Array.from({ length: 5000 }, (_, i) => row(i))
    const budget = 64 * 1024
    const section = scanSection(rows, 'Dockerfile', budget)
    expect(Buffer.byteLength(section)).toBeLessThanOrEqual(budget)
    const shown = (section.match(/^\| (CRITICAL|MEDIUM) \|/gm)?.length ?? 0) - 20
    expect(section).toContain(`${5000 - shown} more findings did not fit in the step summary`)
    expect(section).toMatch(/<\/details>/)
  })
})
