// What the deploy step asks of retention: the prune on every host after a successful rollout,
// and the judge that break-stale-lock hands the deploy lock. Both log what they did; neither
// fails a deploy that succeeded (a prune's problems are warnings).
import type { DockerCli } from '../../docker/cli.js'
import type { HeldLock } from '../lock.js'
import { describeHolder } from '../lock.js'
import { deployedTagOf, pruneMessage, pruneReleases, repositoryOf, type PruneReport } from './prune.js'
import { judgeStaleLock, type StaleLockDecision } from './stale-lock.js'

interface Log {
  info(message: string): void
  warning(message: string): void
}

export interface PrunedHost {
  docker: DockerCli
  url: string
  /** The ID of the image just deployed there. */
  runningId: string
  previousImage: string
}

/** keep-releases on each host (side by side as `each` runs them); a report per host, in order. */
export async function pruneAfterDeploy(
  hosts: PrunedHost[],
  options: {
    image: string
    keepReleases: number
    log: Log
    each: <T>(work: (host: PrunedHost) => Promise<T>) => Promise<T[]>
  }
): Promise<(PruneReport | undefined)[]> {
  if (options.keepReleases <= 0) return hosts.map(() => undefined)
  const repository = repositoryOf(options.image)
  const several = hosts.length > 1
  return options.each(async (host) => {
    const where = several ? ` on ${host.url}` : ''
    try {
      const report = await pruneReleases(host.docker, {
        repository,
        keepReleases: options.keepReleases,
        runningId: host.runningId,
        deployedTag: deployedTagOf(options.image),
        previousImage: host.previousImage
      })
      options.log.info(pruneMessage(repository, where, report))
      for (const warning of report.warnings) options.log.warning(`keep-releases${where}: ${warning}`)
      return report
    } catch (error) {
      options.log.warning(`keep-releases${where}: nothing removed: ${(error as Error).message}`)
      return undefined
    }
  })
}

export interface StaleLockAccess {
  breakStaleLock: boolean
  lockTimeoutSeconds: number
  token: string
  /** This run's repository (GITHUB_REPOSITORY). */
  repository?: string
}

/** The judge acquireLock asks about a held lock; undefined when break-stale-lock is off. */
export function staleLockJudge(
  access: StaleLockAccess
): ((held: HeldLock) => Promise<StaleLockDecision>) | undefined {
  if (!access.breakStaleLock) return undefined
  return (held) =>
    judgeStaleLock(
      {
        breakStaleLock: true,
        lockTimeoutMs: access.lockTimeoutSeconds * 1000,
        nowMs: Date.now(),
        since: held.since
      },
      async () => {
        // Octokit only when a lock is old enough to ask about.
        const { holderRunState } = await import('./run-state.js')
        return holderRunState(held.record, { token: access.token, repository: access.repository })
      }
    )
}

/** The log line for a broken lock: whose it was and why it was broken. */
export function brokenLockMessage(project: string, where: string, held: HeldLock, reason: string): string {
  return `Broke the stale deploy lock of ${project}${where}, held by ${describeHolder(held)}: ${reason}`
}
