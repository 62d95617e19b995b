// OCI image layouts written by hand, shaped like BuildKit's `--output type=oci,tar=false`: an
// index.json naming one image index, which names an image manifest per platform and an
// attestation manifest (platform unknown/unknown, `vnd.docker.reference.type:
// attestation-manifest`, `vnd.docker.reference.digest` naming the image it is about). Layers are
// random bytes (a registry never opens them), one of them shared by both platforms.
import { createHash, randomBytes } from 'node:crypto'
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'

export interface FixtureDescriptor {
  mediaType: string
  digest: string
  size: number
  platform?: { os: string; architecture: string; variant?: string }
  annotations?: Record<string, string>
}

export interface FixtureLayout {
  dir: string
  index: FixtureDescriptor & { body: Buffer }
  amd64: FixtureDescriptor
  arm64: FixtureDescriptor
  attestation: FixtureDescriptor
  /** Every config and layer, once each. */
  blobs: FixtureDescriptor[]
  /** The layer both platforms share. */
  sharedLayer: FixtureDescriptor
  /** The layer only amd64 has. */
  amd64Layer: FixtureDescriptor
}

const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
const OCI_CONFIG = 'application/vnd.oci.image.config.v1+json'
const OCI_LAYER = 'application/vnd.oci.image.layer.v1.tar+gzip'

export function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

export function blobFile(dir: string, digest: string): string {
  return path.join(dir, 'blobs', 'sha256', digest.slice('sha256:'.length))
}

/** Writes the bytes as a blob of the layout and returns their descriptor. */
export function writeBlob(dir: string, mediaType: string, bytes: Buffer): FixtureDescriptor {
  const digest = sha256(bytes)
  mkdirSync(path.join(dir, 'blobs', 'sha256'), { recursive: true })
  writeFileSync(blobFile(dir, digest), bytes)
  return { mediaType, digest, size: bytes.length }
}

function json(value: unknown): Buffer {
  return Buffer.from(JSON.stringify(value))
}

function image(
  dir: string,
  platform: { os: string; architecture: string; variant?: string },
  layers: FixtureDescriptor[]
): { manifest: FixtureDescriptor; config: FixtureDescriptor } {
  const config = writeBlob(
    dir,
    OCI_CONFIG,
    json({
      ...platform,
      config: { Cmd: ['/bin/sh'] },
      rootfs: { type: 'layers', diff_ids: layers.map((layer) => layer.digest) }
    })
  )
  const manifest = writeBlob(
    dir,
    OCI_MANIFEST,
    json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config, layers })
  )
  return { manifest, config }
}

/** A two-platform image index with one attestation manifest, in `dir` (which it creates). */
export function writeFixtureLayout(dir: string, layerBytes = 64 * 1024): FixtureLayout {
  mkdirSync(dir, { recursive: true })
  writeFileSync(path.join(dir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  const sharedLayer = writeBlob(dir, OCI_LAYER, randomBytes(layerBytes))
  const amd64Layer = writeBlob(dir, OCI_LAYER, randomBytes(layerBytes))
  const arm64Layer = writeBlob(dir, OCI_LAYER, randomBytes(layerBytes / 2))
  const amd64Image = image(dir, { os: 'linux', architecture: 'amd64' }, [sharedLayer, amd64Layer])
  const arm64Image = image(dir, { os: 'linux', architecture: 'arm64', variant: 'v8' }, [
    sharedLayer,
    arm64Layer
  ])
  const amd64 = { ...amd64Image.manifest, platform: { os: 'linux', architecture: 'amd64' } }
  const arm64 = { ...arm64Image.manifest, platform: { os: 'linux', architecture: 'arm64', variant: 'v8' } }

  const provenance = writeBlob(
    dir,
    'application/vnd.in-toto+json',
    json({
      _type: 'https://in-toto.io/Statement/v0.1',
      predicateType: 'https://slsa.dev/provenance/v0.2',
      subject: [{ name: 'pkg:docker/app@latest', digest: { sha256: amd64.digest.slice(7) } }],
      predicate: { builder: { id: '' }, buildType: 'https://mobyproject.org/buildkit@v1' }
    })
  )
  const provenanceLayer = {
    ...provenance,
    annotations: { 'in-toto.io/predicate-type': 'https://slsa.dev/provenance/v0.2' }
  }
  const attestationConfig = writeBlob(
    dir,
    OCI_CONFIG,
    json({ architecture: 'unknown', os: 'unknown', config: {}, rootfs: { type: 'layers', diff_ids: [] } })
  )
  const attestationManifest = writeBlob(
    dir,
    OCI_MANIFEST,
    json({ schemaVersion: 2, mediaType: OCI_MANIFEST, config: attestationConfig, layers: [provenanceLayer] })
  )
  const attestation: FixtureDescriptor = {
    ...attestationManifest,
    platform: { os: 'unknown', architecture: 'unknown' },
    annotations: {
      'vnd.docker.reference.type': 'attestation-manifest',
      'vnd.docker.reference.digest': amd64.digest
    }
  }

  const indexBody = json({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [amd64, arm64, attestation] })
  const index = { ...writeBlob(dir, OCI_INDEX, indexBody), body: indexBody }
  writeFileSync(
    path.join(dir, 'index.json'),
    JSON.stringify({
      schemaVersion: 2,
      mediaType: OCI_INDEX,
      manifests: [
        {
          mediaType: OCI_INDEX,
          digest: index.digest,
          size: index.size,
          annotations: { 'org.opencontainers.image.created': '2026-01-01T00:00:00Z' }
        }
      ]
    })
  )
  return {
    dir,
    index,
    amd64,
    arm64,
    attestation,
    sharedLayer,
    amd64Layer,
    blobs: [
      sharedLayer,
      amd64Layer,
      amd64Image.config,
      arm64Layer,
      arm64Image.config,
      provenance,
      attestationConfig
    ]
  }
}
