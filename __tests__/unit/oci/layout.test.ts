// The OCI layout reader on layouts written by hand: the graph children first, the platform
// images without attestations, the single-platform layout Trivy reads, and what it refuses
// (bytes that are not what their digest says, digests that are paths, links out of the folder).
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, unlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeEach, describe, expect, it } from '@jest/globals'
import {
  LayoutError,
  openBlob,
  platformImages,
  readBlob,
  readLayoutGraph,
  readLayoutIndex,
  singlePlatformLayout,
  verifyBlob
} from '../../../src/oci/layout.js'
import {
  blobFile,
  writeBlob,
  writeFixtureLayout,
  type FixtureLayout
} from '../../support/oci-layout-fixture.js'

const root = mkdtempSync(path.join(os.tmpdir(), 'oci-layout-'))
let fixture: FixtureLayout
let count = 0

beforeEach(() => {
  fixture = writeFixtureLayout(path.join(root, `layout-${++count}`), 4096)
})

afterAll(() => rmSync(root, { recursive: true, force: true }))

function indexJson(manifests: unknown): void {
  writeFileSync(path.join(fixture.dir, 'index.json'), JSON.stringify({ schemaVersion: 2, manifests }))
}

describe('readLayoutGraph', () => {
  it('lists every manifest children first, the index last, and every blob once', () => {
    const graph = readLayoutGraph(fixture.dir)
    expect(graph.roots.map((d) => d.digest)).toEqual([fixture.index.digest])
    expect(graph.manifests.map((m) => m.digest)).toEqual([
      fixture.amd64.digest,
      fixture.arm64.digest,
      fixture.attestation.digest,
      fixture.index.digest
    ])
    expect(graph.manifests[3]?.body.equals(fixture.index.body)).toBe(true)
    expect(graph.manifests[3]?.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    // Seven blobs: the shared layer once though both platforms name it.
    expect(graph.blobs).toHaveLength(7)
    expect(graph.blobs.map((b) => b.digest).sort()).toEqual(fixture.blobs.map((b) => b.digest).sort())
    expect(graph.blobs.find((b) => b.digest === fixture.sharedLayer.digest)).toEqual({
      digest: fixture.sharedLayer.digest,
      size: 4096,
      mediaType: 'application/vnd.oci.image.layer.v1.tar+gzip'
    })
  })

  it('refuses a manifest whose bytes are not what its digest says', () => {
    writeFileSync(blobFile(fixture.dir, fixture.arm64.digest), Buffer.alloc(fixture.arm64.size, 0x20))
    expect(() => readLayoutGraph(fixture.dir)).toThrow(
      /hash to sha256:[0-9a-f]{64}: it is not what it is named/
    )
  })

  it('refuses a blob of another size than its descriptor says', () => {
    writeFileSync(blobFile(fixture.dir, fixture.amd64.digest), '{}')
    expect(() => readLayoutGraph(fixture.dir)).toThrow(`is 2 bytes, not the ${fixture.amd64.size}`)
  })

  it('refuses a digest that is a path, or another algorithm', () => {
    indexJson([
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: 'sha256:../../../etc/passwd', size: 10 }
    ])
    expect(() => readLayoutGraph(fixture.dir)).toThrow(/is not sha256:<64 hex digits>/)
    indexJson([
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: `sha512:${'a'.repeat(128)}`, size: 10 }
    ])
    expect(() => readLayoutGraph(fixture.dir)).toThrow(LayoutError)
  })

  it('refuses shapes that are not descriptors', () => {
    indexJson([
      { mediaType: 'application/vnd.oci.image.index.v1+json', digest: fixture.index.digest, size: -1 }
    ])
    expect(() => readLayoutGraph(fixture.dir)).toThrow(/has the size -1, not a byte count/)
    indexJson('all of them')
    expect(() => readLayoutIndex(fixture.dir)).toThrow(/is not an image index/)
    indexJson([])
    expect(() => readLayoutIndex(fixture.dir)).toThrow(/names no manifest/)
  })

  it('refuses a blob linked to a file outside the layout, and takes a link inside it', () => {
    const outside = path.join(root, `outside-${count}`)
    writeFileSync(outside, readFileSync(blobFile(fixture.dir, fixture.amd64.digest)))
    unlinkSync(blobFile(fixture.dir, fixture.amd64.digest))
    symlinkSync(outside, blobFile(fixture.dir, fixture.amd64.digest))
    expect(() => readLayoutGraph(fixture.dir)).toThrow(/outside the layout: refused/)

    const inside = path.join(fixture.dir, 'amd64-manifest')
    writeFileSync(inside, readFileSync(outside))
    unlinkSync(blobFile(fixture.dir, fixture.amd64.digest))
    symlinkSync(inside, blobFile(fixture.dir, fixture.amd64.digest))
    expect(readLayoutGraph(fixture.dir).manifests).toHaveLength(4)
  })

  it('refuses a folder without the oci-layout marker', () => {
    unlinkSync(path.join(fixture.dir, 'oci-layout'))
    expect(() => readLayoutGraph(fixture.dir)).toThrow(/oci-layout is missing/)
  })

  it('refuses a manifest that says it is another type than it is named', () => {
    const lying = writeBlob(
      fixture.dir,
      'application/vnd.oci.image.index.v1+json',
      Buffer.from(
        JSON.stringify({
          schemaVersion: 2,
          mediaType: 'application/vnd.oci.image.manifest.v1+json',
          manifests: []
        })
      )
    )
    indexJson([lying])
    expect(() => readLayoutGraph(fixture.dir)).toThrow(
      /says it is a application\/vnd.oci.image.manifest.v1\+json/
    )
  })
})

describe('blobs', () => {
  it('reads a blob whole and streams it, and verifyBlob names bytes that are not the digest', async () => {
    expect(readBlob(fixture.dir, fixture.amd64).length).toBe(fixture.amd64.size)
    let streamed = 0
    for await (const chunk of openBlob(fixture.dir, fixture.amd64Layer.digest))
      streamed += (chunk as Buffer).length
    expect(streamed).toBe(4096)
    await expect(verifyBlob(fixture.dir, fixture.amd64Layer)).resolves.toBeUndefined()
    writeFileSync(blobFile(fixture.dir, fixture.amd64Layer.digest), Buffer.alloc(4096))
    await expect(verifyBlob(fixture.dir, fixture.amd64Layer)).rejects.toThrow(
      `the blob ${fixture.amd64Layer.digest} holds bytes that hash to sha256:ad7facb2586fc6e966c004d7d1d16b024f5805ff7cb47c7a85dabd8b48892ca7`
    )
  })

  it('names a missing blob', () => {
    unlinkSync(blobFile(fixture.dir, fixture.amd64.digest))
    expect(() => readBlob(fixture.dir, fixture.amd64)).toThrow(/is missing from the layout/)
  })
})

describe('platformImages', () => {
  it('lists the platform images, not the attestation or unknown/unknown', () => {
    const images = platformImages(fixture.dir)
    expect(images.map((image) => [image.platform, image.descriptor.digest])).toEqual([
      ['linux/amd64', fixture.amd64.digest],
      ['linux/arm64/v8', fixture.arm64.digest]
    ])
  })

  it("reads a bare manifest's platform from its config", () => {
    indexJson([
      { mediaType: fixture.arm64.mediaType, digest: fixture.arm64.digest, size: fixture.arm64.size }
    ])
    expect(platformImages(fixture.dir).map((image) => image.platform)).toEqual(['linux/arm64/v8'])
  })

  it('refuses a platform whose name is not words (it names files and summary rows)', () => {
    for (const architecture of ['../x', 'arm64|`x`', '']) {
      indexJson([{ ...fixture.amd64, platform: { os: 'linux', architecture } }])
      expect(() => platformImages(fixture.dir)).toThrow(/is not a platform name|has no os and architecture/)
    }
  })

  it('leaves out an unknown/unknown entry that carries no attestation annotation', () => {
    indexJson([{ ...fixture.attestation, annotations: undefined }, fixture.amd64])
    expect(platformImages(fixture.dir).map((image) => image.platform)).toEqual(['linux/amd64'])
  })
})

describe('singlePlatformLayout', () => {
  it('writes a layout naming only that image, its blobs hard-linked', () => {
    const dest = path.join(root, `single-${count}`)
    const [, arm64] = platformImages(fixture.dir)
    singlePlatformLayout(fixture.dir, arm64!.descriptor, dest)
    const graph = readLayoutGraph(dest)
    expect(graph.roots).toEqual([
      {
        mediaType: 'application/vnd.oci.image.manifest.v1+json',
        digest: fixture.arm64.digest,
        size: fixture.arm64.size,
        platform: { os: 'linux', architecture: 'arm64', variant: 'v8' }
      }
    ])
    expect(graph.manifests.map((m) => m.digest)).toEqual([fixture.arm64.digest])
    expect(graph.blobs).toHaveLength(3)
    const source = statSync(blobFile(fixture.dir, fixture.sharedLayer.digest))
    const linked = statSync(blobFile(dest, fixture.sharedLayer.digest))
    expect(linked.ino).toBe(source.ino)
    expect(platformImages(dest).map((image) => image.platform)).toEqual(['linux/arm64/v8'])
  })

  it('refuses a folder that is not empty, and an index', () => {
    const dest = path.join(root, `full-${count}`)
    singlePlatformLayout(fixture.dir, fixture.amd64, dest)
    expect(() => singlePlatformLayout(fixture.dir, fixture.amd64, dest)).toThrow(/is not empty/)
    expect(() => singlePlatformLayout(fixture.dir, fixture.index, path.join(root, `x-${count}`))).toThrow(
      /not an image manifest/
    )
  })
})
