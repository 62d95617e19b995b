// Everything the deploy step needs settled before anything is built or changed: the strategy's
// files read and checked (the compose files, for Compose blue-green), every deploy host's engine
// reached (host key verified, client certificate accepted; all hosts side by side, one SSH
// connection each) and the strategy bound to each. A bad compose file, an unreachable host or a
// wrong host key fails the run here, before the build, naming the host. When the main step
// ends, the tunnels are closed and the hosts' access files are removed, unless a held lock or an
// interrupted rollout leaves them to the post step.
import { rmSync } from 'node:fs'
import * as core from '@actions/core'
import { saveForPost, savedForPost } from '../run/saved-for-post.js'
import type { StepCall } from '../run/step.js'
import { DeployState, hostState } from './states.js'
import { composeBlueGreen } from './compose/blue-green.js'
import { swarmStack } from './swarm/strategy.js'
import { engineInfo } from './host/engine-info.js'
import type { DockerCli } from '../docker/cli.js'
import type { DockerHost } from './host/docker-host.js'
import type { DeployInputs } from './inputs.js'
import { findProgram } from '../program/program.js'
import {
  closeTunnel,
  openTunnel,
  prepareRemoteAccess,
  savedAccess,
  sshComplaint,
  type RemoteAccess
} from './host/remote-engine.js'
import type { DeployPlan, DeployStrategy, Rollout } from './strategy.js'
import { planVersion, registryLookup } from './release-choice/resolve.js'

/** One deploy host, reached. */
export interface DeployTarget {
  /** Its line in deploy-host, from 0: it names the host's state for the post step. */
  index: number
  host: DockerHost
  /** The docker CLI with the action's private config, against the deploy host's engine. */
  docker: DockerCli
  /** What the strategy rolls out: the project (what the lock covers), the service, the image. */
  plan: DeployPlan
  /** The strategy, bound to the host's engine. */
  rollout: Rollout
  /** The engine version the host answered with. */
  engineVersion: string
  access: RemoteAccess
}

/** Every deploy host, reached, and what is rolled out on them. */
export interface DeployFleet {
  plan: DeployPlan
  targets: DeployTarget[]
}

/**
 * How releases are rolled out, by the orchestrator input: Compose blue-green, or Docker Swarm.
 * The post step's cleanup (cleanup.ts) takes the same strategy's recovery.
 */
export function deployStrategy(deploy: Pick<DeployInputs, 'orchestrator'>): DeployStrategy {
  return deploy.orchestrator === 'swarm' ? swarmStack : composeBlueGreen
}

/**
 * Checks the strategy's files and reaches every host, side by side. `onAccess` is called as soon
 * as a host's credential files exist, so the post step removes them however this ends. When a
 * host cannot be reached, the tunnels opened to the others are closed and the first failure (in
 * deploy-host order) is thrown.
 */
export async function prepareDeploy(
  inputs: { deploy: DeployInputs },
  version: string,
  localDocker: DockerCli,
  options: { tempRoot: string; cwd: string; onAccess: (index: number, access: RemoteAccess) => void }
): Promise<DeployFleet> {
  const hosts = inputs.deploy.dockerHosts
  if (hosts.length === 0) throw new Error('deploy-host: is empty')
  const plan = deployStrategy(inputs.deploy).prepare(inputs.deploy, version, options.cwd, core)
  const reached = await Promise.allSettled(
    hosts.map((host, index) =>
      reachHost(host, index, plan, inputs.deploy, localDocker, { ...options, named: hosts.length > 1 })
    )
  )
  const targets = reached.flatMap((outcome) => (outcome.status === 'fulfilled' ? [outcome.value] : []))
  const failed = reached.find((outcome) => outcome.status === 'rejected')
  if (failed) {
    for (const target of targets) closeDeployTarget(target)
    throw failed.reason
  }
  return { plan, targets }
}

/** One host's engine reached and the strategy bound to it. */
async function reachHost(
  host: DockerHost,
  index: number,
  plan: DeployPlan,
  deploy: DeployInputs,
  localDocker: DockerCli,
  options: { tempRoot: string; onAccess: (index: number, access: RemoteAccess) => void; named: boolean }
): Promise<DeployTarget> {
  const realSsh = sshClient(host)
  const access = prepareRemoteAccess(host, deploy, options.tempRoot)
  options.onAccess(index, access)
  if (access.tunnel && realSsh) {
    try {
      await openTunnel(access, realSsh)
    } catch (error) {
      throw new Error(
        `deploy-host: cannot reach the Docker engine at ${host.url}: ${(error as Error).message}`
      )
    }
    options.onAccess(index, access) // now with the tunnel's PID, for the post step
  }
  const docker = localDocker.withEngine(access.engine)
  const [engineVersion, rollout] = await connect(docker, access, plan, options.named)
  // The image is named once it is chosen (pinned to a digest, a chosen version, the rollback's).
  core.info(
    `Deploy target: ${host.url} (Engine ${engineVersion}), project ${plan.project}, service ${plan.service}, ${rollout.tool}`
  )
  return { index, host, docker, plan, rollout, engineVersion, access }
}

/** The runner's ssh client, for an ssh:// host. */
function sshClient(host: DockerHost): string | undefined {
  if (host.scheme !== 'ssh') return undefined
  const realSsh = findProgram('ssh', process.env.PATH)
  if (!realSsh)
    throw new Error(
      `deploy-host: ${host.url} needs the ssh client, which is not installed on the runner: install it (sudo apt-get install -y openssh-client), or reach the engine over tcp:// with TLS`
    )
  return realSsh
}

/**
 * The engine's version and the strategy bound to it; the tunnel is closed when this fails.
 * `named`: there are several hosts, and a warning says which one it is about.
 */
async function connect(
  docker: DockerCli,
  access: RemoteAccess,
  plan: DeployPlan,
  named: boolean
): Promise<[string, Rollout]> {
  try {
    const engineVersion = await reachEngine(docker, access)
    const [rollout, info] = await Promise.all([plan.connect(docker), engineInfo(docker)])
    // Swarm mode refuses live-restore: the warning does not apply to a swarm member.
    if (info.liveRestore === false && !info.swarm.member)
      core.warning(noLiveRestore(named ? access.url : undefined))
    return [engineVersion, rollout]
  } catch (error) {
    if (access.tunnel) closeTunnel(access.tunnel)
    throw error
  }
}

/** The engine's version, or an error naming the host and why it cannot be reached. */
async function reachEngine(docker: DockerCli, access: RemoteAccess): Promise<string> {
  const result = await docker.serverVersion()
  if (result.version) return result.version
  // Through the tunnel, ssh says why the host's end failed (no socket, forwarding refused).
  const tunnelSaid = access.tunnel ? sshComplaint(access.tunnel.log) : ''
  throw new Error(
    `deploy-host: cannot reach the Docker engine at ${access.url}: ${[unreachableReason(result.stderr), tunnelSaid].filter(Boolean).join('; ')}`
  )
}

/** The warning for an engine without live-restore; `host` names it when there are several. */
const noLiveRestore = (host?: string): string =>
  `${host ? `${host}: the` : 'The'} deploy host's dockerd runs without live-restore: if it restarts (an upgrade, a crash), every container stops with it, the ones serving too, and no rollout can keep them serving. Set "live-restore": true in its /etc/docker/daemon.json and reload it (systemctl reload docker, or SIGHUP to dockerd), which applies it without a restart.`

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

/** Each host's access files, by deploy-host line, as soon as they exist: also when reaching fails. */
const written = new Map<number, RemoteAccess>()

/** The state names of the deploy step for `hosts` deploy-host lines: each host's, and the fleet's. */
export function deployStates(hosts: number): string[] {
  const perHost = [DeployState.Access, DeployState.Lock, DeployState.Rollout] as const
  const names = Array.from({ length: Math.max(1, hosts) }, (_, index) =>
    perHost.map((state) => hostState(state, index))
  )
  return [...names.flat(), DeployState.Finished, DeployState.GitHubDeployment]
}

export async function prepareDeployTarget({
  context,
  release,
  inputs
}: StepCall<DeployInputs>): Promise<DeployFleet> {
  // A chosen version is looked up in the registry first: missing, it fails before any host is reached.
  const version = await planVersion(
    inputs.choice,
    release.plan.version,
    context.inputs.image,
    registryLookup(context.registries)
  )
  return prepareDeploy({ deploy: inputs }, version, context.docker, {
    tempRoot: context.tempRoot,
    cwd: process.cwd(),
    onAccess: (index, access) => {
      written.set(index, access)
      saveForPost(hostState(DeployState.Access, index), JSON.stringify(savedAccess(access)))
    }
  })
}

/** True while a deploy lock is held or a rollout is under way: the post step needs the hosts then. */
export function deployLeftForPost(): boolean {
  if (savedForPost(DeployState.Finished)) return true
  return [...written.keys()].some(
    (index) =>
      savedForPost(hostState(DeployState.Lock, index)) || savedForPost(hostState(DeployState.Rollout, index))
  )
}

/** Closes the tunnels, and removes the hosts' access files unless the post step needs them. */
export function finishDeploy(): void {
  // The same objects as the fleet's targets: they carry the tunnels' PIDs.
  for (const access of written.values()) closeDeployTarget({ access })
  if (written.size === 0 || deployLeftForPost()) return
  for (const [index, access] of written) {
    for (const dir of [access.dir, access.socketDir]) if (dir) rmSync(dir, { recursive: true, force: true })
    saveForPost(hostState(DeployState.Access, index), '')
    core.info(`Removed the deploy host's access folder ${access.dir} (${access.url})`)
  }
}
