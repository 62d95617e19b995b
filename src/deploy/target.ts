// Everything the deploy step needs settled before anything is built or changed: the compose
// files read and checked for the rolled service, the project name, the deploy host's engine
// reached (host key verified, client certificate accepted) and the Compose to run. A bad compose
// file, an unreachable host or a wrong host key fails the run here, before the build.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import { Compose, probeCompose, type ComposeVariant } from './compose/cli.js'
import { loadCompose, readComposeFiles } from './compose/file/load.js'
import { ComposeFileError } from './compose/file/model.js'
import { composeProjectName } from './compose/file/project-name.js'
import { checkRolloutService, type RolloutService } from './compose/file/rollout-service.js'
import { programEnv, type DockerCli } from '../docker/cli.js'
import type { DockerHost } from './host/docker-host.js'
import { parseDotenv } from './compose/dotenv.js'
import type { DeployInputs } from './inputs.js'
import { definedOnly, findProgram } from '../program/program.js'
import {
  closeTunnel,
  openTunnel,
  prepareRemoteAccess,
  sshComplaint,
  type RemoteAccess
} from './host/remote-engine.js'

export interface DeployTarget {
  host: DockerHost
  /** The docker CLI with the action's private config, against the deploy host's engine. */
  docker: DockerCli
  compose: Compose
  project: string
  service: RolloutService
  /** The image reference the service runs after the rollout (its `image:`, interpolated). */
  image: string
  /** The engine version the host answered with. */
  engineVersion: string
  access: RemoteAccess
}

/** The variables Compose interpolates with besides the runner's: the env input and APP_VERSION. */
export function composeVariables(
  inputs: { deploy: Pick<DeployInputs, 'env'> },
  version: string
): Record<string, string> {
  return {
    ...Object.fromEntries(inputs.deploy.env.map(({ key, value }) => [key, value])),
    APP_VERSION: version
  }
}

/**
 * Checks the compose files and reaches the host. `onAccess` is called as soon as credential
 * files exist, so the post step removes them however this ends.
 */
export async function prepareDeploy(
  inputs: { deploy: DeployInputs },
  version: string,
  localDocker: DockerCli,
  options: { tempRoot: string; cwd: string; onAccess: (access: RemoteAccess) => void }
): Promise<DeployTarget> {
  const deploy = inputs.deploy
  const host = deploy.dockerHost
  if (!host) throw new Error('docker-host: is empty')
  const variables = composeVariables(inputs, version)
  // As Compose: the project folder's .env, then the process environment, then the env input.
  const interpolationEnv = {
    ...projectDotenv(deploy.composeFiles, options.cwd),
    ...definedOnly(programEnv()),
    ...variables
  }
  const texts = readComposeFiles(deploy.composeFiles, (file) =>
    readFileSync(path.resolve(options.cwd, file), 'utf8')
  )
  const model = loadCompose(texts, interpolationEnv)
  for (const warning of model.warnings) core.warning(`compose-file: ${warning}`)
  const project = composeProjectName(model, {
    composeProject: deploy.composeProject,
    env: interpolationEnv,
    cwd: options.cwd
  })
  const service = checkRolloutService(model, deploy.service)
  const switchService = deploy.switchCommand?.service
  if (switchService !== undefined && !Object.prototype.hasOwnProperty.call(model.services, switchService)) {
    throw new ComposeFileError([
      `switch-command: "${switchService}" is not a service of ${model.files.join(', ')}`
    ])
  }
  if (switchService === deploy.service) {
    throw new ComposeFileError([
      `switch-command: runs in ${switchService}, the service being rolled out; name the proxy in front of it`
    ])
  }
  if (service.healthcheck === 'disabled') {
    core.warning(
      `compose-file: service ${service.name} turns its healthcheck off: new containers count as ready after staying up ${deploy.startupGrace} s (startup-grace), which proves less than a healthcheck`
    )
  }

  let realSsh: string | undefined
  if (host.scheme === 'ssh') {
    realSsh = findProgram('ssh', process.env.PATH)
    if (!realSsh)
      throw new Error(`docker-host: ${host.url} needs the ssh client, which is not installed on the runner`)
  }
  const access = prepareRemoteAccess(host, deploy, options.tempRoot)
  options.onAccess(access)
  if (access.tunnel && realSsh) {
    try {
      await openTunnel(access, realSsh)
    } catch (error) {
      throw new Error(
        `docker-host: cannot reach the Docker engine at ${host.url}: ${(error as Error).message}`
      )
    }
    options.onAccess(access) // now with the tunnel's PID, for the post step
  }
  const docker = localDocker.withEngine(access.engine)
  let engineVersion: string
  let variant: ComposeVariant
  try {
    engineVersion = await reachEngine(docker, access)
    let liveRestore: boolean | undefined
    ;[variant, liveRestore] = await Promise.all([probeCompose(docker), liveRestoreEnabled(docker)])
    if (liveRestore === false) core.warning(NO_LIVE_RESTORE)
  } catch (error) {
    if (access.tunnel) closeTunnel(access.tunnel)
    throw error
  }
  core.info(
    `Deploy target: ${host.url} (Engine ${engineVersion}), project ${project}, service ${service.name}, image ${service.image}, ${variant.kind === 'v2' ? 'docker compose' : 'docker-compose'} ${variant.version}`
  )
  return {
    host,
    docker,
    compose: new Compose(docker, variant, deploy.composeFiles, project, variables, options.cwd),
    project,
    service,
    image: service.image,
    engineVersion,
    access
  }
}

/** The `.env` of the first compose file's folder, as Compose reads it; none is fine. */
function projectDotenv(files: string[], cwd: string): Record<string, string> {
  const file = path.join(path.dirname(path.resolve(cwd, files[0] ?? 'docker-compose.yml')), '.env')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  try {
    return parseDotenv(text, path.relative(cwd, file) || '.env')
  } catch (error) {
    throw new ComposeFileError([`compose-file: ${(error as Error).message}`])
  }
}

/** The engine's version, or an error naming the host and why it cannot be reached. */
async function reachEngine(docker: DockerCli, access: RemoteAccess): Promise<string> {
  const result = await docker.serverVersion()
  if (result.version) return result.version
  // Through the tunnel, ssh says why the host's end failed (no socket, forwarding refused).
  const tunnelSaid = access.tunnel ? sshComplaint(access.tunnel.log) : ''
  throw new Error(
    `docker-host: cannot reach the Docker engine at ${access.url}: ${[unreachableReason(result.stderr), tunnelSaid].filter(Boolean).join('; ')}`
  )
}

const NO_LIVE_RESTORE =
  'The deploy host\'s dockerd runs without live-restore: if it restarts (an upgrade, a crash), every container stops with it, the ones serving too, and no rollout can keep them serving. Set "live-restore": true in its /etc/docker/daemon.json and reload it (systemctl reload docker, or SIGHUP to dockerd), which applies it without a restart.'

/** Whether the engine keeps containers running while it restarts; undefined when it does not say. */
async function liveRestoreEnabled(docker: DockerCli): Promise<boolean | undefined> {
  const result = await docker.run(['info', '--format', '{{json .LiveRestoreEnabled}}'], {
    quiet: true,
    allowFailure: true
  })
  const said = result.stdout.trim()
  return result.exitCode === 0 && (said === 'true' || said === 'false') ? said === 'true' : undefined
}

/** Ends what reaching the host started (the ssh tunnel); its files stay for the post step. */
export function closeDeployTarget(target: Pick<DeployTarget, 'access'> | undefined): void {
  if (target?.access.tunnel) closeTunnel(target.access.tunnel)
}

/** The lines of the docker CLI's and ssh's complaint that say why, without the noise. */
export function unreachableReason(stderr: string): string {
  const lines = stderr
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Warning: Permanently added/i.test(line))
  const telling = lines.filter((line) =>
    /verification failed|REMOTE HOST IDENTIFICATION|Permission denied|Connection refused|Connection timed out|No route|Could not resolve|certificate|tls:|x509|connect:|error during connect|Cannot connect|Is the docker daemon running|not found|closed by remote host/i.test(
      line
    )
  )
  const chosen = (telling.length > 0 ? telling : lines).slice(-3)
  return chosen.join('; ') || 'the docker CLI printed nothing'
}
