// Where a Swarm update stands, from one look at the service and its tasks: still going, done, or
// failed with the reasons the tasks give. `docker stack deploy` returns before the update (and
// exits 0 even after Swarm rolled it back by itself, docker/cli#6752), so this is what the
// rollout goes by. Pure.
import type { ServiceView, TaskView } from './service.js'

export type Verdict =
  | { kind: 'waiting'; why: string }
  | { kind: 'done'; running: TaskView[] }
  | { kind: 'failed'; why: string; rolledBack: boolean }

export interface Before {
  /** The UpdateStatus.StartedAt of the service before the deploy ('' when none). */
  startedAt: string
  /** Its TaskTemplate as JSON, undefined when the service did not exist. */
  taskTemplate?: string
}

/** A task's name as `docker service ps` shows it: `<service>.<slot>`, or its ID for a global one. */
export function taskName(service: string, task: Pick<TaskView, 'slot' | 'id'>): string {
  return task.slot !== undefined ? `${service}.${task.slot}` : `${service}.${task.id.slice(0, 12)}`
}

/** Why tasks failed, newest first, one line each (`task web.2 on engine-2: ...`), without repeats. */
export function taskErrors(service: string, tasks: TaskView[], limit = 5): string[] {
  const failed = tasks
    .filter((task) => task.error !== '' || ['failed', 'rejected'].includes(task.state))
    .sort((a, b) => b.timestamp.localeCompare(a.timestamp))
  const lines: string[] = []
  const seen = new Set<string>()
  for (const task of failed) {
    const reason = task.error || task.message || task.state
    const line = `task ${taskName(service, task)} on ${task.node}: ${reason}`
    if (seen.has(reason)) continue
    seen.add(reason)
    lines.push(line)
    if (lines.length >= limit) break
  }
  return lines
}

/** The tasks meant to run: those whose desired state is running. */
function wanted(tasks: TaskView[]): TaskView[] {
  return tasks.filter((task) => task.desiredState === 'running')
}

/** Every wanted task runs the spec's image, and there are as many as the spec asks. */
function converged(service: ServiceView, tasks: TaskView[]): string | undefined {
  const meant = wanted(tasks)
  const running = meant.filter((task) => task.state === 'running' && task.image === service.image)
  if (service.replicas !== undefined && running.length < service.replicas)
    return `${running.length} of ${service.replicas} task(s) of the new spec running`
  if (running.length < meant.length || meant.length === 0)
    return `${running.length} of ${meant.length} task(s) running`
  return undefined
}

/**
 * The update's state, when it is one this deploy started (its StartedAt is not the one seen
 * before the deploy); undefined otherwise.
 */
function thisUpdate(service: ServiceView, before: Before): ServiceView['update'] {
  return service.update && service.update.startedAt !== before.startedAt ? service.update : undefined
}

export function judge(name: string, service: ServiceView, tasks: TaskView[], before: Before): Verdict {
  const update = thisUpdate(service, before)
  const errors = (): string => {
    const lines = taskErrors(name, tasks)
    return lines.length > 0 ? lines.join('; ') : update?.message || 'no task said why'
  }
  switch (update?.state) {
    case 'rollback_completed':
      return { kind: 'failed', rolledBack: true, why: `Swarm rolled the update back: ${errors()}` }
    case 'rollback_paused':
      return {
        kind: 'failed',
        rolledBack: false,
        why: `Swarm paused the rollback of the update: ${errors()}`
      }
    case 'paused':
      return { kind: 'failed', rolledBack: false, why: `Swarm paused the update: ${errors()}` }
    case 'rollback_started':
      return { kind: 'waiting', why: `Swarm is rolling the update back (${update.message})` }
    case 'updating':
      return { kind: 'waiting', why: update.message || 'updating' }
    default:
      break
  }
  // An update is due when the task template changed; Swarm sets UpdateStatus once it starts.
  if (!update && before.taskTemplate !== undefined && before.taskTemplate !== service.taskTemplate) {
    return { kind: 'waiting', why: 'the update has not started yet' }
  }
  const missing = converged(service, tasks)
  if (missing) return { kind: 'waiting', why: missing }
  return {
    kind: 'done',
    running: wanted(tasks).filter((task) => task.state === 'running')
  }
}

/** The health a task's state shows: Swarm holds a task in `starting` until its healthcheck passes. */
export function taskHealth(task: Pick<TaskView, 'state' | 'error'>, healthcheck: boolean): string {
  if (/unhealthy/i.test(task.error)) return 'unhealthy'
  if (!healthcheck) return 'none'
  if (task.state === 'running') return 'healthy'
  if (task.state === 'starting') return 'starting'
  return ''
}
