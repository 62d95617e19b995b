import { describe, expect, it } from '@jest/globals'
import {
  classifyDbFailure,
  describeSourceFailures,
  isRetryableStatus,
  parseDuration,
  parseRetryAfter,
  retryAfterInText,
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
  it('honours Retry-After up to the cap, and never waits less than the backoff', () => {
    expect(retryDelayMs(2, 500, policy)).toBe(500)
    expect(retryDelayMs(3, 2, policy)).toBe(200)
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

// What Trivy 0.74.0 printed here (trivy-db-mirrors.test.ts and by hand against loopback servers).
const GHCR_429 =
  'FATAL\tFatal error\trun error: init error: DB error: failed to download vulnerability DB: OCI artifact error: ' +
  'failed to download artifact from any source: 1 error occurred:\n\t* OCI repository error: 1 error occurred:\n' +
  '\t* GET https://ghcr.io/v2/aquasecurity/trivy-db/manifests/2: TOOMANYREQUESTS: retry-after: 1.203805ms, allowed: 44000/minute'
const PLAIN_503 = 'GET http://127.0.0.1:38013/v2/: unexpected status code 503 Service Unavailable: down'
const REFUSED = 'Get "http://127.0.0.1:38019/v2/": dial tcp 127.0.0.1:38019: connect: connection refused'

describe('classifyDbFailure', () => {
  it('retries a rate limit, with the wait ghcr.io writes into its message', () => {
    expect(classifyDbFailure(1, GHCR_429)).toEqual({
      then: 'retry',
      answer: '429 Too Many Requests',
      retryAfterMs: 2
    })
  })

  it('retries a server error, naming the status in its own words', () => {
    expect(classifyDbFailure(1, PLAIN_503)).toEqual({
      then: 'retry',
      answer: '503 Service Unavailable',
      retryAfterMs: undefined
    })
    expect(classifyDbFailure(1, 'unexpected status code 500 <script>')).toMatchObject({
      answer: '500 Internal Server Error'
    })
  })

  it('goes on to the next source for anything else', () => {
    expect(classifyDbFailure(1, REFUSED)).toEqual({ then: 'next', answer: 'connection refused' })
    expect(classifyDbFailure(1, 'GET ...: MANIFEST_UNKNOWN: manifest unknown')).toEqual({
      then: 'next',
      answer: '404 Not Found'
    })
    expect(classifyDbFailure(1, 'lookup nowhere.invalid: no such host')).toMatchObject({
      answer: 'unknown host'
    })
    expect(classifyDbFailure(2, 'something new')).toEqual({
      then: 'next',
      answer: 'Trivy failed (exit code 2)'
    })
    expect(classifyDbFailure(null, '')).toEqual({ then: 'next', answer: 'Trivy was killed by a signal' })
  })

  it('never copies the output into the answer', () => {
    const hostile = '::error::pwned %0A TOOMANYREQUESTS ::set-output name=x::y'
    expect(classifyDbFailure(1, hostile).answer).toBe('429 Too Many Requests')
    expect(classifyDbFailure(1, '::warning::x').answer).toBe('Trivy failed (exit code 1)')
  })
})

describe('retryAfterInText', () => {
  it('reads Go durations and plain seconds', () => {
    expect(retryAfterInText('retry-after: 2s, allowed')).toBe(2000)
    expect(retryAfterInText('retry-after: 641.554µs')).toBe(1)
    expect(retryAfterInText('Retry-After: 7')).toBe(7000)
    expect(retryAfterInText('retry-after: 1m')).toBe(60_000)
  })

  it('is undefined without one; a huge one is left for retryDelayMs to cap', () => {
    expect(retryAfterInText('TOOMANYREQUESTS')).toBeUndefined()
    expect(retryDelayMs(2, retryAfterInText('retry-after: 9999h'))).toBe(30_000)
  })
})
