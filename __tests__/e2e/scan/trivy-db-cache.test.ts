// The Trivy DB kept in the Actions cache (src/scan/trivy/db-cache.ts), with the bundled action, the real
// Trivy and @actions/cache talking to a stand-in of the cache service (stand-in-actions-cache.ts,
// the v1 API the library uses when ACTIONS_CACHE_SERVICE_V2 is not set). The DB cannot be
// downloaded here, so `db-repository` names a loopback tripwire: a Trivy that tries to update its
// DB connects to it and fails the scan, and a run that passes with no connection there proves
// Trivy used the DB it found.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { dbCacheKey } from '../../../src/scan/trivy/db-cache.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { uniqueRepository } from '../../support/registry-helpers.js'
import {
  archiveOf,
  cacheVersion,
  compressionHere,
  extractArchive,
  listArchive,
  startStandInActionsCache,
  type Compression,
  type StandInActionsCache
} from '../../support/stand-in-actions-cache.js'

jest.setTimeout(300_000)

let tb: Testbed
let compression: Compression
let tripwire: net.Server
let tripwireConnections = 0
let tripwireRepository: string

/**
 * Today's key as the action names it: UTC day, process.platform, the test bed's Trivy 0.74.0 and
 * the db-repository of these runs (dbCacheKey's own cases are in the unit tests).
 */
const todaysKey = (): string =>
  dbCacheKey({ trivyVersion: '0.74.0', dbRepositories: [tripwireRepository] }, new Date())

beforeAll(async () => {
  tb = testbed()
  compression = compressionHere()
  tripwire = net.createServer((socket) => {
    tripwireConnections++
    socket.destroy()
  })
  await new Promise<void>((resolve) => tripwire.listen(0, '127.0.0.1', resolve))
  tripwireRepository = `127.0.0.1:${(tripwire.address() as net.AddressInfo).port}/aquasecurity/trivy-db`
})

afterAll(async () => {
  await new Promise<void>((resolve) => tripwire.close(() => resolve()))
})

/** A fresh TRIVY_CACHE_DIR; with `db`, a copy of the test bed's offline DB in it. */
function trivyCacheDir(db?: DbTimes): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trivy-cache-'))
  if (db) copyDb(path.join(dir, 'db'), db)
  return dir
}

/**
 * When the DB says it is due for an update (NextUpdate, what Trivy reads) and when it was made
 * (UpdatedAt, what the action checks of a restored DB); an hour ago unless given, whenever the
 * test bed made it.
 */
interface DbTimes {
  nextUpdate?: string
  updatedAt?: string
}

function copyDb(target: string, times: DbTimes = {}): void {
  mkdirSync(path.dirname(target), { recursive: true })
  cpSync(path.join(tb.trivyCache, 'db'), target, { recursive: true })
  const metadata = JSON.parse(readFileSync(path.join(target, 'metadata.json'), 'utf8')) as Record<
    string,
    unknown
  >
  const updatedAt = times.updatedAt ?? new Date(Date.now() - 3600_000).toISOString()
  writeFileSync(
    path.join(target, 'metadata.json'),
    JSON.stringify({
      ...metadata,
      ...(times.nextUpdate ? { NextUpdate: times.nextUpdate } : {}),
      UpdatedAt: updatedAt,
      DownloadedAt: updatedAt
    })
  )
}

/** build,scan of a busybox image, Trivy from the test bed, skip-db-update left false. */
function scanRun(
  workspace: string,
  cacheDir: string,
  env: Record<string, string>,
  inputs: Record<string, string> = {}
): Promise<ActionRun> {
  const setup = scanSetup(tb)
  return runAction({
    inputs: {
      image: uniqueRepository(tb, 'db-cache').image,
      steps: 'build,scan',
      'severity-threshold': 'none',
      'db-repository': tripwireRepository,
      ...inputs
    },
    event: eventEnv('tag-push'),
    workspace,
    env: { PATH: setup.env.PATH as string, TRIVY_CACHE_DIR: cacheDir, ...env }
  })
}

/** The Trivy command line the action printed. */
function trivyCommand(run: ActionRun): string {
  return run.log.split('\n').find((line) => /^\[command\]\S*trivy image /.test(line)) ?? ''
}

const busybox = (): Record<string, string> => ({ Dockerfile: `FROM ${tb.baseImage}\n` })

describe("today's DB in the cache, an empty Trivy cache folder", () => {
  let service: StandInActionsCache
  let cacheDir: string
  let dbDir: string
  let result: ActionRun
  let connectionsBefore: number

  beforeAll(async () => {
    service = await startStandInActionsCache()
    const workspace = workspaceWith(busybox())
    cacheDir = trivyCacheDir()
    dbDir = path.join(cacheDir, 'db')
    // What an earlier run of the day saved: the offline DB, made an hour ago but due for an
    // update (NextUpdate in the past), so that a Trivy run without --skip-db-update would go to
    // the tripwire.
    copyDb(dbDir, { nextUpdate: '2000-01-01T00:00:00Z' })
    service.seed({
      key: todaysKey(),
      version: cacheVersion([dbDir], compression),
      archive: archiveOf(workspace, [dbDir], compression)
    })
    rmSync(dbDir, { recursive: true })
    connectionsBefore = tripwireConnections
    result = await scanRun(workspace, cacheDir, service.env)
  })

  afterAll(async () => {
    await service.close()
  })

  it('restores the DB from the cache and says so', () => {
    expect(result.log).toContain(`The Trivy DB of today came from the Actions cache (${todaysKey()})`)
    expect(result.log).toContain('Cache restored successfully')
    expect(readFileSync(path.join(dbDir, 'trivy.db'))).toEqual(
      readFileSync(path.join(tb.trivyCache, 'db', 'trivy.db'))
    )
    expect(JSON.parse(readFileSync(path.join(dbDir, 'metadata.json'), 'utf8'))).toMatchObject({
      NextUpdate: '2000-01-01T00:00:00Z'
    })
  })

  it('scans with --skip-db-update: the stale DB is used, Trivy never tries to download', () => {
    expect(result.log).not.toMatch(/::(error|warning)/)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(tripwireConnections).toBe(connectionsBefore)
    expect(trivyCommand(result)).toContain(' --skip-db-update ')
    expect(trivyCommand(result)).not.toContain('--skip-java-db-update')
  })

  it("looks up today's key with the bearer token, downloads the archive, and saves nothing", () => {
    expect(service.requests.map((r) => [r.kind, r.method, r.authorization, r.status])).toEqual([
      ['lookup', 'GET', 'bearer', 200],
      ['download', 'GET', 'none', 200]
    ])
    const lookup = new URL(service.requests[0]?.path ?? '', service.url)
    expect(lookup.pathname).toBe('/_apis/artifactcache/cache')
    // Today's key, then the prefix an entry of an earlier day is found by (trivy-db-mirrors.test.ts).
    expect(lookup.searchParams.get('keys')).toBe(
      `${todaysKey()},${todaysKey().slice(0, -'2026-11-25'.length)}`
    )
    expect(lookup.searchParams.get('version')).toBe(cacheVersion([dbDir], compression))
    expect(service.entries()).toHaveLength(1)
  })
})

describe('no entry in the cache, a fresh DB already in the Trivy cache folder', () => {
  let service: StandInActionsCache
  let workspace: string
  let cacheDir: string
  let dbDir: string
  let first: ActionRun
  let second: ActionRun
  let connectionsBefore: number

  beforeAll(async () => {
    service = await startStandInActionsCache()
    workspace = workspaceWith(busybox())
    // The fixture DB says NextUpdate 2100: Trivy finds it fresh and downloads nothing.
    cacheDir = trivyCacheDir({})
    dbDir = path.join(cacheDir, 'db')
    connectionsBefore = tripwireConnections
    first = await scanRun(workspace, cacheDir, service.env)
  })

  afterAll(async () => {
    await service.close()
  })

  it('misses, scans with the DB it has (no download), and passes', () => {
    expect(first.log).not.toMatch(/::(error|warning)/)
    expect(first.exitCode).toBe(0)
    expect(first.outputs['scan-result']).toBe('passed')
    expect(first.log).not.toContain('came from the Actions cache')
    expect(trivyCommand(first)).not.toContain('--skip-db-update')
    expect(tripwireConnections).toBe(connectionsBefore)
  })

  it("saves the db folder under today's key: lookup 204, reserve, upload, commit", () => {
    expect(first.log).toContain('Cache saved successfully')
    const requests = service.requests
    expect(requests.map((r) => r.kind)).toEqual(['lookup', 'reserve', 'upload', 'commit'])
    expect(requests.map((r) => r.status)).toEqual([204, 201, 204, 204])
    expect(requests.every((r) => r.authorization === 'bearer')).toBe(true)
    const version = cacheVersion([dbDir], compression)
    expect(requests[1]?.body).toMatchObject({ key: todaysKey(), version })
    const entries = service.entries()
    expect(entries.map((e) => [e.key, e.version])).toEqual([[todaysKey(), version]])
    const size = entries[0]?.archive.length ?? 0
    expect(requests[2]?.contentRange).toBe(`bytes 0-${size - 1}/*`)
    expect(requests[3]?.body).toEqual({ size })
  })

  it("holds the DB's files, stored relative to the workspace as the library does", () => {
    const archive = service.entries()[0]?.archive ?? Buffer.alloc(0)
    const rel = path.relative(workspace, dbDir)
    expect(listArchive(archive, compression).sort()).toEqual(
      expect.arrayContaining([`${rel}/`, `${rel}/metadata.json`, `${rel}/trivy.db`])
    )
    const elsewhere = mkdtempSync(path.join(os.tmpdir(), 'unpack-'))
    const fakeWorkspace = path.join(elsewhere, 'ws')
    mkdirSync(fakeWorkspace)
    extractArchive(archive, fakeWorkspace, compression)
    expect(readFileSync(path.join(fakeWorkspace, rel, 'trivy.db'))).toEqual(
      readFileSync(path.join(tb.trivyCache, 'db', 'trivy.db'))
    )
  })

  describe('the next run of the day, with the folder emptied', () => {
    beforeAll(async () => {
      rmSync(dbDir, { recursive: true })
      service.requests.length = 0
      second = await scanRun(workspace, cacheDir, service.env)
    })

    it('restores what the first run saved and scans without downloading', () => {
      expect(second.log).toContain(`The Trivy DB of today came from the Actions cache (${todaysKey()})`)
      expect(second.log).not.toMatch(/::(error|warning)/)
      expect(second.exitCode).toBe(0)
      expect(trivyCommand(second)).toContain(' --skip-db-update ')
      expect(service.requests.map((r) => [r.kind, r.status])).toEqual([
        ['lookup', 200],
        ['download', 200]
      ])
      expect(tripwireConnections).toBe(connectionsBefore)
    })
  })
})

/** Today's entry in a fresh stand-in service, holding the DB `prepare` left in `dbDir`; the folder emptied. */
function seedTodaysEntry(
  service: StandInActionsCache,
  workspace: string,
  dbDir: string,
  prepare: () => void
): void {
  prepare()
  service.seed({
    key: todaysKey(),
    version: cacheVersion([dbDir], compression),
    archive: archiveOf(workspace, [dbDir], compression)
  })
  rmSync(dbDir, { recursive: true })
}

describe.each([
  [
    'made three days ago (and saying it needs no update before 2100)',
    (dbDir: string) =>
      copyDb(dbDir, {
        nextUpdate: '2100-01-01T00:00:00Z',
        updatedAt: new Date(Date.now() - 3 * 24 * 3600_000).toISOString()
      }),
    /it was updated at \S+, more than two days ago/
  ],
  [
    'whose metadata cannot be read',
    (dbDir: string) => {
      copyDb(dbDir)
      writeFileSync(path.join(dbDir, 'metadata.json'), '{"Version": 2, "UpdatedAt": ')
    },
    /its metadata\.json cannot be read/
  ]
])("today's entry holds a DB %s", (_what, prepare, reason) => {
  let service: StandInActionsCache
  let dbDir: string
  let result: ActionRun
  let connectionsBefore: number

  beforeAll(async () => {
    service = await startStandInActionsCache()
    const workspace = workspaceWith(busybox())
    const cacheDir = trivyCacheDir()
    dbDir = path.join(cacheDir, 'db')
    seedTodaysEntry(service, workspace, dbDir, () => prepare(dbDir))
    connectionsBefore = tripwireConnections
    result = await scanRun(workspace, cacheDir, service.env)
  })

  afterAll(async () => {
    await service.close()
  })

  it('is restored, refused with the reason, and removed: Trivy downloads afresh instead of using it', () => {
    expect(service.requests.map((r) => r.kind).slice(0, 2)).toEqual(['lookup', 'download'])
    expect(result.log).toMatch(
      new RegExp(
        `::warning::The Trivy DB restored from the Actions cache \\(${todaysKey()}\\) is not used: ${reason.source}`
      )
    )
    expect(result.log).not.toContain('came from the Actions cache')
    expect(trivyCommand(result)).not.toContain('--skip-db-update')
    // Here the download can only reach the tripwire: the scan fails closed, nothing passes.
    expect(tripwireConnections).toBeGreaterThan(connectionsBefore)
    expect(result.exitCode).toBe(1)
    expect(result.outputs['scan-result']).not.toBe('passed')
  })
})

describe('db-cache: false', () => {
  let service: StandInActionsCache
  let result: ActionRun

  beforeAll(async () => {
    service = await startStandInActionsCache()
    const workspace = workspaceWith(busybox())
    const cacheDir = trivyCacheDir({})
    result = await scanRun(workspace, cacheDir, service.env, { 'db-cache': 'false' })
  })

  afterAll(async () => {
    await service.close()
  })

  it('asks the cache service nothing, and scans with the DB Trivy has', () => {
    expect(service.requests).toEqual([])
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(result.log).not.toMatch(/Actions cache/)
  })
})

describe('no ACTIONS_CACHE_URL (a runner without the cache service, a local run)', () => {
  let service: StandInActionsCache
  let result: ActionRun

  beforeAll(async () => {
    service = await startStandInActionsCache()
    // The runtime token alone does not name a service.
    result = await scanRun(workspaceWith(busybox()), trivyCacheDir({}), {
      ACTIONS_RUNTIME_TOKEN: service.token
    })
  })

  afterAll(async () => {
    await service.close()
  })

  it('scans as usual, says nothing about the cache, and sends it nothing', () => {
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(result.log).not.toMatch(/::(error|warning)/)
    // Only a debug line (hidden unless the run is debugged) says why nothing is cached.
    const shown = result.log
      .split('\n')
      .filter((line) => !line.startsWith('::debug::'))
      .join('\n')
    expect(shown).not.toMatch(/Actions cache|Cache (restored|saved|Size)|Failed to (restore|save)/)
    expect(result.log).toContain(
      '::debug::The Actions cache service is not available: the Trivy DB is not cached'
    )
    expect(trivyCommand(result)).not.toContain('--skip-db-update')
    expect(service.requests).toEqual([])
  })
})

describe('the tripwire itself: a stale DB, no cache service, no skip-db-update', () => {
  let result: ActionRun
  let connectionsBefore: number

  beforeAll(async () => {
    const cacheDir = trivyCacheDir({ nextUpdate: '2000-01-01T00:00:00Z' })
    connectionsBefore = tripwireConnections
    // The DB (made an hour ago) is older than db-max-age, so the scan may not fall back on it
    // when the download fails (trivy-db-mirrors.test.ts): it fails instead.
    result = await scanRun(workspaceWith(busybox()), cacheDir, {}, { 'db-max-age': '30m' })
  })

  it('Trivy goes to db-repository to update, and the scan fails: the checks above are not vacuous', () => {
    expect(tripwireConnections).toBeGreaterThan(connectionsBefore)
    expect(result.exitCode).toBe(1)
    expect(result.outputs['scan-result']).not.toBe('passed')
    expect(result.log).toMatch(/::error::/)
  })
})
