// The deploy's state as the post step reads it back, trusting none of it (see
// run/trusted-state.ts for why and for the folder checks):
// - the access folders must be the action's own (ownFolder, ownSocketFolder); the host is the
//   deploy-host input's, and the ssh command line is rebuilt from it and the folder, never read;
// - the lock name must be the action's: `container-ship-lock-<Compose project name>`;
// - the tunnel's PID is only a number here: it is used once it is checked to be that tunnel's ssh.
// The strategy checks its own rollout state (compose/recovery.ts: checkedRollout).
import { parseDockerHost, type DockerHost } from './host/docker-host.js'
import { accessIn, type RemoteAccess, type SavedAccess } from './host/remote-engine.js'
import { COMPOSE_PROJECT } from './inputs.js'
import { LOCK_PREFIX, lockName } from './lock.js'
import type { DeployLog } from './strategy.js'
import { ownFolder, ownSocketFolder, UntrustedStateError } from '../run/trusted-state.js'

/** The lock's name when it is the action's lock of a Compose project; undefined when empty. */
export function checkedLockName(text: string): string | undefined {
  if (!text) return undefined
  const project = text.startsWith(LOCK_PREFIX) ? text.slice(LOCK_PREFIX.length) : ''
  if (!COMPOSE_PROJECT.test(project) || lockName(project) !== text) {
    throw new UntrustedStateError('deploy-lock', `${JSON.stringify(text)} is not the name of a deploy lock`)
  }
  return text
}

/** The saved SSH tunnel PID, when it is one. */
export function checkedPid(value: unknown): number | undefined {
  return typeof value === 'number' && Number.isSafeInteger(value) && value > 1 ? value : undefined
}

/**
 * The deploy host's access, rebuilt from the deploy-host input and the checked folders the
 * main step saved; undefined when none was saved. A deploy-host input that does not parse
 * leaves the folders to remove and no host to reach (url '').
 */
export function checkedAccess(
  text: string,
  dockerHost: string,
  tempRoot: string,
  log: DeployLog
): RemoteAccess | undefined {
  if (!text) return undefined
  let saved: Partial<SavedAccess> | null
  try {
    saved = JSON.parse(text) as Partial<SavedAccess> | null
  } catch {
    saved = null
  }
  if (typeof saved !== 'object' || saved === null || typeof saved.dir !== 'string') {
    throw new UntrustedStateError('deploy-access', 'it is not what the main step writes')
  }
  const dir = ownFolder('deploy-access', saved.dir, tempRoot, 'remote') as string
  const socketDir = ownSocketFolder(
    'deploy-access',
    typeof saved.socketDir === 'string' ? saved.socketDir : ''
  )
  let host: DockerHost
  try {
    host = parseDockerHost(dockerHost)
  } catch (error) {
    // The folders are still the action's: they are removed, nothing is reached.
    log.warning(`deploy-host: ${(error as Error).message}; the deploy host is not reached from the post step`)
    return { engine: { kind: 'remote', host: '' }, url: '', dir, ...(socketDir ? { socketDir } : {}) }
  }
  const access = accessIn(host, dir, socketDir)
  const pid = checkedPid(saved.tunnelPid)
  if (access.tunnel && pid) access.tunnel.pid = pid
  return access
}
