// The step summary: what was built, tagged, pushed, scanned and deployed, or how far it got.
// Each step's rows and notes come from its own report (run/report.ts).
import * as core from '@actions/core'
import { cell, text } from '../lib/markdown.js'
import type { StepReport } from './report.js'
import type { RunRecord } from './record.js'

export function summaryMarkdown(record: RunRecord, reports: StepReport[]): string {
  const lines = [`## Container Ship: ${record.inputs?.image.name ?? 'no image'}`, '']
  // The error can end with what a program printed (a build's last lines): each line is plain text.
  if (record.error)
    lines.push(`> [!CAUTION]`, ...record.error.split('\n').map((line) => `> ${text(line)}`), '')
  const rows = reports.flatMap((report) => report.rows)
  if (rows.length > 0) {
    lines.push('| | |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name} | ${cell(value)} |`), '')
  }
  for (const note of reports.flatMap((report) => report.notes ?? [])) lines.push(`- ${note}`)
  for (const section of reports.flatMap((report) => report.sections ?? [])) lines.push('', section)
  return lines.join('\n') + '\n'
}

export async function writeSummary(record: RunRecord, reports: StepReport[]): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(summaryMarkdown(record, reports)).write()
}
