// The Trivy vulnerability DB fetched source by source. Trivy downloads it, one
// `trivy image --download-db-only --db-repository <source>` at a time, so its registry client,
// credentials and proxy settings are the ones the scan would use; the action adds the policy
// around it (db-retry.ts): a rate-limited or failing source is tried again after a wait, then the
// next one, and when none answers, the DB already in Trivy's cache folder (restored from the
// Actions cache, or kept by a self-hosted runner) is used if it is at most db-max-age old.
//
// Each download goes to a folder of its own and replaces the DB only once complete: Trivy may
// empty or overwrite its DB folder on the way, and the DB there is the one to fall back on.
import { mkdirSync, mkdtempSync, readFileSync, renameSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { ProgramTimeoutError, runProgram, type ProgramTimeout } from '../../program/program.js'
import { restoredDbProblem } from './db-cache.js'
import {
  classifyDbFailure,
  DEFAULT_BACKOFF,
  describeSourceFailures,
  retryDelayMs,
  type BackoffPolicy,
  type SourceFailure
} from './db-retry.js'

/** Where Trivy v0.74.0 takes its DB from when --db-repository is not given, in its order. */
export const TRIVY_DEFAULT_DB_REPOSITORIES = [
  'mirror.gcr.io/aquasec/trivy-db:2',
  'ghcr.io/aquasecurity/trivy-db:2'
]

/**
 * Whether Trivy would download its DB before a scan (pkg/db NeedsUpdate): unless the DB's
 * metadata is readable, of schema 2, and either not due (NextUpdate ahead) or downloaded within
 * the hour.
 */
export function dbNeedsUpdate(dbDir: string, now: Date): boolean {
  let metadata: { Version?: unknown; NextUpdate?: unknown; DownloadedAt?: unknown }
  try {
    metadata = JSON.parse(readFileSync(path.join(dbDir, 'metadata.json'), 'utf8')) as typeof metadata
  } catch {
    return true
  }
  if (metadata?.Version !== 2) return true
  const time = (value: unknown): number => (typeof value === 'string' ? Date.parse(value) : NaN)
  const nextUpdate = time(metadata.NextUpdate)
  const downloadedAt = time(metadata.DownloadedAt)
  if (now.getTime() < nextUpdate) return false
  return !(now.getTime() < downloadedAt + 3_600_000)
}

/** Trivy's arguments for downloading the DB of one source into `cacheDir`, reading no config of the workspace. */
export function dbDownloadArgs(source: string, cacheDir: string, config: string): string[] {
  return [
    'image',
    '--download-db-only',
    '--db-repository',
    source,
    '--cache-dir',
    cacheDir,
    '--config',
    config,
    '--skip-version-check',
    '--disable-telemetry',
    '--no-progress'
  ]
}

export interface DbDownloadResult {
  exitCode: number | null
  /** What Trivy printed (stderr, then stdout); untrusted. */
  output: string
  /** Stopped at the time limit: a registry that took the connection and did not answer. */
  timedOut?: string
}

export interface FetchDbOptions {
  /** db-repository, in order (TRIVY_DEFAULT_DB_REPOSITORIES when the input is empty). */
  sources: string[]
  /** Trivy's cache folder; its `db` folder is replaced by a complete download, or kept. */
  cacheDir: string
  /** db-max-age: the oldest DB in the cache folder used when no source answers. */
  maxAgeMs: number
  /** db-max-age as the workflow wrote it, for the messages. */
  maxAgeText: string
  /** Runs Trivy's download of `source` into `cacheDir` (a fresh folder). */
  download: (source: string, cacheDir: string) => Promise<DbDownloadResult>
  sleep?: (ms: number) => Promise<void>
  now?: () => Date
  policy?: BackoffPolicy
  log: { info: (message: string) => void; warning: (message: string) => void }
}

export type FetchedDb =
  | { from: 'download'; source: string; failures: SourceFailure[] }
  | { from: 'cache'; updatedAt: string; failures: SourceFailure[] }

/** What to do when no source gives a DB and the cache has none recent enough. */
export const DB_UNREACHABLE_FIX =
  'Set db-repository to a mirror the runner can reach (several, comma separated, are tried in order; e.g. ghcr.io/aquasecurity/trivy-db:2,mirror.gcr.io/aquasec/trivy-db:2), keep db-cache: true so a DB within db-max-age can be used when none answers, or raise db-max-age.'

const wait = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Downloads the DB from the first source that gives one, or falls back on the cache folder's;
 * throws naming each source and its answer when neither is possible.
 */
export async function fetchDb(options: FetchDbOptions): Promise<FetchedDb> {
  const { sources, cacheDir, log } = options
  const sleep = options.sleep ?? wait
  const now = options.now ?? (() => new Date())
  const policy = options.policy ?? DEFAULT_BACKOFF
  const dbDir = path.join(cacheDir, 'db')
  const failures: SourceFailure[] = []
  mkdirSync(cacheDir, { recursive: true })
  for (const source of sources) {
    for (let attempt = 1; ; attempt++) {
      // Beside the DB folder, so that the finished download replaces it by a rename.
      const staging = mkdtempSync(path.join(cacheDir, '.container-ship-db-'))
      try {
        const result = await options.download(source, staging)
        if (result.exitCode === 0) {
          const problem = restoredDbProblem(path.join(staging, 'db'), now(), Number.POSITIVE_INFINITY)
          if (!problem) {
            rmSync(dbDir, { recursive: true, force: true })
            renameSync(path.join(staging, 'db'), dbDir)
            log.info(`The Trivy DB was downloaded from ${source}`)
            return { from: 'download', source, failures }
          }
          failures.push({ source, answer: `a DB that cannot be used: ${problem}`, tries: attempt })
          break
        }
        const verdict = result.timedOut
          ? { then: 'next' as const, answer: result.timedOut }
          : classifyDbFailure(result.exitCode, result.output)
        if (verdict.then === 'next' || attempt >= policy.tries) {
          failures.push({ source, answer: verdict.answer, tries: attempt })
          break
        }
        const delay = retryDelayMs(attempt + 1, verdict.retryAfterMs, policy)
        log.info(
          `${source} answered ${verdict.answer}: trying it again in ${Math.ceil(delay / 1000)} s (try ${attempt + 1} of ${policy.tries})`
        )
        await sleep(delay)
      } finally {
        rmSync(staging, { recursive: true, force: true })
      }
    }
    const last = failures[failures.length - 1]
    if (last && source !== sources[sources.length - 1])
      log.info(`${source}: ${last.answer}; trying the next DB repository`)
  }

  const failed = describeSourceFailures(failures)
  const problem = existsDb(dbDir) ? restoredDbProblem(dbDir, now(), options.maxAgeMs) : 'there is none'
  if (problem) {
    throw new Error(
      `${failed}\nNo DB to fall back on in Trivy's cache folder (${dbDir}): ${problem} (db-max-age: ${options.maxAgeText}). Nothing is scanned without a DB. ${DB_UNREACHABLE_FIX}`
    )
  }
  const updatedAt = updatedAtOf(dbDir)
  log.warning(
    `${failed}\nThe scan uses the DB in Trivy's cache folder instead, updated at ${updatedAt} (within db-max-age, ${options.maxAgeText}): advisories published since then are not known to it.`
  )
  return { from: 'cache', updatedAt, failures }
}

function existsDb(dbDir: string): boolean {
  try {
    readFileSync(path.join(dbDir, 'metadata.json'))
    return true
  } catch {
    return false
  }
}

function updatedAtOf(dbDir: string): string {
  const metadata = JSON.parse(readFileSync(path.join(dbDir, 'metadata.json'), 'utf8')) as {
    UpdatedAt?: string
  }
  return metadata.UpdatedAt ?? 'an unknown time'
}

export interface DueDownload {
  trivy: string
  env: NodeJS.ProcessEnv
  /** Trivy's cache folder. */
  cacheDir: string
  /** The private folder and empty config Trivy runs with (scan-image.ts). */
  workDir: string
  config: string
  dbRepositories: string[]
  maxAge: { ms: number; text: string }
  /**
   * The limit on one try (registry-timeout): Trivy 0.74.0 waits on a registry that takes the
   * connection and never answers past its own --timeout, and ignores SIGTERM then (seen here).
   */
  timeout: ProgramTimeout
}

/**
 * Fetches the DB where Trivy would otherwise download it during the scan (dbNeedsUpdate); undefined
 * when the DB in the cache folder is current, and the scan runs as it always did.
 */
export async function downloadDbIfDue(due: DueDownload, now = new Date()): Promise<FetchedDb | undefined> {
  if (!dbNeedsUpdate(path.join(due.cacheDir, 'db'), now)) return undefined
  return fetchDb({
    sources: due.dbRepositories.length > 0 ? due.dbRepositories : TRIVY_DEFAULT_DB_REPOSITORIES,
    cacheDir: due.cacheDir,
    maxAgeMs: due.maxAge.ms,
    maxAgeText: due.maxAge.text,
    download: async (source, cacheDir) => {
      try {
        const result = await runProgram(due.trivy, dbDownloadArgs(source, cacheDir, due.config), {
          env: due.env,
          cwd: due.workDir,
          allowFailure: true,
          timeout: due.timeout
        })
        return { exitCode: result.exitCode, output: `${result.stderr}\n${result.stdout}` }
      } catch (error) {
        if (!(error instanceof ProgramTimeoutError)) throw error
        return {
          exitCode: null,
          output: '',
          timedOut: `no DB within ${due.timeout.input} (${due.timeout.ms / 1000} s)`
        }
      }
    },
    log: { info: (message) => core.info(message), warning: (message) => core.warning(message) }
  })
}
