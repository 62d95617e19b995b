// The step summary: what was built, tagged, pushed, scanned and deployed, or how far it got.
import * as core from '@actions/core'
import type { RunRecord } from './main.js'

export function summaryMarkdown(record: RunRecord): string {
  const { inputs, plan, pushing, built, scanned, pushed } = record
  const lines = [`## Container Ship: ${inputs?.image.name ?? 'no image'}`, '']
  if (record.error) lines.push(`> [!CAUTION]`, `> ${record.error.split('\n').join('\n> ')}`, '')
  const rows: [string, string][] = []
  if (plan) rows.push(['Version', code(plan.version)], ['Tags', plan.tags.map(code).join(' ')])
  if (built) rows.push(['Image ID', code(built.imageId)], ['Builder', built.builder])
  rows.push(['Scan', scanned ? scanned.result : 'not run'])
  if (pushed) rows.push(['Pushed', `${pushed.pushed.length} tags`], ['Digest', code(pushed.digest)])
  else if (pushing) rows.push(['Pushed', `no (${pushing.reason})`])
  if (record.deploySkipped) rows.push(['Deploy', `skipped (${record.deploySkipped})`])
  if (rows.length > 0) {
    lines.push('| | |', '| --- | --- |', ...rows.map(([name, value]) => `| ${name} | ${value} |`), '')
  }
  for (const { tag, reason } of plan?.withheld ?? []) lines.push(`- ${code(tag)} was not moved: ${reason}.`)
  return lines.join('\n') + '\n'
}

export async function writeSummary(record: RunRecord): Promise<void> {
  if (!process.env.GITHUB_STEP_SUMMARY) return
  await core.summary.addRaw(summaryMarkdown(record)).write()
}

function code(text: string): string {
  return `\`${text.replace(/`/g, "'")}\``
}
