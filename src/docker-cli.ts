// The docker CLI, run with the action's private DOCKER_CONFIG, and that config's life cycle:
// made under the runner's temp folder (never the workspace, never the user's ~/.docker), logged
// in to with the password on standard input, logged out of and removed by the post step.
import { existsSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { runProgram, type RunOptions, type RunResult } from './program.js'
import { REGISTRY_RETRY, withRetry } from './retry.js'

export class DockerCli {
  constructor(readonly configDir: string) {}

  get env(): NodeJS.ProcessEnv {
    return { ...process.env, DOCKER_CONFIG: this.configDir }
  }

  run(
    args: string[],
    options: Omit<RunOptions, 'env'> & { extraEnv?: Record<string, string> } = {}
  ): Promise<RunResult> {
    const { extraEnv, ...rest } = options
    return runProgram('docker', args, { ...rest, env: { ...this.env, ...extraEnv } })
  }

  async hasBuildx(): Promise<boolean> {
    const result = await this.run(['buildx', 'version'], { quiet: true, allowFailure: true })
    return result.exitCode === 0
  }

  /** `docker login`, the password on standard input so it is never in an argument list. */
  async login(registry: string, username: string, password: string): Promise<void> {
    await withRetry(`docker login ${registry}`, REGISTRY_RETRY, () =>
      this.run(['login', '--username', username, '--password-stdin', registry], { input: password })
    )
  }

  async logout(registry: string): Promise<void> {
    await this.run(['logout', registry], { allowFailure: true })
  }
}

/** The user's own Docker config folder, as the docker CLI finds it. */
export function userDockerConfigDir(env: NodeJS.ProcessEnv = process.env): string {
  return env.DOCKER_CONFIG || path.join(os.homedir(), '.docker')
}

/**
 * A private DOCKER_CONFIG that still sees what the user set up earlier in the job: their logins
 * (copied, minus the credential store so ours stays in this folder), their CLI plugins (buildx,
 * compose) and their buildx builders and contexts (linked).
 */
export function createPrivateDockerConfig(tempRoot: string, userDir: string = userDockerConfigDir()): string {
  const dir = mkdtempSync(path.join(tempRoot, 'container-ship-docker-'))
  const userConfig = readUserConfig(path.join(userDir, 'config.json'))
  delete userConfig.credsStore
  const pluginDirs = [
    path.join(userDir, 'cli-plugins'),
    ...((userConfig.cliPluginsExtraDirs as string[] | undefined) ?? [])
  ]
  userConfig.cliPluginsExtraDirs = [...new Set(pluginDirs)]
  writeFileSync(path.join(dir, 'config.json'), JSON.stringify(userConfig, null, 2), { mode: 0o600 })
  for (const shared of ['buildx', 'contexts']) {
    const target = path.join(userDir, shared)
    if (existsSync(target)) symlinkSync(target, path.join(dir, shared))
  }
  return dir
}

function readUserConfig(file: string): Record<string, unknown> {
  if (!existsSync(file)) return {}
  try {
    const parsed = JSON.parse(readFileSync(file, 'utf8')) as unknown
    return parsed && typeof parsed === 'object' ? (parsed as Record<string, unknown>) : {}
  } catch {
    return {}
  }
}

/** Removes the private config; the links to the user's folders are removed, not followed. */
export function removePrivateDockerConfig(dir: string): void {
  rmSync(dir, { recursive: true, force: true })
}
