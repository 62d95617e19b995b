// Loopback stand-ins for keyless signing, which the test bed cannot reach for real:
// - the Actions OIDC token endpoint, as the runner's token service answers core.getIDToken: GET
//   <url>&audience=<aud> with `Authorization: Bearer <ACTIONS_ID_TOKEN_REQUEST_TOKEN>`, 200
//   {"value": <JWT>} for that bearer only, 401 otherwise;
// - "Fulcio", answering every request 503 as an unavailable Sigstore does: keyless signing then
//   never gets a certificate, so nothing past the token and Fulcio's door is exercised.
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** The bearer the job's ACTIONS_ID_TOKEN_REQUEST_TOKEN carries. */
export const REQUEST_TOKEN = 'e2e-actions-request-token'

const b64 = (value: object): string => Buffer.from(JSON.stringify(value)).toString('base64url')

/** JWT-shaped, as Fulcio's client parses it (unverified) for its subject before asking. */
export const ID_TOKEN = [
  b64({ alg: 'RS256', typ: 'JWT' }),
  b64({
    iss: 'https://token.actions.githubusercontent.com',
    sub: 'repo:acme/web:ref:refs/heads/main',
    aud: 'sigstore',
    iat: 1_700_000_000,
    exp: 4_102_444_800
  }),
  'c2lnbmF0dXJl'
].join('.')

export interface SigstoreStandIns {
  /** ACTIONS_ID_TOKEN_REQUEST_URL for the job. */
  tokenUrl: string
  fulcioUrl: string
  tokenRequests: { url: string; authorization?: string; status: number }[]
  fulcioRequests: string[]
  close(): Promise<void>
}

export async function startSigstoreStandIns(): Promise<SigstoreStandIns> {
  const tokenRequests: SigstoreStandIns['tokenRequests'] = []
  const fulcioRequests: string[] = []
  const tokenServer = http.createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://127.0.0.1')
    const ok = req.method === 'GET' && req.headers.authorization === `Bearer ${REQUEST_TOKEN}`
    tokenRequests.push({
      url: req.url ?? '',
      authorization: req.headers.authorization,
      status: ok ? 200 : 401
    })
    if (!ok) {
      res.writeHead(401).end()
      return
    }
    res.writeHead(200, { 'content-type': 'application/json' })
    res.end(
      JSON.stringify({
        value: url.searchParams.get('audience') === 'sigstore' ? ID_TOKEN : 'wrong.audience.token'
      })
    )
  })
  const fulcio = http.createServer((req, res) => {
    fulcioRequests.push(`${req.method} ${req.url}`)
    req.resume()
    res.writeHead(503, { 'content-type': 'application/json' }).end('{"code":14,"message":"unavailable"}')
  })
  const servers = [tokenServer, fulcio]
  await Promise.all(
    servers.map((server) => new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve)))
  )
  const port = (server: http.Server): number => (server.address() as AddressInfo).port
  return {
    tokenUrl: `http://127.0.0.1:${port(tokenServer)}/_apis/token?api-version=2.0`,
    fulcioUrl: `http://127.0.0.1:${port(fulcio)}`,
    tokenRequests,
    fulcioRequests,
    close: async () => {
      await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
    }
  }
}
