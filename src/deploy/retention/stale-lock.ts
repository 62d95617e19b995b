// Whether a held deploy lock may be broken (break-stale-lock). Pure: the lock's
// labels are read back as untrusted text, the holder's run status comes from the GitHub API
// (GET /repos/{owner}/{repo}/actions/runs/{run_id}); anything unsure keeps the lock.

export type RunState =
  { kind: 'status'; status: string } | { kind: 'not-found' } | { kind: 'unknown'; why: string }

export interface StaleLockFacts {
  breakStaleLock: boolean
  lockTimeoutMs: number
  nowMs: number
  /** The lock's since label, as read from the host. */
  since: string | undefined
  /** The holder's run, or undefined when the lock does not name one or no token was given. */
  run: RunState | undefined
}

export type StaleLockDecision = { break: true; reason: string } | { break: false; reason: string }

/** The reason given while a lock may still become stale (the waiting run asks again). */
export const TOO_YOUNG = 'the lock is younger than lock-timeout'

const ALIVE = new Set(['queued', 'in_progress', 'waiting', 'requested', 'pending'])

export function decideStaleLock(facts: StaleLockFacts): StaleLockDecision {
  if (!facts.breakStaleLock) return { break: false, reason: 'break-stale-lock is not set' }
  const sinceMs = facts.since === undefined ? Number.NaN : Date.parse(facts.since)
  if (!Number.isFinite(sinceMs))
    return { break: false, reason: 'the lock does not say since when it is held' }
  if (facts.nowMs - sinceMs < facts.lockTimeoutMs) {
    return { break: false, reason: TOO_YOUNG }
  }
  const run = facts.run
  if (run === undefined)
    return { break: false, reason: "no token, or the lock names no run: the holder's run cannot be checked" }
  if (run.kind === 'unknown')
    return { break: false, reason: `the holder's run could not be checked: ${run.why}` }
  if (run.kind === 'not-found') return { break: true, reason: "the holder's run no longer exists" }
  if (run.status === 'completed') return { break: true, reason: "the holder's run has completed" }
  if (ALIVE.has(run.status)) return { break: false, reason: `the holder's run is ${run.status}` }
  return { break: false, reason: `the holder's run has an unexpected status` }
}

/**
 * decideStaleLock, asking for the holder's run only when the answer depends on it (the flag set,
 * the lock old enough): a young lock costs no API request.
 */
export async function judgeStaleLock(
  facts: Omit<StaleLockFacts, 'run'>,
  run: () => Promise<RunState | undefined>
): Promise<StaleLockDecision> {
  const ifGone = decideStaleLock({ ...facts, run: { kind: 'not-found' } })
  if (!ifGone.break) return ifGone
  return decideStaleLock({ ...facts, run: await run() })
}
