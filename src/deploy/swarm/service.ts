// What the manager says about the rolled service: its spec and UpdateStatus (`docker service
// inspect`), its tasks (`docker inspect` of the IDs `docker service ps` lists) and the nodes'
// hostnames, read into the few fields the rollout goes by. Reads only, through the docker CLI.
import type { DockerCli } from '../../docker/cli.js'

/** Swarm's UpdateStatus.State values. */
export type UpdateState =
  'updating' | 'paused' | 'completed' | 'rollback_started' | 'rollback_paused' | 'rollback_completed'

export interface ServiceView {
  id: string
  /** Spec.TaskTemplate.ContainerSpec.Image: the image new tasks run. */
  image: string
  /** Replicated mode's count; undefined for a global service. */
  replicas?: number
  /** Whether the spec has a healthcheck (an image's own HEALTHCHECK is not in the spec). */
  healthcheck: boolean
  /** The TaskTemplate as JSON: a changed one is what makes Swarm update the tasks. */
  taskTemplate: string
  update?: { state: UpdateState; startedAt: string; message: string }
}

export interface TaskView {
  id: string
  slot?: number
  nodeId: string
  /** The node's hostname, once nodes are known. */
  node: string
  desiredState: string
  state: string
  error: string
  message: string
  image: string
  containerId: string
  /** When its status last changed, to order the failures. */
  timestamp: string
}

type Json = Record<string, unknown>

const asObject = (value: unknown): Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Json) : {}
const asString = (value: unknown): string => (typeof value === 'string' ? value : '')

/** One service as `docker service inspect` prints it. */
export function parseService(inspected: unknown): ServiceView {
  const service = asObject(inspected)
  const spec = asObject(service.Spec)
  const template = asObject(spec.TaskTemplate)
  const container = asObject(template.ContainerSpec)
  const replicated = asObject(asObject(spec.Mode).Replicated)
  const status = asObject(service.UpdateStatus)
  const healthcheck = asObject(container.Healthcheck)
  const test = healthcheck.Test
  return {
    id: asString(service.ID),
    image: asString(container.Image),
    ...(typeof replicated.Replicas === 'number' ? { replicas: replicated.Replicas } : {}),
    healthcheck: Array.isArray(test) && test.length > 0 && test[0] !== 'NONE',
    taskTemplate: JSON.stringify(template),
    ...(asString(status.State)
      ? {
          update: {
            state: asString(status.State) as UpdateState,
            startedAt: asString(status.StartedAt),
            message: asString(status.Message)
          }
        }
      : {})
  }
}

/** One task as `docker inspect` prints it. */
export function parseTask(inspected: unknown, nodes: Map<string, string> = new Map()): TaskView {
  const task = asObject(inspected)
  const status = asObject(task.Status)
  const nodeId = asString(task.NodeID)
  return {
    id: asString(task.ID),
    ...(typeof task.Slot === 'number' && task.Slot > 0 ? { slot: task.Slot } : {}),
    nodeId,
    node: nodes.get(nodeId) ?? nodeId.slice(0, 12),
    desiredState: asString(task.DesiredState),
    state: asString(status.State),
    error: asString(status.Err),
    message: asString(status.Message),
    image: asString(asObject(asObject(task.Spec).ContainerSpec).Image),
    containerId: asString(asObject(status.ContainerStatus).ContainerID),
    timestamp: asString(status.Timestamp)
  }
}

export class SwarmService {
  private nodes = new Map<string, string>()

  constructor(
    readonly docker: DockerCli,
    /** `<stack>_<service>`. */
    readonly name: string
  ) {}

  /** The service, or undefined when the swarm has none of this name. */
  async inspect(): Promise<ServiceView | undefined> {
    const result = await this.docker.run(['service', 'inspect', '--format', '{{json .}}', this.name], {
      quiet: true,
      allowFailure: true
    })
    if (result.exitCode !== 0) {
      if (/no such service|not found/i.test(result.stderr)) return undefined
      throw new Error(`docker service inspect ${this.name} failed: ${result.stderr.trim()}`)
    }
    return parseService(JSON.parse(result.stdout))
  }

  /** The service's tasks (Swarm keeps a few finished ones per slot), with their nodes' hostnames. */
  async tasks(): Promise<TaskView[]> {
    const listed = await this.docker.run(['service', 'ps', '--quiet', '--no-trunc', this.name], {
      quiet: true
    })
    const ids = listed.stdout
      .split('\n')
      .map((line) => line.trim())
      .filter(Boolean)
    if (ids.length === 0) return []
    const inspected = await this.docker.run(['inspect', '--type', 'task', ...ids], {
      quiet: true,
      allowFailure: true
    })
    // A task removed between the two calls makes inspect fail: the next poll lists again.
    if (inspected.exitCode !== 0) return []
    const tasks = JSON.parse(inspected.stdout) as unknown[]
    if (tasks.some((task) => !this.nodes.has(asString(asObject(task).NodeID)))) await this.readNodes()
    return tasks.map((task) => parseTask(task, this.nodes))
  }

  private async readNodes(): Promise<void> {
    const result = await this.docker.run(['node', 'ls', '--format', '{{.ID}} {{.Hostname}}'], {
      quiet: true,
      allowFailure: true
    })
    for (const line of result.stdout.split('\n')) {
      const [id, hostname] = line.trim().split(/\s+/)
      if (id && hostname) this.nodes.set(id, hostname)
    }
  }
}
