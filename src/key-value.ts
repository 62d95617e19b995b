// Multiline `KEY=VALUE` inputs (build-args, labels, secrets, env).
export interface KeyValue {
  key: string
  value: string
}

/**
 * One pair per line; blank lines and lines starting with `#` are skipped. Throws naming the
 * line number only, never its text, because the text may be a secret.
 */
export function parseKeyValueLines(text: string, keyPattern: RegExp, keyHint: string): KeyValue[] {
  const pairs: KeyValue[] = []
  text.split(/\r?\n/).forEach((line, index) => {
    const trimmed = line.trim()
    if (trimmed === '' || trimmed.startsWith('#')) return
    const equals = trimmed.indexOf('=')
    if (equals <= 0) throw new Error(`line ${index + 1} is not KEY=VALUE`)
    const key = trimmed.slice(0, equals).trim()
    if (!keyPattern.test(key)) throw new Error(`line ${index + 1}: the key is not ${keyHint}`)
    pairs.push({ key, value: trimmed.slice(equals + 1).trim() })
  })
  return pairs
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
