import { describe, expect, it } from '@jest/globals'
import { finding } from '../../../../__fixtures__/findings.js'
import { cellsOf, HOSTILE, outsideCodeSpans } from '../../../../__fixtures__/markdown.js'
import { commentBody } from '../../../../src/scan/output/pr-comment/body.js'
import { findingRow, scanSection, type FindingRow } from '../../../../src/scan/output/summary.js'

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
      '| CRITICAL | `CVE-2026-00000` | `pkg0` | `1.0\\|beta` | `1.1` | `app/Dockerfile:3` |'
    ])
    expect(lines[5]).toBe(
      '| CRITICAL | [`CVE-2026-00001`](https://avd.aquasec.com/nvd/cve-2026-1) | `pkg1` | `1.0\\|beta` | `1.1` | `app/Dockerfile:3` |'
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

describe('findingRow: what the report says shows as text', () => {
  const values = Object.values(HOSTILE)

  it.each(Object.entries(HOSTILE))(
    'a %s in every field stays in its cell, in a code span',
    (_kind, value) => {
      const row = findingRow(
        {
          finding: finding({
            id: value,
            pkgName: value,
            pkgVersion: value,
            fixedVersion: value,
            url: value
          }),
          line: 7
        },
        value
      )
      expect(row).not.toContain('\n')
      const cells = cellsOf(row)
      expect(cells).toHaveLength(6)
      // Outside code spans only the table's own text is left: no tag, link, image or URL.
      expect(outsideCodeSpans(row)).toMatch(/^\| HIGH \|( +\|){5}$/)
      for (const cell of cells.slice(1)) {
        expect(cell).toMatch(/^`[^`]*`$/)
        expect(cell.length).toBeLessThanOrEqual(2 + 200 + 20)
      }
    }
  )

  it('links an ID only to an http(s) URL, percent-escaping what could end the link', () => {
    const row = (url: string): string =>
      findingRow({ finding: finding({ id: 'CVE-1', url }), line: 1 }, 'Dockerfile')
    expect(row('javascript:alert(1)')).not.toContain('](')
    expect(row('data:text/html,<b>x</b>')).not.toContain('](')
    expect(row('https://evil.example/a b')).not.toContain('](')
    expect(row('https://evil.example/a)"<b>`\\')).toContain(
      '[`CVE-1`](https://evil.example/a%29%22%3Cb%3E%60%5C)'
    )
  })

  it('clips long values and keeps the Dockerfile path and line in one code span', () => {
    const row = findingRow({ finding: finding({ pkgName: HOSTILE.long }), line: 12 }, HOSTILE.link)
    expect(cellsOf(row)[2]).toBe(`\`${'x'.repeat(199)}…\``)
    expect(cellsOf(row)[5]).toBe('`[click](https://evil.example):12`')
  })

  it('is the very row the pull request comment shows', () => {
    const rows = values.map((value, index) => ({
      finding: finding({ id: `CVE-${index}`, pkgName: value, fixedVersion: value, url: value }),
      line: index + 1
    }))
    const section = scanSection(rows, HOSTILE.details).split('\n')
    const comment = commentBody({
      image: 'ghcr.io/acme/web',
      passed: true,
      reasons: [],
      counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: rows.length, CRITICAL: 0 },
      rows,
      ignored: 0,
      dockerfile: HOSTILE.details
    }).split('\n')
    for (const row of rows) {
      const line = findingRow(row, HOSTILE.details)
      expect(section).toContain(line)
      expect(comment).toContain(line)
    }
  })

  it('cannot close the collapsed table or open tags of its own', () => {
    const rows = Array.from({ length: 30 }, (_, index) => ({
      finding: finding({
        id: HOSTILE.details,
        pkgName: HOSTILE.html,
        pkgVersion: HOSTILE.newline,
        fixedVersion: HOSTILE.backtick,
        url: HOSTILE.javascript
      }),
      line: index + 1
    }))
    const outside = outsideCodeSpans(scanSection(rows, HOSTILE.link))
    expect(outside.match(/<\/?details>/g)).toEqual(['<details>', '</details>'])
    expect(outside).not.toMatch(/<(?!\/?details>|summary>|\/summary>)/)
    expect(outside).not.toContain('javascript:')
    expect(outside).not.toContain('](')
  })
})
