// The scan step's inputs: what fails the gate, what is reported and where, and which Trivy.
import path from 'node:path'
import semver from 'semver'
import { parseWholeNumber } from '../inputs/bounds.js'
import { isFile, parseBoolean, type InputFields, type InputScope } from '../inputs/fields.js'
import { isLoopbackHost, parseImageName, parseImageReference } from '../lib/image-name.js'
import { parseList } from '../lib/key-value.js'
import { writeRefusal, writeRoots } from '../lib/safe-write.js'
import { ACTION_DEFAULTS } from '../inputs/action-defaults.js'
import { parseSeverity, SEVERITIES, type Severity } from './severity.js'
import { parseCompareTo, parseGateOn, type CompareTo } from './compare/compare-to.js'
import type { GateOn } from './compare/gate-scope.js'
import { parseDuration } from './trivy/db-retry.js'

export const DEFAULT_IGNORE_FILE = ACTION_DEFAULTS['ignore-file'] as string
/** The Trivy release used when none is on PATH; action.yml's trivy-version default says the same. */
export const DEFAULT_TRIVY_VERSION = ACTION_DEFAULTS['trivy-version'] as string
export const SCANNERS = ['vuln', 'secret', 'misconfig', 'license'] as const
/** Where Trivy's release archives are downloaded from unless trivy-releases names a mirror. */
export const DEFAULT_TRIVY_RELEASES = ACTION_DEFAULTS['trivy-releases'] as string
const DEFAULT_DB_MAX_AGE = ACTION_DEFAULTS['db-max-age'] as string
/** A DB older than this misses a month of advisories: the scan would say little. */
const MOST_DB_MAX_AGE_DAYS = 30

export interface ScanInputs {
  severityThreshold: Severity | 'none'
  severities: Severity[]
  /** The production image the findings are compared with (compare/compare-to.ts). */
  compareTo: CompareTo
  gateOn: GateOn
  /** Whether the run names a deploy host: compare-to: deployed compares only then. */
  deployHostSet: boolean
  /** How the deployed service is found on it (the orchestrator input, which the deploy step checks). */
  deployOrchestrator: 'compose' | 'swarm'
  ignoreUnfixed: boolean
  ignoreFile: string
  /** False for the default `.trivyignore`, which may be missing. */
  ignoreFileExplicit: boolean
  scanners: string[]
  maxFindings: Partial<Record<Severity, number>>
  trivyVersion: string
  /** Base URL of the release archives (`<base>/v<version>/trivy_<version>_Linux-64bit.tar.gz`). */
  trivyReleases: string
  /** Trivy DB repositories, in order; empty for Trivy's default. */
  dbRepositories: string[]
  skipDbUpdate: boolean
  /** Keep the Trivy DB in the Actions cache, one entry a day (trivy/db-cache.ts). */
  dbCache: boolean
  /** db-max-age: the oldest DB used from a cache without an update (trivy/db-download.ts). */
  dbMaxAge: { ms: number; text: string }
  sarifFile: string
  annotations: boolean
  prComment: boolean
  githubToken: string
}

/** The token the pull request comment is written with. */
export const SCAN_SECRET_INPUTS = { whole: ['github-token'], values: [] } as const

export function readScanInputs(fields: InputFields, scope: InputScope): ScanInputs {
  const { read, cwd } = fields
  const scanning = scope.steps.includes('scan')
  const severities = fields.field('severities', parseSeverities, [...SEVERITIES])
  const ignoreFile = read('ignore-file')
  const ignoreFileExplicit = ignoreFile !== DEFAULT_IGNORE_FILE
  if (scanning && ignoreFileExplicit && !isFile(path.resolve(cwd, ignoreFile))) {
    fields.problem(`ignore-file: "${ignoreFile}" does not exist`)
  }
  return {
    severityThreshold: fields.field('severity-threshold', parseThreshold, 'HIGH'),
    severities,
    compareTo: fields.field('compare-to', parseCompareTo, { kind: 'none' }),
    gateOn: fields.field('gate-on', parseGateOn, 'all'),
    deployHostSet: read('deploy-host').trim() !== '',
    deployOrchestrator: read('orchestrator').toLowerCase() === 'swarm' ? 'swarm' : 'compose',
    ignoreUnfixed: fields.field('ignore-unfixed', parseBoolean, false),
    ignoreFile,
    ignoreFileExplicit,
    scanners: fields.field('scanners', parseScanners, ['vuln', 'secret']),
    maxFindings: fields.field('max-findings', parseMaxFindings, {}),
    trivyVersion: fields.field('trivy-version', parseTrivyVersion, DEFAULT_TRIVY_VERSION),
    trivyReleases: fields.field('trivy-releases', parseReleasesUrl, DEFAULT_TRIVY_RELEASES),
    dbRepositories: fields.field('db-repository', parseDbRepositories, []),
    skipDbUpdate: fields.field('skip-db-update', parseBoolean, false),
    dbCache: fields.field('db-cache', parseBoolean, true),
    dbMaxAge: fields.field('db-max-age', parseDbMaxAge, {
      ms: parseDuration(DEFAULT_DB_MAX_AGE) as number,
      text: DEFAULT_DB_MAX_AGE
    }),
    sarifFile: fields.field('sarif-file', (raw) => parseSarifFile(raw, cwd, scanning), ''),
    annotations: fields.field('scan-annotations', parseBoolean, true),
    prComment: fields.field('pr-comment', parseBoolean, true),
    githubToken: read('github-token')
  }
}

function parseSeverities(raw: string): Severity[] {
  const named = parseList(raw)
  const severities = named.map((name) => {
    const severity = parseSeverity(name)
    if (!severity) throw new Error(`"${name}" is not one of ${SEVERITIES.join(', ')}`)
    return severity
  })
  if (severities.length === 0) throw new Error(`name at least one of ${SEVERITIES.join(', ')}`)
  return SEVERITIES.filter((severity) => severities.includes(severity))
}

function parseThreshold(raw: string): Severity | 'none' {
  if (raw.toLowerCase() === 'none') return 'none'
  const severity = parseSeverity(raw)
  if (!severity) throw new Error(`"${raw}" is not one of ${SEVERITIES.join(', ')} or none`)
  return severity
}

function parseScanners(raw: string): string[] {
  const scanners = parseList(raw).map((name) => name.toLowerCase())
  for (const scanner of scanners) {
    if (!(SCANNERS as readonly string[]).includes(scanner))
      throw new Error(`"${scanner}" is not one of ${SCANNERS.join(', ')}`)
  }
  return scanners
}

function parseMaxFindings(raw: string): Partial<Record<Severity, number>> {
  const budgets: Partial<Record<Severity, number>> = {}
  for (const item of parseList(raw)) {
    const match = /^([A-Za-z]+)\s*=\s*(\d+)$/.exec(item)
    const severity = match ? parseSeverity(match[1] as string) : undefined
    if (!match || !severity) throw new Error(`"${item}" is not SEVERITY=COUNT, e.g. critical=0,high=5`)
    try {
      budgets[severity] = parseWholeNumber(match[2] as string, 'max-findings')
    } catch (error) {
      throw new Error(`"${item}": ${(error as Error).message}`)
    }
  }
  return budgets
}

function parseTrivyVersion(raw: string): string {
  const version = semver.valid(raw.replace(/^v/, ''))
  if (!version) throw new Error(`"${raw}" is not a release version such as ${DEFAULT_TRIVY_VERSION}`)
  return version
}

function parseReleasesUrl(raw: string): string {
  const text = raw
  let url: URL
  try {
    url = new URL(text)
  } catch {
    throw new Error(`"${text}" is not a URL`)
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:')
    throw new Error(`"${text}" is not an http(s) URL`)
  // Plain HTTP lets anyone on the path swap the archive and its checksums file together.
  if (url.protocol === 'http:' && !isLoopbackHost(url.hostname))
    throw new Error(
      `"${text}" is plain http to a host that is not loopback: use https (http only for 127.0.0.0/8, ::1 or localhost)`
    )
  return text.replace(/\/+$/, '')
}

/** OCI repositories with an optional tag, as Trivy's --db-repository takes them. */
function parseDbRepositories(raw: string): string[] {
  const repositories = parseList(raw)
  for (const repository of repositories) {
    const tagged = /:[\w][\w.-]*$/.test(repository.slice(repository.lastIndexOf('/') + 1))
    if (tagged) parseImageReference(repository)
    else parseImageName(repository)
  }
  return repositories
}

/** A duration such as 2d, 48h or 90m, at most MOST_DB_MAX_AGE_DAYS. */
function parseDbMaxAge(raw: string): { ms: number; text: string } {
  const ms = parseDuration(raw)
  if (ms === undefined)
    throw new Error(`"${raw}" is not a duration such as 2d, 48h or 90m (a whole number and m, h or d)`)
  if (ms > MOST_DB_MAX_AGE_DAYS * 86_400_000)
    throw new Error(
      `${raw} is more than ${MOST_DB_MAX_AGE_DAYS}d, the most it takes (a DB that old misses a month of advisories)`
    )
  return { ms, text: raw.trim() }
}

/** A path the scan may write (lib/safe-write.ts): inside the workspace or RUNNER_TEMP, through no link. */
function parseSarifFile(raw: string, cwd: string, scanning: boolean): string {
  if (!raw || !scanning) return raw
  const refusal = writeRefusal(path.resolve(cwd, raw), writeRoots(cwd))
  if (refusal) throw new Error(`"${raw}" cannot be written: ${refusal}`)
  return raw
}
