// The post step (action.yml `runs.post`, entered through post-entry.ts): releases what the main
// step may have left held and removes every credential it wrote:
// - the deploy lock on the deploy host, when the main step ended (cancelled) while holding it;
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
import { closeTunnel, type RemoteAccess } from './remote-engine.js'

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
  if (access) await closeDeployAccess(access, configDir, lock)
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    log(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    warning(`could not remove ${configDir}: ${(error as Error).message}`)
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

async function closeDeployAccess(access: RemoteAccess, configDir: string, lock: string): Promise<void> {
  if (lock && configDir) {
    // The main step ended while holding the lock (a cancelled run): free it for the next deploy.
    await releaseLock(new DockerCli(configDir, access.engine), { name: lock })
      .then(() => log(`Released the deploy lock ${lock} on ${access.url}`))
      .catch((error: Error) => warning(`could not release the deploy lock ${lock}: ${error.message}`))
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
