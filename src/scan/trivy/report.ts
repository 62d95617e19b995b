// Trivy's JSON report (`trivy image --format json`, SchemaVersion 2, as Trivy v0.74.0 writes it:
// aquasecurity/trivy pkg/types/report.go and friends), read once into a typed model, and the flat
// list of findings that the gate, annotations, summary, SARIF and PR comment work from.
//
// Only the fields the action uses are kept. Everything else is dropped on purpose, among it
// each secret's `Code` lines, which hold the lines around the secret unmasked.
import { parseSeverity, type Severity } from '../severity.js'

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

export const FINDING_KINDS = ['vulnerability', 'secret', 'misconfiguration', 'license'] as const
export type FindingKind = (typeof FINDING_KINDS)[number]

/** One thing Trivy found, whatever the scanner. Strings the report does not give are ''. */
export interface Finding {
  kind: FindingKind
  /** What ignore rules name: VulnerabilityID, secret RuleID, misconfiguration ID, license name. */
  id: string
  /** Other IDs of a misconfiguration's check that ignore rules may name (see checkAliases). */
  otherIds: string[]
  /** Trivy's severity; a missing or unknown one is UNKNOWN. */
  severity: Severity
  /** The result's Target: the image and its OS for OS packages, else a file or a language. */
  target: string
  /** The result's Class: os-pkgs, lang-pkgs, secret, config, license, license-file. */
  resultClass: string
  pkgName: string
  /** A vulnerability's PkgPath; a license's FilePath. */
  pkgPath: string
  /** The installed version of a vulnerable package. */
  pkgVersion: string
  /** The package's Package URL, as Trivy wrote it. */
  purl: string
  fixedVersion: string
  /** A vulnerability's Status (`unknown` when Trivy left it out); a misconfiguration's (`FAIL`). */
  status: string
  title: string
  /** A misconfiguration's message; '' for the other kinds. */
  message: string
  /** A secret's or license's category. */
  category: string
  url: string
  /** The layer the finding came in with, when Trivy names one. */
  layerDiffId: string
  /** Lines of the file, for secrets and misconfigurations when Trivy gives them. */
  lines?: { start: number; end: number }
}

/**
 * Every finding of the report, in report order: vulnerabilities, secrets, misconfigurations and
 * licenses of each result. Misconfigurations that passed (PASS) or were excepted (EXCEPTION) are
 * checks, not findings, and are left out.
 */
export function findingsOf(report: TrivyReport): Finding[] {
  const findings: Finding[] = []
  for (const result of report.Results) {
    const base = { target: result.Target, resultClass: result.Class ?? '' }
    for (const vuln of result.Vulnerabilities) {
      findings.push({
        ...blank('vulnerability', vuln.VulnerabilityID, vuln.Severity, base),
        pkgName: vuln.PkgName ?? '',
        pkgPath: vuln.PkgPath ?? '',
        pkgVersion: vuln.InstalledVersion ?? '',
        purl: vuln.PkgIdentifier?.PURL ?? '',
        fixedVersion: vuln.FixedVersion ?? '',
        status: vuln.Status || 'unknown',
        title: vuln.Title ?? '',
        url: vuln.PrimaryURL ?? '',
        layerDiffId: vuln.Layer?.DiffID ?? ''
      })
    }
    for (const secret of result.Secrets) {
      // Match is the secret's line: it stays out of the finding.
      findings.push({
        ...blank('secret', secret.RuleID, secret.Severity, base),
        title: secret.Title ?? '',
        category: secret.Category ?? '',
        layerDiffId: secret.Layer?.DiffID ?? '',
        ...lineRange(secret.StartLine, secret.EndLine)
      })
    }
    for (const misconf of result.Misconfigurations) {
      if (misconf.Status === 'PASS' || misconf.Status === 'EXCEPTION') continue
      findings.push({
        ...blank('misconfiguration', misconf.ID, misconf.Severity, base),
        otherIds: checkAliases(misconf),
        status: misconf.Status ?? '',
        title: misconf.Title ?? '',
        message: misconf.Message ?? '',
        url: misconf.PrimaryURL ?? '',
        layerDiffId: misconf.Layer?.DiffID ?? '',
        ...lineRange(misconf.CauseMetadata?.StartLine, misconf.CauseMetadata?.EndLine)
      })
    }
    for (const license of result.Licenses) {
      findings.push({
        ...blank('license', license.Name, license.Severity, base),
        pkgName: license.PkgName ?? '',
        pkgPath: license.FilePath ?? '',
        title: license.Name,
        category: license.Category ?? '',
        url: license.Link ?? ''
      })
    }
  }
  return findings
}

/**
 * The IDs besides its ID that Trivy matches ignore rules against for a misconfiguration: its
 * AVDID and the check's aliases. The JSON leaves the aliases out; every built-in check of
 * trivy-checks has `AVD-<ID>` among them (`AVD-DS-0002`, the form Trivy's docs use), and most
 * have the old ID their Rego package is named after (`DS002` in `builtin.dockerfile.DS002`).
 */
function checkAliases(misconf: TrivyMisconfiguration): string[] {
  const aliases = [misconf.AVDID ?? '']
  if (!misconf.ID.startsWith('AVD-')) aliases.push(`AVD-${misconf.ID}`)
  const namespace = misconf.Namespace ?? ''
  const short = namespace.split('.').pop() ?? ''
  if (namespace.startsWith('builtin.') && /^[A-Z]+\d+$/.test(short)) aliases.push(short)
  return [...new Set(aliases)].filter((alias) => alias !== '' && alias !== misconf.ID)
}

function blank(
  kind: FindingKind,
  id: string,
  severity: string | undefined,
  base: { target: string; resultClass: string }
): Finding {
  return {
    kind,
    id,
    otherIds: [],
    severity: parseSeverity(severity ?? '') ?? 'UNKNOWN',
    ...base,
    pkgName: '',
    pkgPath: '',
    pkgVersion: '',
    purl: '',
    fixedVersion: '',
    status: '',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId: ''
  }
}

function lineRange(start: number | undefined, end: number | undefined): Pick<Finding, 'lines'> {
  if (start === undefined || start < 1) return {}
  return { lines: { start, end: end !== undefined && end >= start ? end : start } }
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
  const before = text.slice(0, problem.offset).split('\n')
  const where = `line ${before.length}, column ${(before[before.length - 1] ?? '').length + 1}`
  return problem.truncated
    ? `Trivy report is truncated: the JSON stops at ${where}, before it is complete`
    : `Trivy report is not valid JSON: unexpected character at ${where}`
}

/**
 * Where the JSON text first goes wrong, and whether that is its end; undefined when it is valid.
 * Iterative (a stack of the open objects and arrays), so text nested thousands of levels deep
 * cannot overflow the call stack.
 */
function jsonSyntaxError(text: string): { offset: number; truncated: boolean } | undefined {
  let at = 0
  class Stop extends Error {}
  const stop = (): never => {
    throw new Stop()
  }
  const space = (): void => {
    while (at < text.length && ' \t\n\r'.includes(text[at] as string)) at++
  }
  const expect = (char: string): void => {
    if (text[at] !== char) stop()
    at++
  }
  const literal = (word: string): void => {
    for (const char of word) expect(char)
  }
  const string = (): void => {
    expect('"')
    for (;;) {
      const char = text[at]
      if (char === undefined || char < ' ') stop()
      at++
      if (char === '"') return
      if (char === '\\') {
        const escaped = text[at]
        if (escaped === 'u') {
          at++
          for (let digit = 0; digit < 4; digit++) {
            if (!/[0-9a-fA-F]/.test(text[at] ?? '')) stop()
            at++
          }
        } else if (escaped !== undefined && '"\\/bfnrt'.includes(escaped)) at++
        else stop()
      }
    }
  }
  const isDigit = (): boolean => {
    const char = text[at]
    return char !== undefined && char >= '0' && char <= '9'
  }
  const digits = (): void => {
    // At least one: a number cut after its `-`, `.` or exponent stops here at the end of the text.
    if (!isDigit()) stop()
    while (isDigit()) at++
  }
  const number = (): void => {
    if (text[at] === '-') at++
    if (text[at] === '0') at++
    else digits()
    if (text[at] === '.') {
      at++
      digits()
    }
    if (text[at] === 'e' || text[at] === 'E') {
      at++
      if (text[at] === '+' || text[at] === '-') at++
      digits()
    }
  }
  const key = (): void => {
    string()
    space()
    expect(':')
    space()
  }
  /** The closing characters of the objects and arrays open at `at`, innermost last. */
  const open: string[] = []
  try {
    space()
    for (;;) {
      const char = text[at]
      if (char === '{' || char === '[') {
        const close = char === '{' ? '}' : ']'
        at++
        space()
        if (text[at] === close) at++
        else {
          open.push(close)
          if (close === '}') key()
          continue
        }
      } else if (char === '"') string()
      else if (char === 't') literal('true')
      else if (char === 'f') literal('false')
      else if (char === 'n') literal('null')
      else number()
      // A value is complete: close what it completes, up to the next item or the end.
      for (;;) {
        space()
        const close = open[open.length - 1]
        if (close === undefined) {
          if (at < text.length) stop()
          return undefined
        }
        if (text[at] === close) {
          at++
          open.pop()
          continue
        }
        expect(',')
        space()
        if (close === '}') key()
        break
      }
    }
  } catch (error) {
    if (!(error instanceof Stop)) throw error
    return { offset: at, truncated: at >= text.length }
  }
}
