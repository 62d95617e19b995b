// The Trivy vulnerability DB kept between runs in the GitHub Actions cache, one entry a day: the
// DB is rebuilt upstream every few hours, so a day-old copy is as good as the scan needs, and
// every later run of the day skips the download (and its rate limits). Where the cache service
// is not there (a runner without it, a local run) nothing is said and Trivy downloads as usual.
//
// @actions/cache (with the Azure storage SDK) is most of the bundle's size: it is imported only
// when the runner has a cache service, so every other run starts without loading it.
import os from 'node:os'
import path from 'node:path'
import * as core from '@actions/core'

type CacheModule = typeof import('@actions/cache')

/** The DB schema Trivy v0.x reads (trivy-db's SchemaVersion). */
const TRIVY_DB_SCHEMA = 2

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
  /** True when today's DB came from the cache: the scan then skips the DB update. */
  restored: boolean
}

/** Trivy's cache folder as Trivy finds it: TRIVY_CACHE_DIR, else ~/.cache/trivy. */
export function trivyCacheDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.TRIVY_CACHE_DIR || path.join(env.XDG_CACHE_HOME || path.join(os.homedir(), '.cache'), 'trivy')
}

/**
 * `container-ship-trivy-db-v2-linux-2026-11-25`: one entry a day per runner OS and DB schema
 * (Trivy refuses a DB of another schema, and a restored DB is used without an update).
 */
export function dbCacheKey(now: Date, platform: string = process.platform): string {
  return `${dbCacheKeyPrefix(platform)}${now.toISOString().slice(0, 10)}`
}

function dbCacheKeyPrefix(platform: string): string {
  return `container-ship-trivy-db-v${TRIVY_DB_SCHEMA}-${platform}-`
}

/** Restores today's DB when the cache service exists; undefined when it does not. */
export async function restoreDb(
  env: NodeJS.ProcessEnv = process.env,
  now = new Date()
): Promise<DbCache | undefined> {
  if (!hasCacheService(env)) {
    core.debug('The Actions cache service is not available: the Trivy DB is not cached')
    return undefined
  }
  const dbDir = path.join(trivyCacheDir(env), 'db')
  const key = dbCacheKey(now)
  try {
    const cache = await loadCache()
    if (!cache.isFeatureAvailable()) return undefined
    const hit = await cache.restoreCache([dbDir], key)
    if (hit) core.info(`The Trivy DB of today came from the Actions cache (${hit})`)
    return { dbDir, key, restored: hit === key }
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
