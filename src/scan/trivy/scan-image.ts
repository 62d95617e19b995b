// Running Trivy once on the built image: everything it finds, as JSON, to a file. Trivy filters
// before it writes (FACTS: scan -> filter -> report -> exit code), so the action asks for
// everything and applies severities, ignores and the gate itself: what is reported and what
// fails the run stay independent.
//
// Trivy reads only what the action gives it. On its own it would also read, and let filter its
// findings: `trivy.yaml` (--config) and `trivy-secret.yaml` (--secret-config) and `.trivyignore`
// (--ignorefile) in its working folder, WASM modules in ~/.trivy/modules (--module-dir, which
// can rewrite results), layer analyses kept in its cache folder (--cache-backend fs), and a
// TRIVY_<FLAG> variable for every flag (TRIVY_SEVERITY, TRIVY_SKIP_FILES, TRIVY_SERVER, ...).
// Each of those is replaced by an empty one of the action's, in a private folder it also runs
// in, every severity and package type is asked for by name, and the TRIVY_* variables are
// dropped but for the few that say where the DB is and how to fetch it (TRIVY_PASSING_THROUGH).
import { mkdirSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { ScanInputs } from '../inputs.js'
import { SEVERITIES } from '../severity.js'

/**
 * The TRIVY_* variables of the runner that reach Trivy: where its DB is kept and the credentials
 * and time for fetching it. None changes what Trivy reports on an image.
 */
export const TRIVY_PASSING_THROUGH = [
  'TRIVY_CACHE_DIR',
  'TRIVY_USERNAME',
  'TRIVY_PASSWORD',
  'TRIVY_REGISTRY_TOKEN',
  'TRIVY_TIMEOUT'
]

/** Every package type Trivy v0.x knows; the default, named so no variable or file narrows it. */
const PACKAGE_TYPES = ['os', 'library']

export interface TrivyRun {
  /**
   * The image to scan: as the local engine names it, an OCI layout folder of one image, or (the
   * production image of compare-to only) a registry's image by digest; `insecure` for plain http
   * to a loopback registry, as the engine treats those.
   */
  image: { engine: string } | { layout: string } | { remote: string; insecure: boolean }
  reportFile: string
  /** Trivy's cache folder, where its DB is. */
  cacheDir: string
  /** The private folder Trivy runs in, with the empty files below. */
  files: PrivateTrivyFiles
}

export interface PrivateTrivyFiles {
  workDir: string
  /** Stand-ins that set nothing for the files Trivy would read from its working folder. */
  config: string
  secretConfig: string
  ignoreFile: string
  /** An empty folder: Trivy would load every module in ~/.trivy/modules. */
  moduleDir: string
}

/** Lays out the empty config files and module folder in `workDir` (a private folder). */
export function privateTrivyFiles(workDir: string): PrivateTrivyFiles {
  const files = {
    workDir,
    config: path.join(workDir, 'trivy.yaml'),
    secretConfig: path.join(workDir, 'trivy-secret.yaml'),
    ignoreFile: path.join(workDir, 'trivyignore'),
    moduleDir: path.join(workDir, 'modules')
  }
  // Trivy refuses an empty secret config (a YAML decode error, EOF): `{}` sets nothing either.
  for (const file of [files.config, files.secretConfig]) writeFileSync(file, '{}\n')
  writeFileSync(files.ignoreFile, '')
  mkdirSync(files.moduleDir)
  return files
}

/**
 * The arguments. The user's skip-db-update skips both DB updates; a vulnerability DB restored
 * from today's cache entry skips only its own update (`skip`).
 */
export function trivyArgs(
  inputs: Pick<ScanInputs, 'scanners' | 'dbRepositories' | 'skipDbUpdate'>,
  run: TrivyRun,
  skip: { vulnerabilityDb: boolean } = { vulnerabilityDb: inputs.skipDbUpdate }
): string[] {
  const args = [
    'image',
    '--config',
    run.files.config,
    '--secret-config',
    run.files.secretConfig,
    '--ignorefile',
    run.files.ignoreFile,
    '--module-dir',
    run.files.moduleDir,
    '--cache-dir',
    run.cacheDir,
    // Layer analyses are not kept between scans: a stored one is not read back as this image's.
    '--cache-backend',
    'memory',
    '--format',
    'json',
    '--output',
    run.reportFile,
    '--scanners',
    inputs.scanners.join(','),
    '--severity',
    SEVERITIES.join(','),
    '--pkg-types',
    PACKAGE_TYPES.join(','),
    // Exit 0 whatever is found: the gate decides, and an exit code 1 then only means a failure.
    '--exit-code',
    '0',
    '--skip-version-check',
    '--disable-telemetry',
    '--quiet'
  ]
  if (skip.vulnerabilityDb) args.push('--skip-db-update')
  if (inputs.skipDbUpdate) args.push('--skip-java-db-update')
  if (inputs.dbRepositories.length > 0) args.push('--db-repository', inputs.dbRepositories.join(','))
  // The image built from the engine or its layout, never a registry: the image scanned is the
  // image built. Only the production image compared with comes from a registry, by digest.
  if ('engine' in run.image) args.push('--image-src', 'docker', run.image.engine)
  else if ('layout' in run.image) args.push('--input', run.image.layout)
  else args.push(...(run.image.insecure ? ['--insecure'] : []), '--image-src', 'remote', run.image.remote)
  return args
}

/**
 * Trivy's environment: `base` (the programs' environment) without the TRIVY_* variables that are
 * not passing through; `dropped` names those left out, for the log.
 */
export function trivyEnv(base: NodeJS.ProcessEnv): { env: NodeJS.ProcessEnv; dropped: string[] } {
  const env: NodeJS.ProcessEnv = {}
  const dropped: string[] = []
  for (const [key, value] of Object.entries(base)) {
    // Trivy's own lookup of its variables is by exact upper-case name.
    if (key.toUpperCase().startsWith('TRIVY_') && !TRIVY_PASSING_THROUGH.includes(key)) dropped.push(key)
    else env[key] = value
  }
  return { env, dropped: dropped.sort() }
}

/** The version a Trivy binary says it is (`Version: 0.74.0`), or undefined. */
export function parseTrivyVersion(versionOutput: string): string | undefined {
  return /^Version:\s*v?(\S+)/m.exec(versionOutput)?.[1]
}
