// The sticky pull request comment's body (upsert.ts writes it): the hidden marker line by which
// the comment is found again, the verdict and the gate's reasons, the counts by severity and the
// worst findings in a table, cut to stay within GitHub's limit on a comment's length.
import { clip, code, link, safeUrl, text } from '../../../lib/markdown.js'
import { FINDINGS_TABLE_HEADER, findingRow, type FindingRow } from '../summary.js'
import { SEVERITIES, type Severity } from '../../severity.js'

/** GitHub's limit on an issue or pull request comment body, in characters. */
export const COMMENT_BODY_LIMIT = 65_536
/** Rows of the findings table, at most; the rest are counted. */
export const COMMENT_TABLE_ROWS = 50

/** Reasons listed in full; the rest are counted. */
const REASONS_SHOWN = 20
const REASON_LIMIT = 500
/** Kept free for the notes and the footer after the table. */
const TAIL_RESERVE = 1_500

export interface CommentInput {
  /** The repository the action builds (the `image` input): one comment per image. */
  image: string
  passed: boolean
  /** Why the gate failed, one sentence a rule (ScanResult.reasons). */
  reasons: string[]
  /** What counts after ignores, by severity. */
  counts: Record<Severity, number>
  /** The reported findings, worst first, with their Dockerfile lines. */
  rows: FindingRow[]
  /** How many findings were taken out by `ignore-unfixed` and the ignore file. */
  ignored: number
  /** The Dockerfile, relative to the workspace. */
  dockerfile: string
  /** The workflow run, linked from the comment. */
  runUrl?: string
  /** The comparison with production (compare/report.ts), markdown: it leads the comment. */
  comparison?: string
  /** The deploy reported as a GitHub deployment (the deploy step adds it), markdown: after the verdict. */
  deployment?: string
}

/** The hidden first line that marks this image's comment. */
export function commentMarker(image: string): string {
  // An image reference holds no `>`; strip any so the marker cannot be closed early.
  return `<!-- container-ship:scan image=${image.trim().replace(/>/g, '')} -->`
}

/**
 * The comment for one image: marker, verdict and reasons, counts by severity, the worst findings
 * in a table, what was left out and what was ignored. Never longer than `budget` characters
 * (UTF-16 code units, which are never fewer than the characters GitHub counts): rows are cut, and
 * the comment says so.
 */
export function commentBody(input: CommentInput, budget: number = COMMENT_BODY_LIMIT): string {
  const head = headOf(input)
  const limit = Math.min(budget, COMMENT_BODY_LIMIT)
  const wanted = input.rows.slice(0, COMMENT_TABLE_ROWS)
  const table: string[] = []
  if (wanted.length > 0) {
    let size = length(head) + length(FINDINGS_TABLE_HEADER) + TAIL_RESERVE
    for (const row of wanted) {
      const line = findingRow(row, input.dockerfile)
      if (size + line.length + 1 > limit) break
      table.push(line)
      size += line.length + 1
    }
  }
  const cut = wanted.length - table.length
  const tail = tailOf(input, table.length, cut)
  const parts = [...head]
  if (table.length > 0) parts.push('### Worst findings', '', ...FINDINGS_TABLE_HEADER, ...table, '')
  const body = [...parts, ...tail].join('\n')
  if (body.length <= limit) return body
  // Only an absurd input gets here (reasons or an image name tens of kilobytes long).
  const minimal = [
    commentMarker(input.image),
    verdictLine(input),
    '',
    `The scan results do not fit in a comment (GitHub takes ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters): the step summary${input.runUrl ? ` of ${link('the run', input.runUrl)}` : ''} has them.`,
    ''
  ].join('\n')
  return minimal.length <= limit ? minimal : minimal.slice(0, limit)
}

function headOf(input: CommentInput): string[] {
  const lines = [commentMarker(input.image), `## Container Ship scan: ${code(clip(input.image))}`, '']
  if (input.comparison) lines.push(input.comparison, '')
  lines.push(verdictLine(input))
  if (input.deployment) lines.push('', input.deployment)
  if (!input.passed && input.reasons.length > 0) {
    lines.push('')
    for (const reason of input.reasons.slice(0, REASONS_SHOWN))
      lines.push(`- ${text(clip(reason, REASON_LIMIT))}`)
    const more = input.reasons.length - REASONS_SHOWN
    if (more > 0) lines.push(`- and ${more} more (see the step summary)`)
  }
  lines.push('', countsTable(input.counts), '')
  if (input.ignored > 0) {
    lines.push(
      `${input.ignored} ${input.ignored === 1 ? 'finding was' : 'findings were'} ignored (\`ignore-unfixed\` or the ignore file) and ${input.ignored === 1 ? 'does' : 'do'} not count.`,
      ''
    )
  }
  return lines
}

function verdictLine(input: CommentInput): string {
  return input.passed
    ? ':white_check_mark: **Passed**: no finding fails the gate.'
    : ':x: **Failed**: the gate stops the push.'
}

function countsTable(counts: Record<Severity, number>): string {
  const order = [...SEVERITIES].reverse()
  return [
    `| ${order.join(' | ')} |`,
    `| ${order.map(() => '---:').join(' | ')} |`,
    `| ${order.map((severity) => String(counts[severity] ?? 0)).join(' | ')} |`
  ].join('\n')
}

function tailOf(input: CommentInput, shown: number, cut: number): string[] {
  const lines: string[] = []
  const total = input.rows.length
  if (total === 0) lines.push('No findings to report.', '')
  const notShown = total - shown
  if (notShown > 0) {
    const where = input.runUrl ? `the step summary of ${link('the run', input.runUrl)}` : 'the step summary'
    const why =
      cut > 0
        ? ` (${cut} of them cut to keep this comment under GitHub's limit of ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters)`
        : ''
    lines.push(
      `${notShown} more reported ${notShown === 1 ? 'finding is' : 'findings are'} not in this table${why}: ${where} lists them all.`,
      ''
    )
  }
  if (input.runUrl && safeUrl(input.runUrl))
    lines.push(`<sub>${link('Workflow run', input.runUrl)}</sub>`, '')
  return lines
}

function length(lines: string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0)
}
