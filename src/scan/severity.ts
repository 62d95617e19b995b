// Trivy's severity scale, lowest first.
export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const
export type Severity = (typeof SEVERITIES)[number]

/** Whether a severity is at or over a threshold; `none` is no threshold at all. */
export function atOrAbove(severity: Severity, threshold: Severity | 'none'): boolean {
  return threshold !== 'none' && SEVERITIES.indexOf(severity) >= SEVERITIES.indexOf(threshold)
}

/** Counts by severity, every severity present. */
export function countBySeverity(items: readonly { severity: Severity }[]): Record<Severity, number> {
  const counts = Object.fromEntries(SEVERITIES.map((severity) => [severity, 0])) as Record<Severity, number>
  for (const item of items) counts[item.severity]++
  return counts
}

/** `2 CRITICAL, 4 MEDIUM`, worst first, severities without any left out; '' when all are 0. */
export function countsText(counts: Record<Severity, number>): string {
  return [...SEVERITIES]
    .reverse()
    .filter((severity) => counts[severity] > 0)
    .map((severity) => `${counts[severity]} ${severity}`)
    .join(', ')
}

export function parseSeverity(text: string): Severity | undefined {
  const upper = text.trim().toUpperCase()
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : undefined
}
