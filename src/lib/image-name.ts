// Image repository names, references and tags, following the grammar of distribution/reference,
// and registry names normalised once so every comparison sees one name per registry.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::([0-9]+))?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`)
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`)
const TAG_RE = /^[\w][\w.-]{0,127}$/
const MAX_NAME_LENGTH = 255

export const DOCKER_HUB = 'docker.io'
/** Every name Docker Hub answers to: the one the CLI shows, the legacy index and the API host. */
const DOCKER_HUB_ALIASES = new Set([DOCKER_HUB, 'index.docker.io', 'registry-1.docker.io'])
/** The key `docker login` stores Docker Hub credentials under. */
export const DOCKER_HUB_AUTH_KEY = 'https://index.docker.io/v1/'

export interface ImageName {
  /** Registry host[:port], normalised (`docker.io` for every Docker Hub alias, host lowercase). */
  registry: string
  /** Path inside the registry, as the Registry API names it (`library/nginx` for `nginx`). */
  repository: string
  /** The name as given, the form used in tags (`name:tag`). */
  name: string
}

/** A full reference `name:tag`, as docker/metadata-action's `tags` output lists them. */
export interface ImageReference {
  image: ImageName
  tag: string
}

/**
 * One registry, one name: Docker Hub's aliases become `docker.io`, hosts are lowercase (DNS is
 * case-insensitive; the port is kept).
 */
export function normalizeRegistry(registry: string): string {
  const lower = registry.trim().toLowerCase()
  return DOCKER_HUB_ALIASES.has(lower) ? DOCKER_HUB : lower
}

/**
 * Checks a `host[:port]` registry address, the port between 1 and 65535; returns it
 * normalised. Throws a message saying what is wrong.
 */
export function parseRegistry(text: string): string {
  const registry = text.trim()
  const match = DOMAIN_RE.exec(registry)
  if (!match) throw new Error(`"${registry}" is not a registry host[:port], e.g. ghcr.io`)
  checkPort(registry, match[1])
  return normalizeRegistry(registry)
}

function checkPort(registry: string, port: string | undefined): void {
  if (port === undefined) return
  const number = Number(port)
  if (!Number.isInteger(number) || number < 1 || number > 65535) {
    throw new Error(`"${registry}" has port ${port}, which is not between 1 and 65535`)
  }
}

/** Parses a repository name without tag or digest; throws a message saying what is wrong. */
export function parseImageName(input: string, example = 'ghcr.io/acme/web'): ImageName {
  const name = input.trim()
  if (name === '')
    throw new Error(`is empty: set image to the repository to build and push, without a tag, e.g. ${example}`)
  if (name.includes('@'))
    throw new Error(`"${name}" has a digest; give the repository only, e.g. ghcr.io/acme/web`)
  if (/:[\w][\w.-]*$/.test(name.slice(name.lastIndexOf('/') + 1))) {
    throw new Error(`"${name}" has a tag; give the repository only and put tags in the tags input`)
  }
  return parseRepository(name)
}

/** Parses `name:tag` (a digest is refused: a tag is what gets pushed). */
export function parseImageReference(input: string): ImageReference {
  const reference = input.trim()
  if (reference.includes('@'))
    throw new Error(`"${reference}" has a digest; give name:tag, e.g. ghcr.io/acme/web:1.2`)
  const colon = reference.lastIndexOf(':')
  if (colon <= reference.lastIndexOf('/')) throw new Error(`"${reference}" has no tag; give name:tag`)
  const tag = reference.slice(colon + 1)
  if (!isValidTag(tag)) throw new Error(`"${reference}" has an invalid tag "${tag}"`)
  return { image: parseRepository(reference.slice(0, colon)), tag }
}

function parseRepository(name: string): ImageName {
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const hasDomain =
    first !== '' &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  let path = hasDomain ? name.slice(slash + 1) : name
  let registry = DOCKER_HUB
  if (hasDomain) {
    const match = DOMAIN_RE.exec(first)
    if (!match) throw new Error(`"${first}" is not a valid registry host[:port]`)
    checkPort(first, match[1])
    registry = normalizeRegistry(first)
  }
  if (!PATH_RE.test(path)) {
    throw new Error(
      `"${name}" is not a valid repository name: lowercase letters, digits and separators (. _ __ -) in /-separated parts`
    )
  }
  if (name.length > MAX_NAME_LENGTH) throw new Error(`"${name}" is longer than ${MAX_NAME_LENGTH} characters`)
  // Official images live under library/ whichever Hub alias names them.
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`
  return { registry, repository: path, name }
}

/** The same repository, whatever alias or shorthand each name used. */
export function sameRepository(a: ImageName, b: ImageName): boolean {
  return a.registry === b.registry && a.repository === b.repository
}

export function isValidTag(tag: string): boolean {
  return TAG_RE.test(tag)
}

/** Turns any text (a branch name, say) into a valid tag: invalid characters become `-`. */
export function sanitizeTag(text: string): string {
  const cleaned = text
    .replace(/[^\w.-]+/g, '-')
    .replace(/^[.-]+/, '')
    .slice(0, 128)
  return cleaned
}

export function isLoopbackRegistry(registry: string): boolean {
  return isLoopbackHost(registryHost(registry))
}

export function isLoopbackHost(host: string): boolean {
  const bare = host.replace(/^\[|\]$/g, '')
  return bare === 'localhost' || bare === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(bare)
}

/** Host of a `host[:port]` or `[v6]:port` registry address. */
export function registryHost(registry: string): string {
  const v6 = /^\[([^\]]+)\]/.exec(registry)
  if (v6) return v6[1] as string
  return registry.replace(/:\d+$/, '')
}

/**
 * Base URL of the Registry HTTP API. Docker Hub is served from registry-1.docker.io; the engine
 * talks plain HTTP to loopback registries, so the action does too.
 */
export function registryApiBase(registry: string): string {
  const normalized = normalizeRegistry(registry)
  if (normalized === DOCKER_HUB) return 'https://registry-1.docker.io'
  return `${isLoopbackRegistry(normalized) ? 'http' : 'https'}://${normalized}`
}
