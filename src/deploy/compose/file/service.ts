// The typed service: a service's merged mapping (see merge.ts) read into a ComposeService, each
// attribute the rollout reads checked for its type and put in its long form (see long-form.ts).
import { parsePort, toBuild, toDependsOn, toKeyValues, toMapping, toSequence } from './long-form.js'
import type { ComposeDependency, ComposeService } from './model.js'
import { asMapping, describe, isMapping } from './values.js'

export function toService(name: string, raw: Record<string, unknown>): ComposeService {
  const deploy = asMapping(raw.deploy)
  const healthcheck = raw.healthcheck
  if (healthcheck !== undefined && healthcheck !== null && !isMapping(healthcheck)) {
    throw new Error(`healthcheck is ${describe(healthcheck)}, not a mapping`)
  }
  return {
    name,
    image: optionalString(raw.image, 'image'),
    build: raw.build === undefined ? undefined : toBuild(raw.build),
    containerName: optionalString(raw.container_name, 'container_name'),
    ports: toSequence(raw.ports, ['ports']).map(parsePort),
    healthcheck: isMapping(healthcheck) ? healthcheck : undefined,
    replicas: optionalCount(deploy?.replicas, 'deploy.replicas'),
    scale: optionalCount(raw.scale, 'scale'),
    stopGracePeriod: optionalString(raw.stop_grace_period, 'stop_grace_period', true),
    networkMode: optionalString(raw.network_mode, 'network_mode'),
    networks: toMapping(raw.networks, ['networks']) as ComposeService['networks'],
    dependsOn: toDependsOn(raw.depends_on, ['depends_on']) as Record<string, ComposeDependency>,
    labels: toKeyValues(raw.labels, ['labels']),
    environment: toKeyValues(raw.environment, ['environment']),
    raw
  }
}

function optionalString(value: unknown, key: string, strict = false): string | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value === 'string') return value
  if (!strict && (typeof value === 'number' || typeof value === 'boolean')) return String(value)
  throw new Error(`${key} is ${describe(value)}, not a string`)
}

/** A whole number of containers; interpolation leaves strings such as "3". */
function optionalCount(value: unknown, key: string): number | undefined {
  if (value === undefined || value === null) return undefined
  if (typeof value !== 'string' && typeof value !== 'number' && typeof value !== 'boolean') {
    throw new Error(`${key} is ${describe(value)}, not a whole number`)
  }
  const text = String(value).trim()
  if (!/^\d+$/.test(text) || !Number.isSafeInteger(Number(text))) {
    throw new Error(`${key} "${String(value)}" is not a whole number`)
  }
  return Number(text)
}
