// The post step (action.yml `runs.post`, entered through post-entry.ts): releases what the main
// step may have left held and removes every credential it wrote:
// - after a main step that ended in the middle of a rollout (cancelled, crashed): the service put
//   back in one piece (rollout-recovery.ts) and the deploy lock released;
// - the SSH tunnel of the deploy's docker calls, when the main step could not end it, then the
//   deploy host's access folder (SSH key, known hosts, TLS files);
// - the private Docker config, and with it every login the action stored. Logins live only in
//   that folder (see docker-config.ts), so no `docker logout` is needed and none can reach a
//   credential the user stored elsewhere.
// It runs even when the main step failed, and never fails itself.
//
// It speaks the runner's two commands it needs itself instead of loading @actions/core, whose
// HTTP client stack takes longer to load (about 60 ms here) than the step takes to run.
import { rmSync } from 'node:fs'
import { State } from './constants.js'
import { DockerCli } from './docker-cli.js'
import { removePrivateDockerConfig } from './docker-config.js'
import { releaseLock } from './deploy-lock.js'
import { findProgram } from './program.js'
import { closeTunnel, openTunnel, tunnelAlive, type RemoteAccess } from './remote-engine.js'
import { parseRolloutState, recoverRollout, type RolloutState } from './rollout-recovery.js'

/** core.getState: the runner hands saved state to the post step as STATE_<name>. */
function savedState(name: string, env: NodeJS.ProcessEnv): string {
  return env[`STATE_${name}`] ?? ''
}

/** A warning annotation, escaped as @actions/core escapes command data. */
function warning(message: string): void {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  process.stdout.write(`::warning::${data}\n`)
}

function log(message: string): void {
  process.stdout.write(`${message}\n`)
}

export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const configDir = savedState(State.DockerConfig, env)
  const access = parseAccess(savedState(State.DeployAccess, env))
  const lock = savedState(State.DeployLock, env)
  let rollout: RolloutState | undefined
  try {
    rollout = parseRolloutState(savedState(State.DeployRollout, env))
  } catch (error) {
    warning(`${(error as Error).message}; the deploy's containers are left as they are`)
  }
  if (access) await closeDeployAccess(access, configDir, lock, rollout, env)
  removeWorkDirs(savedState(State.WorkDirs, env))
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    log(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}

/** The steps' private folders; the build's is already gone unless the run was cancelled. */
function removeWorkDirs(text: string): void {
  let dirs: unknown
  try {
    dirs = JSON.parse(text || '[]')
  } catch {
    dirs = []
  }
  if (!Array.isArray(dirs)) return
  for (const dir of dirs) {
    if (typeof dir === 'string' && /(^|\/)container-ship-[a-z]+-[^/]+$/.test(dir))
      rmSync(dir, { recursive: true, force: true })
  }
}

function parseAccess(text: string): RemoteAccess | undefined {
  if (!text) return undefined
  try {
    const access = JSON.parse(text) as RemoteAccess
    return typeof access.dir === 'string' && access.engine?.kind === 'remote' ? access : undefined
  } catch {
    warning('the saved deploy access state is not readable; nothing to clean up there')
    return undefined
  }
}

/**
 * After a main step that ended mid-deploy (cancelled, crashed): puts the service back in one
 * piece and frees the lock, through the tunnel the main step left (or a new one); then closes
 * the tunnel and removes the access folder.
 */
async function closeDeployAccess(
  access: RemoteAccess,
  configDir: string,
  lock: string,
  rollout: RolloutState | undefined,
  env: NodeJS.ProcessEnv
): Promise<void> {
  if ((lock || rollout) && configDir) {
    try {
      if (access.tunnel && !tunnelAlive(access.tunnel)) {
        await openTunnel(access, findProgram('ssh', env.PATH) ?? '/usr/bin/ssh')
      }
      const docker = new DockerCli(configDir, access.engine)
      if (rollout) {
        await recoverRollout(docker, rollout, { info: log, warning }).catch((error: Error) =>
          warning(
            `could not put ${rollout.service} back in one piece after the interrupted deploy: ${error.message}`
          )
        )
      }
      if (lock) {
        if (await releaseLock(docker, { name: lock }))
          log(`Released the deploy lock ${lock} on ${access.url}`)
        else
          warning(
            `could not release the deploy lock ${lock} on ${access.url}: remove it with docker rm ${lock}`
          )
      }
    } catch (error) {
      warning(
        `could not reach ${access.url} to clean up after the interrupted deploy: ${(error as Error).message}`
      )
    }
  }
  if (access.tunnel && closeTunnel(access.tunnel)) log(`Closed the SSH tunnel to ${access.url}`)
  for (const dir of [access.dir, access.socketDir]) {
    if (!dir) continue
    try {
      rmSync(dir, { recursive: true, force: true })
      log(`Removed the deploy host's access folder ${dir}`)
    } catch (error) {
      warning(`could not remove ${dir}: ${(error as Error).message}`)
    }
  }
}
