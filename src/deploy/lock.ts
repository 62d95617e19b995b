// One deploy at a time per host and Compose project. The lock is a container that is created and
// never started: the engine gives a container name to one creator only, atomically, on the
// deploy host itself, so runs on different runners see the same lock. Its labels say who holds
// it since when, and which run (repository, run ID and attempt, workflow, actor), so a lock left
// by a run that no longer exists can be recognised and broken (retention/stale-lock.ts); the post
// step removes it when a run is cancelled.
import type { DockerCli } from '../docker/cli.js'
import { TOO_YOUNG, type StaleLockDecision } from './retention/stale-lock.js'

export const LOCK_LABEL = 'com.container-ship.lock'
const HOLDER_LABEL = 'com.container-ship.lock.holder'
const SINCE_LABEL = 'com.container-ship.lock.since'

/** The run that holds a lock, as the runner names it (GITHUB_REPOSITORY, GITHUB_RUN_ID, ...). */
export interface LockRecord {
  repository?: string
  runId?: string
  runAttempt?: string
  workflow?: string
  actor?: string
}

const RECORD_LABELS = {
  repository: 'com.container-ship.lock.repository',
  runId: 'com.container-ship.lock.run-id',
  runAttempt: 'com.container-ship.lock.run-attempt',
  workflow: 'com.container-ship.lock.workflow',
  actor: 'com.container-ship.lock.actor'
} as const satisfies Record<keyof LockRecord, string>

/** The runner's names for this run. */
export function lockRecordFrom(env: NodeJS.ProcessEnv = process.env): LockRecord {
  return {
    repository: env.GITHUB_REPOSITORY || undefined,
    runId: env.GITHUB_RUN_ID || undefined,
    runAttempt: env.GITHUB_RUN_ATTEMPT || undefined,
    workflow: env.GITHUB_WORKFLOW || undefined,
    actor: env.GITHUB_ACTOR || undefined
  }
}

/** A lock another run holds, as its labels say (text read back from the host: untrusted). */
export interface HeldLock {
  /** The lock container's ID: breaking removes this one, never a lock taken since. */
  id: string
  holder: string
  since?: string
  record: LockRecord
}

/** Whose a held lock is, in words: `acme/web run 42 (attempt 1, workflow Deploy, by octocat)`. */
export function describeHolder(held: HeldLock): string {
  // One line, short: the labels are whatever was written on the host.
  const clean = (value: string | undefined): string | undefined =>
    value === undefined ? undefined : value.replace(/\p{Cc}+/gu, ' ').slice(0, 200)
  const [repository, runId, runAttempt, workflow, actor, holder, since] = [
    held.record.repository,
    held.record.runId,
    held.record.runAttempt,
    held.record.workflow,
    held.record.actor,
    held.holder,
    held.since
  ].map(clean)
  const details = [
    runAttempt ? `attempt ${runAttempt}` : '',
    workflow ? `workflow ${workflow}` : '',
    actor ? `by ${actor}` : ''
  ].filter(Boolean)
  const run = runId ? `${repository ?? 'a repository'} run ${runId}` : holder || 'an unknown holder'
  return `${run}${details.length > 0 ? ` (${details.join(', ')})` : ''}${since ? ` since ${since}` : ''}`
}

export interface DeployLock {
  name: string
}

/** What every deploy lock's name starts with; the Compose project follows. */
export const LOCK_PREFIX = 'container-ship-lock-'

export function lockName(project: string): string {
  return `${LOCK_PREFIX}${project}`
}

/** `docker create` of the lock container: no network, no start, a command that is never run. */
export function lockCreateArgs(
  project: string,
  image: string,
  holder: string,
  since: Date,
  record: LockRecord = {}
): string[] {
  const recorded = Object.entries(RECORD_LABELS).flatMap(([key, label]) => {
    const value = record[key as keyof LockRecord]
    return value ? ['--label', `${label}=${value}`] : []
  })
  return [
    'create',
    '--name',
    lockName(project),
    '--network',
    'none',
    '--label',
    `${LOCK_LABEL}=${project}`,
    '--label',
    `${HOLDER_LABEL}=${holder}`,
    '--label',
    `${SINCE_LABEL}=${since.toISOString()}`,
    ...recorded,
    image,
    'container-ship-lock'
  ]
}

export interface LockOptions {
  timeoutMs: number
  pollMs?: number
  /** Called once when the lock is taken by another run, with who holds it. */
  onWait?: (holder: string) => void
  sleep?: (ms: number) => Promise<void>
  now?: () => number
  /** This run, recorded on the lock. */
  record?: LockRecord
  /**
   * Whether a held lock may be broken (break-stale-lock); asked again while the answer is that
   * the lock is too young, once per lock otherwise.
   */
  judgeStale?: (held: HeldLock) => Promise<StaleLockDecision>
  /** Called when a stale lock was broken. */
  onBroken?: (held: HeldLock, reason: string) => void
}

/**
 * Takes the lock, waiting while another run holds it, up to timeoutMs. `image` is one the host
 * has (the one being deployed, already pulled): creating a container needs one.
 */
export async function acquireLock(
  docker: DockerCli,
  project: string,
  image: string,
  holder: string,
  options: LockOptions
): Promise<DeployLock> {
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)))
  const now = options.now ?? Date.now
  const deadline = now() + options.timeoutMs
  const name = lockName(project)
  let announced = false
  /** The last judgement of the lock held, by the lock's ID. */
  let judged: { id: string; decision: StaleLockDecision } | undefined
  for (;;) {
    const created = await docker.run(
      lockCreateArgs(project, image, holder, new Date(now()), options.record),
      {
        quiet: true,
        allowFailure: true
      }
    )
    if (created.exitCode === 0) return { name }
    if (!/Conflict|already in use/i.test(created.stderr)) {
      throw new Error(`could not take the deploy lock ${name}: ${created.stderr.trim()}`)
    }
    const current = await lockHolder(docker, name)
    if (!announced) {
      options.onWait?.(current)
      announced = true
    }
    if (options.judgeStale) {
      const held = await heldLock(docker, name)
      if (held && (judged?.id !== held.id || judged.decision.reason === TOO_YOUNG)) {
        judged = { id: held.id, decision: await options.judgeStale(held) }
        if (judged.decision.break) {
          const removed = await docker.run(['rm', held.id], { quiet: true, allowFailure: true })
          if (removed.exitCode !== 0 && !/No such container/i.test(removed.stderr)) {
            throw new Error(`could not break the stale deploy lock ${name}: ${removed.stderr.trim()}`)
          }
          options.onBroken?.(held, judged.decision.reason)
          continue
        }
      }
    }
    if (now() >= deadline) {
      const kept = judged ? ` It was not broken: ${judged.decision.reason}.` : ''
      throw new Error(
        `another deploy of project ${project} holds the lock on this host (${current}); waited ${Math.round(options.timeoutMs / 1000)} s (lock-timeout).${kept} If no deploy is running, remove the lock with: docker rm ${name}`
      )
    }
    await sleep(Math.min(options.pollMs ?? 1000, Math.max(0, deadline - now())))
  }
}

/** Who holds the lock since when, as its labels say. */
async function lockHolder(docker: DockerCli, name: string): Promise<string> {
  const result = await docker.run(
    [
      'container',
      'inspect',
      '--format',
      `{{index .Config.Labels "${HOLDER_LABEL}"}} since {{index .Config.Labels "${SINCE_LABEL}"}}`,
      name
    ],
    { quiet: true, allowFailure: true }
  )
  return result.exitCode === 0 ? result.stdout.trim() : 'released just now'
}

/** The held lock's ID and labels; undefined when it was released meanwhile. */
async function heldLock(docker: DockerCli, name: string): Promise<HeldLock | undefined> {
  const result = await docker.run(
    ['container', 'inspect', '--format', '{{json .Id}} {{json .Config.Labels}}', name],
    { quiet: true, allowFailure: true }
  )
  if (result.exitCode !== 0) return undefined
  const line = result.stdout.trim()
  const space = line.indexOf(' ')
  try {
    const id = JSON.parse(line.slice(0, space)) as unknown
    const labels = (JSON.parse(line.slice(space + 1)) ?? {}) as Record<string, unknown>
    const label = (key: string): string | undefined =>
      typeof labels[key] === 'string' && labels[key] !== '' ? labels[key] : undefined
    if (typeof id !== 'string') return undefined
    const record: LockRecord = {}
    for (const [key, name] of Object.entries(RECORD_LABELS)) record[key as keyof LockRecord] = label(name)
    return { id, holder: label(HOLDER_LABEL) ?? '', since: label(SINCE_LABEL), record }
  } catch {
    return undefined
  }
}

/** Removes the lock; false when the host could not be asked (the lock may still be held). */
export async function releaseLock(docker: DockerCli, lock: DeployLock): Promise<boolean> {
  const removed = await docker.run(['rm', '--force', lock.name], { quiet: true, allowFailure: true })
  return removed.exitCode === 0 || /No such container/i.test(removed.stderr)
}
