// What the post step takes from the state the main step saved (STATE_<name>), trusting none of
// it: the runner also takes state from a line printed as `::save-state name=...::` (deprecated,
// still honoured), and a program's output that got past the guard (program/untrusted-output.ts), or
// anything else that can set the post step's environment, must not make it remove a folder that
// is not the action's, run a command, or touch containers it did not start.
// - A folder must be one the main step made: a real folder (not a link) directly in the runner's
//   temp folder, named as the action names it, owned by this user. The SSH socket's short folder
//   in /tmp likewise, and private (0700).
// - The deploy's own values (the lock name, the access, a rollout under way) are checked where
//   the deploy reads them back: deploy/saved-state.ts and its strategy's recovery.
// - Nothing that runs is read from state: the ssh command line is rebuilt from the deploy-host
//   input and the checked access folder, the switch command from the switch-command input.
import { lstatSync, realpathSync } from 'node:fs'
import path from 'node:path'

/** The kinds of folder the main step makes in the runner's temp folder (`container-ship-<kind>-XXXXXX`). */
export type FolderKind = 'docker' | 'remote' | 'build' | 'scan' | 'sign'

/** mkdtemp's six random characters. */
const MKDTEMP_SUFFIX = '[A-Za-z0-9]{6}'

/** Why a path is refused, for the post step's warning. */
export class UntrustedStateError extends Error {
  constructor(name: string, reason: string) {
    super(`the saved ${name} state is ignored: ${reason}`)
    this.name = 'UntrustedStateError'
  }
}

/**
 * `text` when it is a folder the main step made in `tempRoot` of this kind, or undefined when
 * the state is empty; throws UntrustedStateError otherwise. `uid` is this process's user.
 */
export function ownFolder(
  name: string,
  text: string,
  tempRoot: string,
  kind: FolderKind,
  uid: number = currentUid()
): string | undefined {
  if (!text) return undefined
  if (!path.isAbsolute(text))
    throw new UntrustedStateError(name, `${JSON.stringify(text)} is not an absolute path`)
  const base = path.basename(text)
  if (!new RegExp(`^container-ship-${kind}-${MKDTEMP_SUFFIX}$`).test(base)) {
    throw new UntrustedStateError(
      name,
      `${JSON.stringify(text)} is not named as the action names its folders`
    )
  }
  if (!sameFolder(path.dirname(text), tempRoot)) {
    throw new UntrustedStateError(name, `${text} is not in the runner's temp folder ${tempRoot}`)
  }
  checkPrivateFolder(name, text, uid, false)
  return text
}

/** The SSH socket's own folder in /tmp (`/tmp/cs-ssh-XXXXXX`), private to this user. */
export function ownSocketFolder(name: string, text: string, uid: number = currentUid()): string | undefined {
  if (!text) return undefined
  if (!new RegExp(`^/tmp/cs-ssh-${MKDTEMP_SUFFIX}$`).test(text)) {
    throw new UntrustedStateError(name, `${JSON.stringify(text)} is not the action's socket folder`)
  }
  checkPrivateFolder(name, text, uid, true)
  return text
}

/**
 * A folder that is gone is fine (nothing to remove); one that is there must be a real folder
 * of this user (and not open to others, when `privateOnly`).
 */
function checkPrivateFolder(name: string, dir: string, uid: number, privateOnly: boolean): void {
  let stat
  try {
    stat = lstatSync(dir)
  } catch {
    return
  }
  if (!stat.isDirectory()) throw new UntrustedStateError(name, `${dir} is not a folder (a link, or a file)`)
  if (stat.uid !== uid)
    throw new UntrustedStateError(name, `${dir} belongs to user ${stat.uid}, not to this one`)
  if (privateOnly && (stat.mode & 0o077) !== 0) {
    throw new UntrustedStateError(name, `${dir} is open to other users`)
  }
}

/** Whether two paths name one folder (the temp folder may be reached through a link). */
function sameFolder(a: string, b: string): boolean {
  if (path.resolve(a) === path.resolve(b)) return true
  try {
    return realpathSync(a) === realpathSync(b)
  } catch {
    return false
  }
}

/** What `check` returns, or undefined with a warning saying why the value was refused. */
export function trusted<T>(check: () => T | undefined, warning: (message: string) => void): T | undefined {
  try {
    return check()
  } catch (error) {
    warning(`${(error as Error).message}; nothing is done with it`)
    return undefined
  }
}

function currentUid(): number {
  return typeof process.getuid === 'function' ? process.getuid() : -1
}
