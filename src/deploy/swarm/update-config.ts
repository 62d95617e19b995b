// The rolling update Swarm must do for a release to go out with no request dropped and to undo
// itself: new tasks started before old ones stop (order: start-first), a failed update rolled
// back (failure_action: rollback) after watching each new task for a while (monitor), and a
// rollback_config so that the rollback also starts before it stops. What the rolled service's
// deploy: lacks, the action adds in its generated compose file, and says so.
import { isMapping } from '../compose/file/values.js'

/** The monitor window the action sets when the file names none (Swarm's own default is 5 s). */
export const DEFAULT_MONITOR = '10s'

/** What the action sets on a rollback_config the file lacks: all old tasks back at once, started first. */
export const DEFAULT_ROLLBACK_CONFIG = { parallelism: 0, order: 'start-first', failure_action: 'pause' }

export interface UpdateConfigPatch {
  /** The service's deploy: fragment for the generated file; undefined when nothing is missing. */
  deploy?: Record<string, unknown>
  /** One line per setting added or changed, for the notice. */
  added: string[]
}

/**
 * What `deploy` (the rolled service's merged deploy: mapping, or undefined) lacks, as a deploy:
 * fragment that repeats the file's own update_config/rollback_config keys beside the added ones
 * (the docker CLI then merges the same values whichever way it merges nested mappings).
 */
export function updateConfigPatch(deploy: unknown, replicas?: number): UpdateConfigPatch {
  const given = isMapping(deploy) ? deploy : {}
  const update = isMapping(given.update_config) ? { ...given.update_config } : {}
  const added: string[] = []
  if (update.order !== 'start-first') {
    added.push(`update_config.order: start-first${update.order ? ` (was ${String(update.order)})` : ''}`)
    update.order = 'start-first'
  }
  if (update.failure_action !== 'rollback') {
    added.push(
      `update_config.failure_action: rollback${update.failure_action ? ` (was ${String(update.failure_action)})` : ''}`
    )
    update.failure_action = 'rollback'
  }
  if (update.monitor === undefined || update.monitor === null || update.monitor === '') {
    added.push(`update_config.monitor: ${DEFAULT_MONITOR}`)
    update.monitor = DEFAULT_MONITOR
  }
  const fragment: Record<string, unknown> = {}
  if (added.length > 0) fragment.update_config = update
  if (!isMapping(given.rollback_config)) {
    added.push(
      `rollback_config: ${Object.entries(DEFAULT_ROLLBACK_CONFIG)
        .map(([key, value]) => `${key} ${value}`)
        .join(', ')}`
    )
    fragment.rollback_config = { ...DEFAULT_ROLLBACK_CONFIG }
  }
  // The replicas input wins over the file, as it does for Compose.
  if (replicas !== undefined) fragment.replicas = replicas
  return Object.keys(fragment).length > 0 ? { deploy: fragment, added } : { added }
}
