// A stand-in for the GitHub Actions cache service, for end-to-end tests: the legacy v1 REST API on
// 127.0.0.1, as @actions/cache 6.3.0 speaks to it. Only loopback, only node built-ins (plus the
// system tar and zstd/gzip for the archive helpers).
//
// Which API, and why v1: @actions/cache picks the service in lib/internal/config.js
// (getCacheServiceVersion): v2 (Twirp, ACTIONS_RESULTS_URL) only when ACTIONS_CACHE_SERVICE_V2 is
// set and GITHUB_SERVER_URL is github.com, *.ghe.com or *.localhost (isGhes() forces v1);
// otherwise v1, at ACTIONS_CACHE_URL (or ACTIONS_RESULTS_URL when that is all there is).
// isFeatureAvailable() is true for v1 only when ACTIONS_CACHE_URL is set. v1 needs nothing beyond
// one HTTP server; v2 uploads with the Azure storage SDK to a signed blob URL, which this stand-in
// does not model. Mind that github.com's hosted runners have been moved to v2: the new service
// rolled out from 2025-02-01 with the legacy one sunset on that date (actions/cache#1509), and
// runners set ACTIONS_CACHE_SERVICE_V2 (ChristopherHX/github-act-runner#201 copies that: "cache
// might stop working without this"). What this stand-in exercises is the library's v1 path, the
// one GHES runners take, plus everything the action does around it.
//
// What each request looks like (lib/internal/cacheHttpClient.js), all under
// `${ACTIONS_CACHE_URL}_apis/artifactcache/` (the URL is used as a prefix, so it ends with `/`),
// with `Authorization: Bearer ${ACTIONS_RUNTIME_TOKEN}` and
// `Accept: application/json;api-version=6.0-preview.1`:
//
// - Lookup: `GET cache?keys=<k1,k2,...>&version=<v>`. 200 with `{cacheKey, scope, cacheVersion,
//   creationTime, archiveLocation}` for a hit, 204 for a miss (any other status is an error the
//   library turns into a "Failed to restore" warning). The version is sha256 of the cached paths
//   as given, the compression method and the salt `1.0`, joined by `|` (cacheUtils.getCacheVersion,
//   mirrored by `cacheVersion` below): an entry saved for other paths or another compression is not
//   found. Matching as GitHub documents it ("Matching a cache key", docs.github.com): for each key
//   in order, an exact match, then the newest entry whose key starts with it; same version only.
//   The library marks archiveLocation as a secret.
// - The archive: a plain `GET archiveLocation` with no Authorization (downloadCacheHttpClient; the
//   Azure SDK is used only for *.blob.core.windows.net). Here it is a URL on this server with a
//   random `sig`, standing for the signed storage URL; a wrong sig gets 403. The library compares
//   the bytes received with Content-Length.
// - Reserve: `POST caches` with `{key, version, cacheSize}`; 201 `{cacheId}`. An entry with the same
//   key and version, committed or still being uploaded, gets 409 with a `message`: the library
//   reports "Unable to reserve cache with key ..., another job may be creating this cache" as info.
//   (400 is its "over the data cap" answer.)
// - Upload: `PATCH caches/<id>` with `Content-Type: application/octet-stream` and
//   `Content-Range: bytes <start>-<end>/*` (inclusive), chunks of at most 32 MiB, up to 4 at once;
//   204. A range that does not match the body's length gets 400.
// - Commit: `POST caches/<id>` with `{size}`; 204 when every byte up to `size` arrived, else 400.
//   Only then can a lookup find the entry.
//
// The archive (lib/internal/tar.js): `tar --posix -cf cache.tzst -P -C $GITHUB_WORKSPACE
// --files-from manifest.txt --use-compress-program zstdmt` (gzip `-z` and `cache.tgz` when `zstd
// --quiet --version` prints nothing), the manifest holding each path RELATIVE TO THE WORKSPACE
// (`../../tmp/x/db` for a folder outside it), and extraction is `tar -xf ... -P -C
// $GITHUB_WORKSPACE`. `archiveOf` and `listArchive` below make and read such archives.
import { execFileSync, spawnSync } from 'node:child_process'
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import path from 'node:path'

/** The library's CompressionMethod values; 'zstd' (with --long) is no longer picked by 6.3.0. */
export type Compression = 'gzip' | 'zstd-without-long'

export interface CacheEntry {
  key: string
  version: string
  archive: Buffer
  /** The `scope` answered on lookups; the real service names the ref, e.g. refs/heads/main. */
  scope: string
  created: Date
}

export interface RecordedCacheRequest {
  method: string
  /** Path and query as received. */
  path: string
  /** Scheme of the Authorization header, lower case, or 'none'. */
  authorization: string
  /** 'lookup', 'download', 'reserve', 'upload', 'commit' or 'other'. */
  kind: 'lookup' | 'download' | 'reserve' | 'upload' | 'commit' | 'other'
  /** Content-Range of an upload. */
  contentRange?: string
  /** The JSON body of a reserve or commit. */
  body?: unknown
  /** Status answered; 0 while the request is still running. */
  status: number
}

export interface StandInActionsCacheOptions {
  /** The ACTIONS_RUNTIME_TOKEN the service accepts; default: a random one. */
  token?: string
  /** Scope reported for entries; default 'refs/heads/main'. */
  scope?: string
}

export interface StandInActionsCache {
  /** ACTIONS_CACHE_URL: `http://127.0.0.1:<port>/`. */
  url: string
  /** ACTIONS_RUNTIME_TOKEN. */
  token: string
  /** The environment a runner with this cache service sets. */
  env: { ACTIONS_CACHE_URL: string; ACTIONS_RUNTIME_TOKEN: string }
  requests: RecordedCacheRequest[]
  /** Committed entries, oldest first. */
  entries(): CacheEntry[]
  /** Adds a committed entry, as an earlier run would have saved it. */
  seed(entry: { key: string; version: string; archive: Buffer }): void
  close(): Promise<void>
}

const API = '/_apis/artifactcache/'

interface Reservation {
  id: number
  key: string
  version: string
  chunks: { start: number; data: Buffer }[]
  committed?: CacheEntry
}

/** @actions/cache's version of an entry: sha256 of paths, compression and salt, joined by `|` (Linux). */
export function cacheVersion(paths: string[], compression: Compression): string {
  return createHash('sha256')
    .update([...paths, compression, '1.0'].join('|'))
    .digest('hex')
}

/** What the library picks on this machine: zstd without --long when `zstd` runs, else gzip. */
export function compressionHere(env: NodeJS.ProcessEnv = process.env): Compression {
  const probe = spawnSync('zstd', ['--quiet', '--version'], { env, encoding: 'utf8' })
  return probe.status === null || probe.error || `${probe.stdout}${probe.stderr}` === ''
    ? 'gzip'
    : 'zstd-without-long'
}

function compressionArgs(compression: Compression, create: boolean): string[] {
  if (compression === 'gzip') return ['-z']
  return ['--use-compress-program', create ? 'zstdmt' : 'unzstd']
}

/** An archive as saveCache makes it: `paths` (absolute) stored relative to `workspace`, with -P. */
export function archiveOf(workspace: string, paths: string[], compression: Compression): Buffer {
  const relative = paths.map((p) => path.relative(workspace, p) || '.')
  return execFileSync(
    'tar',
    ['--posix', '-cf', '-', '-P', '-C', workspace, ...compressionArgs(compression, true), ...relative],
    { maxBuffer: 1 << 30 }
  )
}

/** The member names of an archive, as stored (relative to the workspace it was made in). */
export function listArchive(archive: Buffer, compression: Compression): string[] {
  return execFileSync('tar', ['-tf', '-', '-P', ...compressionArgs(compression, false)], {
    input: archive,
    encoding: 'utf8',
    maxBuffer: 1 << 30
  })
    .split('\n')
    .filter((line) => line !== '')
}

/** Extracts an archive the way restoreCache does: `tar -xf - -P -C <workspace>`. */
export function extractArchive(archive: Buffer, workspace: string, compression: Compression): void {
  execFileSync('tar', ['-xf', '-', '-P', '-C', workspace, ...compressionArgs(compression, false)], {
    input: archive,
    maxBuffer: 1 << 30
  })
}

function json(res: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body)
  res.writeHead(status, {
    'Content-Type': 'application/json; charset=utf-8',
    'Content-Length': Buffer.byteLength(text)
  })
  res.end(text)
}

function empty(res: http.ServerResponse, status: number): void {
  res.writeHead(status, { 'Content-Length': 0 })
  res.end()
}

function readBody(req: http.IncomingMessage): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const parts: Buffer[] = []
    req.on('data', (part: Buffer) => parts.push(part))
    req.on('end', () => resolve(Buffer.concat(parts)))
    req.on('error', reject)
  })
}

/** Assembles the uploaded chunks; undefined when they do not cover 0..size-1 exactly once. */
function assemble(chunks: { start: number; data: Buffer }[], size: number): Buffer | undefined {
  const sorted = [...chunks].sort((a, b) => a.start - b.start)
  let next = 0
  for (const chunk of sorted) {
    if (chunk.start !== next) return undefined
    next += chunk.data.length
  }
  if (next !== size) return undefined
  return Buffer.concat(sorted.map((chunk) => chunk.data))
}

export async function startStandInActionsCache(
  options: StandInActionsCacheOptions = {}
): Promise<StandInActionsCache> {
  const token = options.token ?? randomBytes(16).toString('hex')
  const scope = options.scope ?? 'refs/heads/main'
  const requests: RecordedCacheRequest[] = []
  const reservations: Reservation[] = []
  const committed: CacheEntry[] = []
  const signatures = new Map<string, CacheEntry>()
  let nextId = 1
  let base = ''

  const locationOf = (entry: CacheEntry): string => {
    const sig = randomBytes(12).toString('hex')
    signatures.set(sig, entry)
    return `${base}archives/${encodeURIComponent(entry.key)}?sig=${sig}`
  }

  const lookup = (keys: string[], version: string): CacheEntry | undefined => {
    const candidates = committed.filter((entry) => entry.version === version).reverse()
    for (const key of keys) {
      const hit =
        candidates.find((entry) => entry.key === key) ?? candidates.find((entry) => entry.key.startsWith(key))
      if (hit) return hit
    }
    return undefined
  }

  const handle = async (
    req: http.IncomingMessage,
    res: http.ServerResponse,
    record: RecordedCacheRequest
  ) => {
    const url = new URL(req.url ?? '/', 'http://stand-in')
    const body = await readBody(req)
    if (url.pathname.startsWith('/archives/')) {
      record.kind = 'download'
      const entry = signatures.get(url.searchParams.get('sig') ?? '')
      if (req.method !== 'GET' || !entry) {
        // Azure storage's answer to a bad signature.
        res.writeHead(403, { 'Content-Type': 'application/xml' })
        res.end('<?xml version="1.0" encoding="utf-8"?><Error><Code>AuthenticationFailed</Code></Error>')
        return
      }
      res.writeHead(200, {
        'Content-Type': 'application/octet-stream',
        'Content-Length': entry.archive.length
      })
      res.end(entry.archive)
      return
    }
    if (!url.pathname.startsWith(API)) return json(res, 404, { message: 'Not found' })
    if (req.headers.authorization !== `Bearer ${token}`) {
      return json(res, 401, { message: 'The user is not authorized to access this resource.' })
    }
    const resource = url.pathname.slice(API.length)
    if (req.method === 'GET' && resource === 'cache') {
      record.kind = 'lookup'
      const keys = (url.searchParams.get('keys') ?? '').split(',').filter((key) => key !== '')
      const version = url.searchParams.get('version') ?? ''
      if (keys.length === 0 || !version) return json(res, 400, { message: 'keys and version are required' })
      const hit = lookup(keys, version)
      if (!hit) return empty(res, 204)
      return json(res, 200, {
        cacheKey: hit.key,
        scope: hit.scope,
        cacheVersion: hit.version,
        creationTime: hit.created.toISOString(),
        archiveLocation: locationOf(hit)
      })
    }
    if (req.method === 'POST' && resource === 'caches') {
      record.kind = 'reserve'
      const request = JSON.parse(body.toString('utf8') || '{}') as { key?: string; version?: string }
      record.body = request
      if (!request.key || !request.version) return json(res, 400, { message: 'key and version are required' })
      const taken =
        committed.some((entry) => entry.key === request.key && entry.version === request.version) ||
        reservations.some((r) => !r.committed && r.key === request.key && r.version === request.version)
      if (taken) {
        return json(res, 409, {
          message: `Cache already exists. Scope: ${scope}, Key: ${request.key}, Version: ${request.version}`
        })
      }
      const reservation: Reservation = {
        id: nextId++,
        key: request.key,
        version: request.version,
        chunks: []
      }
      reservations.push(reservation)
      return json(res, 201, { cacheId: reservation.id })
    }
    const idMatch = /^caches\/(\d+)$/.exec(resource)
    const reservation = idMatch ? reservations.find((r) => r.id === Number(idMatch[1])) : undefined
    if (idMatch && req.method === 'PATCH') {
      record.kind = 'upload'
      const range = req.headers['content-range'] ?? ''
      record.contentRange = range
      const parsed = /^bytes (\d+)-(\d+)\/\*$/.exec(range)
      if (!reservation || reservation.committed)
        return json(res, 404, { message: 'No such cache being uploaded' })
      if (!parsed || Number(parsed[2]) - Number(parsed[1]) + 1 !== body.length) {
        return json(res, 400, { message: `Content-Range ${range} does not match ${body.length} bytes` })
      }
      reservation.chunks.push({ start: Number(parsed[1]), data: body })
      return empty(res, 204)
    }
    if (idMatch && req.method === 'POST') {
      record.kind = 'commit'
      const request = JSON.parse(body.toString('utf8') || '{}') as { size?: number }
      record.body = request
      if (!reservation || reservation.committed)
        return json(res, 404, { message: 'No such cache being uploaded' })
      const archive = assemble(reservation.chunks, Number(request.size))
      if (!archive)
        return json(res, 400, { message: `The chunks uploaded do not make ${request.size} bytes` })
      reservation.committed = {
        key: reservation.key,
        version: reservation.version,
        archive,
        scope,
        created: new Date()
      }
      committed.push(reservation.committed)
      return empty(res, 204)
    }
    return json(res, 404, { message: `No route for ${req.method} ${url.pathname}` })
  }

  const server = http.createServer((req, res) => {
    const record: RecordedCacheRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: (req.headers.authorization ?? 'none').split(' ')[0]?.toLowerCase() ?? 'none',
      kind: 'other',
      status: 0
    }
    requests.push(record)
    res.on('finish', () => {
      record.status = res.statusCode
    })
    handle(req, res, record).catch((error: unknown) => {
      if (!res.headersSent) json(res, 500, { message: (error as Error).message })
      else res.destroy()
    })
  })
  const sockets = new Set<Socket>()
  server.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`

  return {
    url: base,
    token,
    env: { ACTIONS_CACHE_URL: base, ACTIONS_RUNTIME_TOKEN: token },
    requests,
    entries: () => [...committed],
    seed: (entry) => {
      committed.push({ ...entry, scope, created: new Date() })
    },
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy()
        server.close(() => resolve())
      })
  }
}
