// Waiting for new containers to be ready, by following what the engine reports (`docker
// events`), never by fixed sleeps: with a healthcheck, until each reports healthy; without one,
// until each has stayed up through a grace period. A container that exits, restarts or reports
// unhealthy fails the wait at once. An engine that restarts (or a connection that drops) on the
// way is waited for and its containers read again.
import type { ContainerState } from './containers.js'
import type { DockerCli } from '../../docker/cli.js'
import { startProgram } from '../../program/program.js'

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
  /**
   * Inspects containers by ID: once the engine answers again after its events were lost (a
   * restarted dockerd keeps no events from before), their state is read from the inspection.
   */
  inspect: (ids: string[]) => Promise<ContainerState[]>
  /** False once the way to the engine is gone for good (an SSH tunnel that ended). */
  connectionAlive?: () => boolean
  /** What happened to the watch: the events lost, the engine back; with a sentence for the log. */
  report?: (what: 'lost' | 'back', message: string) => void
  /**
   * Called when the engine answers again, with the version it answers with and the containers
   * still awaited, before their state is read (see rearmHealthchecks).
   */
  onEngineBack?: (engineVersion: string, pendingIds: string[]) => Promise<void>
  /** How often to ask whether the engine answers again. */
  pollMs?: number
}

export interface ReadinessOutcome {
  ready: boolean
  /** Per container ID: why it failed, when it did; `timeout` when the time ran out first. */
  failures: Record<string, string>
}

/** What one `docker events` session ended with: a verdict, or the events lost with why. */
type Watch = { kind: 'settled' } | { kind: 'lost'; reason: string }

/**
 * Follows the engine's events for `containers` (replayed from their creation, so nothing
 * between their start and this call is missed) until all are ready, one fails, or the time runs
 * out. When the events are lost (the engine restarted, the connection dropped), waits for the
 * engine to answer again within the same time, reads the containers' state by inspection and
 * follows the events again.
 */
export async function waitUntilReady(
  docker: DockerCli,
  containers: ContainerState[],
  options: ReadinessOptions
): Promise<ReadinessOutcome> {
  const deadline = Date.now() + options.timeoutMs
  const pending = new Map<string, boolean>() // not ready yet: id -> has a healthcheck
  const watched = new Map(containers.map((container) => [container.id, container.health !== undefined]))
  const failures: Record<string, string> = {}
  const judgeAll = (states: ContainerState[]): void => {
    for (const id of watched.keys()) {
      const state = states.find((container) => container.id === id)
      const verdict: Readiness = state ? judgeState(state) : { kind: 'failed', reason: 'was removed' }
      if (verdict.kind === 'failed') failures[id] = verdict.reason
      else if (verdict.kind === 'ready') pending.delete(id)
    }
  }
  for (const container of containers) pending.set(container.id, container.health !== undefined)
  judgeAll(containers)
  const settled = (): boolean => Object.keys(failures).length > 0 || pending.size === 0
  /** Tells the current watch to look again (a grace period ended). */
  let wake = (): void => {}
  // Without a healthcheck, ready once the grace has passed (by the clock, across reconnections).
  const graceTimers = [...pending]
    .filter(([, hasHealthcheck]) => !hasHealthcheck)
    .map(([id]) =>
      setTimeout(() => {
        pending.delete(id)
        wake()
      }, options.graceMs)
    )
  try {
    while (!settled()) {
      const watch = await watchEvents(docker, containers, watched, pending, failures, deadline, (poke) => {
        wake = poke
      })
      if (watch.kind === 'settled' || settled()) break
      const report = options.report ?? (() => {})
      report('lost', `Lost the engine's events (${watch.reason}): waiting for the engine to answer again`)
      const since = Date.now()
      const version = await engineAnswers(docker, deadline, options)
      if (version === undefined) {
        const why =
          options.connectionAlive && !options.connectionAlive()
            ? 'and the connection to the host has ended'
            : 'and the engine did not answer again in time'
        for (const id of pending.keys()) failures[id] = `lost the engine's events (${watch.reason}) ${why}`
        break
      }
      report(
        'back',
        `The engine answers again after ${((Date.now() - since) / 1000).toFixed(1)} s: reading the new containers' state`
      )
      await options.onEngineBack?.(version, [...pending.keys()])
      judgeAll(await options.inspect([...watched.keys()]))
    }
  } finally {
    for (const timer of graceTimers) clearTimeout(timer)
  }
  if (Object.keys(failures).length === 0 && pending.size > 0) {
    for (const id of pending.keys()) failures[id] = 'timeout'
  }
  return { ready: Object.keys(failures).length === 0, failures }
}

/**
 * One `docker events` session: settles when every watched container is ready, one fails or the
 * deadline passes; `lost` when the events end first.
 */
function watchEvents(
  docker: DockerCli,
  containers: ContainerState[],
  watched: Map<string, boolean>,
  pending: Map<string, boolean>,
  failures: Record<string, string>,
  deadline: number,
  onWake: (wake: () => void) => void
): Promise<Watch> {
  return new Promise<Watch>((resolve) => {
    let done = false
    const finish = (watch: Watch): void => {
      if (done) return
      done = true
      clearTimeout(timer)
      void events.stop().then(() => resolve(watch))
    }
    const check = (): void => {
      if (Object.keys(failures).length > 0 || pending.size === 0) finish({ kind: 'settled' })
    }
    const events = startProgram(
      'docker',
      [
        'events',
        '--since',
        String(earliestSeconds(containers)),
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
          if (verdict.kind === 'failed') failures[event.id] ??= verdict.reason
          else if (verdict.kind === 'ready') pending.delete(event.id)
          check()
        }
      }
    )
    void events.exited.then(({ exitCode, stderr }) =>
      finish({
        kind: 'lost',
        reason: `docker events exited with ${exitCode ?? 'an error'}${stderr ? `: ${stderr}` : ''}`
      })
    )
    const timer = setTimeout(() => finish({ kind: 'settled' }), Math.max(0, deadline - Date.now()))
    onWake(check)
    check()
  })
}

/**
 * The engine's version once it answers again before the deadline; undefined when it does not
 * (at once when the way to it is gone).
 */
async function engineAnswers(
  docker: DockerCli,
  deadline: number,
  options: ReadinessOptions
): Promise<string | undefined> {
  const pollMs = options.pollMs ?? 500
  for (;;) {
    if (options.connectionAlive && !options.connectionAlive()) return undefined
    const { version } = await docker.serverVersion()
    if (version) return version
    if (Date.now() + pollMs >= deadline) return undefined
    await new Promise((resolve) => setTimeout(resolve, pollMs))
  }
}

/**
 * Whether the engine has restarted since these containers started: a restarted engine keeps no
 * events from before (its event log is in memory), so their `start` events are gone. (On a very
 * busy engine they may also have aged out of its 1,024-event log: then this says yes.)
 */
export async function restartedSinceStart(
  docker: DockerCli,
  containers: Pick<ContainerState, 'id' | 'created'>[]
): Promise<boolean> {
  const replay = await docker.run(
    [
      'events',
      '--since',
      String(earliestSeconds(containers)),
      '--until',
      String(Math.floor(Date.now() / 1000) + 1),
      '--filter',
      'type=container',
      '--filter',
      'event=start',
      ...containers.flatMap(({ id }) => ['--filter', `container=${id}`]),
      '--format',
      '{{json .}}'
    ],
    { quiet: true, allowFailure: true }
  )
  const started = new Set(
    replay.stdout
      .split('\n')
      .map(parseEngineEvent)
      .filter((event) => event?.action === 'start')
      .map((event) => event?.id)
  )
  return containers.some(({ id }) => !started.has(id))
}

/**
 * Engines before 23.0 with live-restore stop running the healthchecks of the containers they
 * restore after a restart (moby/moby#41871, mended in 23.0 by moby/moby#41935): a new container
 * would stay `starting` for ever.
 */
export function losesHealthchecksOnRestart(engineVersion: string): boolean {
  const major = Number(/^(\d+)\./.exec(engineVersion)?.[1])
  return Number.isFinite(major) && major < 23
}

/** The engine's time of the earliest creation, in whole seconds, for `docker events --since`. */
export function earliestSeconds(containers: Pick<ContainerState, 'created'>[]): number {
  const times = containers.map((container) => Date.parse(container.created)).filter(Number.isFinite)
  // Without a creation time, the last minute (containers were created moments ago).
  const earliest = times.length > 0 ? Math.min(...times) : Date.now() - 60_000
  return Math.floor(earliest / 1000) - 1
}
