// The post step's side of a Swarm rollout the main step did not finish (a cancelled run): Swarm
// goes on updating by itself, so the post step asks the manager where the update is, and rolls it
// back while it is still updating (or paused), so that one version serves, as the main step
// would have on a failure. Loads no compose file parser: the post bundle stays small.
import type { DockerCli } from '../../docker/cli.js'
import type { DeployLog, InputReader, InterruptedRollout } from '../strategy.js'
import { rollBackService, waitForRollback } from './roll-back.js'
import { SwarmService } from './service.js'
import { checkedSwarmState, type SwarmState } from './state.js'

/** The post step waits this long for a rollback when health-timeout cannot be read. */
const DEFAULT_WAIT_SECONDS = 120

export function interruptedSwarmRollout(saved: string, input: InputReader): InterruptedRollout | undefined {
  const state = checkedSwarmState(saved, input('service'))
  if (!state) return undefined
  const wait = Number(input('health-timeout'))
  const seconds = Number.isSafeInteger(wait) && wait > 0 ? wait : DEFAULT_WAIT_SECONDS
  return {
    service: `${state.stack}_${state.service}`,
    recover: async (docker, log) => {
      await recoverSwarmRollout(docker, state, seconds, log)
    }
  }
}

/** Rolls back an update still under way; leaves a finished one alone. Returns what it did. */
export async function recoverSwarmRollout(
  docker: DockerCli,
  state: SwarmState,
  seconds: number,
  log: DeployLog
): Promise<string> {
  const name = `${state.stack}_${state.service}`
  const service = new SwarmService(docker, name)
  const update = (await service.inspect())?.update
  const now = update?.state ?? 'none'
  if (now === 'updating' || now === 'paused') {
    const ended = await rollBackService(docker, name, seconds, log)
    const what = `The deploy ended while Swarm was updating ${name} (${now}): rolled it back (${ended || 'no update status'}).`
    log.warning(what)
    return what
  }
  if (now === 'rollback_started') {
    const ended = await waitForRollback(service, seconds)
    const what = `The deploy ended while Swarm was rolling ${name} back: waited for it (${ended || 'no update status'}).`
    log.warning(what)
    return what
  }
  const what = `The deploy ended during the update of ${name}, which Swarm had finished (${now}): nothing to do.`
  log.info(what)
  return what
}
