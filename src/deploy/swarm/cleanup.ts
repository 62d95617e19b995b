// After a successful update: the older versions of the stack's versioned secrets and configs
// (versioned.ts) removed. Only objects of this stack (its namespace label), of a versioned
// object's prefix, and not the version just deployed; one still in use (a task of another
// service, one still stopping) is refused by Swarm and left, with a note in the log.
import type { DockerCli } from '../../docker/cli.js'
import type { DeployLog } from '../strategy.js'
import { isVersionOf, type VersionedObject } from './versioned.js'

/** The names among `names` that are older versions of `objects` of that kind. */
export function olderVersions(names: string[], objects: VersionedObject[]): string[] {
  return names.filter((name) =>
    objects.some((object) => name !== object.name && isVersionOf(name, object.prefix))
  )
}

export async function removeOldVersions(
  docker: DockerCli,
  stack: string,
  objects: VersionedObject[],
  log: DeployLog
): Promise<void> {
  for (const kind of ['secret', 'config'] as const) {
    const ofKind = objects.filter((object) => object.kind === kind)
    if (ofKind.length === 0) continue
    const listed = await docker.run(
      [kind, 'ls', '--filter', `label=com.docker.stack.namespace=${stack}`, '--format', '{{.Name}}'],
      { quiet: true, allowFailure: true }
    )
    const old = olderVersions(
      listed.stdout
        .split('\n')
        .map((line) => line.trim())
        .filter(Boolean),
      ofKind
    )
    for (const name of old) {
      const removed = await docker.run([kind, 'rm', name], { quiet: true, allowFailure: true })
      if (removed.exitCode === 0) log.info(`Removed the ${kind} ${name}, an older version`)
      else log.info(`Kept the ${kind} ${name}, an older version: ${removed.stderr.trim()}`)
    }
  }
}
