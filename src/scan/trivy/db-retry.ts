// Pure policy for fetching the Trivy DB from several sources: which answers
// are worth another try, how long to wait (Retry-After honoured up to a cap so a run cannot
// hang), how a failed download is classified, and the failure message that names each source
// and its answer. trivy/db-download.ts runs the downloads.
import { STATUS_CODES } from 'node:http'

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

/**
 * Wait before try number `nextTry` (2 = the first retry): the backoff, or longer when the registry
 * asks for more (ghcr.io's "retry-after: 1.2ms" must not turn the tries into a burst), never above
 * the cap.
 */
export function retryDelayMs(
  nextTry: number,
  retryAfterMs: number | undefined,
  policy: BackoffPolicy = DEFAULT_BACKOFF
): number {
  const backoff = policy.baseMs * 2 ** Math.max(0, nextTry - 2)
  return Math.min(Math.max(retryAfterMs ?? 0, backoff), policy.capMs)
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

/** What to do after one failed download from a source, and what to call the source's answer. */
export interface AttemptVerdict {
  /** `retry` the same source (rate limited, server error), or go on to the `next`. */
  then: 'retry' | 'next'
  /** The answer in words of the action's own (never text copied from the output). */
  answer: string
  /** The wait the registry asked for, where its error message says one. */
  retryAfterMs?: number
}

/**
 * Classifies a failed `trivy image --download-db-only` from what Trivy printed. Trivy reports the
 * registry's answer only in its error text (go-containerregistry's `GET <url>: TOOMANYREQUESTS:
 * ...` or `unexpected status code 503 Service Unavailable: ...`), never its headers. That text is
 * untrusted: it can only choose between trying the same source again and going on to the next
 * one, and pick a wait that retryDelayMs caps; the answer shown is a fixed phrase or a status code.
 */
export function classifyDbFailure(exitCode: number | null, output: string): AttemptVerdict {
  const retryAfterMs = retryAfterInText(output)
  if (/\bTOOMANYREQUESTS\b|\b429 Too Many Requests\b|status code:? 429\b/.test(output))
    return { then: 'retry', answer: statusAnswer(429), retryAfterMs }
  const server = /status code:? (5\d\d)\b/.exec(output)
  if (server) return { then: 'retry', answer: statusAnswer(Number(server[1])), retryAfterMs }
  const known: [RegExp, string][] = [
    [/\bMANIFEST_UNKNOWN\b|\bNAME_UNKNOWN\b|status code:? 404\b/, statusAnswer(404)],
    [/\bUNAUTHORIZED\b|status code:? 401\b/, statusAnswer(401)],
    [/\bDENIED\b|status code:? 403\b/, statusAnswer(403)],
    [/connection refused/, 'connection refused'],
    [/no such host/, 'unknown host'],
    [/x509:|certificate/, 'TLS certificate not accepted'],
    [/i\/o timeout|deadline exceeded|TLS handshake timeout/, 'timed out'],
    [/connection reset/, 'connection reset']
  ]
  const found = known.find(([pattern]) => pattern.test(output))
  if (found) return { then: 'next', answer: found[1] }
  return {
    then: 'next',
    answer: exitCode === null ? 'Trivy was killed by a signal' : `Trivy failed (exit code ${exitCode})`
  }
}

function statusAnswer(status: number): string {
  return `${status} ${STATUS_CODES[status] ?? ''}`.trim()
}

const GO_UNIT_MS: Record<string, number> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000
}

/**
 * `retry-after: 1.2ms` (ghcr.io writes its Retry-After into the error message, as a Go duration)
 * or `Retry-After: 7` (seconds), in milliseconds; undefined when the text names none.
 */
export function retryAfterInText(text: string): number | undefined {
  const match = /retry-after:\s*(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)?\b/i.exec(text)
  if (!match) return undefined
  const ms = Number(match[1]) * (GO_UNIT_MS[match[2] ?? 's'] ?? 1000)
  return Number.isFinite(ms) ? Math.ceil(ms) : undefined
}

const UNIT_MS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000 }

/** A duration such as `72h`, `90m` or `3d` in milliseconds; undefined when not one. */
export function parseDuration(value: string): number | undefined {
  const match = /^(\d+)([mhd])$/.exec(value.trim())
  if (!match) return undefined
  const ms = Number(match[1]) * UNIT_MS[match[2]!]!
  return ms > 0 ? ms : undefined
}
