// The containers of one Compose service on the deploy host, found by the labels Compose v1 and
// v2 both set, and handled by ID only (never by name or number, which the versions spell
// differently and which a scale-down would pick on its own).
import type { DockerCli } from '../../docker/cli.js'

export const PROJECT_LABEL = 'com.docker.compose.project'
export const SERVICE_LABEL = 'com.docker.compose.service'
export const NUMBER_LABEL = 'com.docker.compose.container-number'

export interface HealthProbe {
  exitCode: number
  output: string
}

export interface ContainerState {
  /** The full ID. */
  id: string
  /** Without the leading slash. */
  name: string
  /** The reference it was created from (Config.Image), e.g. localhost:5000/web:1.2.0. */
  image: string
  /** The image ID it runs (sha256:...). */
  imageId: string
  /** RFC 3339 by the engine's clock. */
  created: string
  running: boolean
  /** created, running, restarting, exited, ... */
  status: string
  exitCode: number
  restartCount: number
  /** Set when the container has a healthcheck (the image's or the compose file's). */
  health?: { status: string; log: HealthProbe[] }
  /** Network name -> the container's IPv4 address and DNS aliases there. */
  networks: Record<string, { ip: string; aliases: string[] }>
}

/** The part of `docker container inspect` JSON read here. */
interface InspectJson {
  Id?: string
  Name?: string
  Image?: string
  Created?: string
  RestartCount?: number
  Config?: { Image?: string }
  State?: {
    Running?: boolean
    Status?: string
    ExitCode?: number
    Health?: { Status?: string; Log?: { ExitCode?: number; Output?: string }[] }
  }
  NetworkSettings?: { Networks?: Record<string, { IPAddress?: string; Aliases?: string[] | null } | null> }
}

/** `docker inspect` JSON of containers, as the fields the rollout reads. */
export function parseContainerInspect(json: string): ContainerState[] {
  const parsed = JSON.parse(json) as unknown
  if (!Array.isArray(parsed)) throw new Error('docker inspect did not print a JSON list')
  return (parsed as InspectJson[]).map((entry) => {
    const state = entry.State ?? {}
    const health = state.Health
    const networks: ContainerState['networks'] = {}
    for (const [name, network] of Object.entries(entry.NetworkSettings?.Networks ?? {})) {
      networks[name] = {
        ip: network?.IPAddress ?? '',
        aliases: Array.isArray(network?.Aliases) ? network.Aliases : []
      }
    }
    return {
      id: entry.Id ?? '',
      name: (entry.Name ?? '').replace(/^\//, ''),
      image: entry.Config?.Image ?? '',
      imageId: entry.Image ?? '',
      created: entry.Created ?? '',
      running: state.Running === true,
      status: state.Status ?? '',
      exitCode: state.ExitCode ?? 0,
      restartCount: entry.RestartCount ?? 0,
      ...(health
        ? {
            health: {
              status: health.Status ?? '',
              log: (health.Log ?? []).map((probe) => ({
                exitCode: probe.ExitCode ?? 0,
                output: probe.Output ?? ''
              }))
            }
          }
        : {}),
      networks
    }
  })
}

/** The filter arguments that select a service's containers. */
export function serviceFilter(project: string, service?: string): string[] {
  return [
    '--filter',
    `label=${PROJECT_LABEL}=${project}`,
    ...(service === undefined ? [] : ['--filter', `label=${SERVICE_LABEL}=${service}`])
  ]
}

export class Containers {
  /** Networks that refused `--ip` (no subnet in their configuration). */
  private readonly noFixedAddress = new Set<string>()

  constructor(readonly docker: DockerCli) {}

  /** IDs of the project's (or one service's) containers; running ones only unless `all`. */
  async list(project: string, service?: string, all = false): Promise<string[]> {
    const result = await this.docker.run(
      ['ps', ...(all ? ['--all'] : []), '--no-trunc', '--quiet', ...serviceFilter(project, service)],
      { quiet: true }
    )
    return result.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
  }

  async inspect(ids: string[]): Promise<ContainerState[]> {
    if (ids.length === 0) return []
    const result = await this.docker.run(['container', 'inspect', ...ids], { quiet: true })
    return parseContainerInspect(result.stdout)
  }

  /** Removes containers by ID, running or not; ones already gone are not an error. */
  async remove(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    const result = await this.docker.run(['rm', '--force', ...ids], { quiet: true, allowFailure: true })
    if (result.exitCode !== 0 && !/No such container/i.test(result.stderr)) {
      throw new Error(`could not remove containers ${ids.map(short).join(', ')}: ${result.stderr.trim()}`)
    }
  }

  /**
   * Stops containers by ID, all at once, each with its own stop signal and grace period (Compose
   * sets both on the container from stop_signal and stop_grace_period), then removes them.
   */
  async stopAndRemove(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await this.docker.run(['stop', ...ids], { quiet: true, allowFailure: true })
    await this.remove(ids)
  }

  async disconnect(network: string, id: string): Promise<void> {
    await this.docker.run(['network', 'disconnect', network, id], { quiet: true })
  }

  /**
   * Connects a container to a network with these DNS aliases, at `ip` when the network lets a
   * container ask for its address (only networks with a subnet in their configuration do);
   * returns the address it got.
   */
  async connect(network: string, id: string, aliases: string[], ip?: string): Promise<string> {
    const args = ['network', 'connect', ...aliases.flatMap((alias) => ['--alias', alias])]
    if (ip && !this.noFixedAddress.has(network)) {
      const kept = await this.docker.run([...args, '--ip', ip, network, id], {
        quiet: true,
        allowFailure: true
      })
      if (kept.exitCode === 0) return ip
      if (!/user specified IP address is supported only/i.test(kept.stderr)) {
        throw new Error(`could not connect ${short(id)} to ${network}: ${kept.stderr.trim()}`)
      }
      this.noFixedAddress.add(network)
    }
    await this.docker.run([...args, network, id], { quiet: true })
    const [state] = await this.inspect([id])
    return state?.networks[network]?.ip ?? ''
  }

  /**
   * Starts the engine's healthchecks of these containers again: unpausing a container starts its
   * health monitor afresh (the way round moby/moby#41871). Only for containers that get no traffic
   * yet: pausing freezes them for the moment between the two calls.
   */
  async rearmHealthchecks(ids: string[]): Promise<void> {
    if (ids.length === 0) return
    await this.docker.run(['pause', ...ids], { quiet: true })
    await this.docker.run(['unpause', ...ids], { quiet: true })
  }

  /** The last lines a container printed, for the summary of a failed release. */
  async logTail(id: string, lines: number): Promise<string> {
    const result = await this.docker.run(['logs', '--tail', String(lines), id], {
      quiet: true,
      allowFailure: true
    })
    return `${result.stdout}${result.stderr}`.trimEnd()
  }
}

/** The 12-character form docker prints. */
export function short(id: string): string {
  return id.replace(/^sha256:/, '').slice(0, 12)
}
