import { describe, expect, it } from '@jest/globals'
import { parseDotenv } from '../../../../src/deploy/compose/dotenv.js'

describe('parseDotenv', () => {
  it('reads what project .env files hold, as Compose does', () => {
    const text = [
      '# the shop',
      '',
      'REGISTRY=ghcr.io/acme',
      'export TIER=production',
      "SINGLE='a $literal # not a comment'",
      'DOUBLE="line one\\nline \\"two\\""',
      'PLAIN=value # a comment',
      'EMPTY=',
      'SPACED = x',
      'WINDOWS=crlf\r',
      ''
    ].join('\n')
    expect(parseDotenv(text)).toEqual({
      REGISTRY: 'ghcr.io/acme',
      TIER: 'production',
      SINGLE: 'a $literal # not a comment',
      DOUBLE: 'line one\nline "two"',
      PLAIN: 'value',
      EMPTY: '',
      SPACED: 'x',
      WINDOWS: 'crlf'
    })
  })

  it.each([
    ['not KEY=VALUE', 'JUST_A_WORD', '.env: line 1 is not KEY=VALUE'],
    ['an unclosed single quote', "A='x", ".env: line 1: the quote ' is not closed"],
    ['an unclosed double quote', 'A="x', '.env: line 1: the quote " is not closed']
  ])('refuses %s, naming the line', (_name, text, message) => {
    expect(() => parseDotenv(text)).toThrow(message)
  })
})
