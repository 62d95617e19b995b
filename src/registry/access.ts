// One Registry API client per registry for the whole run, with the credentials the docker CLI
// itself would use there: the inputs for the registry they are for, else whatever the Docker
// config holds (an earlier docker/login-action, a credential helper). Shared, so what one client
// learned (the auth scheme, a token) serves every later request to that registry.
import * as core from '@actions/core'
import { programEnv } from '../docker/cli.js'
import { lookUpCredentials } from '../docker/config.js'
import { normalizeRegistry } from '../lib/image-name.js'
import { RegistryClient } from './api.js'
import { REQUEST_TIMEOUT_MS } from './http.js'
import type { RegistryCredentials } from '../docker/config.js'

/** The client for a registry (any alias of it), made once. */
export type RegistryClients = (registry: string) => Promise<RegistryClient>

/** The registry the username and password inputs are for, and how long a request may take. */
export interface RegistryLogin {
  registry: string
  username: string
  password: string
  /** Seconds one attempt may take. */
  registryTimeout: number
}

export function registryClients(inputs: { publish: RegistryLogin }, configDir: string): RegistryClients {
  const clients = new Map<string, Promise<RegistryClient>>()
  return (wanted) => {
    const registry = normalizeRegistry(wanted)
    let client = clients.get(registry)
    if (!client) {
      client = credentialsFor(inputs, configDir, registry).then(
        (found) =>
          new RegistryClient(
            registry,
            found,
            fetch,
            Math.min(REQUEST_TIMEOUT_MS, inputs.publish.registryTimeout * 1000)
          )
      )
      clients.set(registry, client)
    }
    return client
  }
}

async function credentialsFor(
  inputs: { publish: RegistryLogin },
  configDir: string,
  registry: string
): Promise<RegistryCredentials | undefined> {
  const { username, password } = inputs.publish
  if (username && registry === normalizeRegistry(inputs.publish.registry)) return { username, password }
  const found = await lookUpCredentials(configDir, registry, { ...programEnv(), DOCKER_CONFIG: configDir })
  // What a credential helper returned was never an input: mask it before anything can print it.
  if (found) core.setSecret('password' in found ? found.password : found.identityToken)
  return found
}
