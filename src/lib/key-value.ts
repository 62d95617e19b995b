// Multiline `KEY=VALUE` inputs (build-args, labels, secrets, env).
export interface KeyValue {
  key: string
  value: string
}

export interface KeyValueLine {
  lineNumber: number
  /** undefined when the line has no `=` after a non-empty key. */
  pair?: KeyValue
}

/** Splits the lines without judging them; blank lines and `#` comments are skipped. */
export function keyValueLines(text: string): KeyValueLine[] {
  const lines: KeyValueLine[] = []
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const equals = trimmed.indexOf('=')
    const pair =
      equals > 0
        ? { key: trimmed.slice(0, equals).trim(), value: trimmed.slice(equals + 1).trim() }
        : undefined
    lines.push({ lineNumber: index + 1, pair })
  })
  return lines
}

/**
 * One pair per line. Throws naming the line number only, never its text, because the text may
 * be a secret.
 */
export function parseKeyValueLines(text: string, keyPattern: RegExp, keyHint: string): KeyValue[] {
  return keyValueLines(text).map(({ lineNumber, pair }) => {
    if (!pair) throw new Error(`line ${lineNumber} is not KEY=VALUE`)
    if (!keyPattern.test(pair.key)) throw new Error(`line ${lineNumber}: the key is not ${keyHint}`)
    return pair
  })
}

/** Items separated by commas or new lines, trimmed, empty ones dropped. */
export function parseList(text: string): string[] {
  return text
    .split(/[,\n]/)
    .map((item) => item.trim())
    .filter((item) => item !== '')
}

/** Items one per line (for values that contain commas, like cache specs). */
export function parseLines(text: string): string[] {
  return text
    .split(/\r?\n/)
    .map((item) => item.trim())
    .filter((item) => item !== '' && !item.startsWith('#'))
}
