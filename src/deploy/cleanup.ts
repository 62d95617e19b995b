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
import { interruptedSwarmRollout } from './swarm/recovery.js'
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
import type { DeployLog, DeployStrategy, InterruptedRollout } from './strategy.js'
import { DockerCli } from '../docker/cli.js'
import { findProgram } from '../program/program.js'
import { DeployState } from './states.js'
import type { PostContext, StepCleanup } from '../run/cleanup.js'
import { trusted } from '../run/trusted-state.js'

/**
 * The post step's side of the strategy target.ts chooses (deployStrategy), by the orchestrator
 * input: each recovery taken from its own module so that the post step loads none of the rest
 * (the compose files' parser).
 */
function recovery(input: (name: string) => string): Pick<DeployStrategy, 'interrupted'> {
  return { interrupted: input('orchestrator') === 'swarm' ? interruptedSwarmRollout : interruptedRollout }
}

/** Puts back what an interrupted deploy left, frees its lock, removes the host's access. */
async function cleanUpDeploy(cleanup: PostContext): Promise<void> {
  const { saved, input, log } = cleanup
  const warn = (message: string): void => log.warning(message)
  const access = trusted(
    () => checkedAccess(saved(DeployState.Access), input('docker-host'), cleanup.tempRoot, log),
    warn
  )
  const lock = trusted(() => checkedLockName(saved(DeployState.Lock)), warn)
  const rollout = trusted(() => recovery(input).interrupted(saved(DeployState.Rollout), input), warn)
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
  cleanup: Pick<PostContext, 'path' | 'log'>
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

/** The deploy step's part of the post step. */
export const deployCleanup: StepCleanup = { name: 'deploy', cleanUp: cleanUpDeploy }
