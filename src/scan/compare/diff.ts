// Splits the findings of the image being released against those of the release that runs in
// production: new (only in the candidate), fixed (only in production) and unchanged (in both).
// Pure logic; the production scan and its cache are in production-scan.ts, the wiring in compare.ts.
import type { Finding } from '../trivy/findings.js'
import { countBySeverity, countsText, type Severity } from '../severity.js'

export interface FindingsComparison {
  /** The candidate's findings production does not have. */
  added: Finding[]
  /** Production's findings the candidate no longer has. */
  fixed: Finding[]
  /** The candidate's findings production has too. */
  unchanged: Finding[]
}

/**
 * What makes two findings "the same" across releases. The installed version is left out on
 * purpose: a package bumped that still carries the same CVE is unchanged, not fixed and new again.
 * The target is left out for OS packages (Trivy names it after the image reference, which differs
 * between releases) and kept for files (secrets, misconfigurations), where it is the file's path.
 */
export function findingIdentity(finding: Finding): string {
  switch (finding.kind) {
    case 'vulnerability':
    case 'license':
      return JSON.stringify([finding.kind, finding.id, finding.pkgName, finding.pkgPath])
    case 'secret':
    case 'misconfiguration':
      return JSON.stringify([finding.kind, finding.id, finding.target])
  }
}

/** Compares on one platform's findings; for multi-platform images call it once per platform. */
export function compareFindings(
  candidate: readonly Finding[],
  production: readonly Finding[]
): FindingsComparison {
  const inProduction = new Set(production.map(findingIdentity))
  const inCandidate = new Set(candidate.map(findingIdentity))
  return {
    added: candidate.filter((finding) => !inProduction.has(findingIdentity(finding))),
    fixed: production.filter((finding) => !inCandidate.has(findingIdentity(finding))),
    unchanged: candidate.filter((finding) => inProduction.has(findingIdentity(finding)))
  }
}

/** `3 new (1 HIGH), 5 fixed, 2 unchanged`: the line the summary and PR comment lead with. */
export function comparisonHeadline(comparison: FindingsComparison): string {
  const severities = countsText(countBySeverity(comparison.added))
  const added = comparison.added.length
  const lead = severities === '' ? `${added} new` : `${added} new (${severities})`
  return `${lead}, ${comparison.fixed.length} fixed, ${comparison.unchanged.length} unchanged`
}

/** The severities counted per group, for outputs such as new-findings / fixed-findings. */
export function comparisonCounts(
  comparison: FindingsComparison
): Record<keyof FindingsComparison, Record<Severity, number>> {
  return {
    added: countBySeverity(comparison.added),
    fixed: countBySeverity(comparison.fixed),
    unchanged: countBySeverity(comparison.unchanged)
  }
}
