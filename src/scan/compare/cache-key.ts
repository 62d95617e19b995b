// The key the production scan's report is cached under: the image digest alone is not enough, a
// new Trivy, a newer DB or other rules (severities, ignore file, scanners) must scan again.
import { createHash } from 'node:crypto'

export interface ProductionScanIdentity {
  /** `sha256:…` of the image (or platform manifest) that runs in production. */
  digest: string
  trivyVersion: string
  /** The vulnerability DB's UpdatedAt, as its metadata gives it. */
  dbUpdatedAt: string
  /** Everything that changes what a scan reports: severities, ignore file text, ignore-unfixed, scanners. */
  rules: string
}

const DIGEST = /^sha256:[0-9a-f]{64}$/

/** A file-name-safe key; throws on a digest that is not `sha256:` and 64 hex digits. */
export function productionCacheKey(identity: ProductionScanIdentity): string {
  if (!DIGEST.test(identity.digest))
    throw new Error(`not an image digest: ${JSON.stringify(identity.digest)}`)
  const hash = createHash('sha256')
    .update(JSON.stringify([identity.digest, identity.trivyVersion, identity.dbUpdatedAt, identity.rules]))
    .digest('hex')
  return `production-${identity.digest.slice('sha256:'.length, 'sha256:'.length + 12)}-${hash.slice(0, 32)}`
}
