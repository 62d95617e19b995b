import { describe, expect, it } from '@jest/globals'
import { bytesFreed, prunableImages, type HostImage } from '../../../../src/deploy/retention/prunable.js'

function image(id: string, release: string, createdMs: number): HostImage {
  return { id, release, createdMs, sizeBytes: 100 }
}

// Tags deliberately out of order with creation time: ordering must follow the host, not the tag.
const images = [
  image('a', 'v9', 1),
  image('b', 'v1', 2),
  image('c', 'v7', 3),
  image('d', 'v2', 4),
  image('e', 'v3', 5)
]

describe('prunableImages', () => {
  it('removes all but the N most recently created, oldest first', () => {
    const removed = prunableImages(images, {
      keepReleases: 2,
      runningId: 'e',
      previousId: 'd',
      inUseIds: new Set()
    })
    expect(removed.map((i) => i.id)).toEqual(['a', 'b', 'c'])
    expect(bytesFreed(removed)).toBe(300)
  })

  it('never removes the running, the previous, or an image a container uses', () => {
    const removed = prunableImages(images, {
      keepReleases: 1,
      runningId: 'b',
      previousId: 'a',
      inUseIds: new Set(['c'])
    })
    expect(removed.map((i) => i.id)).toEqual(['d'])
  })

  it('keeps all with 0', () => {
    expect(prunableImages(images, { keepReleases: 0, inUseIds: new Set() })).toEqual([])
  })

  it('counts an image with several tags once', () => {
    const tagged = [image('x', 'v1', 1), image('x', 'latest', 1), image('y', 'v2', 2)]
    expect(prunableImages(tagged, { keepReleases: 1, inUseIds: new Set() }).map((i) => i.id)).toEqual(['x'])
  })
})
