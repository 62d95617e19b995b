// Trivy's JSON report (`trivy image --format json`, SchemaVersion 2, as Trivy v0.74.0 writes it:
// aquasecurity/trivy pkg/types/report.go and friends), read once into a typed model; the flat
// list of findings that the gate, annotations, summary, SARIF and PR comment work from is made
// from it in findings.ts.
//
// Only the fields the action uses are kept. Everything else is dropped on purpose, among it
// each secret's `Code` lines, which hold the lines around the secret unmasked.
import { jsonSyntaxError, lineAndColumn } from '../../lib/json-locator.js'

/** The only report schema this module reads. */
export const TRIVY_SCHEMA_VERSION = 2

export interface TrivyLayer {
  Digest?: string
  DiffID?: string
}

export interface TrivyHistoryEntry {
  created_by?: string
  empty_layer?: boolean
}

export interface TrivyMetadata {
  OS?: { Family?: string; Name?: string; EOSL?: boolean }
  ImageID?: string
  /** The image's layers, base first. */
  DiffIDs?: string[]
  /** Empty when the image was scanned from a `docker save` tarball. */
  RepoDigests?: string[]
  ImageConfig?: { history?: TrivyHistoryEntry[] }
}

export interface TrivyVulnerability {
  VulnerabilityID: string
  PkgName?: string
  /** Set for language packages (gemspec, egg, jar, package.json): the file the package is in. */
  PkgPath?: string
  PkgIdentifier?: { PURL?: string }
  InstalledVersion?: string
  FixedVersion?: string
  /** `fixed`, `affected`, `will_not_fix`, ...; absent means `unknown`. */
  Status?: string
  Severity?: string
  Title?: string
  PrimaryURL?: string
  /** The layer where the package first appears. */
  Layer?: TrivyLayer
}

export interface TrivySecret {
  RuleID: string
  Category?: string
  Severity?: string
  Title?: string
  StartLine?: number
  EndLine?: number
  /** The matched line with the secret masked by Trivy. Never copied into a Finding. */
  Match?: string
  Layer?: TrivyLayer
}

export interface TrivyMisconfiguration {
  ID: string
  /** Deprecated by Trivy in favour of ID; still written when the check has one. */
  AVDID?: string
  /** The check's Rego package, e.g. `builtin.dockerfile.DS002`. */
  Namespace?: string
  Title?: string
  Message?: string
  Severity?: string
  /** `FAIL`, `PASS` or `EXCEPTION`. */
  Status?: string
  PrimaryURL?: string
  CauseMetadata?: { StartLine?: number; EndLine?: number }
  Layer?: TrivyLayer
}

export interface TrivyLicense {
  /** The license name (an SPDX ID or expression when Trivy could normalise it). */
  Name: string
  Severity?: string
  /** `forbidden`, `restricted`, `reciprocal`, `notice`, `permissive`, `unencumbered`, `unknown`. */
  Category?: string
  /** The package the license belongs to; empty for a license found in a file. */
  PkgName?: string
  /** The file the license was found in; empty for a package's license. */
  FilePath?: string
  Link?: string
}

export interface TrivyResult {
  Target: string
  /** `os-pkgs`, `lang-pkgs`, `config`, `secret`, `license`, `license-file`, `custom`. */
  Class?: string
  /** `alpine`, `debian`, `npm`, `gemspec`, `dockerfile`, ... */
  Type?: string
  Vulnerabilities: TrivyVulnerability[]
  Secrets: TrivySecret[]
  Misconfigurations: TrivyMisconfiguration[]
  Licenses: TrivyLicense[]
}

/** The parts of the report the action uses. Lists Trivy leaves out when empty are `[]` here. */
export interface TrivyReport {
  SchemaVersion: number
  /** The version of Trivy that wrote the report (`Trivy.Version`). */
  TrivyVersion?: string
  ArtifactName?: string
  /** `container_image`, `filesystem`, `repository`, ... */
  ArtifactType?: string
  Metadata: TrivyMetadata
  Results: TrivyResult[]
}

/**
 * Reads the text of a Trivy JSON report. Throws an Error that says what is wrong (empty,
 * truncated, not JSON, another schema, a field of the wrong type, a missing ID) and where, without
 * quoting the report, which may hold secrets.
 */
export function parseTrivyReport(text: string): TrivyReport {
  if (text.trim() === '') throw new Error('Trivy report is empty')
  let json: unknown
  try {
    json = JSON.parse(text)
  } catch {
    throw new Error(jsonProblem(text))
  }
  const root = object(json, '')
  const version = root.SchemaVersion
  if (version === undefined)
    throw new Error('Trivy report has no SchemaVersion: it is not a Trivy JSON report')
  if (version !== TRIVY_SCHEMA_VERSION) {
    const shown = typeof version === 'number' ? String(version) : describe(version)
    throw new Error(
      `Trivy report has SchemaVersion ${shown}; only SchemaVersion ${TRIVY_SCHEMA_VERSION} (Trivy v0.74.0) can be read`
    )
  }
  return {
    SchemaVersion: version,
    TrivyVersion: optionalString(optionalObject(root, 'Trivy', ''), 'Version', 'Trivy'),
    ArtifactName: optionalString(root, 'ArtifactName', ''),
    ArtifactType: optionalString(root, 'ArtifactType', ''),
    Metadata: metadata(optionalObject(root, 'Metadata', ''), 'Metadata'),
    Results: list(root, 'Results', '', result)
  }
}

/** The image's layers and build history, as the Dockerfile mapping reads them. */
export function imageLayersOf(report: TrivyReport): {
  diffIds: string[]
  history: { createdBy: string; emptyLayer: boolean }[]
} {
  return {
    diffIds: report.Metadata.DiffIDs ?? [],
    history: (report.Metadata.ImageConfig?.history ?? []).map((entry) => ({
      createdBy: entry.created_by ?? '',
      emptyLayer: entry.empty_layer ?? false
    }))
  }
}

// --- reading the JSON, one checked field at a time ---

type Json = Record<string, unknown>

function metadata(raw: Json, at: string): TrivyMetadata {
  const meta: TrivyMetadata = {}
  if (present(raw.OS)) {
    const os = optionalObject(raw, 'OS', at)
    meta.OS = withoutUndefined({
      Family: optionalString(os, 'Family', `${at}.OS`),
      Name: optionalString(os, 'Name', `${at}.OS`),
      EOSL: optionalBoolean(os, 'EOSL', `${at}.OS`)
    })
  }
  meta.ImageID = optionalString(raw, 'ImageID', at)
  if (present(raw.DiffIDs)) meta.DiffIDs = strings(raw, 'DiffIDs', at)
  if (present(raw.RepoDigests)) meta.RepoDigests = strings(raw, 'RepoDigests', at)
  if (present(raw.ImageConfig)) {
    const config = optionalObject(raw, 'ImageConfig', at)
    meta.ImageConfig = {}
    if (present(config.history)) {
      meta.ImageConfig.history = list(config, 'history', `${at}.ImageConfig`, (entry, path) => ({
        created_by: optionalString(entry, 'created_by', path),
        empty_layer: optionalBoolean(entry, 'empty_layer', path)
      }))
    }
  }
  return withoutUndefined(meta)
}

function result(raw: Json, at: string): TrivyResult {
  return withoutUndefined({
    Target: requiredString(raw, 'Target', at, true),
    Class: optionalString(raw, 'Class', at),
    Type: optionalString(raw, 'Type', at),
    Vulnerabilities: list(raw, 'Vulnerabilities', at, vulnerability),
    Secrets: list(raw, 'Secrets', at, secret),
    Misconfigurations: list(raw, 'Misconfigurations', at, misconfiguration),
    Licenses: list(raw, 'Licenses', at, license)
  })
}

function vulnerability(raw: Json, at: string): TrivyVulnerability {
  const identifier = optionalObject(raw, 'PkgIdentifier', at)
  return withoutUndefined({
    VulnerabilityID: requiredString(raw, 'VulnerabilityID', at),
    PkgName: optionalString(raw, 'PkgName', at),
    PkgPath: optionalString(raw, 'PkgPath', at),
    PkgIdentifier: present(raw.PkgIdentifier)
      ? withoutUndefined({ PURL: optionalString(identifier, 'PURL', `${at}.PkgIdentifier`) })
      : undefined,
    InstalledVersion: optionalString(raw, 'InstalledVersion', at),
    FixedVersion: optionalString(raw, 'FixedVersion', at),
    Status: optionalString(raw, 'Status', at),
    Severity: optionalString(raw, 'Severity', at),
    Title: optionalString(raw, 'Title', at),
    PrimaryURL: optionalString(raw, 'PrimaryURL', at),
    Layer: layer(raw, at)
  })
}

function secret(raw: Json, at: string): TrivySecret {
  return withoutUndefined({
    RuleID: requiredString(raw, 'RuleID', at),
    Category: optionalString(raw, 'Category', at),
    Severity: optionalString(raw, 'Severity', at),
    Title: optionalString(raw, 'Title', at),
    StartLine: optionalLine(raw, 'StartLine', at),
    EndLine: optionalLine(raw, 'EndLine', at),
    Match: optionalString(raw, 'Match', at),
    Layer: layer(raw, at)
  })
}

function misconfiguration(raw: Json, at: string): TrivyMisconfiguration {
  const avdId = optionalString(raw, 'AVDID', at)
  const id = optionalString(raw, 'ID', at) || avdId
  if (!id) throw new Error(`Trivy report: ${at}.ID is missing`)
  const cause = optionalObject(raw, 'CauseMetadata', at)
  return withoutUndefined({
    ID: id,
    AVDID: avdId,
    Namespace: optionalString(raw, 'Namespace', at),
    Title: optionalString(raw, 'Title', at),
    Message: optionalString(raw, 'Message', at),
    Severity: optionalString(raw, 'Severity', at),
    Status: optionalString(raw, 'Status', at),
    PrimaryURL: optionalString(raw, 'PrimaryURL', at),
    CauseMetadata: present(raw.CauseMetadata)
      ? withoutUndefined({
          StartLine: optionalLine(cause, 'StartLine', `${at}.CauseMetadata`),
          EndLine: optionalLine(cause, 'EndLine', `${at}.CauseMetadata`)
        })
      : undefined,
    Layer: layer(raw, at)
  })
}

function license(raw: Json, at: string): TrivyLicense {
  return withoutUndefined({
    Name: requiredString(raw, 'Name', at),
    Severity: optionalString(raw, 'Severity', at),
    Category: optionalString(raw, 'Category', at),
    PkgName: optionalString(raw, 'PkgName', at),
    FilePath: optionalString(raw, 'FilePath', at),
    Link: optionalString(raw, 'Link', at)
  })
}

function layer(raw: Json, at: string): TrivyLayer | undefined {
  if (!present(raw.Layer)) return undefined
  const value = optionalObject(raw, 'Layer', at)
  return withoutUndefined({
    Digest: optionalString(value, 'Digest', `${at}.Layer`),
    DiffID: optionalString(value, 'DiffID', `${at}.Layer`)
  })
}

/** Go's encoding/json writes a nil list without omitempty as null: null counts as absent. */
function present(value: unknown): boolean {
  return value !== undefined && value !== null
}

function field(at: string, key: string): string {
  return at === '' ? key : `${at}.${key}`
}

function wrongType(at: string, expected: string, value: unknown): Error {
  return new Error(`Trivy report: ${at || 'the top level'} must be ${expected}, not ${describe(value)}`)
}

/** What a value is, never what it says: report values may be secrets. */
function describe(value: unknown): string {
  if (value === null) return 'null'
  if (Array.isArray(value)) return 'a list'
  if (typeof value === 'object') return 'an object'
  if (typeof value === 'string') return 'a string'
  if (typeof value === 'number') return 'a number'
  if (typeof value === 'boolean') return 'a boolean'
  return typeof value
}

function object(value: unknown, at: string): Json {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw wrongType(at, 'an object', value)
  }
  return value as Json
}

function optionalObject(raw: Json, key: string, at: string): Json {
  const value = raw[key]
  return present(value) ? object(value, field(at, key)) : {}
}

function requiredString(raw: Json, key: string, at: string, emptyAllowed = false): string {
  const value = raw[key]
  if (!present(value)) throw new Error(`Trivy report: ${field(at, key)} is missing`)
  if (typeof value !== 'string') throw wrongType(field(at, key), 'a string', value)
  if (!emptyAllowed && value === '') throw new Error(`Trivy report: ${field(at, key)} is empty`)
  return value
}

function optionalString(raw: Json, key: string, at: string): string | undefined
function optionalString(raw: Json, key: string, at: string, fallback: string): string
function optionalString(raw: Json, key: string, at: string, fallback?: string): string | undefined {
  const value = raw[key]
  if (!present(value)) return fallback
  if (typeof value !== 'string') throw wrongType(field(at, key), 'a string', value)
  return value
}

function optionalBoolean(raw: Json, key: string, at: string): boolean | undefined {
  const value = raw[key]
  if (!present(value)) return undefined
  if (typeof value !== 'boolean') throw wrongType(field(at, key), 'true or false', value)
  return value
}

function optionalLine(raw: Json, key: string, at: string): number | undefined {
  const value = raw[key]
  if (!present(value)) return undefined
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 0) {
    throw wrongType(field(at, key), 'a line number', value)
  }
  return value
}

function strings(raw: Json, key: string, at: string): string[] {
  const value = raw[key]
  if (!Array.isArray(value)) throw wrongType(field(at, key), 'a list', value)
  return value.map((item: unknown, index) => {
    if (typeof item !== 'string') throw wrongType(`${field(at, key)}[${index}]`, 'a string', item)
    return item
  })
}

function list<T>(raw: Json, key: string, at: string, read: (item: Json, at: string) => T): T[] {
  const value = raw[key]
  if (!present(value)) return []
  if (!Array.isArray(value)) throw wrongType(field(at, key), 'a list', value)
  return value.map((item: unknown, index) => {
    const path = `${field(at, key)}[${index}]`
    return read(object(item, path), path)
  })
}

/** Drops keys whose value is undefined, so the model has only what the report had. */
function withoutUndefined<T extends object>(value: T): T {
  for (const key of Object.keys(value) as (keyof T)[]) {
    if (value[key] === undefined) delete value[key]
  }
  return value
}

/**
 * Says why JSON.parse failed without repeating its message, which quotes the text. A report whose
 * JSON is well-formed up to its end but stops before it is complete is truncated (a write cut
 * short, a full disk); anything else is not JSON.
 */
function jsonProblem(text: string): string {
  const problem = jsonSyntaxError(text)
  if (!problem) return 'Trivy report is not valid JSON'
  const { line, column } = lineAndColumn(text, problem.offset)
  const where = `line ${line}, column ${column}`
  return problem.truncated
    ? `Trivy report is truncated: the JSON stops at ${where}, before it is complete`
    : `Trivy report is not valid JSON: unexpected character at ${where}`
}
