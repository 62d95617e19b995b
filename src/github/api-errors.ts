// What GitHub's answer to a failed request says, without the token or the request that carried
// it: its HTTP status and its message. Kept apart from rest-client.ts so that code which must not
// load Octokit (the post step's fetch client, fetch-api.ts) reads errors the same way.

/** The HTTP status GitHub answered; undefined when there was no answer (Octokit calls that 500). */
export function statusOf(error: unknown): number | undefined {
  const failed = error as { status?: unknown; response?: unknown } | null
  const status = failed?.status
  return typeof status === 'number' && failed?.response !== undefined ? status : undefined
}

/** GitHub's own message for an HTTP error, else the error's; never the request, which has the token. */
export function apiMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data
  if (data && typeof data === 'object') {
    const message = (data as { message?: unknown }).message
    const errors = (data as { errors?: unknown }).errors
    const details = Array.isArray(errors)
      ? errors
          .map((item: unknown) => (item as { message?: unknown })?.message)
          .filter((item): item is string => typeof item === 'string')
      : []
    if (typeof message === 'string') return [message, ...details].join(': ')
  }
  // No answer: the error and its causes (fetch failed, then connect ECONNREFUSED ...).
  const messages: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { message, cause, errors } = current as { message?: unknown; cause?: unknown; errors?: unknown }
    if (typeof message === 'string' && message !== '' && !messages.includes(message)) messages.push(message)
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined)
  }
  if (messages.length === 0) return String(error)
  const [first, ...rest] = messages
  return rest.length > 0 ? `${first} (${rest.join(': ')})` : (first as string)
}
