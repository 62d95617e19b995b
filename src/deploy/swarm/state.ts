// What the main step saves for the post step while Swarm updates the service (the stack and the
// service, nothing else), and its check when read back: the post step trusts no saved value
// (run/trusted-state.ts), so the service must be the one the `service` input names and the stack
// a valid stack name; what is done about it is decided from the manager's own answer.
import { UntrustedStateError } from '../../run/trusted-state.js'
import { COMPOSE_PROJECT } from '../inputs.js'
import type { RolloutHooks } from '../strategy.js'

export interface SwarmState {
  stack: string
  service: string
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export function saveSwarmState(hooks: Pick<RolloutHooks, 'saveState'>, state: SwarmState): void {
  hooks.saveState(JSON.stringify({ orchestrator: 'swarm', stack: state.stack, service: state.service }))
}

/** The saved rollout, checked against the service input; undefined when none was saved. */
export function checkedSwarmState(text: string, service: string): SwarmState | undefined {
  if (!text) return undefined
  let state: unknown
  try {
    state = JSON.parse(text)
  } catch {
    state = undefined
  }
  const saved = (typeof state === 'object' && state !== null ? state : {}) as Record<string, unknown>
  if (
    saved.orchestrator !== 'swarm' ||
    typeof saved.stack !== 'string' ||
    typeof saved.service !== 'string'
  ) {
    throw new UntrustedStateError('deploy-rollout', 'it is not one the main step writes for a Swarm rollout')
  }
  if (!SERVICE_NAME.test(service) || saved.service !== service) {
    throw new UntrustedStateError(
      'deploy-rollout',
      `it is of service ${JSON.stringify(saved.service)}, and the service input is ${JSON.stringify(service)}`
    )
  }
  if (!COMPOSE_PROJECT.test(saved.stack)) {
    throw new UntrustedStateError('deploy-rollout', `${JSON.stringify(saved.stack)} is not a stack name`)
  }
  return { stack: saved.stack, service: saved.service }
}
