// An OCI image layout folder (oci-layout, index.json, blobs/sha256/<hex>) as the build writes it,
// read as untrusted input: every JSON shape is checked, every digest is `sha256:<64 hex>`, a blob
// is read only from blobs/sha256 inside the folder (a link pointing out of it is refused) and its
// bytes are checked against its digest. The push uploads exactly these bytes; the scan reads one
// platform at a time from a layout of its own (singlePlatformLayout).
import { createHash } from 'node:crypto'
import {
  closeSync,
  constants,
  copyFileSync,
  createReadStream,
  existsSync,
  fstatSync,
  linkSync,
  mkdirSync,
  openSync,
  readdirSync,
  readSync,
  realpathSync,
  writeFileSync,
  type ReadStream
} from 'node:fs'
import path from 'node:path'
import { Transform, type Readable } from 'node:stream'

export const OCI_INDEX = 'application/vnd.oci.image.index.v1+json'
export const OCI_MANIFEST = 'application/vnd.oci.image.manifest.v1+json'
export const DOCKER_MANIFEST_LIST = 'application/vnd.docker.distribution.manifest.list.v2+json'
export const DOCKER_MANIFEST = 'application/vnd.docker.distribution.manifest.v2+json'
const INDEX_TYPES = [OCI_INDEX, DOCKER_MANIFEST_LIST]
const MANIFEST_TYPES = [OCI_MANIFEST, DOCKER_MANIFEST]

/** BuildKit marks an attestation manifest in the index with this annotation (and this value). */
export const REFERENCE_TYPE_ANNOTATION = 'vnd.docker.reference.type'
export const ATTESTATION_MANIFEST = 'attestation-manifest'
/** ...and names the image manifest it is about with this one. */
export const REFERENCE_DIGEST_ANNOTATION = 'vnd.docker.reference.digest'

/** Registries refuse manifests over 4 MiB (Distribution's default limit): nothing larger is read as JSON. */
export const MAX_MANIFEST_BYTES = 4 * 1024 * 1024

const DIGEST = /^sha256:[0-9a-f]{64}$/
/** One part of os/architecture/variant, as OCI names them. */
const PLATFORM_PART = /^[A-Za-z0-9_.-]{1,64}$/

export interface Platform {
  os: string
  architecture: string
  variant?: string
}

export interface Descriptor {
  mediaType: string
  digest: string
  size: number
  platform?: Platform
  annotations?: Record<string, string>
}

/** A config or layer: uploaded as it is. */
export interface LayoutBlob {
  digest: string
  size: number
  mediaType: string
}

/** A manifest or index: its exact bytes (checked against the digest), put by digest. */
export interface LayoutManifest {
  digest: string
  size: number
  mediaType: string
  body: Buffer
}

export interface LayoutGraph {
  /** The layout folder, its links resolved. */
  dir: string
  /** What index.json names: the image index (or manifest) a push makes. */
  roots: Descriptor[]
  /** Every config and layer once, in the order first met. */
  blobs: LayoutBlob[]
  /** Every manifest and index once, children before the parents that name them. */
  manifests: LayoutManifest[]
}

export class LayoutError extends Error {
  constructor(message: string) {
    super(message)
    this.name = 'LayoutError'
  }
}

export function isDigest(value: unknown): value is string {
  return typeof value === 'string' && DIGEST.test(value)
}

export function isIndexType(mediaType: string): boolean {
  return INDEX_TYPES.includes(mediaType)
}

export function isManifestType(mediaType: string): boolean {
  return MANIFEST_TYPES.includes(mediaType)
}

export function isAttestation(descriptor: Descriptor): boolean {
  return descriptor.annotations?.[REFERENCE_TYPE_ANNOTATION] === ATTESTATION_MANIFEST
}

/** `linux/arm64/v8`: os/architecture, then the variant when there is one. */
export function platformString(platform: Platform): string {
  return [platform.os, platform.architecture, platform.variant].filter(Boolean).join('/')
}

/** The real path of the layout folder, refused when it lacks the oci-layout marker. */
export function openLayout(layoutDir: string): string {
  let dir: string
  try {
    dir = realpathSync(layoutDir)
  } catch {
    throw new LayoutError(`${layoutDir} is not an OCI image layout: the folder is missing`)
  }
  const marker = parseJson(readInside(dir, 'oci-layout', 4096), `${layoutDir}/oci-layout`)
  if (!isObject(marker) || typeof marker.imageLayoutVersion !== 'string')
    throw new LayoutError(`${layoutDir}/oci-layout does not name an imageLayoutVersion`)
  return dir
}

/** The descriptors index.json names (at least one). */
export function readLayoutIndex(layoutDir: string): Descriptor[] {
  const dir = openLayout(layoutDir)
  const what = `${layoutDir}/index.json`
  const index = parseJson(readInside(dir, 'index.json', MAX_MANIFEST_BYTES), what)
  const manifests = indexManifests(index, what)
  if (manifests.length === 0) throw new LayoutError(`${what} names no manifest`)
  return manifests
}

/** A blob's bytes, read whole (for manifests and configs) and checked against its digest and size. */
export function readBlob(layoutDir: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Buffer {
  return readBlobIn(openLayout(layoutDir), descriptor)
}

/**
 * Hashes a blob's file as a stream (layers can be hundreds of MB) and throws a LayoutError when
 * its size or sha256 is not what the descriptor says.
 */
export async function verifyBlob(
  layoutDir: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>
): Promise<void> {
  const hash = createHash('sha256')
  let size = 0
  for await (const chunk of openBlob(layoutDir, descriptor.digest)) {
    hash.update(chunk as Buffer)
    size += (chunk as Buffer).length
  }
  checkBytes(descriptor, size, `sha256:${hash.digest('hex')}`)
}

/**
 * A blob's bytes as a stream that checks them as they pass: the last chunk is held back until
 * the size and sha256 are known, and the stream fails instead of sending it when they are not the
 * descriptor's. An upload of it never completes with bytes that are not what they are named, and
 * the file is read once, not once to check and once to send.
 */
export function openCheckedBlob(
  layoutDir: string,
  descriptor: Pick<Descriptor, 'digest' | 'size'>
): Readable {
  const hash = createHash('sha256')
  let size = 0
  let held: Buffer | undefined
  const check = new Transform({
    transform(chunk: Buffer, _encoding, done) {
      hash.update(chunk)
      size += chunk.length
      const previous = held
      held = chunk
      done(null, previous)
    },
    flush(done) {
      try {
        checkBytes(descriptor, size, `sha256:${hash.digest('hex')}`)
      } catch (error) {
        done(error as Error)
        return
      }
      done(null, held)
    }
  })
  const file = openBlob(layoutDir, descriptor.digest)
  file.on('error', (error) => check.destroy(error))
  return file.pipe(check)
}

/** A stream of a blob's file, inside the layout only (its bytes are not checked here: verifyBlob). */
export function openBlob(layoutDir: string, digest: string): ReadStream {
  const fd = openInside(openLayout(layoutDir), blobPath(digest))
  return createReadStream('', { fd })
}

/** The whole graph index.json names: every manifest read and checked, every blob listed once. */
export function readLayoutGraph(layoutDir: string): LayoutGraph {
  const dir = openLayout(layoutDir)
  const roots = readLayoutIndex(dir)
  const manifests: LayoutManifest[] = []
  const blobs = new Map<string, LayoutBlob>()
  const state = new Map<string, 'open' | 'done'>()

  const visit = (descriptor: Descriptor, trail: string): void => {
    const seen = state.get(descriptor.digest)
    if (seen === 'done') return
    if (seen === 'open')
      throw new LayoutError(`${trail} names ${descriptor.digest}, which names it back: a cycle`)
    state.set(descriptor.digest, 'open')
    const body = readBlobIn(dir, descriptor)
    const what = `${descriptor.digest} (named by ${trail})`
    const json = parseJson(body, what)
    checkStatedType(json, descriptor.mediaType, what)
    if (isIndexType(descriptor.mediaType)) {
      for (const child of indexManifests(json, what)) visit(child, descriptor.digest)
    } else if (isManifestType(descriptor.mediaType)) {
      for (const blob of manifestBlobs(json, what)) {
        const known = blobs.get(blob.digest)
        if (known && known.size !== blob.size)
          throw new LayoutError(`${blob.digest} is named with two sizes, ${known.size} and ${blob.size}`)
        if (!known)
          blobs.set(blob.digest, { digest: blob.digest, size: blob.size, mediaType: blob.mediaType })
      }
    } else {
      throw new LayoutError(
        `${what} has the media type ${descriptor.mediaType}, neither an index nor a manifest`
      )
    }
    manifests.push({
      digest: descriptor.digest,
      size: descriptor.size,
      mediaType: descriptor.mediaType,
      body
    })
    state.set(descriptor.digest, 'done')
  }
  for (const root of roots) visit(root, 'index.json')
  return { dir, roots, blobs: [...blobs.values()], manifests }
}

export interface PlatformImage {
  /** os/architecture[/variant], e.g. linux/arm64/v8. */
  platform: string
  descriptor: Descriptor
}

/**
 * The image of each platform: the manifests of the index (or indexes) index.json names, without
 * attestation manifests and BuildKit's `unknown/unknown` entries. A manifest named directly by
 * index.json without a platform gets the one its config states.
 */
export function platformImages(layoutDir: string): PlatformImage[] {
  const dir = openLayout(layoutDir)
  const images: PlatformImage[] = []
  const add = (descriptor: Descriptor, trail: string): void => {
    if (isAttestation(descriptor)) return
    if (isIndexType(descriptor.mediaType)) {
      const what = `${descriptor.digest} (named by ${trail})`
      for (const child of indexManifests(parseJson(readBlobIn(dir, descriptor), what), what))
        add(child, descriptor.digest)
      return
    }
    if (!isManifestType(descriptor.mediaType)) return
    const platform = descriptor.platform ?? configPlatform(dir, descriptor)
    if (!platform || (platform.os === 'unknown' && platform.architecture === 'unknown')) return
    const name = platformString(platform)
    if (!images.some((image) => image.descriptor.digest === descriptor.digest))
      images.push({ platform: name, descriptor: { ...descriptor, platform } })
  }
  for (const root of readLayoutIndex(dir)) add(root, 'index.json')
  return images
}

/**
 * A new layout folder `destDir` whose index.json names only this image manifest, its blobs
 * hard-linked from the layout (copied when the two are on different file systems): what Trivy
 * reads to scan one platform. `destDir` must not exist or be empty.
 */
export function singlePlatformLayout(layoutDir: string, manifest: Descriptor, destDir: string): void {
  const dir = openLayout(layoutDir)
  if (!isManifestType(manifest.mediaType))
    throw new LayoutError(`${manifest.digest} is a ${manifest.mediaType}, not an image manifest`)
  const what = manifest.digest
  const body = readBlobIn(dir, manifest)
  const json = parseJson(body, what)
  checkStatedType(json, manifest.mediaType, what)
  const blobs = [manifest, ...manifestBlobs(json, what)]
  if (existsSync(destDir) && readdirSync(destDir).length > 0)
    throw new LayoutError(`${destDir} is not empty: the single-platform layout needs a folder of its own`)
  mkdirSync(path.join(destDir, 'blobs', 'sha256'), { recursive: true })
  for (const blob of blobs) {
    const target = path.join(destDir, blobPath(blob.digest))
    if (existsSync(target)) continue // a config that is also a layer, say
    const source = sourcePath(dir, blobPath(blob.digest))
    try {
      linkSync(source, target)
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      if (code !== 'EXDEV' && code !== 'EPERM') throw error
      copyFileSync(source, target, constants.COPYFILE_EXCL)
    }
  }
  const descriptor: Descriptor = {
    mediaType: manifest.mediaType,
    digest: manifest.digest,
    size: manifest.size,
    ...(manifest.platform ? { platform: manifest.platform } : {})
  }
  writeFileSync(path.join(destDir, 'oci-layout'), JSON.stringify({ imageLayoutVersion: '1.0.0' }))
  writeFileSync(
    path.join(destDir, 'index.json'),
    JSON.stringify({ schemaVersion: 2, mediaType: OCI_INDEX, manifests: [descriptor] })
  )
}

// --- shapes -------------------------------------------------------------------------------------

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

function parseJson(bytes: Buffer, what: string): unknown {
  try {
    return JSON.parse(bytes.toString('utf8')) as unknown
  } catch {
    throw new LayoutError(`${what} is not JSON`)
  }
}

function descriptorOf(value: unknown, what: string): Descriptor {
  if (!isObject(value)) throw new LayoutError(`${what}: a descriptor is not an object`)
  const { mediaType, digest, size, platform, annotations } = value
  if (typeof mediaType !== 'string' || mediaType === '')
    throw new LayoutError(`${what}: a descriptor has no mediaType`)
  if (!isDigest(digest))
    throw new LayoutError(`${what}: the digest ${JSON.stringify(digest)} is not sha256:<64 hex digits>`)
  if (typeof size !== 'number' || !Number.isSafeInteger(size) || size < 0)
    throw new LayoutError(`${what}: ${digest} has the size ${JSON.stringify(size)}, not a byte count`)
  const descriptor: Descriptor = { mediaType, digest, size }
  if (platform !== undefined) descriptor.platform = platformOf(platform, `${what}: ${digest}`)
  if (annotations !== undefined) {
    if (!isObject(annotations) || Object.values(annotations).some((v) => typeof v !== 'string'))
      throw new LayoutError(`${what}: the annotations of ${digest} are not string to string`)
    descriptor.annotations = annotations as Record<string, string>
  }
  return descriptor
}

function platformOf(value: unknown, what: string): Platform {
  if (!isObject(value) || typeof value.os !== 'string' || typeof value.architecture !== 'string')
    throw new LayoutError(`${what}: the platform has no os and architecture`)
  if (value.variant !== undefined && typeof value.variant !== 'string')
    throw new LayoutError(`${what}: the platform variant is not a string`)
  const platform: Platform = { os: value.os, architecture: value.architecture }
  if (value.variant) platform.variant = value.variant as string
  // A platform names files and summary rows: words only (linux, arm64, v8), never a path or markup.
  for (const part of [platform.os, platform.architecture, platform.variant ?? 'none']) {
    if (!PLATFORM_PART.test(part))
      throw new LayoutError(`${what}: ${JSON.stringify(part)} is not a platform name`)
  }
  return platform
}

function indexManifests(json: unknown, what: string): Descriptor[] {
  if (!isObject(json) || json.schemaVersion !== 2 || !Array.isArray(json.manifests))
    throw new LayoutError(`${what} is not an image index (schemaVersion 2 and a manifests list)`)
  return json.manifests.map((entry) => descriptorOf(entry, what))
}

function manifestBlobs(json: unknown, what: string): Descriptor[] {
  if (!isObject(json) || json.schemaVersion !== 2 || !Array.isArray(json.layers))
    throw new LayoutError(`${what} is not an image manifest (schemaVersion 2, a config and layers)`)
  return [
    descriptorOf(json.config, `${what} config`),
    ...json.layers.map((layer) => descriptorOf(layer, what))
  ]
}

/** A manifest that states its media type must state the one it is named with. */
function checkStatedType(json: unknown, mediaType: string, what: string): void {
  const stated = isObject(json) ? json.mediaType : undefined
  if (stated !== undefined && stated !== mediaType)
    throw new LayoutError(`${what} says it is a ${String(stated)} but is named as a ${mediaType}`)
}

function configPlatform(dir: string, manifest: Descriptor): Platform | undefined {
  const what = manifest.digest
  const [config] = manifestBlobs(parseJson(readBlobIn(dir, manifest), what), what)
  if (!config || config.size > MAX_MANIFEST_BYTES) return undefined
  const json = parseJson(readBlobIn(dir, config), `${config.digest} (config of ${what})`)
  if (!isObject(json) || typeof json.os !== 'string' || typeof json.architecture !== 'string')
    return undefined
  return platformOf(json, `${config.digest} (config of ${what})`)
}

// --- files --------------------------------------------------------------------------------------

function readBlobIn(dir: string, descriptor: Pick<Descriptor, 'digest' | 'size'>): Buffer {
  if (descriptor.size > MAX_MANIFEST_BYTES)
    throw new LayoutError(`${descriptor.digest} is ${descriptor.size} bytes: too large to read whole`)
  const body = readInside(dir, blobPath(descriptor.digest), MAX_MANIFEST_BYTES)
  checkBytes(descriptor, body.length, sha256(body))
  return body
}

function sha256(bytes: Buffer): string {
  return `sha256:${createHash('sha256').update(bytes).digest('hex')}`
}

function checkBytes(descriptor: Pick<Descriptor, 'digest' | 'size'>, size: number, digest: string): void {
  if (size !== descriptor.size)
    throw new LayoutError(
      `the blob ${descriptor.digest} is ${size} bytes, not the ${descriptor.size} its descriptor says`
    )
  if (digest !== descriptor.digest)
    throw new LayoutError(
      `the blob ${descriptor.digest} holds bytes that hash to ${digest}: it is not what it is named`
    )
}

/** blobs/sha256/<hex> for a checked digest: the only blob paths ever opened. */
function blobPath(digest: string): string {
  if (!isDigest(digest)) throw new LayoutError(`${JSON.stringify(digest)} is not sha256:<64 hex digits>`)
  return path.join('blobs', 'sha256', digest.slice('sha256:'.length))
}

/** The real path of a file of the layout, refused when a link takes it outside the folder. */
function sourcePath(dir: string, relative: string): string {
  let real: string
  try {
    real = realpathSync(path.join(dir, relative))
  } catch {
    throw new LayoutError(`${relative} is missing from the layout ${dir}`)
  }
  if (!real.startsWith(dir + path.sep))
    throw new LayoutError(`${relative} in the layout ${dir} links to ${real}, outside the layout: refused`)
  return real
}

/** Opens a regular file of the layout (no link followed past the checked real path). */
function openInside(dir: string, relative: string): number {
  const real = sourcePath(dir, relative)
  const fd = openSync(real, constants.O_RDONLY | constants.O_NOFOLLOW)
  if (!fstatSync(fd).isFile()) {
    closeSync(fd)
    throw new LayoutError(`${relative} in the layout ${dir} is not a regular file`)
  }
  return fd
}

function readInside(dir: string, relative: string, limit: number): Buffer {
  const fd = openInside(dir, relative)
  try {
    const size = fstatSync(fd).size
    if (size > limit)
      throw new LayoutError(`${relative} in the layout ${dir} is ${size} bytes: more than ${limit}`)
    const bytes = Buffer.alloc(size)
    let read = 0
    while (read < size) {
      const n = readSync(fd, bytes, read, size - read, read)
      if (n === 0) break
      read += n
    }
    return bytes.subarray(0, read)
  } finally {
    closeSync(fd)
  }
}
