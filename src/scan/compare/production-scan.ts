// The production image's findings, for the comparison: the image resolved to its digest (so what
// is scanned cannot move under the scan, and the cache is keyed by it), then Trivy's report taken
// from the cache or Trivy run on the registry's image with the same binary, DB and scanners as the
// candidate. Severities, ignore-unfixed and the ignore file are applied to both sides alike by the
// caller, so the cached report is Trivy's unfiltered one.
//
// The cache is a folder under the runner's tool cache (RUNNER_TOOL_CACHE, which a self-hosted
// runner keeps between runs; a hosted runner starts each job with an empty one), else its temp
// folder; where the runner has the Actions cache service (and db-cache is on), each report is also
// an entry there, under its key, so a hosted runner's next job finds it. A report that does not
// parse is scanned again. A cache that fails never fails the scan.
import { existsSync, mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { isLoopbackRegistry } from '../../lib/image-name.js'
import { runProgram } from '../../program/program.js'
import type { RegistryClients } from '../../registry/access.js'
import type { ScanInputs } from '../inputs.js'
import { findingsOf, type Finding } from '../trivy/findings.js'
import { parseTrivyReport, type TrivyReport } from '../trivy/report.js'
import { trivyArgs, type PrivateTrivyFiles } from '../trivy/scan-image.js'
import { productionCacheKey } from './cache-key.js'
import type { CompareTo } from './compare-to.js'

export interface ProductionScan {
  /** `name@sha256:…`: what was scanned. */
  reference: string
  digest: string
  findings: Finding[]
  /** True when the report came from the cache. */
  cached: boolean
}

export interface ProductionScanSetup {
  trivy: string
  /** Trivy's environment, without DOCKER_CONFIG (set here to the action's private one). */
  env: NodeJS.ProcessEnv
  /** The action's private Docker config, with the run's registry login. */
  dockerConfig: string
  /** Trivy's cache folder, where its DB is. */
  cacheDir: string
  files: PrivateTrivyFiles
  workDir: string
  inputs: Pick<ScanInputs, 'scanners' | 'dbRepositories' | 'skipDbUpdate'>
  /** The version of the Trivy that scanned the candidate. */
  trivyVersion: string
  registries: RegistryClients
  /** The folder the reports are cached in. */
  cacheRoot: string
  /** Keep each report in the Actions cache too (the runner has the service, db-cache is on). */
  actionsCache: boolean
}

/** Where production reports are cached: under the runner's tool cache, else its temp folder. */
export function productionCacheRoot(env: NodeJS.ProcessEnv, tempRoot: string): string {
  return env.RUNNER_TOOL_CACHE
    ? path.join(env.RUNNER_TOOL_CACHE, 'container-ship', 'production-scans')
    : path.join(tempRoot, 'container-ship-production-scans')
}

/** Resolves, then takes from the cache or scans. Throws when the image cannot be read or scanned. */
export async function scanProduction(
  target: Extract<CompareTo, { kind: 'image' }>,
  setup: ProductionScanSetup
): Promise<ProductionScan> {
  const digest = target.digest ?? (await resolveDigest(target, setup.registries))
  const reference = `${target.image.name}@${digest}`
  const key = productionCacheKey({
    digest,
    trivyVersion: setup.trivyVersion,
    dbUpdatedAt: dbUpdatedAt(setup.cacheDir),
    // Trivy picks the runner's platform from an index, and scans with the scanners asked for.
    rules: JSON.stringify({ scanners: setup.inputs.scanners, arch: process.arch })
  })
  const cacheFile = path.join(setup.cacheRoot, `${key}.json`)
  const entry = `container-ship-${key}`
  let cached = readCached(cacheFile)
  if (!cached && setup.actionsCache && (await restoreEntry(cacheFile, entry))) cached = readCached(cacheFile)
  if (cached) return { reference, digest, findings: findingsOf(cached), cached: true }

  const reportFile = path.join(setup.workDir, 'trivy-production.json')
  const args = trivyArgs(
    setup.inputs,
    {
      image: { remote: reference, insecure: isLoopbackRegistry(target.image.registry) },
      reportFile,
      cacheDir: setup.cacheDir,
      files: setup.files
    },
    // The candidate's scan has just fetched (or checked) the DB: the same DB judges both.
    { vulnerabilityDb: true }
  )
  await runProgram(setup.trivy, args, {
    env: { ...setup.env, DOCKER_CONFIG: setup.dockerConfig },
    cwd: setup.files.workDir
  })
  if (!existsSync(reportFile)) throw new Error(`Trivy exited without writing its report to ${reportFile}`)
  const text = readFileSync(reportFile, 'utf8')
  const report = parseTrivyReport(text)
  writeCached(cacheFile, text)
  if (setup.actionsCache) await saveEntry(cacheFile, entry)
  return { reference, digest, findings: findingsOf(report), cached: false }
}

/** The report from the Actions cache into `file`; false on a miss or a failure. */
async function restoreEntry(file: string, entry: string): Promise<boolean> {
  try {
    const cache = await import('@actions/cache')
    if (!cache.isFeatureAvailable()) return false
    mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
    return (await cache.restoreCache([file], entry)) === entry
  } catch (error) {
    core.info(`The production report was not restored from the Actions cache: ${(error as Error).message}`)
    return false
  }
}

async function saveEntry(file: string, entry: string): Promise<void> {
  try {
    const cache = await import('@actions/cache')
    if (cache.isFeatureAvailable()) await cache.saveCache([file], entry)
  } catch (error) {
    // Another job saved the same report first, or the service refused: the next run scans again.
    core.info(`The production report was not saved to the Actions cache: ${(error as Error).message}`)
  }
}

/** The digest a tag points at now (an index's, for an image of several platforms). */
async function resolveDigest(
  target: Extract<CompareTo, { kind: 'image' }>,
  registries: RegistryClients
): Promise<string> {
  const client = await registries(target.image.registry)
  const manifest = await client.getManifest(target.image.repository, target.tag ?? 'latest')
  return manifest.digest
}

/** The DB's UpdatedAt from its metadata, '' when there is none to read. */
function dbUpdatedAt(cacheDir: string): string {
  try {
    const metadata = JSON.parse(readFileSync(path.join(cacheDir, 'db', 'metadata.json'), 'utf8')) as {
      UpdatedAt?: unknown
    }
    return typeof metadata.UpdatedAt === 'string' ? metadata.UpdatedAt : ''
  } catch {
    return ''
  }
}

function readCached(file: string): TrivyReport | undefined {
  if (!existsSync(file)) return undefined
  try {
    return parseTrivyReport(readFileSync(file, 'utf8'))
  } catch {
    return undefined
  }
}

/** Written whole or not at all: a run reading at the same time sees the old file or the new. */
function writeCached(file: string, text: string): void {
  mkdirSync(path.dirname(file), { recursive: true, mode: 0o700 })
  const partial = `${file}.${process.pid}.partial`
  writeFileSync(partial, text, { mode: 0o600 })
  renameSync(partial, file)
}
