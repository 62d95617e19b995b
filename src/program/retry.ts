// Retrying what fails for passing reasons (a registry restarting, a dropped connection), with
// exponential backoff. Anything else fails at once.
import * as core from '@actions/core'
import { ProgramTimeoutError } from './program.js'

export interface RetryPolicy {
  attempts: number
  /** Delay before the second attempt; doubled for each one after. */
  firstDelayMs: number
  isTransient: (error: unknown) => boolean
  sleep?: (ms: number) => Promise<void>
}

export async function withRetry<T>(what: string, policy: RetryPolicy, action: () => Promise<T>): Promise<T> {
  const sleep = policy.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  for (let attempt = 1; ; attempt++) {
    try {
      return await action()
    } catch (error) {
      if (attempt >= policy.attempts || !policy.isTransient(error)) throw error
      const delay = policy.firstDelayMs * 2 ** (attempt - 1)
      core.warning(
        `${what} failed (attempt ${attempt} of ${policy.attempts}), retrying in ${delay / 1000} s: ${cause(error)}`
      )
      await sleep(delay)
    }
  }
}

// What docker push/login and the Registry API say when the failure may pass: network trouble,
// 5xx answers, rate limits. Authentication and "not found" are not among them.
const TRANSIENT_PATTERNS = [
  /connection refused/i,
  /connection reset/i,
  /broken pipe/i,
  /i\/o timeout/i,
  /timeout exceeded|timed out|deadline exceeded|aborted due to timeout/i,
  /TLS handshake timeout/i,
  /unexpected EOF|: EOF\b/i,
  /\b(?:500|502|503|504)\b|Internal Server Error|Bad Gateway|Service Unavailable|Gateway Timeout/i,
  /\b429\b|too many requests|toomanyrequests/i,
  /no such host|temporary failure in name resolution/i,
  /ECONNREFUSED|ECONNRESET|ETIMEDOUT|EAI_AGAIN|fetch failed/
]
const PERMANENT_PATTERNS = [
  /unauthorized|authentication required|denied|forbidden|no basic auth credentials/i
]

export function isTransientRegistryError(error: unknown): boolean {
  const text = errorText(error)
  if (PERMANENT_PATTERNS.some((pattern) => pattern.test(text))) return false
  return TRANSIENT_PATTERNS.some((pattern) => pattern.test(text))
}

function errorText(error: unknown): string {
  if (error instanceof Error) {
    const cause = (error as Error & { cause?: unknown }).cause
    return `${error.message}${cause instanceof Error ? ` ${cause.message} ${(cause as NodeJS.ErrnoException).code ?? ''}` : ''}`
  }
  return String(error)
}

/**
 * The line that says why: a ProgramError's first line only says what was run, the last says why;
 * an error that knows its reason (a program stopped at its time limit) says it.
 */
function cause(error: unknown): string {
  if (error instanceof ProgramTimeoutError) return `timed out: ${error.reason}`
  const lines = (error instanceof Error ? error.message : String(error))
    .split('\n')
    .filter((line) => line.trim() !== '')
  return lines[lines.length - 1] ?? ''
}

export const REGISTRY_RETRY: RetryPolicy = {
  attempts: 4,
  firstDelayMs: 2000,
  isTransient: isTransientRegistryError
}
