// Signing what was pushed, when the sign input asks: the digest (never a tag) in every repository
// it went to, and the scan's verdict with Trivy's reports as a cosign vuln attestation, so the
// verdict travels with the image and the deploy can check it (sign/verify.ts).
import { readFileSync } from 'node:fs'
import { parseImageReference, type ImageName } from '../lib/image-name.js'
import type { RunContext } from '../run/context.js'
import type { ScanResult } from '../scan/step.js'
import { cosignRunOf } from '../sign/cosign-run.js'
import { attestScan, signImage } from '../sign/sign.js'
import { invocationFrom, type ScanRecord } from '../sign/predicate.js'

export interface SigningResult {
  /** `repository@digest` of each signed image. */
  signed: string[]
  /** Whether the scan's verdict was attested too. */
  attested: boolean
}

/** Signs `digest` in each repository of `pushed`, and attests the scan when it ran. */
export async function signPushed(
  context: RunContext,
  pushed: string[],
  digest: string,
  scanned?: ScanResult
): Promise<SigningResult> {
  const inputs = context.inputs.signing
  const run = await cosignRunOf(context)
  const result: SigningResult = { signed: [], attested: false }
  for (const image of repositoriesOf(pushed)) {
    await signImage(image, digest, inputs, run)
    if (scanned) await attestScan(image, digest, scanRecord(scanned), invocationFrom(), inputs, run)
    result.signed.push(`${image.name}@${digest}`)
  }
  result.attested = scanned !== undefined
  return result
}

/** Each repository once, in the order pushed. */
function repositoriesOf(references: string[]): ImageName[] {
  const seen = new Map<string, ImageName>()
  for (const reference of references) {
    const { image } = parseImageReference(reference)
    seen.set(image.name, seen.get(image.name) ?? image)
  }
  return [...seen.values()]
}

/** The scan as the attestation records it: verdict, every platform's Trivy report, when. */
function scanRecord(scanned: ScanResult): ScanRecord {
  const files =
    scanned.platforms.length > 0
      ? scanned.reportFiles
      : ({ image: scanned.reportFile } as Record<string, string>)
  return {
    verdict: {
      gate: scanned.result,
      severityThreshold: scanned.severityThreshold,
      findings: scanned.findings
    },
    reports: Object.fromEntries(
      Object.entries(files).map(([platform, file]) => [
        platform,
        JSON.parse(readFileSync(file, 'utf8')) as unknown
      ])
    ),
    trivyVersion: scanned.trivyVersion,
    startedOn: scanned.startedOn,
    finishedOn: scanned.finishedOn
  }
}
