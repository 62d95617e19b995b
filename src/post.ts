// The post entry (action.yml `runs.post`): logs out and removes the private Docker config.
// It runs even when the main step failed, and never fails itself.
import * as core from '@actions/core'
import { State } from './constants.js'
import { DockerCli, removePrivateDockerConfig } from './docker-cli.js'

export async function post(): Promise<void> {
  const configDir = core.getState(State.DockerConfig)
  const registry = core.getState(State.LoggedInRegistry)
  if (!configDir) return
  try {
    if (registry) await new DockerCli(configDir).logout(registry)
  } catch (error) {
    core.warning(`docker logout ${registry} failed: ${(error as Error).message}`)
  }
  try {
    removePrivateDockerConfig(configDir)
    core.info(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    core.warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}

await post()
