// The reported findings as a SARIF 2.1.0 log for GitHub code scanning
// (github/codeql-action/upload-sarif): one run of the tool `Trivy`, one rule per finding ID, one
// result per finding on the Dockerfile line that introduced its layer (placeFinding), as the
// annotations place it. Levels and security severities follow Trivy's own SARIF writer
// (pkg/report/sarif.go: CRITICAL and HIGH are errors, MEDIUM a warning, LOW and UNKNOWN notes;
// 9.5, 8.0, 5.5, 2.0 and 0.0 where the report has no CVSS score), which code scanning reads as
// critical (over 9.0), high (7.0-8.9), medium (4.0-6.9), low (0.1-3.9) and none (0.0).
//
// Each result carries its own `partialFingerprints.primaryLocationLineHash`, the only fingerprint
// code scanning uses: a hash of what the finding is (rule, package, installed version, the file
// in the image, the Dockerfile), so an alert stays one alert when the Dockerfile is edited
// around it, and two packages with the same CVE on the same line stay two alerts.
// upload-sarif keeps a fingerprint it finds (and logs that it would have hashed the line).
//
// GitHub rejects a run of more than 25,000 results and keeps only the top 5,000, and takes at most
// 10 MB of gzipped SARIF; the log holds the worst SARIF_MAX_RESULTS findings at most, in at most
// SARIF_MAX_BYTES of compact JSON, and says in runs[0].properties what it left out.
import { createHash } from 'node:crypto'
import path from 'node:path'
import type { Log, ReportingDescriptor, Result, Run } from 'sarif'
import { describeFinding, placeFinding, worstFirst } from './annotations.js'
import type { LayerMap } from '../dockerfile-map.js'
import type { Severity } from '../severity.js'
import type { Finding, FindingKind } from '../trivy/findings.js'

/** The schema the log follows: SARIF 2.1.0 as OASIS published it (errata 01). */
export const SARIF_SCHEMA =
  'https://docs.oasis-open.org/sarif/sarif/v2.1.0/errata01/os/schemas/sarif-schema-2.1.0.json'
/** Results code scanning keeps of a run (it rejects a run of more than 25,000). */
export const SARIF_MAX_RESULTS = 5000
/** Bytes of compact JSON: under GitHub's 10 MB for the gzipped file, however the log is written. */
export const SARIF_MAX_BYTES = 10_000_000
/** Where relative URIs start: the workspace, as CodeQL names it. */
export const SOURCE_ROOT = '%SRCROOT%'

const TRIVY_URI = 'https://github.com/aquasecurity/trivy'
/** GitHub's limits on a rule's name and descriptions. */
const NAME_LIMIT = 255
const DESCRIPTION_LIMIT = 1024
/** Room kept for the note of what was left out. */
const NOTE_RESERVE = 1024

/** Code scanning's security severity for each of Trivy's severities (Trivy's severityToScore). */
export const SECURITY_SEVERITY: Record<Severity, string> = {
  CRITICAL: '9.5',
  HIGH: '8.0',
  MEDIUM: '5.5',
  LOW: '2.0',
  UNKNOWN: '0.0'
}

/** The result level for each severity, as Trivy's toSarifErrorLevel has it. */
export const SARIF_LEVEL: Record<Severity, NonNullable<Result['level']>> = {
  CRITICAL: 'error',
  HIGH: 'error',
  MEDIUM: 'warning',
  LOW: 'note',
  UNKNOWN: 'note'
}

export interface SarifInput {
  /** The findings to show (what `severities` reports, ignores applied). */
  findings: Finding[]
  /** The image's layers on the Dockerfile's lines. */
  layers: LayerMap
  /** The Dockerfile, relative to the workspace (`docker/Dockerfile`). */
  dockerfile: string
  /** Trivy's version (`0.74.0`). */
  trivyVersion: string
  /** The image that was scanned. */
  image: string
}

/**
 * The SARIF log of the findings. Pure: the same input gives the same log. Throws when the
 * Dockerfile is not a path inside the workspace, which code scanning could not show.
 */
export function sarifLog(input: SarifInput): Log {
  const uri = artifactUri(input.dockerfile)
  const sorted = [...input.findings].sort(worstFirst)
  const rules: ReportingDescriptor[] = []
  const ruleIndex = new Map<string, number>()
  const results: Result[] = []
  const occurrences = new Map<string, number>()
  const run: Run = {
    tool: {
      driver: {
        name: 'Trivy',
        fullName: 'Trivy Vulnerability Scanner',
        ...(input.trivyVersion.trim() ? { version: input.trivyVersion.trim() } : {}),
        informationUri: TRIVY_URI,
        rules
      }
    },
    results,
    columnKind: 'utf16CodeUnits',
    properties: { imageName: input.image }
  }
  const log: Log = { $schema: SARIF_SCHEMA, version: '2.1.0', runs: [run] }

  let size = bytes(log) + NOTE_RESERVE
  let cut: 'results' | 'bytes' | undefined
  for (const finding of sorted) {
    if (results.length >= SARIF_MAX_RESULTS) {
      cut = 'results'
      break
    }
    const known = ruleIndex.get(finding.id)
    const rule = known === undefined ? ruleFor(finding) : undefined
    const identity = fingerprintOf(finding, uri)
    const occurrence = (occurrences.get(identity) ?? 0) + 1
    const result = resultFor(finding, {
      ruleIndex: known ?? rules.length,
      uri,
      layers: input.layers,
      image: input.image,
      fingerprint: `${identity}:${occurrence}`
    })
    // Each array entry costs its JSON and a comma.
    const added = bytes(result) + 1 + (rule ? bytes(rule) + 1 : 0)
    if (size + added > SARIF_MAX_BYTES) {
      cut = 'bytes'
      break
    }
    size += added
    occurrences.set(identity, occurrence)
    if (rule) {
      ruleIndex.set(finding.id, rules.length)
      rules.push(rule)
    }
    results.push(result)
  }
  if (cut) {
    run.properties = {
      ...run.properties,
      truncated: true,
      note: truncationNote(cut, results.length, sorted.length)
    }
  }
  return log
}

/**
 * The fingerprint of what a finding is, without its line: the rule, the kind, the package and
 * its installed version, the file in the image (for OS packages the target names the image,
 * whose tag changes from run to run, so it is left out) and the Dockerfile.
 */
function fingerprintOf(finding: Finding, uri: string): string {
  const parts = [
    finding.id,
    finding.kind,
    finding.pkgName,
    finding.pkgVersion,
    finding.pkgPath,
    finding.resultClass === 'os-pkgs' ? '' : finding.target,
    uri
  ]
  return createHash('sha256').update(parts.join('\0')).digest('hex').slice(0, 32)
}

function ruleFor(finding: Finding): ReportingDescriptor {
  const label = KIND_LABEL[finding.kind]
  const title = clip(finding.title || `${label} ${finding.id}`, DESCRIPTION_LIMIT)
  const link = webUrl(finding.url)
  const help = [
    `${label} ${finding.id}`,
    `Severity: ${finding.severity}`,
    ...(finding.title ? [title] : []),
    ...(link ? [`Link: ${link}`] : [])
  ].join('\n')
  const markdown = [
    `**${markdownText(`${label} ${finding.id}`)}**`,
    '',
    '| Severity | Link |',
    '| --- | --- |',
    `| ${finding.severity} | ${link ? `[${markdownText(finding.id)}](${link})` : ''} |`,
    ...(finding.title ? ['', markdownText(title)] : [])
  ].join('\n')
  return {
    id: finding.id,
    name: clip(ruleName(finding), NAME_LIMIT),
    shortDescription: { text: title },
    fullDescription: { text: title },
    defaultConfiguration: { level: SARIF_LEVEL[finding.severity] },
    ...(link ? { helpUri: link } : {}),
    help: { text: help, markdown },
    properties: {
      precision: 'very-high',
      'security-severity': SECURITY_SEVERITY[finding.severity],
      tags: [finding.kind, 'security', finding.severity]
    }
  }
}

function resultFor(
  finding: Finding,
  where: { ruleIndex: number; uri: string; layers: LayerMap; image: string; fingerprint: string }
): Result {
  const placement = placeFinding(finding, where.layers)
  const origin = placement.unplaced
    ? `Placed on line 1: ${placement.unplaced}.`
    : `Introduced by ${placement.instruction ?? `line ${placement.line}`}`
  return {
    ruleId: finding.id,
    ruleIndex: where.ruleIndex,
    level: SARIF_LEVEL[finding.severity],
    message: {
      text: [describeFinding(finding), finding.message, origin, `Image: ${where.image}`]
        .filter(Boolean)
        .join('\n')
    },
    locations: [
      {
        physicalLocation: {
          artifactLocation: { uri: where.uri, uriBaseId: SOURCE_ROOT },
          region: {
            startLine: placement.line,
            startColumn: 1,
            endLine: placement.line,
            endColumn: 1
          }
        },
        ...(placement.instruction ? { message: { text: placement.instruction } } : {})
      }
    ],
    partialFingerprints: { primaryLocationLineHash: where.fingerprint }
  }
}

const KIND_LABEL: Record<FindingKind, string> = {
  vulnerability: 'Vulnerability',
  secret: 'Secret',
  misconfiguration: 'Misconfiguration',
  license: 'License'
}

/** The rule names of Trivy's SARIF, by the result's class; licenses have their own. */
function ruleName(finding: Finding): string {
  switch (finding.kind) {
    case 'vulnerability':
      if (finding.resultClass === 'os-pkgs') return 'OsPackageVulnerability'
      if (finding.resultClass === 'lang-pkgs') return 'LanguageSpecificPackageVulnerability'
      return 'UnknownIssue'
    case 'secret':
      return 'Secret'
    case 'misconfiguration':
      return 'Misconfiguration'
    case 'license':
      return 'License'
  }
}

function truncationNote(cut: 'results' | 'bytes', shown: number, total: number): string {
  const why =
    cut === 'results'
      ? `GitHub code scanning keeps ${SARIF_MAX_RESULTS} results of a run`
      : `GitHub takes at most 10 MB of SARIF`
  return `${shown} of ${total} findings are in this log, the worst first: ${why}. The step summary and the report file list them all.`
}

/**
 * The Dockerfile as a URI relative to the workspace: forward slashes, each segment
 * percent-encoded (upload-sarif decodes it to find the file).
 */
function artifactUri(file: string): string {
  const normal = path.posix.normalize(file.replace(/\\/g, '/'))
  if (
    normal === '.' ||
    normal.startsWith('/') ||
    /^[A-Za-z]:\//.test(normal) ||
    normal === '..' ||
    normal.startsWith('../')
  ) {
    throw new Error(`The SARIF log needs the Dockerfile relative to the workspace, not "${file}"`)
  }
  return normal.split('/').map(encodeURIComponent).join('/')
}

/** An http(s) URL, or '' (helpUri must be a URI). */
function webUrl(url: string): string {
  try {
    const parsed = new URL(url)
    return parsed.protocol === 'https:' || parsed.protocol === 'http:' ? parsed.href : ''
  } catch {
    return ''
  }
}

/** Text shown as is in Markdown. */
function markdownText(text: string): string {
  return text.replace(/[\\`*_{}[\]()<>#|!]/g, '\\$&').replace(/\r?\n/g, ' ')
}

function clip(text: string, limit: number): string {
  return text.length > limit ? `${text.slice(0, limit - 3)}...` : text
}

function bytes(value: unknown): number {
  return Buffer.byteLength(JSON.stringify(value))
}
