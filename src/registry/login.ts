// The login to the registry of the username and password inputs, into the private Docker config.
// The credentials are checked through the Registry API the way `docker login` checks them and
// then written to the config as `docker login` writes them, which spares a docker process on
// every run. Where the API cannot be reached from here although the engine may reach it (a
// proxy, a certificate only the engine trusts), `docker login` itself does it.
import * as core from '@actions/core'
import type { DockerCli } from '../docker/cli.js'
import { storeLogin } from '../docker/config.js'
import type { RegistryClients, RegistryLogin } from './access.js'
import { RegistryError } from './http.js'
import { refusalFix } from './refusal-hint.js'

export async function logIn(
  docker: DockerCli,
  registries: RegistryClients,
  { registry, username, password, registryTimeout }: RegistryLogin
): Promise<void> {
  try {
    await (await registries(registry)).checkCredentials()
  } catch (error) {
    if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) {
      throw new Error(`Login to ${registry} failed: ${error.message}. ${refusalFix(registry)}`)
    }
    core.info(
      `Could not check the credentials through the Registry API (${(error as Error).message}): running docker login`
    )
    await docker.login(registry, username, password, registryTimeout)
    return
  }
  storeLogin(docker.configDir, registry, username, password)
  core.info(`Logged in to ${registry} as ${username}`)
}
