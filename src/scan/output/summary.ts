// The scan's part of the step summary: the worst findings in a table, every reported finding in a
// collapsed one, each with the Dockerfile line it came from. GitHub takes at most 1 MiB of
// summary per step; the section stays under SCAN_SECTION_BUDGET and says what it left out.
import { cell, clip, code, flat, link } from '../../lib/markdown.js'
import type { Finding } from '../trivy/findings.js'
import { platformNote } from '../platforms.js'

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
  const top = rows.slice(0, TOP_ROWS).map((row) => findingRow(row, dockerfile))
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
      const line = findingRow(row, dockerfile)
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

/**
 * One row of the findings table, in the summary and the pull request comment alike. Every value
 * is the report's (an image's package and file names, a vulnerability DB's IDs and URLs): each is
 * clipped and put in a code span on one line, and only an http(s) URL becomes a link.
 */
export function findingRow({ finding, line }: FindingRow, dockerfile: string): string {
  const literal = (value: string): string => (value ? code(clip(flat(value))) : '')
  const id = link(code(clip(flat(finding.id))), finding.url)
  return `| ${finding.severity} | ${cell(id)} | ${cell(literal(finding.pkgName || finding.target) + platformNote(finding))} | ${cell(literal(finding.pkgVersion))} | ${cell(literal(finding.fixedVersion))} | ${cell(literal(`${dockerfile}:${line}`))} |`
}
