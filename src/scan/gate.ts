// The scan gate: whether the image may go on to push and deploy, decided from every finding Trivy
// reported (Trivy is asked for everything), independently of what is reported. `severities`
// only chooses what the summary, SARIF and comment show (reportedFindings); it never changes the
// verdict. docs/gate.md states these rules for users.
import { atOrAbove, countBySeverity, SEVERITIES, type Severity } from './severity.js'
import { firstMatch, rulesAt, type IgnoreRule } from './ignore/ignore-file.js'
import type { Finding } from './trivy/findings.js'

export interface GateOptions {
  /** Fail when a finding of this severity or higher remains; `none` turns this rule off. */
  severityThreshold: Severity | 'none'
  /** Fail when more findings of a severity remain than its budget. */
  maxFindings: Partial<Record<Severity, number>>
  /** Drop vulnerabilities whose Status is not `fixed`, as Trivy's --ignore-unfixed does. */
  ignoreUnfixed: boolean
  /** The rules of the ignore file (empty when there is none). */
  ignoreRules: readonly IgnoreRule[]
}

/** One reason the gate failed; `message` is the sentence shown to users. */
export type GateFailure =
  | { rule: 'severity-threshold'; severity: Severity; count: number; threshold: Severity; message: string }
  | { rule: 'max-findings'; severity: Severity; count: number; budget: number; message: string }

/** A finding that does not count, and why. */
export type IgnoredFinding =
  | { finding: Finding; reason: 'unfixed'; message: string }
  | { finding: Finding; reason: 'ignore-file'; rule: IgnoreRule; message: string }

/** A finding that counts because the rule that ignored it has expired. */
export interface ExpiredIgnore {
  finding: Finding
  rule: IgnoreRule
  message: string
}

export interface GateVerdict {
  passed: boolean
  /** Threshold failures first, then budgets; each from CRITICAL down. Empty when passed. */
  failures: GateFailure[]
  /** What remains after ignores, by severity (every severity present, 0 when none). */
  counts: Record<Severity, number>
  /** The findings that count, in the order given. */
  remaining: Finding[]
  ignored: IgnoredFinding[]
  expiredIgnores: ExpiredIgnore[]
}

/**
 * Applies ignore-unfixed, then the ignore file (Trivy's order: a vulnerability both unfixed and
 * in the ignore file is reported as unfixed), then judges what remains: every kind of finding
 * (vulnerabilities, secrets, misconfigurations, licenses) counts by its severity.
 */
export function decideGate(findings: readonly Finding[], options: GateOptions, now: Date): GateVerdict {
  const remaining: Finding[] = []
  const ignored: IgnoredFinding[] = []
  const expiredIgnores: ExpiredIgnore[] = []
  const rules = rulesAt(options.ignoreRules, now)
  for (const finding of findings) {
    if (options.ignoreUnfixed && finding.kind === 'vulnerability' && finding.status !== 'fixed') {
      ignored.push({
        finding,
        reason: 'unfixed',
        message: `${label(finding)}: status ${finding.status}, not fixed (ignore-unfixed)`
      })
      continue
    }
    const rule = firstMatch(finding, rules.live)
    if (rule) {
      ignored.push({ finding, reason: 'ignore-file', rule, message: ignoredMessage(finding, rule) })
      continue
    }
    const expired = firstMatch(finding, rules.expired)
    if (expired) {
      expiredIgnores.push({
        finding,
        rule: expired,
        message: `${label(finding)}: the ignore rule at ${where(expired)} expired on ${instant(expired.expiresAt as Date)}, so it counts again`
      })
    }
    remaining.push(finding)
  }

  const counts = countBySeverity(remaining)
  const failures: GateFailure[] = []
  const highestFirst = [...SEVERITIES].reverse()
  const threshold = options.severityThreshold
  if (threshold !== 'none') {
    for (const severity of highestFirst) {
      const count = counts[severity]
      // A severity with a budget of its own is judged by that budget (`high=5` allows five).
      if (count === 0 || !atOrAbove(severity, threshold) || options.maxFindings[severity] !== undefined)
        continue
      failures.push({
        rule: 'severity-threshold',
        severity,
        count,
        threshold,
        message: `${count} ${severity} ${plural(count)} at or above the threshold ${threshold}`
      })
    }
  }
  for (const severity of highestFirst) {
    const budget = options.maxFindings[severity]
    const count = counts[severity]
    if (budget === undefined || count <= budget) continue
    failures.push({
      rule: 'max-findings',
      severity,
      count,
      budget,
      message: `${severity}: ${count} ${plural(count)} over the budget of ${budget}`
    })
  }
  return { passed: failures.length === 0, failures, counts, remaining, ignored, expiredIgnores }
}

/**
 * The run's error when the gate fails: the reasons, then what passes it. The way out named last
 * is the inputs, so that loosening the gate is a choice made in the workflow, in review.
 */
export function gateFailedMessage(reasons: readonly string[]): string {
  return (
    `The scan gate failed: ${reasons.join('; ')}. Nothing is pushed or deployed. ` +
    'To pass it: update the packages the step summary lists to their fixed versions, or accept a ' +
    'finding in the ignore file (ignore-file) with its reason and an expiry; the gate itself is ' +
    'severity-threshold and max-findings.'
  )
}

/** What is reported (the `severities` input): the findings of those severities, in order. */
export function reportedFindings(findings: readonly Finding[], severities: readonly Severity[]): Finding[] {
  return findings.filter((finding) => severities.includes(finding.severity))
}

function plural(count: number): string {
  return count === 1 ? 'finding' : 'findings'
}

function label(finding: Finding): string {
  const where = finding.pkgName || finding.pkgPath || finding.target
  return where ? `${finding.id} (${where})` : finding.id
}

function where(rule: IgnoreRule): string {
  return `${rule.file} line ${rule.line}`
}

/** A date alone when it is midnight UTC (as `exp:` dates are), else the full instant. */
function instant(date: Date): string {
  const iso = date.toISOString()
  return iso.endsWith('T00:00:00.000Z') ? iso.slice(0, 10) : iso
}

function ignoredMessage(finding: Finding, rule: IgnoreRule): string {
  const until = rule.expiresAt ? ` until ${instant(rule.expiresAt)}` : ''
  const statement = rule.statement ? `: ${rule.statement}` : ''
  return `${label(finding)}: ignored by ${where(rule)}${until}${statement}`
}
