// Docker config folders: the user's (read, never written) and the action's private one, and the
// registry credentials in them, looked up the way the docker CLI looks them up: a `credHelpers`
// entry for the registry, else the `credsStore`, else `auths` in config.json.
import {
  existsSync,
  mkdtempSync,
  readFileSync,
  renameSync,
  rmSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { DOCKER_HUB, DOCKER_HUB_AUTH_KEY, normalizeRegistry } from '../lib/image-name.js'
import { runProgram } from '../program/program.js'

/** A login as a Docker config holds it: a username and password, or an identity token. */
export type RegistryCredentials = { username: string; password: string } | { identityToken: string }

interface AuthEntry {
  auth?: string
  username?: string
  password?: string
  identitytoken?: string
}

export interface DockerConfigFile {
  auths?: Record<string, AuthEntry>
  credHelpers?: Record<string, string>
  credsStore?: string
  cliPluginsExtraDirs?: string[]
  [other: string]: unknown
}

/** The user's own Docker config folder, as the docker CLI finds it. */
export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

export function readDockerConfig(dir: string): DockerConfigFile {
  const file = path.join(dir, 'config.json')
  if (!existsSync(file)) return {}
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as DockerConfigFile) : {}
  } catch {
    return {}
  }
}

/** The address the CLI stores a registry's credentials under (Docker Hub's is a legacy URL). */
export function credentialKey(registry: string): string {
  return normalizeRegistry(registry) === DOCKER_HUB ? DOCKER_HUB_AUTH_KEY : registry
}

/** As the CLI's ConvertToHostname: `https://host/v1/` -> `host`, then normalised. */
function keyRegistry(key: string): string {
  return normalizeRegistry(key.replace(/^https?:\/\//, '').split('/')[0] ?? '')
}

/** The entry of a map keyed by registry address whose key names this registry. */
function entryFor<T>(map: Record<string, T> | undefined, registry: string): T | undefined {
  if (!map) return undefined
  const exact = map[credentialKey(registry)]
  if (exact !== undefined) return exact
  const wanted = normalizeRegistry(registry)
  const key = Object.keys(map).find((candidate) => keyRegistry(candidate) === wanted)
  return key === undefined ? undefined : map[key]
}

/**
 * A private DOCKER_CONFIG that sees everything the user set up earlier in the job: their logins
 * (`auths` copied; `credsStore` and `credHelpers` kept, so every login that worked before still
 * resolves), their CLI plugins and their buildx builders and contexts (linked). The registries
 * the action logs in to get an empty `credHelpers` entry, which makes the CLI keep those
 * credentials in this folder's config.json instead of the user's credential store: removing
 * the folder is the logout, and no credential the user stored elsewhere is ever touched.
 */
export function createPrivateDockerConfig(
  tempRoot: string,
  loginRegistries: string[],
  userDir: string = userDockerConfigDir()
): string {
  const dir = mkdtempSync(path.join(tempRoot, 'container-ship-docker-'))
  const config = readDockerConfig(userDir)
  const pluginDirs = [path.join(userDir, 'cli-plugins'), ...(config.cliPluginsExtraDirs ?? [])]
  config.cliPluginsExtraDirs = [...new Set(pluginDirs)]
  if (loginRegistries.length > 0) {
    const helpers = { ...(config.credHelpers ?? {}) }
    for (const registry of loginRegistries) {
      for (const key of Object.keys(helpers))
        if (keyRegistry(key) === normalizeRegistry(registry)) delete helpers[key]
      helpers[credentialKey(registry)] = ''
    }
    config.credHelpers = helpers
  }
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(config, null, 2), { mode: 0o600 })
  for (const shared of ['buildx', 'contexts']) {
    const target = path.join(userDir, shared)
    if (existsSync(target)) symlinkSync(target, path.join(dir, shared))
  }
  return dir
}

/**
 * Stores a login in the private config's `auths`, as `docker login` does with no credential
 * store, written whole and renamed into place so a concurrent reader never sees half a file.
 */
export function storeLogin(configDir: string, registry: string, username: string, password: string): void {
  const config = readDockerConfig(configDir)
  const auth = Buffer.from(`${username}:${password}`).toString('base64')
  config.auths = { ...(config.auths ?? {}), [credentialKey(registry)]: { auth } }
  const file = path.join(configDir, 'config.json')
  const partial = `${file}.${process.pid}.tmp`
  writeFileSync(partial, JSON.stringify(config, null, 2), { mode: 0o600 })
  renameSync(partial, file)
}

/** Removes the private config; the links to the user's folders are removed, not followed. */
export function removePrivateDockerConfig(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}

/**
 * The credentials the docker CLI would use for `registry` with this config folder, or undefined
 * when it has none. Credential helpers are run with `get` and the address on standard input.
 */
export async function lookUpCredentials(
  configDir: string,
  registry: string,
  env: NodeJS.ProcessEnv
): Promise<RegistryCredentials | undefined> {
  const config = readDockerConfig(configDir)
  const helper = entryFor(config.credHelpers, registry) ?? config.credsStore
  if (helper) return askCredentialHelper(helper, credentialKey(registry), env)
  const entry = entryFor(config.auths, registry)
  return entry ? credentialsOfEntry(entry) : undefined
}

export function credentialsOfEntry(entry: AuthEntry): RegistryCredentials | undefined {
  if (entry.identitytoken) return { identityToken: entry.identitytoken }
  if (entry.username && entry.password) return { username: entry.username, password: entry.password }
  if (entry.auth) {
    const decoded = Buffer.from(entry.auth, 'base64').toString('utf8')
    const colon = decoded.indexOf(':')
    if (colon > 0) return { username: decoded.slice(0, colon), password: decoded.slice(colon + 1) }
  }
  return undefined
}

/** The docker-credential-* protocol: `get`, the server address on stdin, JSON on stdout. */
async function askCredentialHelper(
  helper: string,
  serverAddress: string,
  env: NodeJS.ProcessEnv
): Promise<RegistryCredentials | undefined> {
  if (!/^[\w.-]+$/.test(helper)) return undefined
  const result = await runProgram(`docker-credential-${helper}`, ['get'], {
    input: serverAddress,
    env,
    quiet: true,
    allowFailure: true
  }).catch(() => undefined)
  // Not found, or the helper is not installed: the CLI would have no credentials either.
  if (!result || result.exitCode !== 0) return undefined
  try {
    const answer = JSON.parse(result.stdout) as { Username?: string; Secret?: string }
    if (!answer.Secret) return undefined
    // A helper returns an identity token as the user "<token>", as the CLI reads it.
    if (answer.Username === '<token>') return { identityToken: answer.Secret }
    return answer.Username ? { username: answer.Username, password: answer.Secret } : undefined
  } catch {
    return undefined
  }
}
