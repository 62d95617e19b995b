// The post step (action.yml `runs.post`, entered through src/post.ts): releases what the main
// step may have left held and removes every credential it wrote:
// - after a main step that ended in the middle of a rollout (cancelled, crashed): the service put
//   back in one piece (rollout-recovery.ts) and the deploy lock released;
// - the SSH tunnel of the deploy's docker calls, when the main step could not end it, then the
//   deploy host's access folder (SSH key, known hosts, TLS files);
// - the private Docker config, and with it every login the action stored. Logins live only in
//   that folder (see docker-config.ts), so no `docker logout` is needed and none can reach a
//   credential the user stored elsewhere.
// It runs even when the main step failed, and never fails itself. It trusts nothing it did not
// write: every value it takes from the saved state is checked first (trusted-state.ts), and
// what it runs is rebuilt from the inputs, which the runner hands the post step too.
//
// It speaks the runner's two commands it needs itself instead of loading @actions/core, whose
// HTTP client stack takes longer to load (about 60 ms here) than the step takes to run.
import { rmSync } from 'node:fs'
import os from 'node:os'
import { State } from './names.js'
import { DockerCli } from '../docker/cli.js'
import { removePrivateDockerConfig } from '../docker/config.js'
import { parseDockerHost, type DockerHost } from '../deploy/host/docker-host.js'
import { releaseLock } from '../deploy/lock.js'
import { findProgram } from '../program/program.js'
import {
  accessIn,
  closeTunnel,
  openTunnel,
  tunnelAlive,
  writeSshConfig,
  type RemoteAccess,
  type SavedAccess
} from '../deploy/host/remote-engine.js'
import { recoverRollout, type RolloutState } from '../deploy/compose/recovery.js'
import { parseSwitchCommand } from '../deploy/compose/switch-command.js'
import {
  checkedLockName,
  checkedPid,
  checkedRollout,
  ownFolder,
  ownSocketFolder,
  UntrustedStateError
} from './trusted-state.js'

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
  const tempRoot = env.RUNNER_TEMP || os.tmpdir()
  const configDir = trusted(() =>
    ownFolder('docker-config', savedState(State.DockerConfig, env), tempRoot, 'docker')
  )
  const access = trusted(() => readAccess(env, tempRoot))
  const lock = trusted(() => checkedLockName(savedState(State.DeployLock, env)))
  const rollout = trusted(() => checkedRollout(savedState(State.DeployRollout, env), input('service', env)))
  if (access) await closeDeployAccess(access, configDir, lock, rollout, env)
  removeWorkDirs(savedState(State.WorkDirs, env), tempRoot)
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    log(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}

/** An input as the runner hands it to the post step too (INPUT_<NAME>), trimmed. */
function input(name: string, env: NodeJS.ProcessEnv): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

/** A state value that passed its check, or undefined with a warning saying why it did not. */
function trusted<T>(check: () => T | undefined): T | undefined {
  try {
    return check()
  } catch (error) {
    warning(`${(error as Error).message}; nothing is done with it`)
    return undefined
  }
}

/** The steps' private folders; the build's is already gone unless the run was cancelled. */
function removeWorkDirs(text: string, tempRoot: string): void {
  let dirs: unknown
  try {
    dirs = JSON.parse(text || '[]')
  } catch {
    dirs = []
  }
  if (!Array.isArray(dirs)) return
  for (const dir of dirs) {
    const own = trusted(() => ownFolder('work-dirs', typeof dir === 'string' ? dir : '', tempRoot, 'build'))
    if (own) rmSync(own, { recursive: true, force: true })
  }
}

/**
 * The deploy host's access, rebuilt from the docker-host input and the checked folders the
 * main step saved (see trusted-state.ts); the tunnel's PID is only used once it is checked to
 * be that tunnel's ssh.
 */
function readAccess(env: NodeJS.ProcessEnv, tempRoot: string): RemoteAccess | undefined {
  const text = savedState(State.DeployAccess, env)
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
    host = parseDockerHost(input('docker-host', env))
  } catch (error) {
    // The folders are still the action's: they are removed, nothing is reached.
    warning(`docker-host: ${(error as Error).message}; the deploy host is not reached from the post step`)
    return { engine: { kind: 'remote', host: '' }, url: '', dir, ...(socketDir ? { socketDir } : {}) }
  }
  const access = accessIn(host, dir, socketDir)
  const pid = checkedPid(saved.tunnelPid)
  if (access.tunnel && pid) access.tunnel.pid = pid
  return access
}

/**
 * After a main step that ended mid-deploy (cancelled, crashed): puts the service back in one
 * piece and frees the lock, through the tunnel the main step left (or a new one); then closes
 * the tunnel and removes the access folder.
 */
async function closeDeployAccess(
  access: RemoteAccess,
  configDir: string | undefined,
  lock: string | undefined,
  rollout: RolloutState | undefined,
  env: NodeJS.ProcessEnv
): Promise<void> {
  if ((lock || rollout) && configDir && access.url) {
    try {
      if (access.tunnel && !tunnelAlive(access.tunnel)) {
        const host = parseDockerHost(access.url)
        if (host.scheme === 'ssh') writeSshConfig(host, access.dir)
        await openTunnel(access, findProgram('ssh', env.PATH) ?? '/usr/bin/ssh')
      }
      const docker = new DockerCli(configDir, access.engine)
      if (rollout) {
        const command = trusted(() => parseSwitchCommand(input('switch-command', env)))
        await recoverRollout(docker, rollout, command, { info: log, warning }).catch((error: Error) =>
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
