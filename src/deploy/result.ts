// What a deploy comes to: each host's rollout report and the one over every host, which the
// step's outputs, summary and the post step read. With one host, the result is that host's report.
import type { DeployFleet } from './target.js'
import type { PruneReport } from './retention/prune.js'
import type { HostOutcome } from './fleet/rollout.js'
import type { RolloutReport } from './strategy.js'

export type { ContainerFailure } from './strategy.js'

export interface TimelineEntry {
  phase: string
  seconds: number
}

/** One host's rollout. */
export interface HostResult extends RolloutReport {
  host: string
  timeline: TimelineEntry[]
  outcome: HostOutcome
  /** What keep-releases removed there after the deploy. */
  pruned?: PruneReport
}

/**
 * The deploy over every host; its own fields say what the outputs say (with one host, that
 * host's rollout: the report as it always was).
 */
export interface DeployResult extends RolloutReport {
  host: string
  project: string
  service: string
  image: string
  timeline: TimelineEntry[]
  hosts: HostResult[]
  /** The GitHub deployment the deploy was reported to (the environment input), when GitHub made one. */
  githubDeployment?: { id: number; environment: string; url: string }
  /** The release chosen by the version or rollback input (the version output then). */
  version?: string
}

/** The result before any host has done anything: every host not reached. */
export function emptyResult(fleet: DeployFleet): DeployResult {
  return {
    deployed: false,
    previousImage: '',
    containers: [],
    host: fleet.targets.map((target) => target.host.url).join(', '),
    project: fleet.plan.project,
    service: fleet.plan.service,
    image: fleet.plan.image,
    timeline: [],
    failures: [],
    hosts: fleet.targets.map((target) => ({
      host: target.host.url,
      deployed: false,
      previousImage: '',
      containers: [],
      failures: [],
      timeline: [],
      outcome: 'not reached'
    }))
  }
}

/** A host's report fields that are the result's own when it is the only host. */
const REPORT_FIELDS = [
  'deployed',
  'previousImage',
  'containers',
  'replicas',
  'firstDeploy',
  'rolledBack',
  'failures',
  'timeline',
  'tasks'
] as const satisfies readonly (keyof HostResult & keyof DeployResult)[]

/**
 * The result's own fields from its hosts': deployed when every host is, the first host's
 * previous image, every host's new containers and failures. With one host, that host's report.
 */
export function combineHostReports(result: DeployResult): void {
  const [first] = result.hosts
  if (!first) return
  if (result.hosts.length === 1) {
    for (const key of REPORT_FIELDS) Object.assign(result, { [key]: first[key] })
    return
  }
  result.deployed = result.hosts.every((host) => host.deployed)
  result.previousImage = first.previousImage
  result.containers = result.hosts.flatMap((host) => (host.deployed ? host.containers : []))
  result.failures = result.hosts.flatMap((host) => host.failures)
  result.firstDeploy = result.hosts.every((host) => host.firstDeploy)
  result.rolledBack = result.hosts.some((host) => host.rolledBack)
  result.replicas = first.replicas
}
