// Image repository names and tags, following the grammar of distribution/reference.
const DOMAIN_COMPONENT = '(?:[a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9-]*[a-zA-Z0-9])'
const DOMAIN = `(?:${DOMAIN_COMPONENT}(?:\\.${DOMAIN_COMPONENT})*|\\[[0-9a-fA-F:]+\\])(?::[0-9]+)?`
const PATH_COMPONENT = '[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*'
const DOMAIN_RE = new RegExp(`^${DOMAIN}$`)
const PATH_RE = new RegExp(`^${PATH_COMPONENT}(?:/${PATH_COMPONENT})*$`)
const TAG_RE = /^[\w][\w.-]{0,127}$/
const MAX_NAME_LENGTH = 255

export const DOCKER_HUB = 'docker.io'

export interface ImageName {
  /** Registry host[:port] as Docker addresses it (`docker.io` for Docker Hub). */
  registry: string
  /** Path inside the registry, as the Registry API names it (`library/nginx` for `nginx`). */
  repository: string
  /** The name as given, the form used in tags (`name:tag`). */
  name: string
}

/** Parses a repository name without tag or digest; throws a message saying what is wrong. */
export function parseImageName(input: string): ImageName {
  const name = input.trim()
  if (name === '') throw new Error('is empty')
  if (name.includes('@'))
    throw new Error(`"${name}" has a digest; give the repository only, e.g. ghcr.io/acme/web`)
  const slash = name.indexOf('/')
  const first = slash === -1 ? '' : name.slice(0, slash)
  const hasDomain =
    first !== '' &&
    (first.includes('.') || first.includes(':') || first === 'localhost' || first !== first.toLowerCase())
  const registry = hasDomain ? first : DOCKER_HUB
  let path = hasDomain ? name.slice(slash + 1) : name
  if (hasDomain && !DOMAIN_RE.test(registry))
    throw new Error(`"${registry}" is not a valid registry host[:port]`)
  if (/:[\w][\w.-]*$/.test(path)) {
    throw new Error(`"${name}" has a tag; give the repository only and put tags in the tags input`)
  }
  if (!PATH_RE.test(path)) {
    throw new Error(
      `"${name}" is not a valid repository name: lowercase letters, digits and separators (. _ __ -) in /-separated parts`
    )
  }
  if (name.length > MAX_NAME_LENGTH) throw new Error(`"${name}" is longer than ${MAX_NAME_LENGTH} characters`)
  if (registry === DOCKER_HUB && !path.includes('/')) path = `library/${path}`
  return { registry, repository: path, name }
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
  const host = registryHost(registry)
  return host === 'localhost' || host === '::1' || /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(host)
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
  if (registry === DOCKER_HUB || registry === 'index.docker.io' || registry === 'registry-1.docker.io') {
    return 'https://registry-1.docker.io'
  }
  return `${isLoopbackRegistry(registry) ? 'http' : 'https'}://${registry}`
}
