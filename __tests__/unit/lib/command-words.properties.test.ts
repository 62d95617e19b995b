// Property-based tests of command words (src/lib/command-words.ts): splitCommandWords gives back words
// quoted as a POSIX shell quotes them and splits unquoted text on its blanks like a shell; on any text
// it returns words or throws a plain Error saying which quote is not closed, never a crash (TypeError,
// RangeError, a stack trace, a value printed as [object Object]).
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { splitCommandWords } from '../../../src/lib/command-words.js'
import { anyText } from '../../support/arbitraries.js'
import { attempt, expectPlainError } from '../../support/property-checks.js'

/** Blank runs between words, as a shell splits on them. */
const blanks = fc
  .array(fc.constantFrom(' ', '\t', '\n'), { minLength: 1, maxLength: 3 })
  .map((b) => b.join(''))

describe('splitCommandWords', () => {
  it('gives back any words (of characters but the single quote) written in single quotes', () => {
    fc.assert(
      fc.property(
        fc.array(
          fc.oneof(fc.string(), fc.string({ unit: 'binary' })).map((word) => word.replaceAll("'", '')),
          {
            maxLength: 8
          }
        ),
        blanks,
        (words, separator) => {
          const text = words.map((word) => `'${word}'`).join(separator)
          expect(splitCommandWords(text)).toEqual(words)
        }
      ),
      { numRuns: 400 }
    )
  })

  it("gives back any words at all quoted as a POSIX shell quotes them ('\\'' for a quote)", () => {
    fc.assert(
      fc.property(fc.array(fc.string({ unit: 'binary' }), { maxLength: 6 }), blanks, (words, separator) => {
        const text = words.map((word) => `'${word.replaceAll("'", `'\\''`)}'`).join(separator)
        expect(splitCommandWords(text)).toEqual(words)
      }),
      { numRuns: 300 }
    )
  })

  it('splits text without quotes or backslashes on its blanks, like a shell', () => {
    fc.assert(
      fc.property(fc.string({ unit: fc.constantFrom(...'ab$`;|&(){}<>*?~=:/- \t\n') }), (text) => {
        expect(splitCommandWords(text)).toEqual(text.split(/\s+/).filter((word) => word !== ''))
      }),
      { numRuns: 300 }
    )
  })

  it('on any text returns words or says which quote is not closed, nothing else', () => {
    fc.assert(
      fc.property(anyText, (text) => {
        const outcome = attempt(() => splitCommandWords(text))
        if (!outcome.ok) {
          expectPlainError(outcome.error, /^the quote ['"] is not closed$/)
          const quote = (outcome.error as Error).message.charAt(10)
          expect(text).toContain(quote)
        } else {
          for (const word of outcome.value) expect(typeof word).toBe('string')
        }
      }),
      { numRuns: 400 }
    )
  })
})
