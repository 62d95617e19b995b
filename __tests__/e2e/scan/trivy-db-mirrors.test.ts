// The Trivy DB fetched from several db-repository sources (src/scan/trivy/db-download.ts), with
// the bundled action and the test bed's Trivy doing the downloads. The DB cannot be downloaded
// from the real registries here, so:
//
// - a stand-in registry on loopback (stand-in-distribution.ts: the Distribution API with Basic
//   auth, as a private mirror on Distribution with htpasswd has it; token auth cannot be used here,
//   as Trivy 0.74.0 refuses a token realm on a loopback or private address) holds the test bed's fixture DB as the OCI artifact Trivy
//   publishes: one layer `application/vnd.aquasec.trivy.db.layer.v1.tar+gzip` titled `db.tar.gz`
//   (trivy.db and metadata.json), config `application/vnd.aquasec.trivy.config.v1+json`, under
//   two repositories, mirror-one/trivy-db:2 and mirror-two/trivy-db:2. Trivy authenticates with
//   TRIVY_USERNAME/TRIVY_PASSWORD, which the action passes through;
// - a small loopback proxy in front of it answers every manifest and blob request of mirror-one
//   with 429 TOOMANYREQUESTS, as ghcr.io rate-limits: `Retry-After` header, and the Distribution
//   error body whose message repeats it as a Go duration ("retry-after: 1.203805ms, allowed:
//   44000/minute" in ghcr.io answers quoted in public CI logs). Trivy reports the body, not the
//   header, so that message is what reaches the action;
// - a closed loopback port stands for a mirror that cannot be reached at all.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { dbCacheKey } from '../../../src/scan/trivy/db-cache.js'
import { uniqueRepository } from '../../support/registry-helpers.js'
import {
  archiveOf,
  cacheVersion,
  compressionHere,
  startStandInActionsCache,
  type StandInActionsCache
} from '../../support/stand-in-actions-cache.js'
import { startStandInDistribution, type StandInDistribution } from '../../support/stand-in-distribution.js'

jest.setTimeout(600_000)

const user = { username: 'mirror-reader', password: 'mirror-secret-4711' }
/** What mirror-one answers, modelled on ghcr.io's rate limit (see the top of the file). */
const RETRY_AFTER_SECONDS = 2

let tb: Testbed
let registry: StandInDistribution
let proxy: http.Server
let proxyAddress: string
let closedPort: number
/** Every request the proxy saw: [path, status]. */
const proxied: [string, number][] = []

const sha256 = (bytes: Buffer): string => `sha256:${createHash('sha256').update(bytes).digest('hex')}`

/** The fixture DB as Trivy's OCI artifact, stored in the stand-in under `name`, tag 2. */
function publishDb(name: string, layer: Buffer): void {
  const config = Buffer.from('{}')
  const manifest = Buffer.from(
    JSON.stringify({
      schemaVersion: 2,
      mediaType: 'application/vnd.oci.image.manifest.v1+json',
      config: {
        mediaType: 'application/vnd.aquasec.trivy.config.v1+json',
        digest: sha256(config),
        size: config.length
      },
      layers: [
        {
          mediaType: 'application/vnd.aquasec.trivy.db.layer.v1.tar+gzip',
          digest: sha256(layer),
          size: layer.length,
          annotations: { 'org.opencontainers.image.title': 'db.tar.gz' }
        }
      ]
    })
  )
  const repository = registry.repository(name)
  for (const blob of [config, layer]) {
    registry.blobs.set(sha256(blob), blob)
    repository.blobs.add(sha256(blob))
  }
  const stored = {
    body: manifest,
    mediaType: 'application/vnd.oci.image.manifest.v1+json',
    digest: sha256(manifest)
  }
  repository.manifests.set('2', stored)
  repository.manifests.set(stored.digest, stored)
}

/** db.tar.gz of the test bed's fixture DB (trivy.db and metadata.json), as trivy-db publishes it. */
function dbArchive(): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trivy-db-artifact-'))
  execFileSync('tar', [
    '-czf',
    path.join(dir, 'db.tar.gz'),
    '-C',
    path.join(tb.trivyCache, 'db'),
    'trivy.db',
    'metadata.json'
  ])
  return readFileSync(path.join(dir, 'db.tar.gz'))
}

/** Forwards to the stand-in, but answers mirror-one's manifests and blobs with 429. */
function startProxy(upstream: string): Promise<http.Server> {
  const [host, port] = upstream.split(':') as [string, string]
  const server = http.createServer((req, res) => {
    const url = req.url ?? '/'
    const record = (status: number): void => void proxied.push([url, status])
    if (/^\/v2\/mirror-one\/trivy-db\/(manifests|blobs)\//.test(url)) {
      const body = JSON.stringify({
        errors: [
          {
            code: 'TOOMANYREQUESTS',
            message: `retry-after: ${RETRY_AFTER_SECONDS}s, allowed: 44000/minute`
          }
        ]
      })
      res.writeHead(429, {
        'content-type': 'application/json',
        'retry-after': String(RETRY_AFTER_SECONDS),
        'docker-distribution-api-version': 'registry/2.0',
        'content-length': String(Buffer.byteLength(body))
      })
      record(429)
      return void res.end(body)
    }
    const forward = http.request(
      { host, port: Number(port), method: req.method, path: url, headers: req.headers },
      (answer) => {
        record(answer.statusCode ?? 0)
        res.writeHead(answer.statusCode ?? 502, answer.headers)
        answer.pipe(res)
      }
    )
    forward.on('error', () => {
      record(502)
      res.writeHead(502)
      res.end()
    })
    req.pipe(forward)
  })
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)))
}

beforeAll(async () => {
  tb = testbed()
  registry = await startStandInDistribution({ auth: 'basic', user })
  const layer = dbArchive()
  publishDb('mirror-one/trivy-db', layer)
  publishDb('mirror-two/trivy-db', layer)
  proxy = await startProxy(registry.registry)
  proxyAddress = `127.0.0.1:${(proxy.address() as net.AddressInfo).port}`
  // A port that was open a moment ago and is not any more: connection refused.
  const closed = net.createServer()
  await new Promise<void>((resolve) => closed.listen(0, '127.0.0.1', resolve))
  closedPort = (closed.address() as net.AddressInfo).port
  await new Promise<void>((resolve) => closed.close(() => resolve()))
})

afterAll(async () => {
  await new Promise<void>((resolve) => {
    proxy.close(() => resolve())
    proxy.closeAllConnections()
  })
  await registry.close()
})

const mirrorOne = (): string => `${proxyAddress}/mirror-one/trivy-db:2`
const mirrorTwo = (): string => `${proxyAddress}/mirror-two/trivy-db:2`
const unreachable = (): string => `127.0.0.1:${closedPort}/aquasecurity/trivy-db:2`

/**
 * A TRIVY_CACHE_DIR; with `updatedAt`, a copy of the fixture DB made then and due for an update
 * (NextUpdate in the past), so that Trivy, and the action, would download a new one.
 */
function trivyCacheDir(updatedAt?: Date): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trivy-cache-'))
  if (updatedAt) {
    const db = path.join(dir, 'db')
    mkdirSync(db)
    cpSync(path.join(tb.trivyCache, 'db', 'trivy.db'), path.join(db, 'trivy.db'))
    writeFileSync(
      path.join(db, 'metadata.json'),
      JSON.stringify({
        Version: 2,
        NextUpdate: '2000-01-01T00:00:00Z',
        UpdatedAt: updatedAt.toISOString(),
        DownloadedAt: updatedAt.toISOString()
      })
    )
  }
  return dir
}

/** build,scan of the Alpine 3.9 image (a vulnerable musl in the fixture DB), the gate off. */
function scanRun(
  cacheDir: string,
  inputs: Record<string, string>,
  more: { workspace?: string; env?: Record<string, string> } = {}
): Promise<ActionRun> {
  return runAction({
    inputs: {
      image: uniqueRepository(tb, 'db-mirrors').image,
      steps: 'build,scan',
      'severity-threshold': 'none',
      'db-cache': 'false',
      ...inputs
    },
    event: eventEnv('tag-push'),
    workspace: more.workspace ?? alpineWorkspace(),
    env: {
      PATH: scanSetup(tb).env.PATH as string,
      TRIVY_CACHE_DIR: cacheDir,
      TRIVY_USERNAME: user.username,
      TRIVY_PASSWORD: user.password,
      ...more.env
    }
  })
}

const alpineWorkspace = (): string => workspaceWith({ Dockerfile: `FROM ${tb.alpine39Image}\n` })

const totalFindings = (run: ActionRun): number =>
  Object.values(JSON.parse(run.outputs.findings ?? '{}') as Record<string, number>).reduce((a, b) => a + b, 0)

/** The `trivy image --download-db-only` runs the action printed, by source. */
const downloadRuns = (run: ActionRun): string[] =>
  run.log
    .split('\n')
    .filter((line) => /^\[command\]\S*trivy image --download-db-only /.test(line))
    .map((line) => /--db-repository (\S+)/.exec(line)?.[1] ?? '')

describe('mirror-one rate-limited, mirror-two serving, no DB in the cache folder', () => {
  let run: ActionRun
  let cacheDir: string

  beforeAll(async () => {
    proxied.length = 0
    cacheDir = trivyCacheDir()
    run = await scanRun(cacheDir, { 'db-repository': `${mirrorOne()},${mirrorTwo()}` })
  })

  it('tries mirror-one three times, waiting as long as the registry asked, then mirror-two once', () => {
    expect(downloadRuns(run)).toEqual([mirrorOne(), mirrorOne(), mirrorOne(), mirrorTwo()])
    // Retry-After 2 s both times, where the action's own backoff would wait 1 s and then 2 s.
    expect(run.log).toContain(
      `${mirrorOne()} answered 429 Too Many Requests: trying it again in ${RETRY_AFTER_SECONDS} s (try 2 of 3)`
    )
    expect(run.log).toContain(
      `${mirrorOne()} answered 429 Too Many Requests: trying it again in ${RETRY_AFTER_SECONDS} s (try 3 of 3)`
    )
    expect(run.log).toContain(`${mirrorOne()}: 429 Too Many Requests; trying the next DB repository`)
    expect(run.log).toContain(`The Trivy DB was downloaded from ${mirrorTwo()}`)
    const limited = proxied.filter(([url, status]) => url.startsWith('/v2/mirror-one/') && status === 429)
    // At least one 429 per try of the action (Trivy's registry client retries inside each try too).
    expect(limited.length).toBeGreaterThanOrEqual(3)
    expect(
      proxied.filter(([url]) => url.startsWith('/v2/mirror-two/trivy-db/blobs/')).map(([, s]) => s)
    ).toContain(200)
  })

  it('scans with the downloaded DB: the findings the fixture DB knows, no warning, the gate judged', () => {
    expect(run.exitCode).toBe(0)
    expect(run.log).not.toMatch(/::(error|warning)::/)
    expect(run.outputs['scan-result']).toBe('passed')
    expect(totalFindings(run)).toBeGreaterThan(0)
    const scan = run.log.split('\n').find((line) => /^\[command\]\S*trivy image --config /.test(line)) ?? ''
    expect(scan).toContain(' --skip-db-update ')
  })

  it("leaves the DB in Trivy's cache folder, and no download folders", () => {
    const downloaded = readFileSync(path.join(cacheDir, 'db', 'trivy.db'))
    expect(downloaded.equals(readFileSync(path.join(tb.trivyCache, 'db', 'trivy.db')))).toBe(true)
    expect(existsSync(path.join(cacheDir, 'db', 'metadata.json'))).toBe(true)
    expect(execFileSync('ls', ['-A', cacheDir], { encoding: 'utf8' }).trim()).toBe('db')
  })
})

describe('a mirror that takes the connection and never answers, then mirror-two', () => {
  let run: ActionRun
  let silent: net.Server
  let silentMirror: string
  const held: net.Socket[] = []

  beforeAll(async () => {
    silent = net.createServer((socket) => void held.push(socket))
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve))
    silentMirror = `127.0.0.1:${(silent.address() as net.AddressInfo).port}/aquasecurity/trivy-db:2`
    run = await scanRun(trivyCacheDir(), {
      'db-repository': `${silentMirror},${mirrorTwo()}`,
      'registry-timeout': '3'
    })
  })

  afterAll(async () => {
    for (const socket of held) socket.destroy()
    await new Promise<void>((resolve) => silent.close(() => resolve()))
  })

  it('stops the try at registry-timeout, goes on to mirror-two, and scans', () => {
    expect(held.length).toBeGreaterThan(0)
    expect(downloadRuns(run)).toEqual([silentMirror, mirrorTwo()])
    expect(run.log).toContain(
      `${silentMirror}: no DB within registry-timeout (3 s); trying the next DB repository`
    )
    expect(run.log).toContain(`The Trivy DB was downloaded from ${mirrorTwo()}`)
    expect(run.exitCode).toBe(0)
    expect(run.outputs['scan-result']).toBe('passed')
    expect(totalFindings(run)).toBeGreaterThan(0)
  })
})

describe('every source failing, a DB in the cache folder younger than db-max-age', () => {
  let run: ActionRun
  let updatedAt: Date

  beforeAll(async () => {
    proxied.length = 0
    updatedAt = new Date(Date.now() - 30 * 3600_000)
    run = await scanRun(trivyCacheDir(updatedAt), { 'db-repository': `${mirrorOne()},${unreachable()}` })
  })

  it('warns, naming each source and its answer, and the DB it uses instead', () => {
    expect(downloadRuns(run)).toEqual([mirrorOne(), mirrorOne(), mirrorOne(), unreachable()])
    const warning = run.log.split('\n').find((line) => line.startsWith('::warning::')) ?? ''
    expect(warning).toContain('The Trivy DB could not be downloaded from any source:')
    expect(warning).toContain(`${mirrorOne()}: 429 Too Many Requests after 3 tries`)
    expect(warning).toContain(`${unreachable()}: connection refused`)
    expect(warning).toContain(
      `The scan uses the DB in Trivy's cache folder instead, updated at ${updatedAt.toISOString()} (within db-max-age, 2d)`
    )
  })

  it('scans with that DB and judges the gate', () => {
    expect(run.exitCode).toBe(0)
    expect(run.outputs['scan-result']).toBe('passed')
    expect(totalFindings(run)).toBeGreaterThan(0)
  })
})

describe("every source failing, an earlier day's DB in the Actions cache", () => {
  // The cache service's v1 API as stand-in-actions-cache.ts models it (trivy-db-cache.test.ts).
  let service: StandInActionsCache
  let run: ActionRun
  let yesterdaysKey: string
  let updatedAt: Date

  beforeAll(async () => {
    service = await startStandInActionsCache()
    const compression = compressionHere()
    const workspace = alpineWorkspace()
    const cacheDir = mkdtempSync(path.join(os.tmpdir(), 'trivy-cache-'))
    const dbDir = path.join(cacheDir, 'db')
    const sources = [mirrorOne(), unreachable()]
    yesterdaysKey = dbCacheKey(
      { trivyVersion: '0.74.0', dbRepositories: sources },
      new Date(Date.now() - 86_400_000)
    )
    // What yesterday's run saved: the fixture DB made 30 hours ago, due for an update.
    updatedAt = new Date(Date.now() - 30 * 3600_000)
    cpSync(path.join(trivyCacheDir(updatedAt), 'db'), dbDir, { recursive: true })
    service.seed({
      key: yesterdaysKey,
      version: cacheVersion([dbDir], compression),
      archive: archiveOf(workspace, [dbDir], compression)
    })
    rmSync(dbDir, { recursive: true })
    run = await scanRun(
      cacheDir,
      { 'db-repository': sources.join(','), 'db-cache': 'true' },
      { workspace, env: service.env }
    )
  })

  afterAll(async () => {
    await service.close()
  })

  it('restores it, tries every source, then scans with it and warns', () => {
    expect(run.log).toContain(`The Trivy DB of an earlier day came from the Actions cache (${yesterdaysKey})`)
    expect(downloadRuns(run)).toEqual([mirrorOne(), mirrorOne(), mirrorOne(), unreachable()])
    const warning = run.log.split('\n').find((line) => line.startsWith('::warning::')) ?? ''
    expect(warning).toContain(`${mirrorOne()}: 429 Too Many Requests after 3 tries`)
    expect(warning).toContain(`${unreachable()}: connection refused`)
    expect(warning).toContain(`instead, updated at ${updatedAt.toISOString()} (within db-max-age, 2d)`)
    expect(run.exitCode).toBe(0)
    expect(run.outputs['scan-result']).toBe('passed')
    expect(totalFindings(run)).toBeGreaterThan(0)
  })

  it("saves nothing under today's key: the DB it fell back on is not today's", () => {
    expect(service.requests.map((r) => [r.kind, r.status])).toEqual([
      ['lookup', 200],
      ['download', 200]
    ])
    expect(service.entries().map((e) => e.key)).toEqual([yesterdaysKey])
  })
})

describe.each([
  ['no DB in the cache folder', undefined, '2d', /: there is none \(db-max-age: 2d\)/],
  [
    'a DB older than db-max-age (3 h, db-max-age 1h)',
    new Date(Date.now() - 3 * 3600_000),
    '1h',
    /: it was updated at \S+, more than 1h ago \(db-max-age: 1h\)/
  ]
])('every source failing, %s', (_what, updatedAt, maxAge, reason) => {
  let run: ActionRun

  beforeAll(async () => {
    run = await scanRun(trivyCacheDir(updatedAt), {
      'db-repository': `${unreachable()},${mirrorOne()}`,
      'db-max-age': maxAge
    })
  })

  it('fails the run naming each source and its answer, and scans nothing', () => {
    expect(run.exitCode).toBe(1)
    expect(run.outputs['scan-result']).not.toBe('passed')
    const error = run.log.split('\n').find((line) => line.startsWith('::error::')) ?? ''
    expect(error).toContain('The Trivy DB could not be downloaded from any source:')
    expect(error).toContain(`${unreachable()}: connection refused`)
    expect(error).toContain(`${mirrorOne()}: 429 Too Many Requests after 3 tries`)
    expect(error).toMatch(reason)
    expect(run.log).not.toMatch(/^\[command\]\S*trivy image --config /m)
  })
})

describe('db-max-age that is not a duration', () => {
  it('is refused up front, naming the input, before anything runs', async () => {
    const run = await scanRun(trivyCacheDir(), { 'db-repository': mirrorTwo(), 'db-max-age': '2 days' })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::.*db-max-age: "2 days" is not a duration such as 2d, 48h or 90m/)
    expect(downloadRuns(run)).toEqual([])
  })
})
