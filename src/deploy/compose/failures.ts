// Why new containers were not accepted, for the step's report: each one's reason, last health
// checks and last log lines, read from the host once the rollout has given up on them.
import type { ReadinessOutcome } from './health.js'
import type { Containers, ContainerState } from './containers.js'
import { LOG_TAIL_LINES, type ContainerFailure } from '../strategy.js'

const HEALTH_LOG_ENTRIES = 3

export async function describeFailures(
  containers: Containers,
  fresh: ContainerState[],
  outcome: ReadinessOutcome,
  healthTimeout: number
): Promise<ContainerFailure[]> {
  const latest = await containers.inspect(fresh.map((container) => container.id)).catch(() => fresh)
  const failures: ContainerFailure[] = []
  for (const container of latest) {
    const reason = outcome.failures[container.id]
    if (!reason) continue
    failures.push({
      name: container.name,
      id: container.id,
      reason:
        reason === 'timeout'
          ? `not ready after ${healthTimeout} s (health-timeout)${container.health ? `, health ${container.health.status}` : ''}`
          : reason,
      healthLog: (container.health?.log ?? [])
        .slice(-HEALTH_LOG_ENTRIES)
        .map((probe) => `exit ${probe.exitCode}: ${probe.output.trim()}`),
      logTail: await containers.logTail(container.id, LOG_TAIL_LINES)
    })
  }
  return failures
}

export function describeState(container: ContainerState): string {
  if (!container.running) return `was ${container.status} (exit code ${container.exitCode})`
  return `was ${container.health?.status ?? 'not healthy'}`
}

export function failureMessage(service: string, failures: ContainerFailure[]): string {
  const first = failures[0]
  const what = first ? `${first.name} ${first.reason}` : 'a new container failed'
  const more = failures.length > 1 ? ` (and ${failures.length - 1} more)` : ''
  return `the new version of ${service} is not healthy: ${what}${more}. The new containers were removed; the old ones kept serving.`
}
