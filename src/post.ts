// The post step (action.yml `runs.post`, entered through post-entry.ts): removes the private
// Docker config, and with it every credential the action stored. Logins live only in that folder
// (see docker-config.ts), so no `docker logout` is needed and none can reach a credential the
// user stored elsewhere. It runs even when the main step failed, and never fails itself.
//
// It speaks the runner's two commands it needs itself instead of loading @actions/core, whose
// HTTP client stack takes longer to load (about 60 ms here) than the step takes to run.
import { State } from './constants.js'
import { removePrivateDockerConfig } from './docker-config.js'

/** core.getState: the runner hands saved state to the post step as STATE_<name>. */
function savedState(name: string, env: NodeJS.ProcessEnv): string {
  return env[`STATE_${name}`] ?? ''
}

/** A warning annotation, escaped as @actions/core escapes command data. */
function warning(message: string): void {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  process.stdout.write(`::warning::${data}\n`)
}

export async function post(env: NodeJS.ProcessEnv = process.env): Promise<void> {
  const configDir = savedState(State.DockerConfig, env)
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    process.stdout.write(`Removed the private Docker config ${configDir}\n`)
  } catch (error) {
    warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}
