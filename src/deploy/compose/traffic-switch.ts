// The switch of a blue-green rollout: the proxy in front must stop sending to the old containers
// without ever sending to one that is gone. The old containers leave the service's DNS name
// (keeping their addresses, so whatever the proxy resolved earlier still answers), then
// switch-command makes the proxy resolve the name again.
import { short, type Containers, type ContainerState } from './containers.js'
import type { DockerCli } from '../../docker/cli.js'
import type { SwitchCommand } from './switch-command.js'

/** Where messages go: @actions/core in the main step, plain workflow commands in the post step. */
export interface SwitchLog {
  info(message: string): void
  warning(message: string): void
}

/** The service whose name the switch moves. */
export interface SwitchScope {
  docker: DockerCli
  project: string
  service: string
}

/**
 * Takes the old containers out of the service's DNS name on every network where they have it,
 * keeping their addresses, then runs switch-command in each running container of its service,
 * so the proxy resolves the name again and finds only the new containers.
 *
 * Docker drops a name only with the container's endpoint, so each old container leaves the
 * network and rejoins it at once without the name. A proxy that resolved the name earlier
 * (nginx's `server web:8080`) still sends to the old address until it reloads: the address must
 * come back, or those requests hang. A network with a subnet in its configuration lets the
 * container ask for its address (`--ip`); on one without, Docker hands out its lowest free
 * address, which is the container's own when no lower one is free (the old containers are
 * handled lowest address first), and the step warns when it was not. The gap of the rejoin
 * costs a request a TCP retransmission, not an error (the MAC address follows the IP).
 * When the switch fails, the old containers get their name back.
 */
export async function switchTraffic(
  target: SwitchScope,
  command: SwitchCommand | undefined,
  containers: Containers,
  old: ContainerState[],
  log: SwitchLog
): Promise<void> {
  const service = target.service
  const detached: { container: ContainerState; network: string; ip: string; aliases: string[] }[] = []
  const moved: string[] = []
  try {
    for (const { container, network, ip, aliases } of nameHolders(old, service)) {
      await containers.disconnect(network, container.id)
      detached.push({ container, network, ip, aliases })
      const got = await containers.connect(
        network,
        container.id,
        aliases.filter((alias) => alias !== service),
        ip
      )
      if (got !== ip) moved.push(`${container.name} on ${network} (${ip} became ${got})`)
    }
    if (detached.length > 0) {
      log.info(
        `Took ${old.length} old container(s) out of the name ${service}, ${detached.length - moved.length} of ${detached.length} keeping their address`
      )
    }
    if (moved.length > 0) {
      log.warning(
        `${moved.join(', ')}: the address changed when leaving the name ${service}, so requests a proxy sent there before switch-command may fail. Give the network a subnet (ipam: config: - subnet: ...) so that containers keep their address.`
      )
    }
    if (!command) return
    const proxies = await containers.list(target.project, command.service)
    if (proxies.length === 0) {
      log.warning(
        `switch-command: no container of ${command.service} is running in ${target.project}; nothing to switch`
      )
      return
    }
    for (const proxy of proxies) {
      await target.docker.run(['exec', proxy, ...command.args], { quiet: true }).catch((error: Error) => {
        throw new Error(
          `switch-command \`${command.command}\` failed in ${command.service} (${short(proxy)}): ${error.message}`
        )
      })
    }
    log.info(`Switched: ran \`${command.command}\` in ${proxies.length} container(s) of ${command.service}`)
  } catch (error) {
    for (const { container, network, ip, aliases } of detached.reverse()) {
      await containers
        .disconnect(network, container.id)
        .catch(() => undefined)
        .then(() => containers.connect(network, container.id, aliases, ip))
        .catch((reconnect: Error) =>
          log.warning(
            `could not give ${container.name} its name ${service} back on ${network}: ${reconnect.message}`
          )
        )
    }
    throw error
  }
}

/**
 * Each network endpoint of the old containers that carries the service's name, lowest address
 * first, with the aliases to restore (without the short ID, which Docker adds itself).
 */
export function nameHolders(
  old: ContainerState[],
  service: string
): { container: ContainerState; network: string; ip: string; aliases: string[] }[] {
  const holders = old.flatMap((container) =>
    Object.entries(container.networks)
      .filter(([, endpoint]) => endpoint.aliases.includes(service))
      .map(([network, endpoint]) => ({
        container,
        network,
        ip: endpoint.ip,
        aliases: endpoint.aliases.filter((alias) => alias !== short(container.id))
      }))
  )
  return holders.sort((a, b) => a.network.localeCompare(b.network) || ipOrder(a.ip) - ipOrder(b.ip))
}

function ipOrder(ip: string): number {
  const parts = ip.split('.').map(Number)
  return parts.length === 4 && parts.every(Number.isInteger)
    ? parts.reduce((sum, part) => sum * 256 + part, 0)
    : 0
}
