// Where a JSON text goes wrong, for messages that must not quote it: JSON.parse's own message
// quotes the text, which may hold secrets (a scanner's report does). This finds the first offset
// where the text stops being JSON and whether that is its end (a text cut short, not a malformed
// one), and the line and column of an offset. Generic: it knows nothing of what the JSON holds.

/** The line and column (both from 1) of `offset` in `text`. */
export function lineAndColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset).split('\n')
  return { line: before.length, column: (before[before.length - 1] ?? '').length + 1 }
}

/**
 * Where the JSON text first goes wrong, and whether that is its end; undefined when it is valid.
 * Iterative (a stack of the open objects and arrays), so text nested thousands of levels deep
 * cannot overflow the call stack.
 */
export function jsonSyntaxError(text: string): { offset: number; truncated: boolean } | undefined {
  let at = 0
  class Stop extends Error {}
  const stop = (): never => {
    throw new Stop()
  }
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] as string)) at++
  }
  const expect = (char: string): void => {
    if (text[at] !== char) stop()
    at++
  }
  const literal = (word: string): void => {
    for (const char of word) expect(char)
  }
  const string = (): void => {
    expect('"')
    for (;;) {
      const char = text[at]
      if (char === undefined || char < ' ') stop()
      at++
      if (char === '"') return
      if (char === '\\') {
        const escaped = text[at]
        if (escaped === 'u') {
          at++
          for (let digit = 0; digit < 4; digit++) {
            if (!/[0-9a-fA-F]/.test(text[at] ?? '')) stop()
            at++
          }
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) at++
        else stop()
      }
    }
  }
  const isDigit = (): boolean => {
    const char = text[at]
    return char !== undefined && char >= '0' && char <= '9'
  }
  const digits = (): void => {
    // At least one: a number cut after its `-`, `.` or exponent stops here at the end of the text.
    if (!isDigit()) stop()
    while (isDigit()) at++
  }
  const number = (): void => {
    if (text[at] === '-') at++
    if (text[at] === '0') at++
    else digits()
    if (text[at] === '.') {
      at++
      digits()
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++
      if (text[at] === '+' || text[at] === '-') at++
      digits()
    }
  }
  const key = (): void => {
    string()
    space()
    expect(':')
    space()
  }
  /** The closing characters of the objects and arrays open at `at`, innermost last. */
  const open: string[] = []
  try {
    space()
    for (;;) {
      const char = text[at]
      if (char === '{' || char === '[') {
        const close = char === '{' ? '}' : ']'
        at++
        space()
        if (text[at] === close) at++
        else {
          open.push(close)
          if (close === '}') key()
          continue
        }
      } else if (char === '"') string()
      else if (char === 't') literal('true')
      else if (char === 'f') literal('false')
      else if (char === 'n') literal('null')
      else number()
      // A value is complete: close what it completes, up to the next item or the end.
      for (;;) {
        space()
        const close = open[open.length - 1]
        if (close === undefined) {
          if (at < text.length) stop()
          return undefined
        }
        if (text[at] === close) {
          at++
          open.pop()
          continue
        }
        expect(',')
        space()
        if (close === '}') key()
        break
      }
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error
    return { offset: at, truncated: at >= text.length }
  }
}
