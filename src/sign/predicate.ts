// The scan as an attestation: cosign's vulnerability scan predicate
// (https://github.com/sigstore/cosign/blob/main/specs/COSIGN_VULN_ATTESTATION_SPEC.md), which
// `cosign attest --type vuln` wraps in an in-toto statement about the image's digest.
// `scanner.result` holds the action's verdict (what a deploy checks) beside Trivy's reports.
// cosign reads the predicate into a fixed shape: the times must be RFC 3339.

/** What `cosign attest --type vuln` puts in the statement's predicateType. */
export const VULN_PREDICATE_TYPE = 'https://cosign.sigstore.dev/attestation/vuln/v1'

/** The scan gate's verdict, as the scan step reached it. */
export interface ScanVerdict {
  gate: 'passed' | 'failed'
  /** The severity-threshold input ('none' when only max-findings gates). */
  severityThreshold: string
  /** What counts after ignores, by severity. */
  findings: Record<string, number>
}

/** What the scan step knows of one scan, for the attestation. */
export interface ScanRecord {
  verdict: ScanVerdict
  /** Trivy's JSON report by platform (`linux/amd64`; `image` for an image in the engine). */
  reports: Record<string, unknown>
  trivyVersion: string
  /** The Trivy DB's repository and version (its UpdatedAt), when known. */
  db?: { uri?: string; version?: string }
  startedOn: Date
  finishedOn: Date
}

/** The workflow run that scanned, for `invocation`. */
export interface ScanInvocation {
  /** The run's page. */
  uri: string
  /** GITHUB_RUN_ID, with the attempt. */
  eventId: string
  /** The workflow that ran (GITHUB_WORKFLOW_REF). */
  builderId: string
}

export interface VulnPredicate {
  invocation: { parameters: unknown; uri: string; event_id: string; 'builder.id': string }
  scanner: {
    uri: string
    version: string
    db: { uri: string; version: string }
    result: {
      containerShip: ScanVerdict
      reports: Record<string, unknown>
    }
  }
  metadata: { scanStartedOn: string; scanFinishedOn: string }
}

export function vulnPredicate(scan: ScanRecord, invocation: ScanInvocation): VulnPredicate {
  return {
    invocation: {
      parameters: { severityThreshold: scan.verdict.severityThreshold },
      uri: invocation.uri,
      event_id: invocation.eventId,
      'builder.id': invocation.builderId
    },
    scanner: {
      uri: `pkg:github/aquasecurity/trivy@v${scan.trivyVersion.replace(/^v/, '')}`,
      version: scan.trivyVersion.replace(/^v/, ''),
      db: { uri: scan.db?.uri ?? '', version: scan.db?.version ?? '' },
      result: {
        containerShip: {
          gate: scan.verdict.gate,
          severityThreshold: scan.verdict.severityThreshold,
          findings: { ...scan.verdict.findings }
        },
        reports: scan.reports
      }
    },
    metadata: {
      scanStartedOn: rfc3339(scan.startedOn),
      scanFinishedOn: rfc3339(scan.finishedOn)
    }
  }
}

/** The run that scans, from the runner's environment. */
export function invocationFrom(env: NodeJS.ProcessEnv = process.env): ScanInvocation {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  const runId = env.GITHUB_RUN_ID ?? ''
  const attempt = env.GITHUB_RUN_ATTEMPT ?? '1'
  return {
    uri: env.GITHUB_REPOSITORY && runId ? `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${runId}` : '',
    eventId: runId ? `${runId}-${attempt}` : '',
    builderId: env.GITHUB_WORKFLOW_REF ? `${server}/${env.GITHUB_WORKFLOW_REF}` : ''
  }
}

/** Go's time.Time reads RFC 3339; toISOString is one (UTC, milliseconds). */
function rfc3339(date: Date): string {
  if (Number.isNaN(date.getTime())) throw new Error('the scan has no valid start or finish time')
  return date.toISOString()
}
