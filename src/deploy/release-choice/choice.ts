// Which release `steps: deploy` rolls out: the event's own version (the default), a version the
// user names (a version, a tag or a digest), or the release that ran before the current one.
// Checked before anything is touched: a bad combination names the input and stops the run.
import { InputError, parseBoolean, type InputFields } from '../../inputs/fields.js'

export type ReleaseChoice = { kind: 'event' } | { kind: 'version'; version: string } | { kind: 'rollback' }

/** A tag as the registry API accepts it, or a digest. */
const TAG = /^[A-Za-z0-9_][A-Za-z0-9_.-]{0,127}$/
export const DIGEST = /^sha256:[a-f0-9]{64}$/

/** `steps` are the parsed steps input; a chosen release only makes sense with deploy alone. */
export function parseReleaseChoice(
  raw: { version: string; rollback: string },
  steps: readonly string[]
): ReleaseChoice {
  const problems: string[] = []
  const version = raw.version.trim()
  let rollback = false
  try {
    rollback = parseBoolean(raw.rollback.trim())
  } catch (error) {
    problems.push(`rollback: ${(error as Error).message}`)
  }
  if (version !== '' && !TAG.test(version) && !DIGEST.test(version))
    problems.push(`version: "${version}" is neither a tag nor a digest (sha256:<64 hex>)`)
  if (version !== '' && rollback)
    problems.push(
      'version and rollback: choose one (rollback deploys the release that ran before the current one)'
    )
  const chosen = version !== '' || rollback
  if (chosen && (steps.length !== 1 || steps[0] !== 'deploy'))
    problems.push(
      `${version !== '' ? 'version' : 'rollback'}: only with steps: deploy alone (the steps were ${steps.join(', ') || 'none'})`
    )
  if (problems.length > 0) throw new InputError(problems)
  if (version !== '') return { kind: 'version', version }
  return rollback ? { kind: 'rollback' } : { kind: 'event' }
}

/**
 * The version and rollback inputs read into `fields` (each problem names its input); with
 * deploy-host empty nothing is deployed, and Swarm keeps its own record of the release before.
 */
export function readReleaseChoice(
  fields: InputFields,
  steps: readonly string[],
  deploy: { hosts: number; orchestrator: string }
): ReleaseChoice {
  let choice: ReleaseChoice
  try {
    choice = parseReleaseChoice({ version: fields.read('version'), rollback: fields.read('rollback') }, steps)
  } catch (error) {
    if (!(error instanceof InputError)) throw error
    for (const problem of error.problems) fields.problem(problem)
    return { kind: 'event' }
  }
  if (choice.kind !== 'event' && deploy.hosts === 0)
    fields.problem(`${choice.kind}: needs a deploy-host to deploy to`)
  if (choice.kind === 'rollback' && deploy.orchestrator === 'swarm')
    fields.problem(
      'rollback: not with orchestrator swarm, which keeps the release before in the service itself (docker service rollback); deploy a version instead'
    )
  return choice
}

/**
 * The APP_VERSION a chosen version is deployed as: the tag itself; for a digest, a tag that
 * names it (`sha256-<hex>`): the engine pulls `repo:tag@digest` by the digest alone, so the tag
 * only shows in `docker ps` which release runs.
 */
export function chosenAppVersion(version: string): string {
  return DIGEST.test(version) ? version.replace(':', '-') : version
}

/**
 * The release to roll back to, from what each deploy-host line's running containers record as
 * the release before theirs (undefined: nothing recorded). The hosts must agree: rolling them
 * back to different releases would leave the fleet split, so that refuses.
 */
export function previousRelease(hosts: readonly { host: string; previous: string | undefined }[]): string {
  if (hosts.length === 0) throw new Error('rollback: no deploy-host to read the previous release from')
  const missing = hosts.filter((host) => host.previous === undefined).map((host) => host.host)
  if (missing.length > 0)
    throw new Error(
      `rollback: no earlier release is recorded on ${missing.join(', ')}; deploy a version instead`
    )
  const releases = [...new Set(hosts.map((host) => host.previous as string))]
  if (releases.length > 1)
    throw new Error(
      `rollback: the hosts disagree on the previous release (${hosts.map((host) => `${host.host}: ${host.previous}`).join('; ')}); deploy a version instead`
    )
  return releases[0] as string
}
