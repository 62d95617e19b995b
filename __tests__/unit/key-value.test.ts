import { describe, expect, it } from '@jest/globals'
import { keyValueValues, parseKeyValueLines, parseLines, parseList } from '../../src/key-value.js'

describe('KEY=VALUE lines', () => {
  it('parses pairs, keeping = inside values and skipping blanks and comments', () => {
    expect(parseKeyValueLines('A=1\r\n\n# note=x\n B = two=2 \n', /^\w+$/, 'a word')).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'two=2' }
    ])
  })

  it('finds the values to mask even when another line is malformed', () => {
    const text = 'TOKEN=abc123\nnot a pair\nEMPTY=\n# c=commented\nOTHER=x=y'
    expect(() => parseKeyValueLines(text, /^\w+$/, 'a word')).toThrow('line 2 is not KEY=VALUE')
    expect(keyValueValues(text)).toEqual(['abc123', 'x=y'])
  })
})

describe('lists', () => {
  it('splits on commas and new lines, or on lines only', () => {
    expect(parseList('a, b\nc,,\n')).toEqual(['a', 'b', 'c'])
    expect(parseLines('type=registry,ref=x\n# no\n\ntype=gha\r\n')).toEqual([
      'type=registry,ref=x',
      'type=gha'
    ])
  })
})
