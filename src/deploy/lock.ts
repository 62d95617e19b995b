// One deploy at a time per host and Compose project. The lock is a container that is created and
// never started: the engine gives a container name to one creator only, atomically, on the
// deploy host itself, so runs on different runners see the same lock. Its labels say who holds
// it since when; the post step removes it when a run is cancelled.
import type { DockerCli } from '../docker/cli.js'

export const LOCK_LABEL = 'com.container-ship.lock'
const HOLDER_LABEL = 'com.container-ship.lock.holder'
const SINCE_LABEL = 'com.container-ship.lock.since'

export interface DeployLock {
  name: string
}

/** What every deploy lock's name starts with; the Compose project follows. */
export const LOCK_PREFIX = 'container-ship-lock-'

export function lockName(project: string): string {
  return `${LOCK_PREFIX}${project}`
}

/** `docker create` of the lock container: no network, no start, a command that is never run. */
export function lockCreateArgs(project: string, image: string, holder: string, since: Date): string[] {
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
  for (;;) {
    const created = await docker.run(lockCreateArgs(project, image, holder, new Date(now())), {
      quiet: true,
      allowFailure: true
    })
    if (created.exitCode === 0) return { name }
    if (!/Conflict|already in use/i.test(created.stderr)) {
      throw new Error(`could not take the deploy lock ${name}: ${created.stderr.trim()}`)
    }
    const current = await lockHolder(docker, name)
    if (!announced) {
      options.onWait?.(current)
      announced = true
    }
    if (now() >= deadline) {
      throw new Error(
        `another deploy of project ${project} holds the lock on this host (${current}); waited ${Math.round(options.timeoutMs / 1000)} s (lock-timeout). If no deploy is running, remove the lock with: docker rm ${name}`
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

/** Removes the lock; false when the host could not be asked (the lock may still be held). */
export async function releaseLock(docker: DockerCli, lock: DeployLock): Promise<boolean> {
  const removed = await docker.run(['rm', '--force', lock.name], { quiet: true, allowFailure: true })
  return removed.exitCode === 0 || /No such container/i.test(removed.stderr)
}
