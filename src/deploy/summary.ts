// How a deploy reads in the step summary (its rows and section) and in the log (the failed
// containers' own words, which stay out of the summary).
import * as core from '@actions/core'
import { short } from './compose/containers.js'
import { sizeText } from './retention/prune.js'
import { environmentPage } from '../github/environment-page.js'
import { clip, code, link, text } from '../lib/markdown.js'
import { printUntrusted } from '../program/untrusted-output.js'
import { LOG_TAIL_LINES, type ContainerFailure } from './strategy.js'
import type { ReleaseChoice } from './release-choice/choice.js'
import type { DeployResult, HostResult } from './result.js'

/** A failure's reason in the summary is cut to this many characters (it can quote docker). */
const REASON_LIMIT = 500

/** The environment's deployments page on GitHub, and the environment's own address. */
export function githubDeploymentRow(deployment: NonNullable<DeployResult['githubDeployment']>): string {
  const name = link(text(deployment.environment), environmentPage(deployment.environment))
  return `${name} (deployment ${deployment.id})${deployment.url ? `: ${link(text(deployment.url), deployment.url)}` : ''}`
}

/**
 * The last health checks and log lines of each container that failed, a log group each. They are
 * the container's own words, so they stay out of the summary, which only points here.
 */
export function printContainerLogs(failures: ContainerFailure[]): void {
  for (const failure of failures) {
    core.startGroup(logGroupTitle(failure))
    try {
      if (failure.healthLog.length > 0) {
        core.info('Last health checks:')
        for (const probe of failure.healthLog) printUntrusted(probe)
      }
      core.info(`Last ${LOG_TAIL_LINES} log lines:`)
      if (failure.logTail) printUntrusted(failure.logTail)
      else core.info('(nothing)')
    } finally {
      core.endGroup()
    }
  }
}

function logGroupTitle(failure: ContainerFailure): string {
  return `Logs of ${failure.name} (${short(failure.id)})`
}

/** Which release a version or rollback input chose, for the summary (the Version row is the event's). */
export function choiceRow(
  choice: ReleaseChoice | undefined,
  version: string | undefined
): [string, string] | undefined {
  if (!choice || choice.kind === 'event' || !version) return undefined
  return [
    'Chosen release',
    choice.kind === 'rollback'
      ? `${code(version)}, the release before the current one (rollback)`
      : `${code(version)} (the version input)`
  ]
}

export function deployRow(result: DeployResult): string {
  const several = result.hosts.length > 1
  const where = `${code(result.image)} to ${several ? `${result.hosts.length} hosts` : code(result.host)} (${text(result.project)}, service ${text(result.service)})`
  if (several) return `${where}: ${outcomeCounts(result.hosts)}`
  if (result.deployed) {
    const count = `${result.containers.length} container(s)`
    return `${where}: ${count}${result.previousImage ? `, replacing ${code(result.previousImage)}` : ', first deploy'}`
  }
  if (result.rolledBack)
    return `${where}: **rolled back**, ${result.previousImage ? `${code(result.previousImage)} still serving` : 'nothing was running before'}`
  return `${where}: not deployed`
}

/** What a host's rollout came to, in words. */
function outcomeText(host: HostResult): string {
  switch (host.outcome) {
    case 'deployed':
      return `deployed, ${host.containers.length} container(s)`
    case 'failed':
      return host.rolledBack ? '**failed**, its new containers removed' : '**failed**'
    case 'reverted':
      return 'rolled back to the release before'
    case 'revert failed':
      return '**could not be rolled back**: still on the new release'
    case 'not reached':
      return 'not changed'
  }
}

/** `2 deployed, 1 failed, ...` over the hosts. */
function outcomeCounts(hosts: HostResult[]): string {
  const counts = new Map<string, number>()
  for (const host of hosts) {
    const word =
      host.outcome === 'failed' ? 'failed' : host.outcome === 'reverted' ? 'rolled back' : host.outcome
    counts.set(word, (counts.get(word) ?? 0) + 1)
  }
  return [...counts].map(([word, count]) => `${count} ${word}`).join(', ')
}

/** An orchestrator's tasks (Swarm), a row each: node, state, health, error. */
function taskTable(result: Pick<DeployResult, 'tasks'>): string[] {
  if (!result.tasks || result.tasks.length === 0) return []
  const cell = (value: string): string => text(clip(value, REASON_LIMIT)).replace(/\|/g, '\\|') || ' '
  return [
    '| Task | Node | State | Health | Error |',
    '| --- | --- | --- | --- | --- |',
    ...result.tasks.map(
      (row) => `| ${[row.task, row.node, row.state, row.health, row.error].map(cell).join(' | ')} |`
    ),
    ''
  ]
}

/** The rollout's timeline (a row per host when there are several), and each failed container. */
export function deploySection(result: DeployResult): string {
  const lines = ['### Deploy', '']
  if (result.hosts.length > 1) {
    lines.push('| Host | Result | Phases (seconds) | Total |', '| --- | --- | --- | ---: |')
    for (const host of result.hosts) {
      const total = host.timeline.reduce((sum, entry) => sum + entry.seconds, 0)
      const phases = host.timeline.map((entry) => `${entry.phase} ${entry.seconds.toFixed(1)}`).join(' · ')
      lines.push(`| ${code(host.host)} | ${outcomeText(host)} | ${phases} | ${total.toFixed(1)} |`)
    }
    lines.push('')
  } else if (result.timeline.length > 0) {
    const total = result.timeline.reduce((sum, entry) => sum + entry.seconds, 0)
    lines.push('| Phase | Seconds |', '| --- | ---: |')
    for (const entry of result.timeline) lines.push(`| ${entry.phase} | ${entry.seconds.toFixed(1)} |`)
    lines.push(`| **total** | **${total.toFixed(1)}** |`, '')
  }
  lines.push(...taskTable(result))
  lines.push(...prunedLines(result.hosts))
  for (const failure of result.failures) {
    lines.push(
      `- ${code(clip(failure.name))} (${code(short(failure.id))}): ${text(clip(failure.reason, REASON_LIMIT))}. Its last health checks and log lines are in the job log, in the group ${code(clip(logGroupTitle(failure)))}.`
    )
  }
  if (result.failures.length > 0) lines.push('')
  return lines.join('\n')
}

/** What keep-releases removed, a line per host that had something to remove. */
function prunedLines(hosts: HostResult[]): string[] {
  const lines = hosts.flatMap((host) =>
    host.pruned && host.pruned.removed.length > 0
      ? [
          `- keep-releases removed ${host.pruned.removed.length} old image(s)${hosts.length > 1 ? ` on ${code(host.host)}` : ''}: ${host.pruned.removed.map((image) => code(clip(image.release))).join(', ')}; ${sizeText(host.pruned.bytes)} freed${host.pruned.warnings.length > 0 ? ` (${host.pruned.warnings.length} not removed: see the log)` : ''}`
        ]
      : []
  )
  return lines.length > 0 ? [...lines, ''] : []
}
