// Running cosign against a registry: always on `<repository>@sha256:<digest>` (a tag can move
// between signing and verifying; a digest cannot), with the run's private Docker config so that
// cosign authenticates as docker does, plain http only where the action itself talks http
// (loopback registries: lib/image-name.ts registryApiBase), and secrets only in the environment
// of the one cosign process that needs them, never in its arguments.
import { programEnv } from '../docker/cli.js'
import { registryApiBase, type ImageName } from '../lib/image-name.js'
import { runProgram, type RunOptions, type RunResult } from '../program/program.js'
import type { RunContext } from '../run/context.js'
import { findCosign } from './cosign.js'

export interface CosignRun {
  /** The cosign binary (findCosign). */
  cosign: string
  /** DOCKER_CONFIG of the run: the private config the login wrote (DockerCli.configDir). */
  dockerConfig: string
  /** The runner's temp folder, where the private folder for key files goes. */
  tempRoot: string
  /** The limit on one cosign run, in seconds (registry-timeout); none when undefined. */
  timeoutSeconds?: number
  /** The environment cosign starts from; the action's own, scrubbed (programEnv), by default. */
  env?: NodeJS.ProcessEnv
}

/** The cosign run of this job: cosign found, the run's Docker config, registry-timeout per run. */
export async function cosignRunOf(
  context: Pick<RunContext, 'docker' | 'tempRoot' | 'inputs'>
): Promise<CosignRun> {
  const cosign = await findCosign()
  return {
    cosign: cosign.path,
    dockerConfig: context.docker.configDir,
    tempRoot: context.tempRoot,
    timeoutSeconds: context.inputs.publish.registryTimeout
  }
}

const DIGEST = /^sha256:[0-9a-f]{64}$/

/** `<name>@sha256:<hex>`; throws for anything but a sha256 digest. */
export function digestReference(image: Pick<ImageName, 'name'>, digest: string): string {
  if (!DIGEST.test(digest))
    throw new Error(`"${digest}" is not a sha256 image digest (sha256:<64 hex digits>)`)
  return `${image.name}@${digest}`
}

/** cosign refuses plain http unless told; the action uses it only for loopback registries. */
export function registryFlags(image: Pick<ImageName, 'registry'>): string[] {
  return registryApiBase(image.registry).startsWith('http://') ? ['--allow-http-registry'] : []
}

/** Variables that must not reach cosign from the runner: they would change what it signs with. */
const WITHHELD = [
  'COSIGN_PASSWORD',
  'COSIGN_KEY',
  'COSIGN_EXPERIMENTAL',
  'SIGSTORE_ID_TOKEN',
  // cosign would fetch a token itself with these (its GitHub provider); the action hands it one.
  'ACTIONS_ID_TOKEN_REQUEST_URL',
  'ACTIONS_ID_TOKEN_REQUEST_TOKEN'
]

export function cosignEnv(run: CosignRun, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...(run.env ?? programEnv()), DOCKER_CONFIG: run.dockerConfig }
  for (const name of WITHHELD) delete env[name]
  return { ...env, ...extra }
}

/** Runs cosign quietly (what it prints is returned, and shown only through errors). */
export function runCosign(
  run: CosignRun,
  args: string[],
  extraEnv: Record<string, string> = {},
  options: Pick<RunOptions, 'allowFailure'> = {}
): Promise<RunResult> {
  return runProgram(run.cosign, args, {
    env: cosignEnv(run, extraEnv),
    quiet: true,
    ...options,
    ...(run.timeoutSeconds ? { timeout: { ms: run.timeoutSeconds * 1000, input: 'registry-timeout' } } : {})
  })
}

/** The last lines cosign printed to stderr, for a message (runProgram already neutralizes the log). */
export function cosignSaid(result: RunResult, lines = 3): string {
  const all = result.stderr
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  // Its warnings (a TUF root it could not refresh) are not why it failed, when it says why.
  const errors = all.filter((line) => !/^WARNING\b/.test(line))
  const tail = (errors.length > 0 ? errors : all).slice(-lines).join(' / ')
  return tail ? ` (cosign said: ${tail})` : ''
}
