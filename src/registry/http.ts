// What every Registry API request shares: the error it fails with, a timeout, and how a
// non-2xx answer becomes that error.
export type Fetch = typeof fetch

export const REQUEST_TIMEOUT_MS = 30_000

/**
 * The slowest upload rate a blob upload is given time for. The limit covers sending the whole
 * body, so a fixed one would fail every large layer on a slow link; 1 MiB/s is well under what
 * CI runners reach, and a registry that stalls is still caught (at size/rate past the limit).
 */
export const MIN_UPLOAD_BYTES_PER_SECOND = 1024 * 1024

/** The limit on one blob upload: the request limit plus the time the bytes take at the slowest rate. */
export function uploadTimeoutMs(requestTimeoutMs: number, size: number): number {
  return requestTimeoutMs + Math.ceil((size / MIN_UPLOAD_BYTES_PER_SECOND) * 1000)
}

export class RegistryError extends Error {
  constructor(
    message: string,
    readonly status?: number
  ) {
    super(message)
    this.name = 'RegistryError'
  }
}

/** Throws a RegistryError naming the registry, what was tried and the start of the answer. */
export async function expectOk(response: Response, registry: string, what: string): Promise<void> {
  if (response.ok) return
  const text = (await response.text().catch(() => '')).slice(0, 300)
  throw new RegistryError(
    `could not ${what} on ${registry}: ${response.status} ${response.statusText} ${text}`.trim(),
    response.status
  )
}

/**
 * fetch with a time limit on each request (the answer's headers within `timeoutMs`); a request
 * past it fails with a RegistryError naming the host, the request and the limit.
 */
export function fetchWithTimeout(fetchImpl: Fetch, timeoutMs: number): Fetch {
  return async (input, init) => {
    try {
      return await fetchImpl(input, { ...init, signal: AbortSignal.timeout(timeoutMs) })
    } catch (error) {
      if ((error as Error).name !== 'TimeoutError') throw error
      const url = new URL(input instanceof Request ? input.url : String(input))
      throw new RegistryError(
        `${url.host} did not answer ${init?.method ?? 'GET'} ${url.pathname} within ${timeoutMs / 1000} s: timed out`
      )
    }
  }
}
