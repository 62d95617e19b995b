// Trivy's ignore files, read and applied as Trivy v0.74.0 does (aquasecurity/trivy
// pkg/result/ignore.go and filter.go), so the action can ask Trivy for everything and ignore
// findings itself:
// - `.trivyignore`: one ID per line, `#` comments, an optional `exp:YYYY-MM-DD` after the ID. Each
//   ID applies to vulnerabilities, misconfigurations, secrets and licenses alike.
// - `.trivyignore.yaml` (any name ending `.yaml` or `.yml`): lists `vulnerabilities`,
//   `misconfigurations`, `secrets`, `licenses` of `{id, paths, purls, expired_at, statement}`.
//
// A rule ignores a finding of its kind when the IDs are equal (case-sensitive), the rule has not
// expired, one of its `paths` globs matches (doublestar v4 syntax, ported below), and, for
// vulnerabilities with a Package URL, one of its `purls` matches.
//
// Where this reads more strictly than Trivy, it is so that a mistake cannot silently change the
// gate: a bad `exp:` date is an error (Trivy drops that line with a warning, so the ID is no
// longer ignored), and so are unknown keys (Trivy ignores them: `expires_at:` would make an entry
// permanent, `path:` would widen it to every file) and entries without an `id`.
import { matchGlob, validGlob } from './glob.js'
import { parsePurl, purlMatches, type PackageUrl } from './purl.js'
import { isAlias, isMap, isScalar, isSeq, LineCounter, parseDocument, type Node, type Scalar } from 'yaml'
import { FINDING_KINDS, type Finding, type FindingKind } from '../trivy/findings.js'

export interface IgnoreRule {
  /** The kinds of finding it applies to: one YAML list, or all four for a `.trivyignore` line. */
  kinds: FindingKind[]
  id: string
  /** Globs of the file the finding is in; empty means every file. */
  paths: string[]
  /** Packages (vulnerabilities only); empty means every package. */
  purls: PackageUrl[]
  /** The rule ignores nothing after this instant (midnight UTC of an `exp:` date). */
  expiresAt?: Date
  /** Why it is ignored, as the file says (YAML only). */
  statement: string
  /** Where the rule is written: the file name given to the parser, and the 1-based line. */
  file: string
  line: number
}

/**
 * Reads an ignore file as Trivy chooses its format: YAML when the name ends in `.yaml` or `.yml`
 * (exactly, as Go's filepath.Ext), else the plain `.trivyignore` format. Errors name the file and
 * the line.
 */
export function parseIgnoreFile(file: string, text: string): IgnoreRule[] {
  const extension = /\.[^./]*$/.exec(file)?.[0]
  return extension === '.yaml' || extension === '.yml'
    ? parseYamlIgnore(text, file)
    : parsePlainIgnore(text, file)
}

/** The plain `.trivyignore` format. */
export function parsePlainIgnore(text: string, file = '.trivyignore'): IgnoreRule[] {
  const rules: IgnoreRule[] = []
  text.split(/\r?\n/).forEach((raw, index) => {
    const line = raw.trim()
    if (line === '' || line.startsWith('#')) return
    const fields = line.split(/\s+/)
    const id = fields[0] as string
    let expiresAt: Date | undefined
    // Trivy looks for the first field starting with exp:, the ID included, when there are two or more.
    const expiry = fields.length > 1 ? fields.find((item) => item.startsWith('exp:')) : undefined
    if (expiry !== undefined) {
      expiresAt = parseIsoDate(expiry.slice('exp:'.length))
      if (!expiresAt) {
        throw new Error(`${file} line ${index + 1}: "${expiry}" is not an expiry date exp:YYYY-MM-DD`)
      }
    }
    rules.push({
      kinds: [...FINDING_KINDS],
      id,
      paths: [],
      purls: [],
      expiresAt,
      statement: '',
      file,
      line: index + 1
    })
  })
  return rules
}

const YAML_LISTS: Record<string, FindingKind> = {
  vulnerabilities: 'vulnerability',
  misconfigurations: 'misconfiguration',
  secrets: 'secret',
  licenses: 'license'
}
const ENTRY_KEYS = ['id', 'paths', 'purls', 'expired_at', 'statement']

/** The `.trivyignore.yaml` format. */
export function parseYamlIgnore(text: string, file = '.trivyignore.yaml'): IgnoreRule[] {
  const lines = new LineCounter()
  const doc = parseDocument(text, { lineCounter: lines, prettyErrors: false, uniqueKeys: true })
  const lineOf = (
    node: { range?: [number, number, number] | null } | null | undefined,
    fallback = 1
  ): number => (node?.range ? lines.linePos(node.range[0]).line : fallback)
  function fail(line: number, problem: string): never {
    throw new Error(`${file} line ${line}: ${problem}`)
  }
  const firstError = doc.errors[0]
  if (firstError) fail(lines.linePos(firstError.pos[0]).line, `not valid YAML: ${firstError.message}`)
  const resolve = (node: unknown): unknown => (isAlias(node) ? node.resolve(doc) : node)
  /** A list of text (paths, purls), each item with its line. */
  function texts(value: Node | null, name: string, at: number): [string, number][] {
    if (isNull(value)) return []
    if (!isSeq(value)) return fail(at, `${name} must be a list`)
    return value.items.map((item) => {
      const node = resolve(item) as Node | null
      if (!isScalar(node)) return fail(lineOf(node, at), `each of ${name} must be text`)
      return [scalarText(node), lineOf(node, at)]
    })
  }

  const root = resolve(doc.contents)
  if (root === null || root === undefined || (isScalar(root) && root.value === null)) return []
  if (!isMap(root))
    return fail(
      lineOf(root as Node),
      'the file must be a mapping of vulnerabilities, misconfigurations, secrets and licenses'
    )

  const rules: IgnoreRule[] = []
  for (const pair of root.items) {
    const keyNode = resolve(pair.key) as Node | null
    const key = isScalar(keyNode) ? String(keyNode.value) : ''
    const kind = YAML_LISTS[key]
    if (!kind) fail(lineOf(keyNode), `unknown key "${key}" (expected ${Object.keys(YAML_LISTS).join(', ')})`)
    const list = resolve(pair.value)
    if (isNull(list)) continue
    if (!isSeq(list)) return fail(lineOf(list as Node, lineOf(keyNode)), `${key} must be a list of entries`)
    for (const item of list.items) {
      const entry = resolve(item)
      const line = lineOf(entry as Node, lineOf(list))
      if (!isMap(entry)) return fail(line, `each entry of ${key} must be a mapping with an id`)
      const rule: IgnoreRule = { kinds: [kind], id: '', paths: [], purls: [], statement: '', file, line }
      for (const field of entry.items) {
        const nameNode = resolve(field.key) as Node | null
        const name = isScalar(nameNode) ? String(nameNode.value) : ''
        const value = resolve(field.value) as Node | null
        const at = lineOf(value, lineOf(nameNode, line))
        if (name === 'id' || name === 'statement') {
          if (!isScalar(value) && !isNull(value)) fail(at, `${name} must be text`)
          rule[name] = scalarText(value as Scalar | null)
        } else if (name === 'paths' || name === 'purls') {
          for (const [text, itemLine] of texts(value, name, at)) {
            if (name === 'paths') {
              if (!validGlob(text)) fail(itemLine, `invalid path pattern "${text}"`)
              rule.paths.push(text)
            } else {
              try {
                rule.purls.push(parsePurl(text))
              } catch (error) {
                fail(itemLine, `invalid purl "${text}": ${(error as Error).message}`)
              }
            }
          }
        } else if (name === 'expired_at') {
          const expiry = yamlExpiry(value)
          if (expiry === 'invalid') {
            const shown = isScalar(value) ? `"${scalarText(value)}"` : 'this value'
            const quotedDate =
              isScalar(value) && value.type !== 'PLAIN' && /^\d{4}-\d{1,2}-\d{1,2}$/.test(scalarText(value))
            fail(
              at,
              quotedDate
                ? `expired_at ${shown} is quoted: Trivy reads a quoted value as an RFC 3339 time (2006-01-02T15:04:05Z); write the date without quotes`
                : `expired_at ${shown} is not a date (YYYY-MM-DD) or an RFC 3339 time`
            )
          }
          if (expiry instanceof Date) rule.expiresAt = expiry
        } else {
          fail(
            lineOf(nameNode, line),
            `unknown key "${name}" in an entry of ${key} (expected ${ENTRY_KEYS.join(', ')})`
          )
        }
      }
      if (rule.id === '') fail(line, `an entry of ${key} has no id`)
      rules.push(rule)
    }
  }
  return rules
}

function isNull(node: unknown): boolean {
  return node === null || node === undefined || (isScalar(node) && node.value === null)
}

/** A scalar as text, as yaml.v3 decodes any scalar into a Go string. */
function scalarText(node: Scalar | null): string {
  if (!node || node.value === null) return ''
  if (typeof node.value === 'string') return node.value
  return node.source ?? String(node.value)
}

const TIMESTAMP_TAG = 'tag:yaml.org,2002:timestamp'
const STRING_TAG = 'tag:yaml.org,2002:str'

/**
 * `expired_at` as yaml.v3 decodes it into Go's time.Time: empty or null is no expiry; a plain
 * (unquoted) value is a YAML timestamp (`2024-06-01`, `2024-6-1`, `2024-06-01 10:00:00`,
 * `2024-06-01T10:00:00+02:00`; UTC unless it says otherwise); a quoted value must be an RFC 3339
 * time, so a quoted date alone is an error in Trivy too.
 */
function yamlExpiry(node: Node | null): Date | undefined | 'invalid' {
  if (isNull(node)) return undefined
  if (!isScalar(node)) return 'invalid'
  const text = scalarText(node)
  const asString = node.tag === STRING_TAG || (node.tag !== TIMESTAMP_TAG && node.type !== 'PLAIN')
  return (asString ? undefined : parseYamlTimestamp(text)) ?? parseRfc3339(text) ?? 'invalid'
}

function daysIn(year: number, month: number): number {
  return [31, isLeap(year) ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1] ?? 0
}

function isLeap(year: number): boolean {
  return (year % 4 === 0 && year % 100 !== 0) || year % 400 === 0
}

/** A UTC instant from calendar fields, checking their ranges as Go's time.Parse does. */
function utc(fields: {
  year: string
  month: string
  day: string
  hour?: string
  minute?: string
  second?: string
  fraction?: string
  zone?: string
}): Date | undefined {
  const [year, month, day] = [Number(fields.year), Number(fields.month), Number(fields.day)]
  const [hour, minute, second] = [
    Number(fields.hour ?? 0),
    Number(fields.minute ?? 0),
    Number(fields.second ?? 0)
  ]
  if (month < 1 || month > 12 || day < 1 || day > daysIn(year, month)) return undefined
  if (hour > 23 || minute > 59 || second > 59) return undefined
  let offsetMinutes = 0
  if (fields.zone && fields.zone !== 'Z') {
    const [hours, minutes] = fields.zone.slice(1).split(':').map(Number) as [number, number]
    if (hours > 23 || minutes > 59) return undefined
    offsetMinutes = (fields.zone.startsWith('-') ? -1 : 1) * (hours * 60 + minutes)
  }
  const millis = Math.floor(Number(`0.${fields.fraction ?? '0'}`) * 1000)
  const date = new Date(Date.UTC(2000, 0, 1, hour, minute, second, millis))
  date.setUTCFullYear(year, month - 1, day)
  return new Date(date.getTime() - offsetMinutes * 60_000)
}

/** Go's time.Parse("2006-01-02", text): the plain format's exp: date, midnight UTC. */
function parseIsoDate(text: string): Date | undefined {
  const match = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text)
  return match ? utc({ year: match[1]!, month: match[2]!, day: match[3]! }) : undefined
}

/** yaml.v3's timestamp formats (resolve.go allowedTimestampFormats). */
function parseYamlTimestamp(text: string): Date | undefined {
  const date = String.raw`(?<year>\d{4})-(?<month>\d{1,2})-(?<day>\d{1,2})`
  const time = String.raw`(?<hour>\d{1,2}):(?<minute>\d{1,2}):(?<second>\d{1,2})(?:[.,](?<fraction>\d+))?`
  for (const format of [
    `^${date}[Tt]${time}(?<zone>Z|[+-]\\d{2}:\\d{2})$`,
    `^${date} ${time}$`,
    `^${date}$`
  ]) {
    const groups = new RegExp(format).exec(text)?.groups
    if (groups) return utc(groups as Parameters<typeof utc>[0])
  }
  return undefined
}

/** Go's time.Time.UnmarshalText: strict RFC 3339. */
function parseRfc3339(text: string): Date | undefined {
  const groups =
    /^(?<year>\d{4})-(?<month>\d{2})-(?<day>\d{2})T(?<hour>\d{2}):(?<minute>\d{2}):(?<second>\d{2})(?:\.(?<fraction>\d+))?(?<zone>Z|[+-]\d{2}:\d{2})$/.exec(
      text
    )?.groups
  return groups ? utc(groups as Parameters<typeof utc>[0]) : undefined
}

/** True when the rule no longer ignores anything at `now` (Trivy: ExpiredAt.Before(now)). */
export function isExpired(rule: IgnoreRule, now: Date): boolean {
  return rule.expiresAt !== undefined && rule.expiresAt.getTime() < now.getTime()
}

/**
 * The rule that ignores the finding at `now`, or undefined. Expired rules are skipped as Trivy
 * prunes them before matching. As in Trivy, a vulnerability is tried with its result's Target
 * and then its PkgPath, a misconfiguration with its ID and then its other IDs (AVDID, aliases) on
 * its result's Target, a secret with its result's Target, a license with its FilePath.
 */
export function matchIgnoreRule(
  finding: Finding,
  rules: readonly IgnoreRule[],
  now: Date
): IgnoreRule | undefined {
  return firstMatch(
    finding,
    rules.filter((rule) => !isExpired(rule, now))
  )
}

export function isIgnored(finding: Finding, rules: readonly IgnoreRule[], now: Date): boolean {
  return matchIgnoreRule(finding, rules, now) !== undefined
}

/** An expired rule that would still ignore the finding, when no live rule does: worth a word. */
export function expiredIgnoreRule(
  finding: Finding,
  rules: readonly IgnoreRule[],
  now: Date
): IgnoreRule | undefined {
  if (matchIgnoreRule(finding, rules, now)) return undefined
  return firstMatch(
    finding,
    rules.filter((rule) => isExpired(rule, now))
  )
}

/** The rules split once for a gate: those that still ignore at `now`, and the expired ones. */
export function rulesAt(
  rules: readonly IgnoreRule[],
  now: Date
): { live: IgnoreRule[]; expired: IgnoreRule[] } {
  return {
    live: rules.filter((rule) => !isExpired(rule, now)),
    expired: rules.filter((rule) => isExpired(rule, now))
  }
}

/** The first of these rules that matches the finding (expiry not looked at), or undefined. */
export function firstMatch(finding: Finding, rules: readonly IgnoreRule[]): IgnoreRule | undefined {
  if (rules.length === 0) return undefined
  const ids = finding.kind === 'misconfiguration' ? [finding.id, ...finding.otherIds] : [finding.id]
  // Most findings are named by no rule: the paths and the Package URL are looked at only when one is.
  const ofKind = rules.filter((rule) => rule.kinds.includes(finding.kind) && ids.includes(rule.id))
  if (ofKind.length === 0) return undefined
  const paths =
    finding.kind === 'vulnerability'
      ? [finding.target, finding.pkgPath]
      : finding.kind === 'license'
        ? [finding.pkgPath]
        : [finding.target]
  const purl = finding.kind === 'vulnerability' ? findingPurl(finding.purl) : undefined
  for (const id of ids) {
    for (const path of paths) {
      const rule = ofKind.find(
        (candidate) =>
          candidate.id === id &&
          (candidate.paths.length === 0 || candidate.paths.some((pattern) => matchGlob(pattern, path))) &&
          (purl === undefined ||
            candidate.purls.length === 0 ||
            (purl !== 'invalid' && candidate.purls.some((constraint) => purlMatches(constraint, purl))))
      )
      if (rule) return rule
    }
  }
  return undefined
}

/** The finding's own Package URL; 'invalid' (matching no purls rule) when it does not parse. */
function findingPurl(text: string): PackageUrl | 'invalid' | undefined {
  if (text === '') return undefined
  try {
    return parsePurl(text)
  } catch {
    return 'invalid'
  }
}
