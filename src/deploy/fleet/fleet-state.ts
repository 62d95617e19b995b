// What the post step must know of a rollout over several hosts to leave every host on one
// release after a cancelled run: the image each host ran before (known once its rollout took
// stock) and which hosts finished. Trusted no more than any saved state (run/trusted-state.ts):
// host numbers must be deploy-host lines, and an image is only ever rolled out when the compose
// file's image makes it for some version (DeployPlan.releaseOf).
import { UntrustedStateError } from '../../run/trusted-state.js'

export interface FleetState {
  /** The image each host's service ran before, by deploy-host line (from 0); '' for none. */
  previous: Record<number, string>
  /** The hosts whose rollout finished. */
  finished: number[]
}

export function emptyFleetState(): FleetState {
  return { previous: {}, finished: [] }
}

/** The saved fleet state for `hosts` deploy-host lines; undefined when empty. */
export function checkedFleetState(text: string, hosts: number): FleetState | undefined {
  if (!text) return undefined
  const refuse = (why: string): never => {
    throw new UntrustedStateError('deploy-finished', why)
  }
  let saved: unknown
  try {
    saved = JSON.parse(text)
  } catch {
    refuse('it is not what the main step writes')
  }
  const { previous, finished } = (saved ?? {}) as Partial<Record<keyof FleetState, unknown>>
  if (typeof previous !== 'object' || previous === null || !Array.isArray(finished)) {
    refuse('it is not what the main step writes')
  }
  const isHost = (value: unknown): value is number =>
    typeof value === 'number' && Number.isInteger(value) && value >= 0 && value < hosts
  const state = emptyFleetState()
  for (const [key, image] of Object.entries(previous as object)) {
    if (
      !isHost(Number(key)) ||
      String(Number(key)) !== key ||
      typeof image !== 'string' ||
      /\s/.test(image)
    ) {
      refuse(`${JSON.stringify(key)} is not a deploy-host line with an image`)
    }
    state.previous[Number(key)] = image as string
  }
  for (const index of finished as unknown[]) {
    if (!isHost(index)) refuse(`${JSON.stringify(index)} is not a deploy-host line`)
    state.finished.push(index as number)
  }
  return state
}
