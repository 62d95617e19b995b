// The SBOM attestations BuildKit made, written out as plain SPDX JSON files (one per platform), so
// later steps of the job (a license check, an upload to a dependency service) read the SBOM of
// exactly the image that was built, without pulling attestations from a registry.
import { createHash } from 'node:crypto'
import { writeFileSync } from 'node:fs'
import path from 'node:path'
import {
  isAttestation,
  openBlob,
  platformString,
  readLayoutGraph,
  REFERENCE_DIGEST_ANNOTATION,
  type Descriptor
} from '../oci/layout.js'

const SPDX_PREDICATE = 'https://spdx.dev/Document'
const PREDICATE_ANNOTATION = 'in-toto.io/predicate-type'
/** An SBOM statement larger than this is not read (a layer's SBOM is some MB at most). */
const MAX_STATEMENT_BYTES = 256 * 1024 * 1024

/**
 * Writes the SPDX document of each platform's SBOM attestation in the layout to `destDir` as
 * `sbom-<os>-<arch>[-<variant>].spdx.json`; returns platform → path (none when no SBOM was made).
 */
export async function writeSboms(layoutDir: string, destDir: string): Promise<Record<string, string>> {
  const graph = readLayoutGraph(layoutDir)
  const manifests = new Map(graph.manifests.map((manifest) => [manifest.digest, manifest]))
  const entries = graph.manifests.flatMap((manifest) => indexEntries(manifest.body))
  const platformOf = new Map(
    entries
      .filter((entry) => entry.platform && !isAttestation(entry))
      .map((entry) => [entry.digest, entry.platform])
  )
  const written: Record<string, string> = {}
  for (const attestation of entries.filter(isAttestation)) {
    const subject = platformOf.get(attestation.annotations?.[REFERENCE_DIGEST_ANNOTATION] ?? '')
    const body = manifests.get(attestation.digest)?.body
    if (!subject || !body) continue
    const layers = (JSON.parse(body.toString('utf8')) as { layers?: Descriptor[] }).layers ?? []
    const spdx = layers.find((layer) => layer.annotations?.[PREDICATE_ANNOTATION] === SPDX_PREDICATE)
    if (!spdx) continue
    const statement = JSON.parse((await readVerified(layoutDir, spdx)).toString('utf8')) as {
      predicateType?: unknown
      predicate?: unknown
    }
    if (statement.predicateType !== SPDX_PREDICATE || typeof statement.predicate !== 'object') continue
    const platform = platformString(subject)
    const file = path.join(destDir, `sbom-${platform.replaceAll('/', '-')}.spdx.json`)
    writeFileSync(file, JSON.stringify(statement.predicate, null, 2))
    written[platform] = file
  }
  return written
}

/** The manifests an index lists; none for an image manifest. */
function indexEntries(body: Buffer): Descriptor[] {
  const parsed = JSON.parse(body.toString('utf8')) as { manifests?: unknown }
  return Array.isArray(parsed.manifests) ? (parsed.manifests as Descriptor[]) : []
}

/** A blob read whole, checked against its descriptor's size and digest. */
async function readVerified(layoutDir: string, descriptor: Descriptor): Promise<Buffer> {
  if (descriptor.size > MAX_STATEMENT_BYTES) {
    throw new Error(`the SBOM statement ${descriptor.digest} is ${descriptor.size} bytes, more than it reads`)
  }
  const chunks: Buffer[] = []
  const hash = createHash('sha256')
  for await (const chunk of openBlob(layoutDir, descriptor.digest)) {
    hash.update(chunk as Buffer)
    chunks.push(chunk as Buffer)
  }
  const bytes = Buffer.concat(chunks)
  if (bytes.length !== descriptor.size || `sha256:${hash.digest('hex')}` !== descriptor.digest) {
    throw new Error(`the SBOM statement ${descriptor.digest} in the layout does not match its digest`)
  }
  return bytes
}
