import { describe, expect, it, jest } from '@jest/globals'
import { ProgramError, ProgramTimeoutError, describeCommand } from '../../../src/program/program.js'
import { isTransientRegistryError, withRetry, type RetryPolicy } from '../../../src/program/retry.js'
import { digestFromPushOutput } from '../../../src/push/step.js'

const pushError = (stderr: string) => new ProgramError('docker push r/a:1', 1, '', stderr)

describe('isTransientRegistryError', () => {
  it.each([
    'Get "http://127.0.0.1:5000/v2/": dial tcp 127.0.0.1:5000: connect: connection refused',
    'received unexpected HTTP status: 503 Service Unavailable',
    'net/http: TLS handshake timeout',
    'toomanyrequests: You have reached your pull rate limit',
    'read tcp 10.1.0.4:51234->140.82.112.33:443: read: connection reset by peer',
    'Patch "https://ghcr.io/v2/x/blobs/uploads/abc": EOF'
  ])('retries %s', (stderr) => expect(isTransientRegistryError(pushError(stderr))).toBe(true))

  it.each([
    'unauthorized: authentication required',
    'denied: requested access to the resource is denied',
    'name unknown: repository name not known to registry',
    'tag does not exist: r/a:1'
  ])('does not retry %s', (stderr) => expect(isTransientRegistryError(pushError(stderr))).toBe(false))

  it('retries a push stopped at its time limit, whatever it printed last', () => {
    const stopped = new ProgramTimeoutError('docker push r/a:1', 'abc123: Preparing\n', '', {
      ms: 5000,
      input: 'registry-timeout'
    })
    expect(isTransientRegistryError(stopped)).toBe(true)
  })

  it('sees a fetch failure by its cause', () => {
    const error = new TypeError('fetch failed', {
      cause: Object.assign(new Error('connect ECONNREFUSED'), { code: 'ECONNREFUSED' })
    })
    expect(isTransientRegistryError(error)).toBe(true)
  })
})

/** What `during` wrote to standard output (where @actions/core writes its warnings). */
async function printed(during: () => Promise<void>): Promise<string[]> {
  const lines: string[] = []
  const write = jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
    lines.push(String(text))
    return true
  })
  try {
    await during()
  } finally {
    write.mockRestore()
  }
  return lines
}

describe('withRetry', () => {
  const policy = (sleeps: number[]): RetryPolicy => ({
    attempts: 3,
    firstDelayMs: 100,
    isTransient: isTransientRegistryError,
    sleep: async (ms) => void sleeps.push(ms)
  })

  it('retries transient errors with doubling delays, then succeeds', async () => {
    const sleeps: number[] = []
    const action = jest.fn<() => Promise<string>>()
    action
      .mockRejectedValueOnce(pushError('503 Service Unavailable'))
      .mockRejectedValueOnce(pushError('connection reset'))
      .mockResolvedValue('ok')
    const warnings = await printed(async () => {
      expect(await withRetry('push', policy(sleeps), action)).toBe('ok')
    })
    expect(sleeps).toEqual([100, 200])
    // The warning names the cause (the end of stderr), not just the command that failed.
    expect(warnings[0]).toMatch(
      /^::warning::push failed \(attempt 1 of 3\), retrying in 0.1 s: 503 Service Unavailable/
    )
  })

  it('says a timed-out attempt timed out, not the line the program had reached', async () => {
    const action = jest
      .fn<() => Promise<string>>()
      .mockRejectedValueOnce(
        new ProgramTimeoutError('docker push r/a:1', 'abc123: Preparing\n', '', {
          ms: 5000,
          input: 'registry-timeout'
        })
      )
      .mockResolvedValue('ok')
    const warnings = await printed(async () => {
      expect(await withRetry('push', policy([]), action)).toBe('ok')
    })
    expect(warnings[0]).toBe(
      '::warning::push failed (attempt 1 of 3), retrying in 0.1 s: timed out: it had not finished after 5 s (registry-timeout) and was stopped\n'
    )
  })

  it('gives up after the last attempt with the last error', async () => {
    const sleeps: number[] = []
    const action = jest.fn<() => Promise<string>>().mockRejectedValue(pushError('503 Service Unavailable'))
    await expect(withRetry('push', policy(sleeps), action)).rejects.toThrow('503')
    expect(action).toHaveBeenCalledTimes(3)
  })

  it('fails at once on a permanent error', async () => {
    const action = jest
      .fn<() => Promise<string>>()
      .mockRejectedValue(pushError('unauthorized: authentication required'))
    await expect(withRetry('push', policy([]), action)).rejects.toThrow('unauthorized')
    expect(action).toHaveBeenCalledTimes(1)
  })
})

describe('ProgramError', () => {
  it('says what was run, the exit code and the end of stderr', () => {
    const stderr = Array.from({ length: 30 }, (_, i) => `line ${i}`).join('\n')
    const error = new ProgramError(describeCommand('docker', ['push', 'a b']), 1, '', stderr)
    expect(error.message).toMatch(/^`docker push "a b"` failed with exit code 1:\nline 15\n/)
    expect(error.message).toContain('line 29')
    expect(error.message).not.toContain('line 14\n')
  })
})

describe('digestFromPushOutput', () => {
  it('reads the digest docker push prints', () => {
    const output = `The push refers to repository [127.0.0.1:5000/e2e/a]\n3028f0c3dcee: Pushed\n1.2.3: digest: sha256:${'b'.repeat(64)} size: 735\n`
    expect(digestFromPushOutput(output)).toBe(`sha256:${'b'.repeat(64)}`)
    expect(digestFromPushOutput('nothing')).toBeUndefined()
  })
})
