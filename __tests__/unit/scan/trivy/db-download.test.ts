import { mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  dbDownloadArgs,
  dbNeedsUpdate,
  fetchDb,
  TRIVY_DEFAULT_DB_REPOSITORIES,
  type DbDownloadResult,
  type FetchDbOptions
} from '../../../../src/scan/trivy/db-download.js'

const now = new Date('2026-12-06T12:00:00Z')
const hoursAgo = (h: number): string => new Date(now.getTime() - h * 3_600_000).toISOString()

/** A `db` folder under `cacheDir` with this metadata (and a trivy.db saying `content`). */
function writeDb(cacheDir: string, metadata: object, content = 'old db'): void {
  mkdirSync(path.join(cacheDir, 'db'), { recursive: true })
  writeFileSync(path.join(cacheDir, 'db', 'metadata.json'), JSON.stringify(metadata))
  writeFileSync(path.join(cacheDir, 'db', 'trivy.db'), content)
}

describe('dbNeedsUpdate (Trivy NeedsUpdate)', () => {
  const dir = (): string => mkdtempSync(path.join(os.tmpdir(), 'needs-update-'))

  it('wants a download without a readable metadata.json of schema 2', () => {
    const empty = dir()
    expect(dbNeedsUpdate(path.join(empty, 'db'), now)).toBe(true)
    const old = dir()
    writeDb(old, { Version: 1, NextUpdate: '2100-01-01T00:00:00Z' })
    expect(dbNeedsUpdate(path.join(old, 'db'), now)).toBe(true)
  })

  it('wants none while NextUpdate is ahead, or within the hour after a download', () => {
    const fresh = dir()
    writeDb(fresh, { Version: 2, NextUpdate: '2100-01-01T00:00:00Z', DownloadedAt: hoursAgo(48) })
    expect(dbNeedsUpdate(path.join(fresh, 'db'), now)).toBe(false)
    const justNow = dir()
    writeDb(justNow, { Version: 2, NextUpdate: hoursAgo(1), DownloadedAt: hoursAgo(0.5) })
    expect(dbNeedsUpdate(path.join(justNow, 'db'), now)).toBe(false)
    const due = dir()
    writeDb(due, { Version: 2, NextUpdate: hoursAgo(1), DownloadedAt: hoursAgo(2) })
    expect(dbNeedsUpdate(path.join(due, 'db'), now)).toBe(true)
  })
})

describe('dbDownloadArgs', () => {
  it('downloads one source into the given folder with the empty config', () => {
    const args = dbDownloadArgs('mirror.example/trivy-db:2', '/c', '/w/trivy.yaml')
    expect(args.slice(0, 2)).toEqual(['image', '--download-db-only'])
    const after = (flag: string): string | undefined => args[args.indexOf(flag) + 1]
    expect([after('--db-repository'), after('--cache-dir'), after('--config')]).toEqual([
      'mirror.example/trivy-db:2',
      '/c',
      '/w/trivy.yaml'
    ])
    expect(args).not.toContain('--insecure')
  })

  it("knows Trivy's default sources, mirror.gcr.io first", () => {
    expect(TRIVY_DEFAULT_DB_REPOSITORIES).toEqual([
      'mirror.gcr.io/aquasec/trivy-db:2',
      'ghcr.io/aquasecurity/trivy-db:2'
    ])
  })
})

type Answer = 'ok' | '429' | '503' | 'refused' | 'bad-db' | 'hang'

const OUTPUT: Record<Exclude<Answer, 'ok' | 'bad-db' | 'hang'>, string> = {
  '429': 'GET https://x/v2/trivy-db/manifests/2: TOOMANYREQUESTS: retry-after: 5s, allowed: 44000/minute',
  '503': 'GET https://x/v2/: unexpected status code 503 Service Unavailable: down',
  refused: 'dial tcp 127.0.0.1:1: connect: connection refused'
}

/** fetchDb with a fake Trivy answering per source, in turn, from `answers`; records what happened. */
async function fetchWith(
  answers: Record<string, Answer[]>,
  cacheDir: string,
  extra: Partial<FetchDbOptions> = {}
) {
  const calls: string[] = []
  const waits: number[] = []
  const infos: string[] = []
  const warnings: string[] = []
  const download = async (source: string, into: string): Promise<DbDownloadResult> => {
    calls.push(source)
    // Trivy starts by writing into the folder it was given, whatever then happens.
    mkdirSync(path.join(into, 'db'), { recursive: true })
    const answer = answers[source]?.shift() ?? 'refused'
    if (answer === 'ok' || answer === 'bad-db') {
      writeFileSync(
        path.join(into, 'db', 'metadata.json'),
        JSON.stringify({ Version: answer === 'ok' ? 2 : 3, UpdatedAt: hoursAgo(3) })
      )
      writeFileSync(path.join(into, 'db', 'trivy.db'), `db from ${source}`)
      return { exitCode: 0, output: '' }
    }
    writeFileSync(path.join(into, 'db', 'trivy.db'), 'half a download')
    if (answer === 'hang')
      return { exitCode: null, output: '', timedOut: 'no DB within registry-timeout (600 s)' }
    return { exitCode: 1, output: OUTPUT[answer] }
  }
  const run = fetchDb({
    sources: Object.keys(answers),
    cacheDir,
    maxAgeMs: 48 * 3_600_000,
    maxAgeText: '2d',
    download,
    sleep: async (ms) => void waits.push(ms),
    now: () => now,
    log: { info: (m) => void infos.push(m), warning: (m) => void warnings.push(m) },
    ...extra
  })
  return { run, calls, waits, infos, warnings }
}

const cacheDir = (): string => mkdtempSync(path.join(os.tmpdir(), 'fetch-db-'))

describe('fetchDb', () => {
  it('retries a rate-limited source as asked (capped), then takes the next one', async () => {
    const dir = cacheDir()
    const { run, calls, waits } = await fetchWith({ a: ['429', '429', '429'], b: ['ok'] }, dir)
    await expect(run).resolves.toMatchObject({ from: 'download', source: 'b' })
    expect(calls).toEqual(['a', 'a', 'a', 'b'])
    expect(waits).toEqual([5000, 5000])
    expect(readFileSync(path.join(dir, 'db', 'trivy.db'), 'utf8')).toBe('db from b')
    expect(readdirSync(dir)).toEqual(['db'])
  })

  it('backs off 1 s, 2 s on a server error that names no wait, and stops at the first success', async () => {
    const { run, calls, waits } = await fetchWith({ a: ['503', '503', 'ok'], b: ['ok'] }, cacheDir())
    await expect(run).resolves.toMatchObject({ from: 'download', source: 'a' })
    expect(calls).toEqual(['a', 'a', 'a'])
    expect(waits).toEqual([1000, 2000])
  })

  it('does not retry a source that cannot be reached, nor one that served a DB it cannot use', async () => {
    const dir = cacheDir()
    const { run, calls, waits } = await fetchWith({ a: ['refused'], b: ['bad-db'] }, dir)
    await expect(run).rejects.toThrow(
      'The Trivy DB could not be downloaded from any source:\n  a: connection refused\n  b: a DB that cannot be used: its schema is 3, not 2'
    )
    expect(calls).toEqual(['a', 'b'])
    expect(waits).toEqual([])
  })

  it('takes the next source after one stopped at the time limit, without trying it again', async () => {
    const { run, calls } = await fetchWith({ a: ['hang', 'ok'], b: ['ok'] }, cacheDir())
    await expect(run).resolves.toMatchObject({
      from: 'download',
      source: 'b',
      failures: [{ source: 'a', answer: 'no DB within registry-timeout (600 s)', tries: 1 }]
    })
    expect(calls).toEqual(['a', 'b'])
  })

  it('falls back on the DB in the cache folder, untouched by the failed downloads, with a warning', async () => {
    const dir = cacheDir()
    writeDb(dir, { Version: 2, UpdatedAt: hoursAgo(30) })
    const { run, warnings } = await fetchWith({ a: ['429', '429', '429'], b: ['refused'] }, dir)
    await expect(run).resolves.toMatchObject({ from: 'cache', updatedAt: hoursAgo(30) })
    expect(readFileSync(path.join(dir, 'db', 'trivy.db'), 'utf8')).toBe('old db')
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('  a: 429 Too Many Requests after 3 tries\n  b: connection refused\n')
    expect(warnings[0]).toContain(`updated at ${hoursAgo(30)} (within db-max-age, 2d)`)
    expect(readdirSync(dir)).toEqual(['db'])
  })

  it('fails, naming each source, the cache folder and why its DB is not used', async () => {
    const old = cacheDir()
    writeDb(old, { Version: 2, UpdatedAt: hoursAgo(49) })
    const { run } = await fetchWith({ a: ['refused'] }, old)
    await expect(run).rejects.toThrow(
      /a: connection refused\nNo DB to fall back on .*: it was updated at \S+, more than two days ago \(db-max-age: 2d\)/
    )
    const none = await fetchWith({ a: ['503', '503', '503'] }, cacheDir())
    await expect(none.run).rejects.toThrow(
      /a: 503 Service Unavailable after 3 tries\nNo DB to fall back on .*: there is none/
    )
  })
})
