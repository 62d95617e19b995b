// Trivy's severity scale, lowest first.
export const SEVERITIES = ['UNKNOWN', 'LOW', 'MEDIUM', 'HIGH', 'CRITICAL'] as const
export type Severity = (typeof SEVERITIES)[number]

export function parseSeverity(text: string): Severity | undefined {
  const upper = text.trim().toUpperCase()
  return (SEVERITIES as readonly string[]).includes(upper) ? (upper as Severity) : undefined
}
