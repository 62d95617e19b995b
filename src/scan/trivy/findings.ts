// The flat list of findings that the gate, annotations, summary, SARIF and PR comment work from:
// one Finding per thing Trivy found, whatever the scanner (vulnerabilities, secrets,
// misconfigurations, licenses), made from the typed report that report.ts reads. A secret's
// matched line (`Match`) is never copied into a finding.
import { parseSeverity, type Severity } from '../severity.js'
import type { TrivyMisconfiguration, TrivyReport } from './report.js'

export const FINDING_KINDS = ['vulnerability', 'secret', 'misconfiguration', 'license'] as const
export type FindingKind = (typeof FINDING_KINDS)[number]

/** One thing Trivy found, whatever the scanner. Strings the report does not give are ''. */
export interface Finding {
  kind: FindingKind
  /** What ignore rules name: VulnerabilityID, secret RuleID, misconfiguration ID, license name. */
  id: string
  /** Other IDs of a misconfiguration's check that ignore rules may name (see checkAliases). */
  otherIds: string[]
  /** Trivy's severity; a missing or unknown one is UNKNOWN. */
  severity: Severity
  /** The result's Target: the image and its OS for OS packages, else a file or a language. */
  target: string
  /** The result's Class: os-pkgs, lang-pkgs, secret, config, license, license-file. */
  resultClass: string
  pkgName: string
  /** A vulnerability's PkgPath; a license's FilePath. */
  pkgPath: string
  /** The installed version of a vulnerable package. */
  pkgVersion: string
  /** The package's Package URL, as Trivy wrote it. */
  purl: string
  fixedVersion: string
  /** A vulnerability's Status (`unknown` when Trivy left it out); a misconfiguration's (`FAIL`). */
  status: string
  title: string
  /** A misconfiguration's message; '' for the other kinds. */
  message: string
  /** A secret's or license's category. */
  category: string
  url: string
  /** The layer the finding came in with, when Trivy names one. */
  layerDiffId: string
  /** Lines of the file, for secrets and misconfigurations when Trivy gives them. */
  lines?: { start: number; end: number }
  /** The platforms it was found on, when the image has several and it is not on all of them. */
  platforms?: string[]
}

/**
 * Every finding of the report, in report order: vulnerabilities, secrets, misconfigurations and
 * licenses of each result. Misconfigurations that passed (PASS) or were excepted (EXCEPTION) are
 * checks, not findings, and are left out.
 */
export function findingsOf(report: TrivyReport): Finding[] {
  const findings: Finding[] = []
  for (const result of report.Results) {
    const base = { target: result.Target, resultClass: result.Class ?? '' }
    for (const vuln of result.Vulnerabilities) {
      findings.push({
        ...blank('vulnerability', vuln.VulnerabilityID, vuln.Severity, base),
        pkgName: vuln.PkgName ?? '',
        pkgPath: vuln.PkgPath ?? '',
        pkgVersion: vuln.InstalledVersion ?? '',
        purl: vuln.PkgIdentifier?.PURL ?? '',
        fixedVersion: vuln.FixedVersion ?? '',
        status: vuln.Status || 'unknown',
        title: vuln.Title ?? '',
        url: vuln.PrimaryURL ?? '',
        layerDiffId: vuln.Layer?.DiffID ?? ''
      })
    }
    for (const secret of result.Secrets) {
      // Match is the secret's line: it stays out of the finding.
      findings.push({
        ...blank('secret', secret.RuleID, secret.Severity, base),
        title: secret.Title ?? '',
        category: secret.Category ?? '',
        layerDiffId: secret.Layer?.DiffID ?? '',
        ...lineRange(secret.StartLine, secret.EndLine)
      })
    }
    for (const misconf of result.Misconfigurations) {
      if (misconf.Status === 'PASS' || misconf.Status === 'EXCEPTION') continue
      findings.push({
        ...blank('misconfiguration', misconf.ID, misconf.Severity, base),
        otherIds: checkAliases(misconf),
        status: misconf.Status ?? '',
        title: misconf.Title ?? '',
        message: misconf.Message ?? '',
        url: misconf.PrimaryURL ?? '',
        layerDiffId: misconf.Layer?.DiffID ?? '',
        ...lineRange(misconf.CauseMetadata?.StartLine, misconf.CauseMetadata?.EndLine)
      })
    }
    for (const license of result.Licenses) {
      findings.push({
        ...blank('license', license.Name, license.Severity, base),
        pkgName: license.PkgName ?? '',
        pkgPath: license.FilePath ?? '',
        title: license.Name,
        category: license.Category ?? '',
        url: license.Link ?? ''
      })
    }
  }
  return findings
}

/**
 * The IDs besides its ID that Trivy matches ignore rules against for a misconfiguration: its
 * AVDID and the check's aliases. The JSON leaves the aliases out; every built-in check of
 * trivy-checks has `AVD-<ID>` among them (`AVD-DS-0002`, the form Trivy's docs use), and most
 * have the old ID their Rego package is named after (`DS002` in `builtin.dockerfile.DS002`).
 */
function checkAliases(misconf: TrivyMisconfiguration): string[] {
  const aliases = [misconf.AVDID ?? '']
  if (!misconf.ID.startsWith('AVD-')) aliases.push(`AVD-${misconf.ID}`)
  const namespace = misconf.Namespace ?? ''
  const short = namespace.split('.').pop() ?? ''
  if (namespace.startsWith('builtin.') && /^[A-Z]+\d+$/.test(short)) aliases.push(short)
  return [...new Set(aliases)].filter((alias) => alias !== '' && alias !== misconf.ID)
}

function blank(
  kind: FindingKind,
  id: string,
  severity: string | undefined,
  base: { target: string; resultClass: string }
): Finding {
  return {
    kind,
    id,
    otherIds: [],
    severity: parseSeverity(severity ?? '') ?? 'UNKNOWN',
    ...base,
    pkgName: '',
    pkgPath: '',
    pkgVersion: '',
    purl: '',
    fixedVersion: '',
    status: '',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId: ''
  }
}

function lineRange(start: number | undefined, end: number | undefined): Pick<Finding, 'lines'> {
  if (start === undefined || start < 1) return {}
  return { lines: { start, end: end !== undefined && end >= start ? end : start } }
}
