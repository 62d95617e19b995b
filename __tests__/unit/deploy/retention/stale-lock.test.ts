import { describe, expect, it } from '@jest/globals'
import { decideStaleLock, type StaleLockFacts } from '../../../../src/deploy/retention/stale-lock.js'

const old: StaleLockFacts = {
  breakStaleLock: true,
  lockTimeoutMs: 60_000,
  nowMs: Date.parse('2026-12-06T12:00:00Z'),
  since: '2026-12-06T11:00:00Z',
  run: { kind: 'status', status: 'completed' }
}

describe('decideStaleLock', () => {
  it('breaks an old lock whose run completed or is gone', () => {
    expect(decideStaleLock(old).break).toBe(true)
    expect(decideStaleLock({ ...old, run: { kind: 'not-found' } }).break).toBe(true)
  })

  it.each([
    ['without the flag', { breakStaleLock: false }],
    ['when younger than lock-timeout', { since: '2026-12-06T11:59:30Z' }],
    ['when since is not a date', { since: 'soon' }],
    ['without a token', { run: undefined }],
    ['when the API failed', { run: { kind: 'unknown', why: 'HTTP 500' } as const }],
    ['while the run is in progress', { run: { kind: 'status', status: 'in_progress' } as const }],
    ['on an unexpected status', { run: { kind: 'status', status: 'odd' } as const }]
  ])('keeps the lock %s', (_name, change) => {
    const decision = decideStaleLock({ ...old, ...change })
    expect(decision.break).toBe(false)
    expect(decision.reason).not.toBe('')
  })
})
