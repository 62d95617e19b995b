// What every Registry API request shares: the error it fails with, a timeout, and how a
// non-2xx answer becomes that error.
export type Fetch = typeof fetch

export const REQUEST_TIMEOUT_MS = 30_000

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
