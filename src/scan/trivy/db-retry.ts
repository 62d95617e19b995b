// Pure policy for fetching the Trivy DB from several sources (issue 17, part 5): which answers
// are worth another try, how long to wait (Retry-After honoured up to a cap so a run cannot
// hang), and the failure message that names each source and its answer. The download itself
// is not wired yet; this module is what it will use.

/** A registry's answer worth retrying on the same source: rate limited or a server error. */
export function isRetryableStatus(status: number): boolean {
  return status === 429 || (status >= 500 && status <= 599)
}

export interface BackoffPolicy {
  /** Tries per source, the first included. */
  tries: number
  /** Wait before the second try; doubled after each further one. */
  baseMs: number
  /** No wait is longer than this, whatever Retry-After asks for. */
  capMs: number
}

export const DEFAULT_BACKOFF: BackoffPolicy = { tries: 3, baseMs: 1000, capMs: 30_000 }

/**
 * Retry-After as milliseconds from `now`: either delta-seconds or an HTTP-date (RFC 9110
 * section 10.2.3). Anything else, or a date in the past, is undefined (fall back to backoff).
 */
export function parseRetryAfter(value: string | null | undefined, now: Date): number | undefined {
  if (value === null || value === undefined) return undefined
  const text = value.trim()
  if (/^\d+$/.test(text)) return Number(text) * 1000
  const date = Date.parse(text)
  if (Number.isNaN(date)) return undefined
  const delta = date - now.getTime()
  return delta >= 0 ? delta : undefined
}

/** Wait before try number `nextTry` (2 = the first retry), never above the cap. */
export function retryDelayMs(
  nextTry: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF
): number {
  const backoff = policy.baseMs * 2 ** Math.max(0, nextTry - 2)
  return Math.min(retryAfterMs ?? backoff, policy.capMs)
}

export interface SourceFailure {
  source: string
  /** What the source answered last, e.g. `429 Too Many Requests` or `connection refused`. */
  answer: string
  tries: number
}

/** One line per source, in the order tried, e.g. `mirror.example/trivy-db:2: 429 Too Many Requests after 3 tries`. */
export function describeSourceFailures(failures: readonly SourceFailure[]): string {
  const lines = failures.map((f) => `${f.source}: ${f.answer}${f.tries > 1 ? ` after ${f.tries} tries` : ''}`)
  return `The Trivy DB could not be downloaded from any source:\n${lines.map((l) => `  ${l}`).join('\n')}`
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration such as `72h`, `90m` or `3d` in milliseconds; undefined when not one. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)([mhd])$/.exec(value.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!
  return ms > 0 ? ms : undefined
}
