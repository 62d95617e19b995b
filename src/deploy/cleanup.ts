// The deploy's part of the post step (run/post.ts), however the main step ended:
// - after a main step that ended mid-deploy (cancelled, crashed): the service put back in one
//   piece by its strategy's recovery, and the deploy lock released, through the SSH tunnel the
//   main step left (or a new one);
// - then the tunnel closed and the deploy host's access folder (SSH key, known hosts, TLS files)
//   removed.
// Every value it takes from the saved state is checked first (saved-state.ts, the strategy's
// own check of its rollout state); a value that fails its check is warned about and left alone.
// It never fails: what it cannot do, it says in a warning. It loads no @actions/core (see
// run/post.ts): its messages go to the log it is handed.
import { rmSync } from 'node:fs'
import { interruptedRollout } from './compose/recovery.js'
import { parseDockerHost } from './host/docker-host.js'
import {
  closeTunnel,
  openTunnel,
  tunnelAlive,
  writeSshConfig,
  type RemoteAccess
} from './host/remote-engine.js'
import { releaseLock } from './lock.js'
import { checkedAccess, checkedLockName } from './saved-state.js'
import type { DeployLog, DeployStrategy, InputReader, InterruptedRollout } from './strategy.js'
import { DockerCli } from '../docker/cli.js'
import { findProgram } from '../program/program.js'
import { State } from '../run/names.js'
import { trusted } from '../run/trusted-state.js'

/**
 * The post step's side of the strategy target.ts chooses (deployStrategy): Compose's recovery,
 * taken from its own module so that the post step loads none of the rest (the compose files'
 * parser).
 */
const recovery: Pick<DeployStrategy, 'interrupted'> = { interrupted: interruptedRollout }

export interface DeployCleanup {
  /** A value the main step saved for the post step (STATE_<name>), '' when none; checked here. */
  saved: (name: State) => string
  /** An input as the runner hands it to the post step too. */
  input: InputReader
  /** The runner's temp folder, where the access folder must be. */
  tempRoot: string
  /** The private Docker config (checked by the post step); without it the host is not reached. */
  configDir: string | undefined
  /** The runner's PATH, where ssh is looked for when the tunnel must be opened again. */
  path: string | undefined
  log: DeployLog
}

/** Puts back what an interrupted deploy left, frees its lock, removes the host's access. */
export async function cleanUpDeploy(cleanup: DeployCleanup): Promise<void> {
  const { saved, input, log } = cleanup
  const warn = (message: string): void => log.warning(message)
  const access = trusted(
    () => checkedAccess(saved(State.DeployAccess), input('docker-host'), cleanup.tempRoot, log),
    warn
  )
  const lock = trusted(() => checkedLockName(saved(State.DeployLock)), warn)
  const rollout = trusted(() => recovery.interrupted(saved(State.DeployRollout), input), warn)
  if (!access) return
  if ((lock || rollout) && cleanup.configDir && access.url) {
    await repairHost(access, cleanup.configDir, { lock, rollout }, cleanup)
  }
  removeAccess(access, log)
}

/**
 * After a main step that ended mid-deploy: the rollout recovered and the lock freed, through the
 * tunnel the main step left, or a new one when it is gone.
 */
async function repairHost(
  access: RemoteAccess,
  configDir: string,
  left: { lock?: string; rollout?: InterruptedRollout },
  cleanup: Pick<DeployCleanup, 'path' | 'log'>
): Promise<void> {
  const { lock, rollout } = left
  const { log } = cleanup
  try {
    await reopenTunnel(access, cleanup.path)
    const docker = new DockerCli(configDir, access.engine)
    if (rollout) {
      await rollout
        .recover(docker, log)
        .catch((error: Error) =>
          log.warning(
            `could not put ${rollout.service} back in one piece after the interrupted deploy: ${error.message}`
          )
        )
    }
    if (lock) await freeLock(docker, lock, access.url, log)
  } catch (error) {
    log.warning(
      `could not reach ${access.url} to clean up after the interrupted deploy: ${(error as Error).message}`
    )
  }
}

/** A new tunnel when the main step's is gone. */
async function reopenTunnel(access: RemoteAccess, path: string | undefined): Promise<void> {
  if (!access.tunnel || tunnelAlive(access.tunnel)) return
  const host = parseDockerHost(access.url)
  if (host.scheme === 'ssh') writeSshConfig(host, access.dir)
  await openTunnel(access, findProgram('ssh', path) ?? '/usr/bin/ssh')
}

async function freeLock(docker: DockerCli, lock: string, url: string, log: DeployLog): Promise<void> {
  if (await releaseLock(docker, { name: lock })) log.info(`Released the deploy lock ${lock} on ${url}`)
  else log.warning(`could not release the deploy lock ${lock} on ${url}: remove it with docker rm ${lock}`)
}

/** The tunnel closed and the access folders removed. */
function removeAccess(access: RemoteAccess, log: DeployLog): void {
  if (access.tunnel && closeTunnel(access.tunnel)) log.info(`Closed the SSH tunnel to ${access.url}`)
  for (const dir of [access.dir, access.socketDir]) {
    if (!dir) continue
    try {
      rmSync(dir, { recursive: true, force: true })
      log.info(`Removed the deploy host's access folder ${dir}`)
    } catch (error) {
      log.warning(`could not remove ${dir}: ${(error as Error).message}`)
    }
  }
}
