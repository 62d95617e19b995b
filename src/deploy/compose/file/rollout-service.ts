// What the rollout needs of the service it rolls out, and the checks that it can run twice side by
// side (old and new containers at once): an image, no fixed container name or host port, no host
// network, networks that are defined. Each problem names the file that set the attribute at fault.
import { parseComposeDuration } from './duration.js'
import { ComposeFileError, type ComposeModel, type ComposePort } from './model.js'
import { asMapping, Tagged } from './values.js'

/** What the rollout needs to know about the service it rolls out. */
export interface RolloutService {
  name: string
  /** The image reference, interpolated (so `${APP_VERSION}` is the version deployed). */
  image: string
  /**
   * `compose`: the compose file defines a healthcheck; `disabled`: it turns the image's off
   * (`disable: true` or `test: ["NONE"]`); `image`: not set in the files, the image's HEALTHCHECK
   * applies if it has one.
   */
  healthcheck: 'compose' | 'disabled' | 'image'
  /** `deploy.replicas`, else `scale`; undefined when neither is set. */
  replicas?: number
  /** `stop_grace_period` in seconds; undefined when not set (the engine's default is 10 s). */
  stopGracePeriodSeconds?: number
  /** The service's network keys (`default` when it names none); see networkName. */
  networks: string[]
  /** Ports published on a host port the engine picks (`"80"`, `"127.0.0.1::80"`, a host range). */
  ports: ComposePort[]
}

/**
 * Checks that `service` can run twice side by side (old and new containers at once) and returns
 * what the rollout needs. Throws ComposeFileError listing every problem; messages name the input.
 */
export function checkRolloutService(model: ComposeModel, service: string): RolloutService {
  const files = model.files.join(', ')
  const found = Object.prototype.hasOwnProperty.call(model.services, service)
    ? model.services[service]
    : undefined
  if (!found) {
    const names = Object.keys(model.services).sort()
    throw new ComposeFileError([
      `service: "${service}" is not a service of ${files}; the services there are ${names.join(', ')}`
    ])
  }
  const problems: string[] = []
  const at = (key: string): string => definedIn(model, service, key)

  const image = found.image?.trim() ?? ''
  if (image === '') {
    problems.push(
      `compose-file: service ${service} has no image (in ${files}): the rollout pulls the pushed image, so set image: to it with the tag \${APP_VERSION}`
    )
  } else if (/[:@]$/.test(image) || /\s/.test(image)) {
    problems.push(
      `compose-file: service ${service} has image "${image}" (in ${at('image')}), not a valid image reference: is a variable in it unset?`
    )
  }
  if (found.containerName !== undefined) {
    problems.push(
      `compose-file: service ${service} sets container_name "${found.containerName}" (in ${at('container_name')}): a fixed container name cannot run twice side by side; remove it`
    )
  }
  if (found.networkMode === 'host') {
    problems.push(
      `compose-file: service ${service} uses network_mode: host (in ${at('network_mode')}): the new containers would bind the same host ports as the old ones`
    )
  }
  const ports: ComposePort[] = []
  for (const port of found.ports) {
    const fixed = fixedHostPort(port)
    if (fixed) {
      problems.push(
        `compose-file: service ${service} publishes ${fixed} "${port.raw}" (in ${portDefinedIn(model, service, port)}): the new containers cannot bind it while the old ones run; publish the container port only (e.g. "${port.target}") behind a proxy, or a host port range`
      )
    } else {
      ports.push(port)
    }
  }
  let replicas = found.replicas ?? found.scale
  if (found.replicas !== undefined && found.scale !== undefined && found.replicas !== found.scale) {
    problems.push(
      `compose-file: service ${service} sets distinct values on scale (${found.scale}) and deploy.replicas (${found.replicas})`
    )
    replicas = undefined
  }
  let stopGracePeriodSeconds: number | undefined
  if (found.stopGracePeriod !== undefined) {
    try {
      stopGracePeriodSeconds = parseComposeDuration(found.stopGracePeriod)
    } catch (error) {
      problems.push(
        `compose-file: service ${service} stop_grace_period (in ${at('stop_grace_period')}): ${(error as Error).message}`
      )
    }
  }
  const networks = found.networkMode ? [] : Object.keys(found.networks)
  if (!found.networkMode && networks.length === 0) networks.push('default')
  for (const network of networks) {
    if (network !== 'default' && !Object.prototype.hasOwnProperty.call(model.networks, network)) {
      problems.push(
        `compose-file: service ${service} is on network ${network}, which no top-level networks: entry defines (in ${files})`
      )
    }
  }
  if (problems.length > 0) throw new ComposeFileError(problems)
  return {
    name: service,
    image,
    healthcheck: healthcheckKind(found.healthcheck),
    ...(replicas !== undefined ? { replicas } : {}),
    ...(stopGracePeriodSeconds !== undefined ? { stopGracePeriodSeconds } : {}),
    networks,
    ports
  }
}

/**
 * What makes a port fixed on the host, or undefined when the engine picks the host port: no
 * published port (`"80"`, `"127.0.0.1::80"`), or a range of at least two host ports for one
 * container port (`"8000-8010:80"`: the engine takes a free one per container).
 */
function fixedHostPort(port: ComposePort): string | undefined {
  if (port.published === undefined || port.published === '') return undefined
  const ip = port.hostIp ? ` on ${port.hostIp}` : ''
  const [low, high] = port.published.split('-').map(Number) as [number, number | undefined]
  if (high === undefined) return `the fixed host port ${port.published}${ip}`
  const size = high - low + 1
  if (port.target.includes('-')) return `the host port range ${port.published}${ip} one to one`
  if (size < 2) return `the host port range ${port.published}${ip} of one port`
  return undefined
}

function healthcheckKind(healthcheck: Record<string, unknown> | undefined): RolloutService['healthcheck'] {
  if (!healthcheck || Object.keys(healthcheck).length === 0) return 'image'
  const disable = healthcheck.disable
  if (disable === true || disable === 'true') return 'disabled'
  const test = healthcheck.test
  if (Array.isArray(test) && test[0] === 'NONE') return 'disabled'
  if (test === undefined) return 'image' // only intervals: they tune the image's HEALTHCHECK
  return 'compose'
}

/** The files whose documents set services.<service>.<key>. */
function definedIn(model: ComposeModel, service: string, key: string): string {
  const files = model.layers
    .filter((layer) => {
      const definition = asMapping(asMapping(layer.document.services)?.[service])
      return definition !== undefined && key in definition
    })
    .map((layer) => layer.path)
  return [...new Set(files)].join(', ') || model.files.join(', ')
}

function portDefinedIn(model: ComposeModel, service: string, port: ComposePort): string {
  const files = model.layers
    .filter((layer) => {
      const definition = asMapping(asMapping(layer.document.services)?.[service])
      const ports = definition?.ports
      const list = ports instanceof Tagged ? ports.value : ports
      return Array.isArray(list) && list.some((entry) => portText(entry) === port.raw)
    })
    .map((layer) => layer.path)
  return [...new Set(files)].join(', ') || model.files.join(', ')
}

function portText(entry: unknown): string {
  return typeof entry === 'string' ? entry : typeof entry === 'number' ? String(entry) : JSON.stringify(entry)
}
