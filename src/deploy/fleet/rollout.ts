// A release rolled out over several hosts, one batch at a time, each host with the strategy's own
// rollout (Compose blue-green: no request dropped on that host). The hosts of a batch roll out
// side by side; when batch-wait is set, the new containers of a batch must stay healthy that
// long before the next batch starts. A failure stops the rollout: the failing host was already
// put back by its own rollout, the hosts not reached are left as they are, and the hosts that
// finished go back to the release they ran (on-failure: rollback) or stay on the new one (stop).
import type { OnFailure } from '../inputs.js'
import type { DeployLog } from '../strategy.js'

/** What the fleet rollout does to one host. */
export interface FleetHost {
  index: number
  url: string
  /** The host's rollout; throws when it fails (having put the host back itself). */
  rollOut(): Promise<void>
  /** Throws when the host's new containers stopped serving (checked during batch-wait). */
  checkServing(): Promise<void>
  /** Puts a host that finished back on the release it ran before. */
  revert(): Promise<void>
}

export type HostOutcome = 'deployed' | 'failed' | 'reverted' | 'revert failed' | 'not reached'

export interface FleetOptions {
  batches: number[][]
  /** Seconds a batch must stay healthy before the next one. */
  batchWaitSeconds: number
  onFailure: OnFailure
  log: DeployLog
  /** Called when a host finished its rollout (the post step must know it until the end). */
  finished(index: number): void
  /** Called when a batch starts (its number from 1, its hosts). */
  batchStarts?(number: number, hosts: number[]): void
  sleep?: (ms: number) => Promise<void>
}

/** How often the new containers are looked at during batch-wait. */
const WATCH_INTERVAL_MS = 1000

export interface FleetOutcome {
  /** Each host's outcome, by deploy-host line. */
  outcomes: Map<number, HostOutcome>
  /** The first failure (naming its host when there are several), after on-failure was applied. */
  error?: Error
}

/** Rolls the hosts out batch by batch; on a failure, deals with the finished hosts as on-failure says. */
export async function rollOutInBatches(hosts: FleetHost[], options: FleetOptions): Promise<FleetOutcome> {
  const outcomes = new Map<number, HostOutcome>(hosts.map((host) => [host.index, 'not reached']))
  const byIndex = new Map(hosts.map((host) => [host.index, host]))
  const done: FleetHost[] = []
  const named = hosts.length > 1
  let failure: Error | undefined
  for (const [position, batch] of options.batches.entries()) {
    const members = batch.map((index) => byIndex.get(index) as FleetHost)
    options.batchStarts?.(position + 1, batch)
    const settled = await Promise.allSettled(members.map((host) => host.rollOut()))
    settled.forEach((outcome, at) => {
      const host = members[at] as FleetHost
      if (outcome.status === 'fulfilled') {
        outcomes.set(host.index, 'deployed')
        done.push(host)
        options.finished(host.index)
      } else {
        outcomes.set(host.index, 'failed')
        failure ??= hostError(host, outcome.reason, named)
      }
    })
    const last = position === options.batches.length - 1
    if (!failure && !last && options.batchWaitSeconds > 0) {
      failure = await watchBatch(members, options, (host) => outcomes.set(host.index, 'failed'))
    }
    if (failure) break
  }
  if (failure) await afterFailure(done, outcomes, options)
  return { outcomes, ...(failure ? { error: failure } : {}) }
}

/** The batch's hosts looked at every second for batch-wait seconds; the first that stops serving. */
async function watchBatch(
  members: FleetHost[],
  options: FleetOptions,
  failed: (host: FleetHost) => void
): Promise<Error | undefined> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const until = Date.now() + options.batchWaitSeconds * 1000
  options.log.info(
    `Watching ${members.map((host) => host.url).join(', ')} for ${options.batchWaitSeconds} s (batch-wait) before the next batch`
  )
  for (;;) {
    const checks = await Promise.allSettled(members.map((host) => host.checkServing()))
    const bad = checks.findIndex((check) => check.status === 'rejected')
    if (bad >= 0) {
      const host = members[bad] as FleetHost
      failed(host)
      return hostError(host, (checks[bad] as PromiseRejectedResult).reason, true, 'during batch-wait')
    }
    const left = until - Date.now()
    if (left <= 0) return undefined
    await sleep(Math.min(WATCH_INTERVAL_MS, left))
  }
}

/** The hosts that finished, put back (rollback) or left on the new release (stop). */
async function afterFailure(
  done: FleetHost[],
  outcomes: Map<number, HostOutcome>,
  options: FleetOptions
): Promise<void> {
  // A host whose new containers failed batch-wait finished its rollout: it goes back too.
  const revert = done.filter(
    (host) => options.onFailure === 'rollback' || outcomes.get(host.index) === 'failed'
  )
  const stays = done.filter((host) => !revert.includes(host))
  if (stays.length > 0) {
    options.log.warning(
      `on-failure: stop: ${stays.map((host) => host.url).join(', ')} stay on the new release; the other hosts run the one before`
    )
  }
  if (revert.length === 0) return
  options.log.info(`Rolling back ${revert.map((host) => host.url).join(', ')} to the release they ran before`)
  const settled = await Promise.allSettled(revert.map((host) => host.revert()))
  settled.forEach((outcome, at) => {
    const host = revert[at] as FleetHost
    if (outcome.status === 'fulfilled') outcomes.set(host.index, 'reverted')
    else {
      outcomes.set(host.index, 'revert failed')
      options.log.warning(`could not roll ${host.url} back: ${(outcome.reason as Error).message}`)
    }
  })
}

/** The failure, naming its host when there are several. */
function hostError(host: FleetHost, reason: unknown, named: boolean, when = ''): Error {
  const error = reason instanceof Error ? reason : new Error(String(reason))
  return named ? new Error(`${host.url}${when ? ` ${when}` : ''}: ${error.message}`) : error
}
