// What the post step does when the main step ended in the middle of a rollout (a cancelled run,
// a crash): it puts the service back in one piece, keeping whichever version can serve. The main
// step saves where it was (RolloutState) at each phase; the containers of the interrupted
// rollout are found again by their Compose labels: every container of the service that is not
// one of the old ones is new.
//   - before the switch: the new containers are removed; the old ones never left service;
//   - during the switch: when every new container is healthy, the switch is finished (the old
//     ones leave the name, switch-command, the old ones stopped); otherwise it is undone (the old
//     ones get the name back, the new ones leave it, switch-command, the new ones removed);
//   - after the switch: the old containers are stopped and removed.
// The saved state is trusted no more than any other (run/trusted-state.ts): it must be of the
// service the `service` input names, in a Compose project, its old containers full IDs; the
// switch command comes from the switch-command input, never from state.
import { canServe } from './health.js'
import { Containers, short, type ContainerState } from './containers.js'
import type { DockerCli } from '../../docker/cli.js'
import { parseSwitchCommand, type SwitchCommand } from './switch-command.js'
import { switchTraffic, type SwitchLog } from './traffic-switch.js'
import { COMPOSE_PROJECT } from '../inputs.js'
import type { InputReader, InterruptedRollout } from '../strategy.js'
import { trusted, UntrustedStateError } from '../../run/trusted-state.js'

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/
const CONTAINER_ID = /^[0-9a-f]{64}$/

export type RolloutPhase = 'scaling' | 'switching' | 'switched'

export interface RolloutState {
  project: string
  service: string
  /** IDs of the containers that served before the rollout. */
  old: string[]
  phase: RolloutPhase
}

export function parseRolloutState(text: string): RolloutState | undefined {
  if (!text) return undefined
  let state: Partial<RolloutState> | null
  try {
    state = JSON.parse(text) as Partial<RolloutState> | null
  } catch {
    state = null
  }
  const phases: RolloutPhase[] = ['scaling', 'switching', 'switched']
  if (
    typeof state !== 'object' ||
    state === null ||
    typeof state.project !== 'string' ||
    typeof state.service !== 'string' ||
    !Array.isArray(state.old) ||
    !phases.includes(state.phase as RolloutPhase)
  ) {
    throw new Error('the saved rollout state is not one the main step writes')
  }
  return state as RolloutState
}

/**
 * The strategy's side of the post step: the rollout the main step saved, checked against the
 * inputs, and its recovery with the switch-command input; undefined when none was under way.
 */
export function interruptedRollout(saved: string, input: InputReader): InterruptedRollout | undefined {
  const state = checkedRollout(saved, input('service'))
  if (!state) return undefined
  return {
    service: state.service,
    recover: async (docker, log) => {
      const command = trusted(
        () => parseSwitchCommand(input('switch-command')),
        (message) => log.warning(message)
      )
      await recoverRollout(docker, state, command, log)
    }
  }
}

/**
 * The rollout the main step was in, when it is one of the service the `service` input names,
 * of a Compose project, with old containers by full ID; undefined when empty.
 */
export function checkedRollout(text: string, service: string): RolloutState | undefined {
  let state: RolloutState | undefined
  try {
    state = parseRolloutState(text)
  } catch (error) {
    throw new UntrustedStateError('deploy-rollout', (error as Error).message)
  }
  if (!state) return undefined
  if (!SERVICE_NAME.test(service) || state.service !== service) {
    throw new UntrustedStateError(
      'deploy-rollout',
      `it is of service ${JSON.stringify(state.service)}, and the service input is ${JSON.stringify(service)}`
    )
  }
  if (!COMPOSE_PROJECT.test(state.project)) {
    throw new UntrustedStateError(
      'deploy-rollout',
      `${JSON.stringify(state.project)} is not a Compose project name`
    )
  }
  if (!state.old.every((id) => typeof id === 'string' && CONTAINER_ID.test(id))) {
    throw new UntrustedStateError('deploy-rollout', 'its old containers are not all container IDs')
  }
  // Only what the main step writes: the switch command comes from the input.
  return { project: state.project, service: state.service, old: [...state.old], phase: state.phase }
}

/** Puts the service back in one piece; returns what it found and did, one line each. */
export async function recoverRollout(
  docker: DockerCli,
  state: RolloutState,
  /** The switch-command input, to finish or undo a switch. */
  command: SwitchCommand | undefined,
  log: SwitchLog
): Promise<string[]> {
  const containers = new Containers(docker)
  const { project, service } = state
  const oldIds = new Set(state.old)
  const all = await containers.inspect(await containers.list(project, service, true))
  const old = all.filter((container) => oldIds.has(container.id))
  const fresh = all.filter((container) => !oldIds.has(container.id))
  const names = (list: ContainerState[]): string =>
    list.map((container) => container.name).join(', ') || 'none'
  const report = [
    `The deploy of ${service} (${project}) ended ${describePhase(state.phase)}: ${old.length} old container(s) (${names(old)}), ${fresh.length} new (${names(fresh)}).`
  ]
  const scope = { docker, project, service }
  if (state.phase === 'scaling') {
    await containers.remove(fresh.map((container) => container.id))
    report.push(`Removed the ${fresh.length} new container(s); the old ones kept serving.`)
  } else if (state.phase === 'switched') {
    await containers.stopAndRemove(old.map((container) => container.id))
    report.push(`Stopped and removed the ${old.length} old container(s); the new ones serve.`)
  } else if (fresh.length > 0 && fresh.every(canServe)) {
    await switchTraffic(scope, command, containers, old, log)
    await containers.stopAndRemove(old.map((container) => container.id))
    report.push(
      `Every new container was healthy: finished the switch and removed the ${old.length} old container(s).`
    )
  } else {
    await restoreName(containers, old, fresh, service)
    await switchTraffic(scope, command, containers, fresh, log)
    await containers.remove(fresh.map((container) => container.id))
    report.push(
      `Not every new container was healthy: gave the old container(s) the name back and removed the ${fresh.length} new one(s).`
    )
  }
  for (const line of report) log.info(line)
  return report
}

function describePhase(phase: RolloutPhase): string {
  if (phase === 'scaling') return 'before the switch'
  if (phase === 'switching') return 'during the switch'
  return 'after the switch, before the old containers were removed'
}

/**
 * Gives the old containers the service's name back (keeping their addresses) on each network
 * where the new containers have it and they do not.
 */
async function restoreName(
  containers: Containers,
  old: ContainerState[],
  fresh: ContainerState[],
  service: string
): Promise<void> {
  const networks = new Set(
    fresh.flatMap((container) =>
      Object.entries(container.networks)
        .filter(([, endpoint]) => endpoint.aliases.includes(service))
        .map(([network]) => network)
    )
  )
  for (const container of old) {
    for (const [network, endpoint] of Object.entries(container.networks)) {
      if (!networks.has(network) || endpoint.aliases.includes(service)) continue
      const aliases = [service, ...endpoint.aliases.filter((alias) => alias !== short(container.id))]
      await containers.disconnect(network, container.id)
      await containers.connect(network, container.id, aliases, endpoint.ip)
    }
  }
}
