import { describe, expect, it } from '@jest/globals'
import { parseKeyValueLines, parseLines, parseList } from '../../../src/lib/key-value.js'
import { planMasks } from '../../../src/inputs/secrets.js'
import { STEPS } from '../../../src/pipeline/steps.js'
import { secretInputsOf } from '../../../src/run/main.js'

/** Every secret input of the action's steps. */
const SECRETS = secretInputsOf(STEPS)

describe('KEY=VALUE lines', () => {
  it('parses pairs, keeping = inside values and skipping blanks and comments', () => {
    expect(parseKeyValueLines('A=1\r\n\n# note=x\n B = two=2 \n', /^\w+$/, 'a word')).toEqual([
      { key: 'A', value: '1' },
      { key: 'B', value: 'two=2' }
    ])
  })

  it('finds the values to mask even when another line is malformed', () => {
    const text = 'TOKEN=abc123\nnot a pair\nEMPTY=\n# c=commented\nOTHER=x=yz'
    expect(() => parseKeyValueLines(text, /^\w+$/, 'a word')).toThrow('line 2 is not KEY=VALUE')
    expect(planMasks((name) => (name === 'secrets' ? text : ''), SECRETS).masked).toEqual(['abc123', 'x=yz'])
  })
})

describe('masks', () => {
  it('masks the secret inputs, build secrets and env values', () => {
    const given: Record<string, string> = {
      password: 'pw-123456',
      'tls-key': '-----BEGIN PRIVATE KEY-----\nabc\n-----END PRIVATE KEY-----',
      secrets: 'npm_token=npm-secret-value',
      env: 'DB_PASSWORD=hunter22\nREGION=eu-west-1'
    }
    expect(planMasks((name) => given[name] ?? '', SECRETS)).toEqual({
      // A key also line by line, as the runner masks the log.
      masked: [
        given.password,
        given['tls-key'],
        '-----BEGIN PRIVATE KEY-----',
        '-----END PRIVATE KEY-----',
        'npm-secret-value',
        'hunter22',
        'eu-west-1'
      ],
      warnings: []
    })
  })

  it('warns about a value too short to mask, naming the input and key but not the value', () => {
    const plan = planMasks((name) => (name === 'secrets' ? 'DEBUG=1\nTOKEN=long-enough' : ''), SECRETS)
    expect(plan.masked).toEqual(['long-enough'])
    expect(plan.warnings).toHaveLength(1)
    expect(plan.warnings[0]).toMatch(/^secrets: the value of DEBUG is shorter than 4 characters/)
    expect(plan.warnings[0]).not.toMatch(/=1|"1"/)
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
