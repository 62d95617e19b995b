// Findings as annotations on the Dockerfile lines that introduced them: one annotation per line,
// an error where a finding at or over the gate's threshold is on that line, else a warning.
// GitHub shows at most 10 error and 10 warning annotations per step, so when more lines have
// findings the last one of each level says how many more lines and findings there are: nothing
// is dropped without a word.
import type { LayerMap } from '../dockerfile-map.js'
import { atOrAbove, countBySeverity, countsText, SEVERITIES, type Severity } from '../severity.js'
import type { Finding } from '../trivy/findings.js'
import { platformNote } from '../platforms.js'

/** GitHub's limit per step and level. */
export const ANNOTATIONS_PER_LEVEL = 10
/** Findings named in one annotation's message; the rest are counted. */
const NAMED_PER_ANNOTATION = 5

export interface Annotation {
  level: 'error' | 'warning'
  file: string
  line: number
  title: string
  message: string
}

export interface AnnotationInput {
  /** The findings to show (what `severities` reports, ignores applied). */
  findings: Finding[]
  layers: LayerMap
  /** The Dockerfile, relative to the workspace, as the annotations name it. */
  file: string
  threshold: Severity | 'none'
}

/** Where a finding goes: its layer's line, else line 1 with the reason. */
export interface Placement {
  line: number
  instruction?: string
  /** Why the finding is on line 1 rather than on its instruction. */
  unplaced?: string
}

export function placeFinding(finding: Finding, layers: LayerMap): Placement {
  if (!layers.reliable)
    return { line: 1, unplaced: `the image history and its layers disagree (${layers.reason})` }
  const source = finding.layerDiffId ? layers.byDiffId.get(finding.layerDiffId) : undefined
  if (!source) return { line: 1, unplaced: 'Trivy named no layer of the image for it' }
  return { line: source.line, instruction: source.instruction }
}

export function annotationsFor({ findings, layers, file, threshold }: AnnotationInput): Annotation[] {
  const byLine = new Map<number, { placement: Placement; findings: Finding[] }>()
  for (const finding of findings) {
    const placement = placeFinding(finding, layers)
    const group = byLine.get(placement.line) ?? { placement, findings: [] }
    group.findings.push(finding)
    byLine.set(placement.line, group)
  }
  const annotations = [...byLine.entries()].map(([line, group]) => {
    const sorted = [...group.findings].sort(worstFirst)
    const level: Annotation['level'] = sorted.some((f) => atOrAbove(f.severity, threshold))
      ? 'error'
      : 'warning'
    return {
      annotation: {
        level,
        file,
        line,
        title: `${countText(sorted)} introduced here${group.placement.instruction ? ` (${group.placement.instruction})` : ''}`,
        message: messageFor(sorted, group.placement)
      },
      worst: sorted[0] as Finding,
      count: sorted.length
    }
  })
  annotations.sort(
    (a, b) => worstFirst(a.worst, b.worst) || b.count - a.count || a.annotation.line - b.annotation.line
  )
  return [...capped(annotations, 'error', file), ...capped(annotations, 'warning', file)]
}

/** At most ANNOTATIONS_PER_LEVEL of a level: the worst lines, and one more counting the rest. */
function capped(
  annotations: { annotation: Annotation; count: number }[],
  level: Annotation['level'],
  file: string
): Annotation[] {
  const ofLevel = annotations.filter((entry) => entry.annotation.level === level)
  if (ofLevel.length <= ANNOTATIONS_PER_LEVEL) return ofLevel.map((entry) => entry.annotation)
  const shown = ofLevel.slice(0, ANNOTATIONS_PER_LEVEL - 1)
  const rest = ofLevel.slice(ANNOTATIONS_PER_LEVEL - 1)
  const findings = rest.reduce((sum, entry) => sum + entry.count, 0)
  const lines = rest.map((entry) => entry.annotation.line).sort((a, b) => a - b)
  return [
    ...shown.map((entry) => entry.annotation),
    {
      level,
      file,
      line: lines[0] as number,
      title: `${rest.length} more lines with findings`,
      message: `GitHub shows ${ANNOTATIONS_PER_LEVEL} ${level} annotations per step: ${findings} more findings on lines ${lines.join(', ')} are listed in the step summary.`
    }
  ]
}

function messageFor(findings: Finding[], placement: Placement): string {
  const named = findings.slice(0, NAMED_PER_ANNOTATION).map(describeFinding)
  const more = findings.length - named.length
  const lines = [...named, ...(more > 0 ? [`and ${more} more (see the step summary)`] : [])]
  if (placement.unplaced) lines.unshift(`Placed on line 1: ${placement.unplaced}.`)
  return lines.join('\n')
}

/** `CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5`, and ` (linux/arm64 only)` where so */
export function describeFinding(finding: Finding): string {
  const what = [finding.pkgName, finding.pkgVersion].filter(Boolean).join(' ')
  const fix =
    finding.kind === 'vulnerability'
      ? finding.fixedVersion
        ? `, fixed in ${finding.fixedVersion}`
        : ', no fix yet'
      : ''
  const where =
    finding.kind === 'secret' || finding.kind === 'misconfiguration' ? ` in ${finding.target}` : ''
  return `${finding.id} (${finding.severity})${what ? ` ${what}` : ''}${where}${fix}${platformNote(finding)}`
}

/** `2 CRITICAL, 4 MEDIUM findings` */
export function countText(findings: Finding[]): string {
  return `${countsText(countBySeverity(findings))} ${findings.length === 1 ? 'finding' : 'findings'}`
}

/** Higher severity first, then fixable first (something can be done), then by ID. */
export function worstFirst(a: Finding, b: Finding): number {
  return (
    SEVERITIES.indexOf(b.severity) - SEVERITIES.indexOf(a.severity) ||
    Number(Boolean(b.fixedVersion)) - Number(Boolean(a.fixedVersion)) ||
    a.id.localeCompare(b.id)
  )
}
