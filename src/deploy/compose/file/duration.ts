// Compose's durations, such as the service's `stop_grace_period`: Go-style text (`1m30s`, `500ms`)
// read as seconds.

const DURATION_UNITS: Record<string, number> = {
  ns: 1e-9,
  us: 1e-6,
  µs: 1e-6,
  μs: 1e-6,
  ms: 1e-3,
  s: 1,
  m: 60,
  h: 3600,
  d: 86400,
  w: 604800
}

/**
 * A Compose duration in seconds: Go-style `1m30s`, `1.5h`, `500ms`, `10s` (compose-go parses them
 * with str2duration: ns us ms s m h d w). `0` alone is zero; a bare number is refused (Compose's
 * schema wants a string with units).
 */
export function parseComposeDuration(text: string): number {
  const trimmed = text.trim()
  if (trimmed === '0') return 0
  const part = /(\d+(?:\.\d*)?|\.\d+)(ns|us|µs|μs|ms|s|m|h|d|w)/y
  let seconds = 0
  let index = 0
  while (index < trimmed.length) {
    part.lastIndex = index
    const match = part.exec(trimmed)
    if (!match) break
    seconds += Number(match[1]) * (DURATION_UNITS[match[2] as string] as number)
    index = part.lastIndex
  }
  if (trimmed === '' || index !== trimmed.length) {
    throw new Error(`"${text}" is not a duration such as 10s, 1m30s or 500ms`)
  }
  return Math.round(seconds * 1e6) / 1e6
}
