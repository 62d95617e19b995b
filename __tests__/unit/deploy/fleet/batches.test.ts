import { describe, expect, it } from '@jest/globals'
import { rolloutBatches } from '../../../../src/deploy/fleet/batches.js'
import { parseRolloutBatch } from '../../../../src/deploy/inputs.js'

describe('rolloutBatches: the hosts cut into batches in deploy-host order', () => {
  it('takes one host at a time by default', () => {
    expect(rolloutBatches(3, { hosts: 1 })).toEqual([[0], [1], [2]])
  })
  it('takes a count, the last batch holding what is left', () => {
    expect(rolloutBatches(5, { hosts: 2 })).toEqual([[0, 1], [2, 3], [4]])
    expect(rolloutBatches(2, { hosts: 5 })).toEqual([[0, 1]])
  })
  it('takes a percentage of the hosts, rounded up, at least one host', () => {
    expect(rolloutBatches(10, { percent: 25 })).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]])
    expect(rolloutBatches(3, { percent: 1 })).toEqual([[0], [1], [2]])
    expect(rolloutBatches(4, { percent: 100 })).toEqual([[0, 1, 2, 3]])
  })
  it('has every host exactly once, in order, for any size', () => {
    for (let hosts = 1; hosts <= 12; hosts++) {
      for (const batch of [{ hosts: 1 }, { hosts: 3 }, { percent: 33 }, { percent: 50 }]) {
        expect(rolloutBatches(hosts, batch).flat()).toEqual(Array.from({ length: hosts }, (_, i) => i))
      }
    }
  })
})

describe('parseRolloutBatch', () => {
  it('reads a count or a percentage', () => {
    expect(parseRolloutBatch('1')).toEqual({ hosts: 1 })
    expect(parseRolloutBatch('25%')).toEqual({ percent: 25 })
  })
  it('refuses what is neither, naming the range', () => {
    expect(() => parseRolloutBatch('0')).toThrow('"0" is not a whole number of at least 1')
    expect(() => parseRolloutBatch('0%')).toThrow('"0%" is not a percentage from 1% to 100%')
    expect(() => parseRolloutBatch('150%')).toThrow('"150%" is not a percentage from 1% to 100%')
    expect(() => parseRolloutBatch('half')).toThrow('"half" is not a whole number of at least 1')
    expect(() => parseRolloutBatch('2000')).toThrow('2000 is more than 1000')
  })
})
