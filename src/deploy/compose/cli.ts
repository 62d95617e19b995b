// Docker Compose as the deploy runs it: the v2 plugin (`docker compose`) when the docker CLI has
// it, else Debian's and pip's v1 (`docker-compose`), always with the compose files and the
// project named explicitly, against the deploy host's engine.
import { ENGINE_VARIABLES, type DockerCli } from '../../docker/cli.js'
import { runProgram, type RunResult } from '../../program/program.js'

export interface ComposeVariant {
  kind: 'v2' | 'v1'
  version: string
}

/** The Compose to use: the v2 plugin if the docker CLI has one, else docker-compose v1. */
export async function probeCompose(docker: DockerCli): Promise<ComposeVariant> {
  const v2 = await docker
    .run(['compose', 'version', '--short'], { quiet: true, allowFailure: true })
    .catch(() => undefined)
  if (v2?.exitCode === 0) return { kind: 'v2', version: v2.stdout.trim() }
  const v1 = await runProgram('docker-compose', ['version', '--short'], {
    env: docker.env,
    quiet: true,
    allowFailure: true
  }).catch(() => undefined)
  if (v1?.exitCode === 0) return { kind: 'v1', version: v1.stdout.trim() }
  throw new Error(
    'neither `docker compose` (the Compose v2 plugin) nor `docker-compose` (v1) is installed on the runner: the deploy step needs one'
  )
}

/** Compose's arguments for one command: every file, the project, then the command. */
export function composeArgs(files: string[], project: string, command: string[]): string[] {
  return [...files.flatMap((file) => ['-f', file]), '-p', project, ...command]
}

/**
 * `up` for a service only, at `count` containers, leaving its dependencies and its running
 * containers alone: the new containers start beside the old ones.
 */
export function scaleUpCommand(service: string, count: number): string[] {
  return ['up', '--detach', '--no-deps', '--no-recreate', '--scale', `${service}=${count}`, service]
}

/**
 * The variables Compose runs with: the runner's, then the env input and APP_VERSION (what
 * interpolation saw), then the engine's (so Compose talks to the engine every other call does),
 * minus variables that would make Compose pick other files or another project than the action's.
 */
export function composeEnv(
  docker: DockerCli,
  variant: ComposeVariant,
  variables: Record<string, string>
): NodeJS.ProcessEnv {
  const engine = docker.env
  const env: NodeJS.ProcessEnv = { ...engine, ...variables }
  for (const key of ENGINE_VARIABLES) {
    if (engine[key] === undefined) delete env[key]
    else env[key] = engine[key]
  }
  for (const key of [
    'COMPOSE_FILE',
    'COMPOSE_PROJECT_NAME',
    'COMPOSE_PATH_SEPARATOR',
    'COMPOSE_PARAMIKO_SSH'
  ])
    delete env[key]
  // v1's docker-py ignores DOCKER_CERT_PATH's ca.pem for the server (compose #8634).
  if (variant.kind === 'v1' && docker.engine.kind === 'remote' && docker.engine.tlsDir) {
    env.REQUESTS_CA_BUNDLE = `${docker.engine.tlsDir}/ca.pem`
  }
  return env
}

export class Compose {
  constructor(
    readonly docker: DockerCli,
    readonly variant: ComposeVariant,
    readonly files: string[],
    readonly project: string,
    /** The variables interpolation used (env input and APP_VERSION). */
    readonly variables: Record<string, string>,
    /** Where relative compose-file paths start: the workspace. */
    readonly cwd: string
  ) {}

  get label(): string {
    return this.variant.kind === 'v2'
      ? `docker compose ${this.variant.version}`
      : `docker-compose ${this.variant.version}`
  }

  /** The same Compose with more files after these (the action's own, e.g. a label). */
  withFiles(extra: string[]): Compose {
    if (extra.length === 0) return this
    return new Compose(
      this.docker,
      this.variant,
      [...this.files, ...extra],
      this.project,
      this.variables,
      this.cwd
    )
  }

  run(command: string[], options: { quiet?: boolean; allowFailure?: boolean } = {}): Promise<RunResult> {
    const env = composeEnv(this.docker, this.variant, this.variables)
    const args = composeArgs(this.files, this.project, command)
    return this.variant.kind === 'v2'
      ? runProgram('docker', ['compose', ...args], { ...options, env, cwd: this.cwd })
      : runProgram('docker-compose', args, { ...options, env, cwd: this.cwd })
  }
}
