// How the comparison with production is shown: the first row of the scan's part of the step
// summary, a section before the findings, and the lead of the pull request comment. The
// difference comes first: it is what the release changes.
import { clip, code, flat } from '../../lib/markdown.js'
import { SEVERITIES, type Severity } from '../severity.js'
import { FINDINGS_TABLE_HEADER, findingRow, type FindingRow } from '../output/summary.js'
import type { GateOn } from './gate-scope.js'

export interface ComparisonReport {
  /** `name@sha256:…` of the production image. */
  reference: string
  /** `3 new (1 HIGH), 5 fixed, 2 unchanged` */
  headline: string
  counts: Record<'added' | 'fixed' | 'unchanged', Record<Severity, number>>
  gateOn: GateOn
  /** The new findings among the reported ones (the severities input), worst first. */
  added: FindingRow[]
}

/** New findings listed in the section; the counts above cover them all. */
const NEW_ROWS = 20

/** The production image as a code span: its name comes from an input or a deploy host. */
function production(report: ComparisonReport): string {
  return code(clip(flat(report.reference)))
}

function gateNote(report: ComparisonReport): string {
  return report.gateOn === 'new' ? 'the gate counts only the new findings (gate-on: new)' : ''
}

/** The summary table's row. */
export function comparisonRow(report: ComparisonReport): [string, string] {
  const note = gateNote(report)
  return [
    'Compared with production',
    `**${report.headline}** (${production(report)}${note ? `; ${note}` : ''})`
  ]
}

/** The summary's section: the headline, the counts of each group by severity, the new findings. */
export function comparisonSection(report: ComparisonReport, dockerfile: string): string {
  const order = [...SEVERITIES].reverse()
  const line = (name: string, counts: Record<Severity, number>): string =>
    `| ${name} | ${order.map((severity) => String(counts[severity])).join(' | ')} |`
  const note = gateNote(report)
  return [
    '### Compared with production',
    '',
    `**${report.headline}** against ${production(report)}${note ? `: ${note}` : ''}.`,
    '',
    `| | ${order.join(' | ')} |`,
    `| --- | ${order.map(() => '---:').join(' | ')} |`,
    line('New', report.counts.added),
    line('Fixed', report.counts.fixed),
    line('Unchanged', report.counts.unchanged),
    '',
    ...(report.added.length > 0
      ? [
          '#### New findings',
          '',
          ...FINDINGS_TABLE_HEADER,
          ...report.added.slice(0, NEW_ROWS).map((row) => findingRow(row, dockerfile)),
          ...(report.added.length > NEW_ROWS
            ? ['', `and ${report.added.length - NEW_ROWS} more (the findings below list them all)`]
            : []),
          ''
        ]
      : [])
  ].join('\n')
}

/** The pull request comment's first line after its title. */
export function comparisonLead(report: ComparisonReport): string {
  const note = gateNote(report)
  return `**${report.headline}** compared with production ${production(report)}${note ? `; ${note}` : ''}.`
}
