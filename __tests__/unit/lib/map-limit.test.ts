import { describe, expect, it } from '@jest/globals'
import { mapLimit } from '../../../src/lib/map-limit.js'

const tick = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms))

describe('mapLimit', () => {
  it('keeps the order of the items and never runs more than the limit', async () => {
    let running = 0
    let most = 0
    const results = await mapLimit([5, 1, 4, 2, 3, 1, 1], 3, async (n, index) => {
      most = Math.max(most, ++running)
      await tick(n * 3)
      running--
      return `${index}:${n}`
    })
    expect(results).toEqual(['0:5', '1:1', '2:4', '3:2', '4:3', '5:1', '6:1'])
    expect(most).toBe(3)
  })

  it('starts nothing after a failure, waits for what runs, and throws the first failure', async () => {
    const started: number[] = []
    let finished = 0
    await expect(
      mapLimit([0, 1, 2, 3, 4, 5], 2, async (n) => {
        started.push(n)
        if (n === 1) throw new Error('one failed')
        await tick(10)
        finished++
      })
    ).rejects.toThrow('one failed')
    expect(started).toEqual([0, 1])
    expect(finished).toBe(1)
  })

  it('refuses a limit under 1', async () => {
    await expect(mapLimit([1], 0, async () => 1)).rejects.toThrow(/1 or more, not 0/)
    expect(await mapLimit([], 4, async () => 1)).toEqual([])
  })
})
