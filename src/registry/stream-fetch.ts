// A fetch for request bodies that are streams, over node:http(s). Node's fetch (undici) keeps
// every byte of a streamed request body in memory until the request ends (nodejs/undici#4058,
// open; measured here on Node 24: a 256 MiB upload held 254 MiB of buffers, node:http piping
// the same file 8 MiB), and layers can be hundreds of MB. Only what the registry client sends
// is supported: a method, headers, a Buffer or Readable body, an abort signal.
import http from 'node:http'
import https from 'node:https'
import { Readable } from 'node:stream'
import { pipeline } from 'node:stream/promises'
import type { Fetch } from './http.js'

/** Statuses whose Response must have no body. */
const NO_BODY = [101, 204, 205, 304]

export const streamingFetch: Fetch = (input, init = {}) =>
  new Promise<Response>((resolve, reject) => {
    const url = new URL(input instanceof Request ? input.url : String(input))
    const signal = init.signal ?? undefined
    if (signal?.aborted) return reject(signal.reason as Error)
    const headers = Object.fromEntries(new Headers(init.headers).entries())
    const send = url.protocol === 'https:' ? https.request : http.request
    const request = send(url, { method: init.method ?? 'GET', headers }, (answer) => {
      const responseHeaders = new Headers()
      for (const [name, value] of Object.entries(answer.headers)) {
        for (const one of [value ?? []].flat()) responseHeaders.append(name, one)
      }
      const status = answer.statusCode ?? 502
      const empty = NO_BODY.includes(status) || init.method === 'HEAD'
      if (empty) answer.resume()
      resolve(
        new Response(empty ? null : (Readable.toWeb(answer) as ReadableStream<Uint8Array>), {
          status,
          statusText: answer.statusMessage ?? '',
          headers: responseHeaders
        })
      )
    })
    // The signal's reason (a TimeoutError from AbortSignal.timeout) is what the caller reads.
    const abort = (): void => {
      request.destroy(signal?.reason as Error)
    }
    signal?.addEventListener('abort', abort, { once: true })
    request.on('close', () => signal?.removeEventListener('abort', abort))
    request.on('error', (error) => reject(signal?.aborted ? (signal.reason as Error) : error))
    const body = init.body as unknown
    if (body === undefined || body === null) request.end()
    else if (Buffer.isBuffer(body) || typeof body === 'string') request.end(body)
    else if (body instanceof Readable)
      // Backpressure as node:http gives it: the file is read as fast as the socket drains.
      pipeline(body, request).catch((error: unknown) => {
        request.destroy(error as Error)
        reject(signal?.aborted ? (signal.reason as Error) : (error as Error))
      })
    else reject(new TypeError('streamingFetch sends a Buffer, a string or a Readable only'))
  })
