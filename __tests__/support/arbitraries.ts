// fast-check generators shared by more than one property test
// (__tests__/unit/**/*.properties.test.ts), and the crash wording (FORBIDDEN) their text is kept clear
// of. A generator used by one file stays in it.
import fc from 'fast-check'

/** Crash wording and stack traces: never part of a message (the generators never produce them). */
export const FORBIDDEN =
  /TypeError|RangeError|undefined|\[object Object\]|Cannot read propert|is not a function|is not iterable|Cannot convert|Maximum call stack|\n\s+at \S|\.ts:\d+:\d+/i
export const clean = (text: string): boolean => !FORBIDDEN.test(text)

/**
 * Text of `pieces` strung together (up to `maxLength` of them), or any string from `strings`
 * (by default: any, binary and binary ASCII), or from `more`: parsers meet their syntax favoured
 * as well as plain noise. Crash wording is never produced.
 */
export function textFavouring(
  pieces: readonly string[],
  {
    maxLength,
    strings = [fc.string(), fc.string({ unit: 'binary' }), fc.string({ unit: 'binary-ascii' })],
    more = []
  }: { maxLength: number; strings?: fc.Arbitrary<string>[]; more?: fc.Arbitrary<string>[] }
): fc.Arbitrary<string> {
  const strung = fc.array(fc.constantFrom(...pieces), { maxLength }).map((parts) => parts.join(''))
  return fc.oneof(...strings, strung, ...more).filter(clean)
}

/** Any text, with shell and parser metacharacters and control characters favoured. */
export const anyText: fc.Arbitrary<string> = textFavouring(
  [
    ';',
    '$(id)',
    '|',
    '&',
    '`',
    "'",
    '"',
    '\n',
    ' ',
    '\t',
    '\\',
    '=',
    ':',
    '/',
    '@',
    '#',
    '[',
    ']',
    '{',
    '}',
    '-',
    '.',
    '0',
    'a',
    'Z',
    '\u0000',
    'é'
  ],
  { maxLength: 40 }
)

/** Host names: DNS names, bracketed IPv6 and IPv4 addresses, in any case. */
export const hostName = fc.oneof(
  fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,12}[A-Za-z0-9])?$/),
  fc.constantFrom('[::1]', '[fe80::1]', '10.0.0.1', 'Example.COM')
)
