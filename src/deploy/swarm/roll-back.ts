// Asking Swarm to undo an update it is still in (the main step ran out of health-timeout, or was
// cancelled and the post step found the update going), then waiting until the rollback ends.
// Shared by the rollout and the post step's recovery, so it loads none of the compose parser.
import type { DockerCli } from '../../docker/cli.js'
import type { DeployLog } from '../strategy.js'
import { SwarmService, type UpdateState } from './service.js'

/** How often the manager is asked again while something converges. */
export const POLL_MS = 1000

export const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/**
 * Rolls the service back to its previous spec and waits up to `timeoutSeconds` for Swarm to end
 * the rollback; returns the UpdateStatus state it ended in ('' when the service has none).
 */
export async function rollBackService(
  docker: DockerCli,
  name: string,
  timeoutSeconds: number,
  log: DeployLog
): Promise<UpdateState | ''> {
  const result = await docker.run(['service', 'rollback', '--detach=true', name], {
    quiet: true,
    allowFailure: true
  })
  if (result.exitCode !== 0)
    throw new Error(`docker service rollback ${name} failed: ${result.stderr.trim()}`)
  log.info(`Asked Swarm to roll ${name} back to its previous spec`)
  return waitForRollback(new SwarmService(docker, name), timeoutSeconds)
}

/** Waits while Swarm rolls back; the state it ended in, or the last seen at the timeout. */
export async function waitForRollback(
  service: SwarmService,
  timeoutSeconds: number
): Promise<UpdateState | ''> {
  const deadline = Date.now() + timeoutSeconds * 1000
  for (;;) {
    const state = (await service.inspect())?.update?.state ?? ''
    if (state !== 'rollback_started' && state !== 'updating') return state
    if (Date.now() > deadline) return state
    await sleep(POLL_MS)
  }
}
