import { describe, expect, it } from '@jest/globals'
import {
  describeSourceFailures,
  isRetryableStatus,
  parseDuration,
  parseRetryAfter,
  retryDelayMs
} from '../../../../src/scan/trivy/db-retry.js'

const now = new Date('2026-12-06T12:00:00Z')

describe('isRetryableStatus', () => {
  it('retries rate limiting and server errors only', () => {
    expect([429, 500, 502, 503, 599].map(isRetryableStatus)).toEqual([true, true, true, true, true])
    expect([200, 401, 403, 404, 400].map(isRetryableStatus)).toEqual([false, false, false, false, false])
  })
})

describe('parseRetryAfter', () => {
  it('reads delta-seconds and HTTP-dates', () => {
    expect(parseRetryAfter('7', now)).toBe(7000)
    expect(parseRetryAfter('Sun, 06 Dec 2026 12:00:05 GMT', now)).toBe(5000)
  })
  it('ignores absent, garbage and past values', () => {
    expect(parseRetryAfter(undefined, now)).toBeUndefined()
    expect(parseRetryAfter(null, now)).toBeUndefined()
    expect(parseRetryAfter('soon', now)).toBeUndefined()
    expect(parseRetryAfter('-3', now)).toBeUndefined()
    expect(parseRetryAfter('Sun, 06 Dec 2026 11:00:00 GMT', now)).toBeUndefined()
  })
})

describe('retryDelayMs', () => {
  const policy = { tries: 3, baseMs: 100, capMs: 1000 }
  it('doubles without Retry-After', () => {
    expect([2, 3, 4].map((t) => retryDelayMs(t, undefined, policy))).toEqual([100, 200, 400])
  })
  it('honours Retry-After up to the cap', () => {
    expect(retryDelayMs(2, 500, policy)).toBe(500)
    expect(retryDelayMs(2, 3_600_000, policy)).toBe(1000)
    expect(retryDelayMs(20, undefined, policy)).toBe(1000)
  })
})

describe('describeSourceFailures', () => {
  it('names each source and its answer in order', () => {
    expect(
      describeSourceFailures([
        { source: 'mirror.example/trivy-db:2', answer: '429 Too Many Requests', tries: 3 },
        { source: 'ghcr.io/aquasecurity/trivy-db:2', answer: 'connection refused', tries: 1 }
      ])
    ).toBe(
      'The Trivy DB could not be downloaded from any source:\n' +
        '  mirror.example/trivy-db:2: 429 Too Many Requests after 3 tries\n' +
        '  ghcr.io/aquasecurity/trivy-db:2: connection refused'
    )
  })
})

describe('parseDuration', () => {
  it('reads minutes, hours and days', () => {
    expect(parseDuration('90m')).toBe(90 * 60_000)
    expect(parseDuration('72h')).toBe(72 * 3_600_000)
    expect(parseDuration('3d')).toBe(3 * 86_400_000)
  })
  it('rejects anything else', () => {
    for (const bad of ['', '72', 'h', '0h', '1.5h', '-2h', '2w', '72 h x'])
      expect(parseDuration(bad)).toBeUndefined()
  })
})
