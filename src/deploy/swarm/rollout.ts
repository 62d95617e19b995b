// One Swarm rollout, with the deploy lock held on the manager: `docker stack deploy` of the
// compose files and the generated one, then the update followed from the service's UpdateStatus
// and its tasks until it completed (or Swarm rolled it back, or health-timeout ran out), the
// digest the tasks run checked, and the older versions of the stack's versioned secrets and
// configs removed. The nodes pull the image themselves (--with-registry-auth sends the runner's
// credentials along, --resolve-image always pins the digest the registry holds).
import { chmodSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { stringify } from 'yaml'
import type { DockerCli } from '../../docker/cli.js'
import type { DeployLog, RolloutHooks, RolloutReport, TaskRow } from '../strategy.js'
import { swarmServiceName, type SwarmPlan } from './plan.js'
import { POLL_MS, rollBackService, sleep } from './roll-back.js'
import { SwarmService, type ServiceView, type TaskView } from './service.js'
import { saveSwarmState } from './state.js'
import { judge, taskErrors, taskHealth, taskName, type Before } from './verdict.js'
import { removeOldVersions } from './cleanup.js'
import { rewriteEnvObjects } from './versioned.js'

/** The summary shows at most this many tasks. */
const TASK_ROWS = 20

/**
 * `docker stack deploy`'s arguments: every file in order, then the stack. `--detach=true` (return
 * once the services are updated; the action follows the update itself) only for a CLI that knows
 * the flag: older ones always return at once and refuse it.
 */
export function stackDeployArgs(files: string[], stack: string, detachFlag = true): string[] {
  return [
    'stack',
    'deploy',
    '--with-registry-auth',
    '--resolve-image',
    'always',
    ...(detachFlag ? ['--detach=true'] : []),
    ...files.flatMap((file) => ['-c', file]),
    stack
  ]
}

/** Whether this docker CLI's stack deploy has --detach. */
export async function knowsDetach(docker: DockerCli): Promise<boolean> {
  const help = await docker.run(['stack', 'deploy', '--help'], { quiet: true, allowFailure: true })
  return /--detach\b/.test(help.stdout)
}

/** What the docker CLI is handed: the files (rewritten ones from the private folder, the first one on stdin), where it runs. */
export interface StackFiles {
  files: string[]
  /** The first file's rewritten text, given on stdin as `-c -`. */
  stdin?: string
  /** Where the CLI runs: the first file's folder when it comes on stdin (the CLI resolves relative paths from there). */
  cwd: string
}

/** Writes the generated and rewritten files into `dir` (private) and says what to hand the CLI. */
export function writeStackFiles(plan: SwarmPlan, dir: string): StackFiles {
  const valueFile = (object: { kind: string; key: string }): string =>
    path.join(dir, `${object.kind}-${object.key}`)
  for (const object of plan.versioned) {
    if (object.value === undefined) continue
    writeFileSync(valueFile(object), object.value, { mode: 0o600 })
  }
  let stdin: string | undefined
  const files = plan.files.map((file, index) => {
    const absolute = path.resolve(plan.cwd, file)
    if (!plan.rewritten.includes(file)) return absolute
    const text = rewriteEnvObjects(plan.texts[file] ?? '', plan.versioned, valueFile)
    if (index === 0) {
      stdin = text
      return '-'
    }
    const copy = path.join(dir, `compose-${index}.yml`)
    writeFileSync(copy, text, { mode: 0o600 })
    return copy
  })
  if (plan.override) {
    const generated = path.join(dir, 'container-ship.yml')
    writeFileSync(generated, stringify(plan.override), { mode: 0o600 })
    files.push(generated)
  }
  const first = path.resolve(plan.cwd, plan.files[0] ?? 'docker-compose.yml')
  return {
    files,
    ...(stdin !== undefined ? { stdin } : {}),
    cwd: stdin !== undefined ? path.dirname(first) : plan.cwd
  }
}

/** The summary's rows: the tasks meant to run, then the ones that failed since `since`. */
export function taskRows(name: string, tasks: TaskView[], healthcheck: boolean, since: string): TaskRow[] {
  const recent = tasks.filter(
    (task) => task.desiredState === 'running' || (task.error !== '' && task.timestamp >= since)
  )
  return recent.slice(0, TASK_ROWS).map((task) => ({
    task: taskName(name, task),
    node: task.node,
    state: task.state,
    health: taskHealth(task, healthcheck),
    error: task.error
  }))
}

export class SwarmRollout {
  private readonly service: SwarmService
  private readonly name: string

  constructor(
    private readonly plan: SwarmPlan,
    private readonly docker: DockerCli,
    private readonly healthTimeout: number,
    private readonly detachFlag: boolean,
    private readonly hooks: RolloutHooks,
    private readonly report: RolloutReport
  ) {
    this.name = swarmServiceName(plan.stack, plan.service.name)
    this.service = new SwarmService(docker, this.name)
  }

  private get log(): DeployLog {
    return this.hooks.log
  }

  async rollOut(): Promise<void> {
    const existing = await this.service.inspect()
    const before: Before = {
      startedAt: existing?.update?.startedAt ?? '',
      ...(existing ? { taskTemplate: existing.taskTemplate } : {})
    }
    this.report.previousImage = existing?.image ?? ''
    this.report.firstDeploy = !existing
    const since = new Date().toISOString()
    saveSwarmState(this.hooks, { stack: this.plan.stack, service: this.plan.service.name })
    await this.deployStack()
    this.hooks.mark('stack deployed')
    const [service, tasks] = await this.converge(before, since)
    this.hooks.mark('converged')
    this.checkDigest(service, tasks)
    this.report.deployed = true
    this.report.containers = tasks
      .filter((task) => task.desiredState === 'running')
      .map((task) => task.containerId || task.id)
    this.hooks.saveState('')
    await removeOldVersions(this.docker, this.plan.stack, this.plan.versioned, this.log)
  }

  private async deployStack(): Promise<void> {
    const dir = mkdtempSync(path.join(process.env.RUNNER_TEMP || os.tmpdir(), 'container-ship-swarm-'))
    chmodSync(dir, 0o700)
    try {
      const stack = writeStackFiles(this.plan, dir)
      await this.docker.run(stackDeployArgs(stack.files, this.plan.stack, this.detachFlag), {
        extraEnv: this.plan.variables,
        cwd: stack.cwd,
        ...(stack.stdin !== undefined ? { input: stack.stdin } : {})
      })
    } finally {
      // The values' files are only read by the CLI while it deploys: Swarm holds them then.
      rmSync(dir, { recursive: true, force: true })
    }
  }

  /** Follows the update until it is done; throws when Swarm rolled it back or time ran out. */
  private async converge(before: Before, since: string): Promise<[ServiceView, TaskView[]]> {
    const deadline = Date.now() + this.healthTimeout * 1000
    let said = ''
    for (;;) {
      const service = await this.service.inspect()
      if (!service) throw new Error(`the service ${this.name} is not in the swarm after docker stack deploy`)
      const tasks = await this.service.tasks()
      const verdict = judge(this.name, service, tasks, before)
      const healthcheck = service.healthcheck || this.plan.service.healthcheck === 'image'
      this.report.tasks = taskRows(this.name, tasks, healthcheck, since)
      if (verdict.kind === 'done') return [service, tasks]
      if (verdict.kind === 'failed') {
        this.report.rolledBack = verdict.rolledBack
        this.hooks.saveState('')
        throw new Error(`the update of ${this.name} failed: ${verdict.why}`)
      }
      if (verdict.why !== said) this.log.info(`${this.name}: ${verdict.why}`)
      said = verdict.why
      if (Date.now() > deadline) return this.timedOut(service, tasks, verdict.why)
      await sleep(POLL_MS)
    }
  }

  /** Out of health-timeout: an update still going is rolled back, and the step fails. */
  private async timedOut(service: ServiceView, tasks: TaskView[], why: string): Promise<never> {
    const errors = taskErrors(this.name, tasks)
    const reasons = `${why}${errors.length > 0 ? `; ${errors.join('; ')}` : ''}`
    if (service.update?.state === 'updating' && this.report.previousImage) {
      const ended = await rollBackService(this.docker, this.name, this.healthTimeout, this.log)
      this.report.rolledBack = ended === 'rollback_completed'
    }
    this.hooks.saveState('')
    throw new Error(
      `the update of ${this.name} did not complete within ${this.healthTimeout} s (health-timeout): ${reasons}${this.report.rolledBack ? '; rolled back' : ''}`
    )
  }

  /** Deployed by digest: the spec and every running task name it. */
  private checkDigest(service: ServiceView, tasks: TaskView[]): void {
    const digest = /@(sha256:[0-9a-f]{64})$/.exec(this.plan.service.image)?.[1]
    if (!digest) return
    const wrong = [
      service.image,
      ...tasks.filter((task) => task.desiredState === 'running').map((task) => task.image)
    ].filter((image) => !image.endsWith(`@${digest}`))
    if (wrong.length > 0) {
      throw new Error(`${this.name} does not run ${digest}: ${[...new Set(wrong)].join(', ')}`)
    }
    this.log.info(`Every task of ${this.name} runs ${digest}`)
  }
}
