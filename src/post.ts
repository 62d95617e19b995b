// The post step (action.yml `runs.post`, entered through post-entry.ts): removes the private
// Docker config, and with it every credential the action stored. Logins live only in that folder
// (see docker-config.ts), so no `docker logout` is needed and none can reach a credential the
// user stored elsewhere. It runs even when the main step failed, and never fails itself.
import * as core from '@actions/core'
import { State } from './constants.js'
import { removePrivateDockerConfig } from './docker-config.js'

export async function post(): Promise<void> {
  const configDir = core.getState(State.DockerConfig)
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    core.info(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    core.warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}
