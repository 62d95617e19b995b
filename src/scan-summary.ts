// The scan's part of the step summary: the worst findings in a table, every reported finding in a
// collapsed one, each with the Dockerfile line it came from. GitHub takes at most 1 MiB of
// summary per step; the section stays under SCAN_SECTION_BUDGET and says what it left out.
import { cell, code } from './markdown.js'
import type { Finding } from './trivy-report.js'

export interface FindingRow {
  finding: Finding
  /** The Dockerfile line it was placed on (1 when it could not be placed). */
  line: number
}

/** Bytes the scan section may take, leaving the rest of the 1 MiB to everything else. */
export const SCAN_SECTION_BUDGET = 900 * 1024
/** Rows of the open table; the full list is collapsed below it. */
const TOP_ROWS = 20

/** The findings table's header, in the summary and the pull request comment alike. */
export const FINDINGS_TABLE_HEADER = [
  '| Severity | ID | Package | Installed | Fixed | Dockerfile line |',
  '| --- | --- | --- | --- | --- | --- |'
]

export function scanSection(
  rows: FindingRow[],
  dockerfile: string,
  budget: number = SCAN_SECTION_BUDGET
): string {
  if (rows.length === 0) return '### Scan findings\n\nNothing to report.\n'
  const top = rows.slice(0, TOP_ROWS).map((row) => tableRow(row, dockerfile))
  const parts = ['### Scan findings', '', ...FINDINGS_TABLE_HEADER, ...top, '']
  if (rows.length > TOP_ROWS) {
    parts.push(
      `<details><summary>All ${rows.length} reported findings</summary>`,
      '',
      ...FINDINGS_TABLE_HEADER
    )
    let size = Buffer.byteLength(parts.join('\n'))
    let shown = 0
    for (const row of rows) {
      const line = tableRow(row, dockerfile)
      // Room is kept for the closing lines and the note of what was cut.
      if (size + Buffer.byteLength(line) + 512 > budget) break
      parts.push(line)
      size += Buffer.byteLength(line) + 1
      shown++
    }
    parts.push('', '</details>', '')
    if (shown < rows.length) {
      parts.push(
        `${rows.length - shown} more findings did not fit in the step summary (GitHub takes 1 MiB per step): the report file has them all.`,
        ''
      )
    }
  }
  return parts.join('\n')
}

function tableRow({ finding, line }: FindingRow, dockerfile: string): string {
  const id = finding.url ? `[${finding.id}](${finding.url})` : code(finding.id)
  const what = finding.pkgName || finding.target
  return `| ${finding.severity} | ${cell(id)} | ${cell(what)} | ${cell(finding.pkgVersion)} | ${cell(finding.fixedVersion)} | ${cell(`${dockerfile}:${line}`)} |`
}
