// Waiting for new containers to be ready, by following what the engine reports (`docker
// events`), never by fixed sleeps: with a healthcheck, until each reports healthy; without one,
// until each has stayed up through a grace period. A container that exits, restarts or reports
// unhealthy fails the wait at once.
import type { ContainerState } from './containers.js'
import type { DockerCli } from './docker-cli.js'
import { startProgram } from './program.js'

/** One line of `docker events --format '{{json .}}'`, the fields read here. */
export interface EngineEvent {
  /** The container ID. */
  id: string
  /** e.g. start, die, restart, oom, `health_status: healthy`. */
  action: string
  exitCode?: number
}

export function parseEngineEvent(line: string): EngineEvent | undefined {
  let parsed: {
    id?: string
    status?: string
    Action?: string
    Actor?: { ID?: string; Attributes?: Record<string, string> }
  }
  try {
    parsed = JSON.parse(line) as typeof parsed
  } catch {
    return undefined
  }
  if (typeof parsed !== 'object' || parsed === null) return undefined
  const id = parsed.Actor?.ID ?? parsed.id ?? ''
  const action = parsed.Action ?? parsed.status ?? ''
  if (!id || !action) return undefined
  const exitCode = parsed.Actor?.Attributes?.exitCode
  return { id, action, ...(exitCode === undefined ? {} : { exitCode: Number(exitCode) }) }
}

export type Readiness = { kind: 'waiting' } | { kind: 'ready' } | { kind: 'failed'; reason: string }

/**
 * What one event says about a container that is being waited for. `hasHealthcheck` decides
 * whether `ready` can come from an event at all (without one it comes from the grace timer).
 */
export function judgeEvent(event: EngineEvent, hasHealthcheck: boolean): Readiness {
  if (event.action === 'die') {
    return { kind: 'failed', reason: `exited with code ${event.exitCode ?? 'unknown'}` }
  }
  if (event.action === 'oom') return { kind: 'failed', reason: 'was killed for running out of memory' }
  if (event.action === 'restart') return { kind: 'failed', reason: 'restarted' }
  if (event.action === 'destroy') return { kind: 'failed', reason: 'was removed' }
  if (event.action === 'health_status: unhealthy') return { kind: 'failed', reason: 'became unhealthy' }
  if (hasHealthcheck && event.action === 'health_status: healthy') return { kind: 'ready' }
  return { kind: 'waiting' }
}

/** What an inspection says about a container before any event is read. */
export function judgeState(state: ContainerState): Readiness {
  if (!state.running && state.status !== 'created') {
    return { kind: 'failed', reason: `is ${state.status} (exit code ${state.exitCode})` }
  }
  if (state.restartCount > 0) return { kind: 'failed', reason: 'restarted' }
  if (state.health?.status === 'unhealthy') return { kind: 'failed', reason: 'became unhealthy' }
  if (state.health?.status === 'healthy') return { kind: 'ready' }
  return { kind: 'waiting' }
}

/** Running, and healthy when it has a healthcheck: fit to get traffic. */
export function canServe(container: Pick<ContainerState, 'running' | 'health'>): boolean {
  return container.running && (container.health === undefined || container.health.status === 'healthy')
}

export interface ReadinessOptions {
  /** Give up after this long. */
  timeoutMs: number
  /** Without a healthcheck: how long a container must stay up. */
  graceMs: number
}

export interface ReadinessOutcome {
  ready: boolean
  /** Per container ID: why it failed, when it did; `timeout` when the time ran out first. */
  failures: Record<string, string>
}

/**
 * Follows the engine's events for `containers` (replayed from their creation, so nothing
 * between their start and this call is missed) until all are ready, one fails, or the time runs
 * out.
 */
export async function waitUntilReady(
  docker: DockerCli,
  containers: ContainerState[],
  options: ReadinessOptions
): Promise<ReadinessOutcome> {
  const pending = new Map<string, boolean>() // not ready yet: id -> has a healthcheck
  const watched = new Map(containers.map((container) => [container.id, container.health !== undefined]))
  const failures: Record<string, string> = {}
  for (const container of containers) {
    const verdict = judgeState(container)
    if (verdict.kind === 'failed') failures[container.id] = verdict.reason
    else if (verdict.kind === 'waiting') pending.set(container.id, container.health !== undefined)
  }
  if (Object.keys(failures).length > 0 || pending.size === 0) {
    return { ready: Object.keys(failures).length === 0, failures }
  }
  const since = earliestSeconds(containers)
  return new Promise<ReadinessOutcome>((resolve) => {
    let settled = false
    const timers: NodeJS.Timeout[] = []
    const finish = (outcome: ReadinessOutcome): void => {
      if (settled) return
      settled = true
      for (const timer of timers) clearTimeout(timer)
      void events.stop().then(() => resolve(outcome))
    }
    const fail = (id: string, reason: string): void => {
      failures[id] = reason
      finish({ ready: false, failures })
    }
    const ready = (id: string): void => {
      pending.delete(id)
      if (pending.size === 0) finish({ ready: true, failures })
    }
    const events = startProgram(
      'docker',
      [
        'events',
        '--since',
        String(since),
        '--filter',
        'type=container',
        // Every new container, also the ones already ready: one that turns unhealthy or exits
        // while the others are still starting fails the release too.
        ...[...watched.keys()].flatMap((id) => ['--filter', `container=${id}`]),
        '--format',
        '{{json .}}'
      ],
      {
        env: docker.env,
        onLine: (line) => {
          const event = parseEngineEvent(line)
          if (!event || !watched.has(event.id)) return
          const verdict = judgeEvent(event, watched.get(event.id) as boolean)
          // Replayed events come in order: a failure after being ready is still a failure.
          if (verdict.kind === 'failed') fail(event.id, verdict.reason)
          else if (verdict.kind === 'ready' && pending.has(event.id)) ready(event.id)
        }
      }
    )
    void events.exited.then(({ exitCode, stderr }) => {
      if (settled) return
      const reason = `lost the engine's events (docker events exited with ${exitCode ?? 'an error'}${stderr ? `: ${stderr}` : ''})`
      for (const id of pending.keys()) failures[id] = reason
      finish({ ready: false, failures })
    })
    for (const [id, hasHealthcheck] of pending) {
      if (!hasHealthcheck) timers.push(setTimeout(() => ready(id), options.graceMs))
    }
    timers.push(
      setTimeout(() => {
        for (const id of pending.keys()) failures[id] = 'timeout'
        finish({ ready: false, failures })
      }, options.timeoutMs)
    )
  })
}

/** The engine's time of the earliest creation, in whole seconds, for `docker events --since`. */
export function earliestSeconds(containers: Pick<ContainerState, 'created'>[]): number {
  const times = containers.map((container) => Date.parse(container.created)).filter(Number.isFinite)
  // Without a creation time, the last minute (containers were created moments ago).
  const earliest = times.length > 0 ? Math.min(...times) : Date.now() - 60_000
  return Math.floor(earliest / 1000) - 1
}
