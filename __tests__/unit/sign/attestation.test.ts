import { describe, expect, it } from '@jest/globals'
import { attestedVerdict } from '../../../src/sign/attestation.js'
import {
  invocationFrom,
  vulnPredicate,
  VULN_PREDICATE_TYPE,
  type ScanRecord
} from '../../../src/sign/predicate.js'

const HEX = 'cd'.repeat(32)
const DIGEST = `sha256:${HEX}`
const OTHER = 'ef'.repeat(32)

const scan = (gate: 'passed' | 'failed', finishedOn = '2026-12-06T03:00:05Z'): ScanRecord => ({
  verdict: { gate, severityThreshold: 'HIGH', findings: { CRITICAL: 0, HIGH: gate === 'failed' ? 2 : 0 } },
  reports: { 'linux/amd64': { SchemaVersion: 2, ArtifactName: 'x', Results: [] } },
  trivyVersion: '0.74.0',
  db: { uri: 'ghcr.io/aquasecurity/trivy-db:2', version: '2026-12-05T18:00:00Z' },
  startedOn: new Date('2026-12-06T03:00:00Z'),
  finishedOn: new Date(finishedOn)
})

const invocation = { uri: 'https://github.com/acme/web/actions/runs/7', eventId: '7-1', builderId: 'b' }

/** One line as cosign verify-attestation prints it: a DSSE envelope around the statement. */
function envelope(statement: unknown, payloadType = 'application/vnd.in-toto+json'): string {
  return JSON.stringify({
    payloadType,
    payload: Buffer.from(JSON.stringify(statement)).toString('base64'),
    signatures: [{ keyid: '', sig: 'MEUCIQ' }]
  })
}

function statement(hex: string, predicate: unknown, predicateType = VULN_PREDICATE_TYPE): unknown {
  return {
    _type: 'https://in-toto.io/Statement/v0.1',
    predicateType,
    subject: [{ name: '127.0.0.1:5000/e2e/web', digest: { sha256: hex } }],
    predicate
  }
}

describe('vulnPredicate', () => {
  it("is cosign's vuln predicate with the verdict and the reports in scanner.result", () => {
    expect(vulnPredicate(scan('passed'), invocation)).toEqual({
      invocation: {
        parameters: { severityThreshold: 'HIGH' },
        uri: 'https://github.com/acme/web/actions/runs/7',
        event_id: '7-1',
        'builder.id': 'b'
      },
      scanner: {
        uri: 'pkg:github/aquasecurity/trivy@v0.74.0',
        version: '0.74.0',
        db: { uri: 'ghcr.io/aquasecurity/trivy-db:2', version: '2026-12-05T18:00:00Z' },
        result: {
          containerShip: { gate: 'passed', severityThreshold: 'HIGH', findings: { CRITICAL: 0, HIGH: 0 } },
          reports: { 'linux/amd64': { SchemaVersion: 2, ArtifactName: 'x', Results: [] } }
        }
      },
      metadata: { scanStartedOn: '2026-12-06T03:00:00.000Z', scanFinishedOn: '2026-12-06T03:00:05.000Z' }
    })
  })

  it('refuses a scan without valid times (cosign reads them as RFC 3339)', () => {
    expect(() => vulnPredicate({ ...scan('passed'), finishedOn: new Date('nope') }, invocation)).toThrow()
  })

  it('names the run from the runner environment', () => {
    expect(
      invocationFrom({
        GITHUB_REPOSITORY: 'acme/web',
        GITHUB_RUN_ID: '42',
        GITHUB_RUN_ATTEMPT: '2',
        GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main'
      })
    ).toEqual({
      uri: 'https://github.com/acme/web/actions/runs/42',
      eventId: '42-2',
      builderId: 'https://github.com/acme/web/.github/workflows/ci.yml@refs/heads/main'
    })
  })
})

describe('attestedVerdict', () => {
  const predicateOf = (gate: 'passed' | 'failed', finishedOn?: string) =>
    JSON.parse(JSON.stringify(vulnPredicate(scan(gate, finishedOn), invocation))) as unknown

  it('passes a statement about this digest with a passed verdict', () => {
    expect(attestedVerdict(`${envelope(statement(HEX, predicateOf('passed')))}\n`, DIGEST)).toEqual({
      verdict: 'passed',
      finishedOn: '2026-12-06T03:00:05.000Z'
    })
  })

  it('refuses a failed verdict', () => {
    expect(attestedVerdict(envelope(statement(HEX, predicateOf('failed'))), DIGEST)).toMatchObject({
      verdict: 'failed'
    })
  })

  it('refuses a passed statement about another image (copied, or forged subject)', () => {
    expect(attestedVerdict(envelope(statement(OTHER, predicateOf('passed'))), DIGEST)).toEqual({
      verdict: 'none',
      reason: `every scan attestation it verified is about another image than ${DIGEST}`
    })
    // Near misses of the digest: prefixed, upper case, a prefix of it, in another algorithm.
    for (const digest of [
      { sha256: `sha256:${HEX}` },
      { sha256: HEX.toUpperCase() },
      { sha256: HEX.slice(0, 12) },
      { sha512: HEX }
    ]) {
      const forged = {
        ...(statement(HEX, predicateOf('passed')) as object),
        subject: [{ name: 'x', digest }]
      }
      expect(attestedVerdict(envelope(forged), DIGEST).verdict).toBe('none')
    }
  })

  it('lets the latest scan decide, a failed one on a tie', () => {
    const older = envelope(statement(HEX, predicateOf('failed', '2026-12-05T00:00:00Z')))
    const newer = envelope(statement(HEX, predicateOf('passed', '2026-12-06T00:00:00Z')))
    expect(attestedVerdict(`${older}\n${newer}\n`, DIGEST).verdict).toBe('passed')
    expect(attestedVerdict(`${newer}\n${older}\n`, DIGEST).verdict).toBe('passed')
    const sameTimeFailed = envelope(statement(HEX, predicateOf('failed', '2026-12-06T00:00:00Z')))
    expect(attestedVerdict(`${newer}\n${sameTimeFailed}`, DIGEST).verdict).toBe('failed')
  })

  it('takes nothing from malformed or foreign text', () => {
    const noVerdict = { ...(predicateOf('passed') as { scanner: object }) }
    const lines = [
      'not json',
      '::set-output name=x::y',
      JSON.stringify({ payloadType: 'application/vnd.in-toto+json', payload: '%%%' }),
      envelope(statement(HEX, predicateOf('passed')), 'text/plain'),
      envelope(statement(HEX, predicateOf('passed'), 'https://slsa.dev/provenance/v0.2')),
      envelope({ ...(statement(HEX, predicateOf('passed')) as object), _type: 'other' }),
      envelope(statement(HEX, { ...noVerdict, scanner: { result: { containerShip: { gate: 'PASSED' } } } })),
      envelope(
        statement(HEX, { scanner: { result: { containerShip: { gate: 'passed' } } }, metadata: 'x' })
      ).replace(/"payload":"/, '"payload":"!'),
      envelope({ ...(statement(HEX, predicateOf('passed')) as object), subject: 'all' }),
      '[1,2,3]',
      'null'
    ]
    expect(attestedVerdict(lines.join('\n'), DIGEST)).toEqual({
      verdict: 'none',
      reason: `no scan attestation about ${DIGEST} carries this action's verdict`
    })
    expect(attestedVerdict('', DIGEST)).toEqual({
      verdict: 'none',
      reason: 'cosign printed no scan attestation'
    })
  })

  it('never returns text from the attestation', () => {
    const sneaky = predicateOf('failed', '2026-12-06T00:00:00Z') as { metadata: { scanFinishedOn: string } }
    sneaky.metadata.scanFinishedOn = '::error::owned 2026'
    const result = attestedVerdict(envelope(statement(HEX, sneaky)), DIGEST)
    expect(JSON.stringify(result)).not.toContain('::')
  })

  it('needs a sha256 digest to compare with', () => {
    expect(() => attestedVerdict('', 'latest')).toThrow('the image digest is not sha256')
  })
})
