// Package URLs as Trivy reads them in ignore files: github.com/package-url/packageurl-go v0.1.6's
// FromString, ported, and Trivy's pkg/purl Match.
import { Buffer } from 'node:buffer'

/** A Package URL as github.com/package-url/packageurl-go v0.1.6 parses and normalises it. */
export interface PackageUrl {
  type: string
  namespace: string
  name: string
  version: string
  /** Keys lower-cased; empty values dropped, as an absent qualifier. */
  qualifiers: Record<string, string>
  subpath: string
}

/**
 * Trivy's purl match: type, namespace and name equal; the version and subpath too when the
 * constraint has them; every qualifier of the constraint present with the same value.
 */
export function purlMatches(constraint: PackageUrl, target: PackageUrl): boolean {
  if (constraint.type !== target.type || constraint.namespace !== target.namespace) return false
  if (constraint.name !== target.name) return false
  if (constraint.version !== '' && constraint.version !== target.version) return false
  if (constraint.subpath !== '' && constraint.subpath !== target.subpath) return false
  return Object.entries(constraint.qualifiers).every(([key, value]) => target.qualifiers[key] === value)
}

const LOWER_NAMESPACE = ['alpm', 'apk', 'bitbucket', 'composer', 'deb', 'github', 'golang', 'rpm', 'qpkg']
const LOWER_NAME = [
  'alpm',
  'apk',
  'bitbucket',
  'bitnami',
  'chrome-extension',
  'composer',
  'deb',
  'github',
  'golang'
]

/** Parses `pkg:type/namespace/name@version?qualifiers#subpath`; throws saying what is wrong. */
export function parsePurl(text: string): PackageUrl {
  if (text.slice(0, 4).toLowerCase() !== 'pkg:') throw new Error('purl scheme is not "pkg"')
  let rest = text.slice(4).replace(/^\/+/, '')
  let subpath = ''
  const hash = rest.indexOf('#')
  if (hash !== -1) {
    subpath = rest.slice(hash + 1)
    rest = rest.slice(0, hash)
  }
  let query = ''
  const question = rest.indexOf('?')
  if (question !== -1) {
    query = rest.slice(question + 1)
    rest = rest.slice(0, question)
  }
  const slash = rest.indexOf('/')
  if (slash === -1) throw new Error('purl is missing type or name')
  const type = rest.slice(0, slash).toLowerCase()
  rest = rest.slice(slash + 1)

  const pairs: [string, string][] = []
  for (const part of query.split('&')) {
    if (part === '') continue
    if (part.includes(';')) throw new Error('invalid semicolon separator in query')
    const equals = part.indexOf('=')
    const key = (equals === -1 ? part : part.slice(0, equals)).toLowerCase()
    if (!/^[A-Za-z.\-_][A-Za-z0-9.\-_]*$/.test(key)) throw new Error(`invalid qualifier key: '${key}'`)
    const value = percentDecode(equals === -1 ? '' : part.slice(equals + 1), 'qualifier value')
    if (value !== '') pairs.push([key, value])
  }
  pairs.sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
  const qualifiers: Record<string, string> = {}
  for (const [key, value] of pairs) {
    if (key in qualifiers) throw new Error(`duplicate qualifier key: "${key}"`)
    qualifiers[key] = value
  }

  if (type !== 'npm' && rest.startsWith('@')) throw new Error('purl is missing name')
  let version = ''
  const at = rest.lastIndexOf('@')
  if (at > 0) {
    version = percentDecode(rest.slice(at + 1), 'version')
    rest = rest.slice(0, at)
  }
  const lastSlash = rest.lastIndexOf('/')
  let name = percentDecode(rest.slice(lastSlash + 1), 'name')
  let namespace = (lastSlash === -1 ? '' : rest.slice(0, lastSlash))
    .split('/')
    .filter((segment) => segment !== '')
    .map((segment) => percentDecode(segment, 'namespace'))
    .join('/')
  if (name === '') throw new Error('purl is missing name')

  if (!/^[A-Za-z.\-+][A-Za-z0-9.\-+]*$/.test(type)) throw new Error(`invalid type "${type}"`)
  namespace = namespace.replace(/^\/+|\/+$/g, '')
  subpath.split('/').forEach((segment, index) => {
    if ((segment === '.' || segment === '..') && index !== 0)
      throw new Error(`invalid Package URL subpath: "${subpath}"`)
  })
  subpath = subpath.replace(/^\/+|\/+$/g, '')
  if (LOWER_NAMESPACE.includes(type)) namespace = namespace.toLowerCase()
  if (LOWER_NAME.includes(type)) name = name.toLowerCase()
  if (type === 'pypi') name = name.replaceAll('_', '-').toLowerCase()
  if (type === 'mlflow' && (qualifiers.repository_url ?? '').includes('databricks')) name = name.toLowerCase()
  if (type === 'huggingface') version = version.toLowerCase()
  checkTypeRules(type, namespace, name, version, qualifiers)
  return { type, namespace, name, version, qualifiers, subpath }
}

function checkTypeRules(
  type: string,
  namespace: string,
  name: string,
  version: string,
  qualifiers: Record<string, string>
): void {
  const problem = ((): string | undefined => {
    switch (type) {
      case 'chrome-extension':
        if (namespace !== '') return 'a chrome-extension purl must not have a namespace'
        if (!/^[a-z]{32}$/.test(name)) return 'a chrome-extension name must be 32 lowercase ASCII letters'
        if (version !== '' && !/^\d+(\.\d+){0,3}$/.test(version))
          return 'a chrome-extension version must be 1 to 4 dot-separated integers'
        return undefined
      case 'cpan':
        if (namespace === '') return 'a cpan purl must have a namespace'
        if (namespace.toUpperCase() !== namespace)
          return 'a cpan purl namespace must use uppercase characters'
        if (name.includes('::')) return "a cpan distribution name must not contain '::'"
        return undefined
      case 'julia':
        if (namespace !== '') return 'a julia purl must not have a namespace'
        if (!('uuid' in qualifiers)) return 'a julia purl must have a uuid qualifier'
        return undefined
      case 'otp':
        return namespace !== '' ? 'an otp purl must not have a namespace' : undefined
      case 'swift':
      case 'vscode-extension':
        return namespace === '' ? 'namespace is required' : undefined
      default:
        return undefined
    }
  })()
  if (problem) throw new Error(problem)
}

/** Go's url.PathUnescape: %XX sequences decoded, `+` kept. */
function percentDecode(text: string, part: string): string {
  if (!text.includes('%')) return text
  const bytes: number[] = []
  for (let index = 0; index < text.length; index++) {
    if (text[index] === '%') {
      const hex = text.slice(index + 1, index + 3)
      if (!/^[0-9A-Fa-f]{2}$/.test(hex))
        throw new Error(`error unescaping ${part}: invalid URL escape "%${hex}"`)
      bytes.push(parseInt(hex, 16))
      index += 2
    } else {
      const char = String.fromCodePoint(text.codePointAt(index) as number)
      bytes.push(...Buffer.from(char, 'utf8'))
      index += char.length - 1
    }
  }
  return Buffer.from(bytes).toString('utf8')
}
