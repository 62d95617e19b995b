// The docker CLI, run with the action's private DOCKER_CONFIG against one engine: the runner's
// own, or a remote one (DOCKER_HOST, with TLS files, or the local end of an SSH tunnel) for the
// deploy step.
import { runProgram, type ProgramTimeout, type RunOptions, type RunResult } from '../program/program.js'
import { REGISTRY_RETRY, withRetry } from '../program/retry.js'

/** The engine a DockerCli talks to: the local one, or a remote one by its environment. */
export type Engine =
  | { kind: 'local' }
  | {
      kind: 'remote'
      /** DOCKER_HOST: tcp://, ssh:// or unix:// */
      host: string
      /** Folder with ca.pem, cert.pem and key.pem for tcp:// with mutual TLS. */
      tlsDir?: string
    }

export const LOCAL_ENGINE: Engine = { kind: 'local' }

/** Variables the action sets for the engine it talks to; the env input cannot change them. */
export const ENGINE_VARIABLES = [
  'DOCKER_HOST',
  'DOCKER_CONTEXT',
  'DOCKER_TLS_VERIFY',
  'DOCKER_CERT_PATH',
  'DOCKER_CONFIG',
  'PATH'
]

/**
 * The environment the action's programs get: the runner's, minus what they must not see. The
 * runner passes every input as INPUT_<NAME>, secrets included, and no program needs them.
 */
export function programEnv(env: NodeJS.ProcessEnv = process.env): NodeJS.ProcessEnv {
  const clean: NodeJS.ProcessEnv = {}
  for (const [key, value] of Object.entries(env)) {
    if (key.startsWith('INPUT_') || key.startsWith('STATE_')) continue
    clean[key] = value
  }
  return clean
}

export class DockerCli {
  constructor(
    readonly configDir: string,
    readonly engine: Engine = LOCAL_ENGINE
  ) {}

  /** The same config against another engine. */
  withEngine(engine: Engine): DockerCli {
    return new DockerCli(this.configDir, engine)
  }

  get env(): NodeJS.ProcessEnv {
    const env: NodeJS.ProcessEnv = { ...programEnv(), DOCKER_CONFIG: this.configDir }
    if (this.engine.kind === 'remote') {
      // The remote engine is chosen by the action alone, whatever the runner's docker points at.
      for (const key of ['DOCKER_CONTEXT', 'DOCKER_TLS_VERIFY', 'DOCKER_CERT_PATH']) delete env[key]
      env.DOCKER_HOST = this.engine.host
      if (this.engine.tlsDir) {
        env.DOCKER_TLS_VERIFY = '1'
        env.DOCKER_CERT_PATH = this.engine.tlsDir
      }
    }
    return env
  }

  run(
    args: string[],
    options: Omit<RunOptions, 'env'> & { extraEnv?: Record<string, string> } = {}
  ): Promise<RunResult> {
    const { extraEnv, ...rest } = options
    return runProgram('docker', args, { ...rest, env: { ...this.env, ...extraEnv } })
  }

  /** The engine's version, or none and what docker said when the engine does not answer. */
  async serverVersion(): Promise<{ version?: string; stderr: string }> {
    const result = await this.run(['version', '--format', '{{.Server.Version}}'], {
      quiet: true,
      allowFailure: true
    })
    const version = result.stdout.trim()
    return result.exitCode === 0 && version ? { version, stderr: result.stderr } : { stderr: result.stderr }
  }

  async hasBuildx(): Promise<boolean> {
    const result = await this.run(['buildx', 'version'], { quiet: true, allowFailure: true })
    return result.exitCode === 0
  }

  /** `docker login`, the password on standard input so it is never in an argument list. */
  async login(registry: string, username: string, password: string, timeoutSeconds: number): Promise<void> {
    await withRetry(`docker login ${registry}`, REGISTRY_RETRY, () =>
      this.run(['login', '--username', username, '--password-stdin', registry], {
        input: password,
        timeout: registryTimeout(timeoutSeconds)
      })
    )
  }
}

/** The limit on one attempt at a transfer to or from a registry (the registry-timeout input). */
export function registryTimeout(seconds: number): ProgramTimeout {
  return { ms: seconds * 1000, input: 'registry-timeout' }
}
