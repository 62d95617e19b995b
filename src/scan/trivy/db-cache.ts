// The Trivy vulnerability DB kept between runs in the GitHub Actions cache, one entry a day: the
// DB is rebuilt upstream every few hours, so a day-old copy is as good as the scan needs, and
// every later run of the day skips the download (and its rate limits). Without today's entry the
// latest earlier one is restored, as the DB to fall back on when no DB repository answers
// (db-download.ts, up to db-max-age old). Where the cache service
// is not there (a runner without it, a local run) nothing is said and Trivy downloads as usual.
//
// What the cache is trusted with: a restored DB is used without an update, so a DB with entries
// taken out would let vulnerable packages through. The entry is the repository's own (GitHub
// scopes caches to the repository, and a pull request's run reads its base branch's entries but
// writes only its own ref's); its key names the Trivy version and the DB repositories, so a DB
// saved by another Trivy or from another mirror is never used; and a restored DB must say what it
// is (its metadata readable, schema 2) and be at most db-max-age old (two days by default), else
// it is removed and downloaded afresh. The db-cache input turns the cache off.
//
// @actions/cache (with the Azure storage SDK) is most of the bundle's size: it is imported only
// when the runner has a cache service, so every other run starts without loading it.
import { createHash } from 'node:crypto'
import { readFileSync, rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'

type CacheModule = typeof import('@actions/cache')

/** The DB schema Trivy v0.x reads (trivy-db's SchemaVersion). */
const TRIVY_DB_SCHEMA = 2

/** How old a restored DB may be (its UpdatedAt) and still be used without an update. */
export const MAX_RESTORED_DB_AGE_MS = 2 * 24 * 60 * 60 * 1000

/** The runner names a cache service (v1 or v2 API), as @actions/cache's isFeatureAvailable checks. */
export function hasCacheService(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.ACTIONS_CACHE_URL || env.ACTIONS_RESULTS_URL)
}

async function loadCache(): Promise<CacheModule> {
  return import('@actions/cache')
}

export interface DbCache {
  /** The folder cached: Trivy's `db` folder in its cache directory. */
  dbDir: string
  key: string
  /** True when today's DB came from the cache and passed the checks: the scan skips the DB update. */
  restored: boolean
}

/** What the DB depends on besides the day: the Trivy that reads it and where it comes from. */
export interface DbSource {
  trivyVersion: string
  /** The db-repository input; empty for Trivy's default. */
  dbRepositories: string[]
}

/** Trivy's cache folder as Trivy finds it: TRIVY_CACHE_DIR, else ~/.cache/trivy. */
export function trivyCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRIVY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'trivy')
}

/**
 * `container-ship-trivy-db-v2-linux-trivy0.74.0-<12 hex of the repositories>-2026-11-25`: one
 * entry a day per runner OS, DB schema, Trivy version and DB repositories.
 */
export function dbCacheKey(source: DbSource, now: Date, platform: string = process.platform): string {
  return `${dbCacheKeyPrefix(source, platform)}${now.toISOString().slice(0, 10)}`
}

/** The key without its day: what an entry of an earlier day is looked up by. */
export function dbCacheKeyPrefix(source: DbSource, platform: string = process.platform): string {
  const repositories = source.dbRepositories.length > 0 ? source.dbRepositories.join(',') : 'default'
  const sourceId = createHash('sha256').update(repositories).digest('hex').slice(0, 12)
  return `container-ship-trivy-db-v${TRIVY_DB_SCHEMA}-${platform}-trivy${source.trivyVersion}-${sourceId}-`
}

/**
 * Why a restored DB folder may not be used as it is, or undefined when it may: its metadata.json
 * must be readable, of schema 2, and updated at most `maxAgeMs` (MAX_RESTORED_DB_AGE_MS unless
 * the caller follows db-max-age) before `now`.
 */
export function restoredDbProblem(
  dbDir: string,
  now: Date,
  maxAgeMs: number = MAX_RESTORED_DB_AGE_MS
): string | undefined {
  let metadata: { Version?: unknown; UpdatedAt?: unknown }
  try {
    metadata = JSON.parse(readFileSync(path.join(dbDir, 'metadata.json'), 'utf8')) as typeof metadata
  } catch (error) {
    return `its metadata.json cannot be read (${(error as Error).message})`
  }
  if (metadata?.Version !== TRIVY_DB_SCHEMA)
    return `its schema is ${String(metadata?.Version)}, not ${TRIVY_DB_SCHEMA}`
  const updated = typeof metadata.UpdatedAt === 'string' ? Date.parse(metadata.UpdatedAt) : NaN
  if (Number.isNaN(updated)) return 'its metadata.json has no UpdatedAt time'
  if (now.getTime() - updated > maxAgeMs) {
    const limit = maxAgeMs === MAX_RESTORED_DB_AGE_MS ? 'two days' : `${Math.round(maxAgeMs / 3_600_000)}h`
    return `it was updated at ${metadata.UpdatedAt as string}, more than ${limit} ago`
  }
  if (updated - now.getTime() > MAX_RESTORED_DB_AGE_MS) {
    return `it says it was updated at ${metadata.UpdatedAt as string}, in the future`
  }
  return undefined
}

/**
 * Restores today's DB when the cache service exists; undefined when it does not, or when
 * `sourceOf` (asked only then: it runs Trivy) cannot say what the DB depends on.
 */
export async function restoreDb(
  sourceOf: () => Promise<DbSource | undefined>,
  env: NodeJS.ProcessEnv = process.env,
  now = new Date(),
  maxAgeMs: number = MAX_RESTORED_DB_AGE_MS
): Promise<DbCache | undefined> {
  if (!hasCacheService(env)) {
    core.debug('The Actions cache service is not available: the Trivy DB is not cached')
    return undefined
  }
  const source = await sourceOf()
  if (!source) return undefined
  const dbDir = path.join(trivyCacheDir(env), 'db')
  const key = dbCacheKey(source, now)
  try {
    const cache = await loadCache()
    if (!cache.isFeatureAvailable()) return undefined
    // Today's entry, else the latest of an earlier day: that one is only a DB to fall back on
    // when no db-repository source gives one (db-download.ts).
    const hit = await cache.restoreCache([dbDir], key, [dbCacheKeyPrefix(source)])
    if (hit === undefined) return { dbDir, key, restored: false }
    const problem = restoredDbProblem(dbDir, now, maxAgeMs)
    if (problem) {
      // Whatever was restored goes: Trivy downloads a DB of its own into an empty folder.
      rmSync(dbDir, { recursive: true, force: true })
      if (hit === key)
        core.warning(
          `The Trivy DB restored from the Actions cache (${key}) is not used: ${problem}. Trivy downloads it afresh.`
        )
      else core.info(`The Trivy DB of an earlier day in the Actions cache (${hit}) is not kept: ${problem}`)
      return { dbDir, key, restored: false }
    }
    if (hit !== key) {
      core.info(
        `The Trivy DB of an earlier day came from the Actions cache (${hit}): it is updated as Trivy would, and used as it is only if no DB repository gives one`
      )
      return { dbDir, key, restored: false }
    }
    core.info(`The Trivy DB of today came from the Actions cache (${hit})`)
    return { dbDir, key, restored: true }
  } catch (error) {
    core.warning(`Could not restore the Trivy DB from the Actions cache: ${(error as Error).message}`)
    return { dbDir, key, restored: false }
  }
}

/** Saves the DB the scan downloaded, once a day; a cache that fails never fails the scan. */
export async function saveDb(db: DbCache | undefined): Promise<void> {
  if (!db || db.restored) return
  try {
    const cache = await loadCache()
    await cache.saveCache([db.dbDir], db.key)
  } catch (error) {
    // Another job of the same day saved it first, or the service refused: the next run downloads.
    core.info(`The Trivy DB was not saved to the Actions cache: ${(error as Error).message}`)
  }
}
