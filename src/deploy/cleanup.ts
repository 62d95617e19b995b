// The deploy's part of the post step (run/post.ts), however the main step ended, on each host
// of the deploy-host input:
// - after a main step that ended mid-deploy (cancelled, crashed): the service put back in one
//   piece by its strategy's recovery, and the deploy lock released, through the SSH tunnel the
//   main step left (or a new one);
// - with several hosts, after a rollout that ended half-way: every host that finished (or whose
//   recovery finished the switch) rolled back to the release it ran before, so that every host
//   runs one release;
// - then the tunnel closed and the deploy host's access folder (SSH key, known hosts, TLS files)
//   removed;
// - a GitHub deployment left in_progress marked failure (github-deployment-post.ts).
// Every value it takes from the saved state is checked first (saved-state.ts, the strategy's
// own check of its rollout state); a value that fails its check is warned about and left alone.
// It never fails: what it cannot do, it says in a warning. It loads no @actions/core (see
// run/post.ts): its messages go to the log it is handed.
import { rmSync } from 'node:fs'
import { interruptedRollout } from './compose/recovery.js'
import { interruptedSwarmRollout } from './swarm/recovery.js'
import { composeBlueGreen } from './compose/blue-green.js'
import { Containers } from './compose/containers.js'
import { parseDockerHost } from './host/docker-host.js'
import { imageIdOn } from './host/images.js'
import { readDeployInputs } from './inputs.js'
import { checkedFleetState, type FleetState } from './fleet/fleet-state.js'
import { markUnfinishedDeployment } from './github-deployment-post.js'
import { revertHost } from './fleet/revert.js'
import { InputFields } from '../inputs/fields.js'
import {
  closeTunnel,
  openTunnel,
  tunnelAlive,
  writeSshConfig,
  type RemoteAccess
} from './host/remote-engine.js'
import { releaseLock } from './lock.js'
import { checkedAccess, checkedLockName } from './saved-state.js'
import type { DeployLog, DeployPlan, DeployStrategy, InterruptedRollout } from './strategy.js'
import { DockerCli } from '../docker/cli.js'
import { findProgram } from '../program/program.js'
import { DeployState, hostState } from './states.js'
import type { PostContext, StepCleanup } from '../run/cleanup.js'
import { trusted } from '../run/trusted-state.js'

/**
 * The post step's side of the strategy target.ts chooses (deployStrategy): Compose's recovery,
 * and its plan, which rolls a host back to the release it ran after a rollout over several hosts
 * ended half-way. The plan reads the compose files again, as the main step did, from the
 * workspace the runner starts the post step in; the image it rolls out is only ever one those
 * files make for a version (DeployPlan.releaseOf).
 */
const recovery: Pick<DeployStrategy, 'interrupted' | 'prepare'> = {
  interrupted: interruptedRollout,
  prepare: composeBlueGreen.prepare
}

/** The recovery of the strategy the orchestrator input chose. */
function interrupted(input: (name: string) => string): DeployStrategy['interrupted'] {
  return input('orchestrator') === 'swarm' ? interruptedSwarmRollout : recovery.interrupted
}

/** What the main step left on one host, checked. */
interface LeftOnHost {
  index: number
  access: RemoteAccess
  lock?: string
  rollout?: InterruptedRollout
  /** With several hosts: the image to go back to, when the host may run the new release. */
  revertTo?: string
}

/** Puts back what an interrupted deploy left on each host, frees the locks, removes the access. */
async function cleanUpDeploy(cleanup: PostContext): Promise<void> {
  const { saved, input, log } = cleanup
  const warn = (message: string): void => log.warning(message)
  const lines = input('deploy-host')
    .split('\n')
    .map((line) => line.trim())
    .filter(Boolean)
  const count = Math.max(1, lines.length)
  const fleet =
    count > 1 ? trusted(() => checkedFleetState(saved(DeployState.Finished), count), warn) : undefined
  const hosts: LeftOnHost[] = []
  for (let index = 0; index < count; index++) {
    const access = trusted(
      () =>
        checkedAccess(saved(hostState(DeployState.Access, index)), lines[index] ?? '', cleanup.tempRoot, log),
      warn
    )
    // Checked (and warned of) even without the host's access, which would reach it.
    const lock = trusted(() => checkedLockName(saved(hostState(DeployState.Lock, index))), warn)
    const rollout = trusted(
      () => interrupted(input)(saved(hostState(DeployState.Rollout, index)), input),
      warn
    )
    if (!access) continue
    hosts.push({ index, access, lock, rollout, revertTo: revertTarget(fleet, index, rollout !== undefined) })
  }
  const plan = hosts.some((host) => host.revertTo) ? fleetPlan(cleanup) : undefined
  await Promise.all(
    hosts.map(async (host) => {
      const { access, lock, rollout } = host
      const revertTo = plan ? host.revertTo : undefined
      if ((lock || rollout || revertTo) && cleanup.configDir && access.url) {
        await repairHost(
          access,
          cleanup.configDir,
          { lock, rollout, revert: plan && revertTo ? { plan, image: revertTo } : undefined },
          cleanup
        )
      }
      removeAccess(access, log)
    })
  )
  // After the hosts were put back: the deployment's failure is then what runs there.
  await markUnfinishedDeployment(cleanup)
}

/**
 * The image a host goes back to after a rollout over several hosts ended half-way: the one it ran
 * before, when it finished or was rolling out (its recovery may finish the switch).
 */
function revertTarget(
  fleet: FleetState | undefined,
  index: number,
  interrupted: boolean
): string | undefined {
  if (!fleet || !(fleet.finished.includes(index) || interrupted)) return undefined
  return fleet.previous[index] || undefined
}

/** The rollout's plan, from the inputs the runner hands the post step too; undefined (warned) when it cannot be read. */
function fleetPlan(cleanup: Pick<PostContext, 'input' | 'log'>): DeployPlan | undefined {
  try {
    const fields = new InputFields((name) => cleanup.input(name), process.cwd())
    const deploy = readDeployInputs(fields, { steps: ['deploy'] })
    fields.check()
    // Any version: the plan only serves releaseOf, which finds the one each host ran.
    return recovery.prepare(deploy, 'rollback', process.cwd(), cleanup.log)
  } catch (error) {
    cleanup.log.warning(
      `could not read the compose files to roll the hosts back to one release: ${(error as Error).message}`
    )
    return undefined
  }
}

/**
 * After a main step that ended mid-deploy: the rollout recovered and the lock freed, through the
 * tunnel the main step left, or a new one when it is gone.
 */
async function repairHost(
  access: RemoteAccess,
  configDir: string,
  left: { lock?: string; rollout?: InterruptedRollout; revert?: { plan: DeployPlan; image: string } },
  cleanup: Pick<PostContext, 'path' | 'log'>
): Promise<void> {
  const { lock, rollout, revert } = left
  const { log } = cleanup
  try {
    await reopenTunnel(access, cleanup.path)
    const docker = new DockerCli(configDir, access.engine)
    if (rollout) {
      await rollout
        .recover(docker, log)
        .catch((error: Error) =>
          log.warning(
            `could not put ${rollout.service} back in one piece after the interrupted deploy: ${error.message}`
          )
        )
    }
    if (revert) {
      await backToPrevious(docker, access.url, revert.plan, revert.image, log).catch((error: Error) =>
        log.warning(`could not roll ${access.url} back to ${revert.image}: ${error.message}`)
      )
    }
    if (lock) await freeLock(docker, lock, access.url, log)
  } catch (error) {
    log.warning(
      `could not reach ${access.url} to clean up after the interrupted deploy: ${(error as Error).message}`
    )
  }
}

/** The host back on `image`, unless every container of the service already runs it. */
async function backToPrevious(
  docker: DockerCli,
  url: string,
  plan: DeployPlan,
  image: string,
  log: DeployLog
): Promise<void> {
  const imageId = await imageIdOn(docker, image, url)
  const containers = new Containers(docker)
  const running = await containers.inspect(await containers.list(plan.project, plan.service))
  if (running.length > 0 && running.every((container) => container.imageId === imageId)) return
  log.info(`The rollout over several hosts ended half-way: ${url} goes back to ${image}`)
  const report = { deployed: false, previousImage: '', containers: [], failures: [] }
  const hooks = { mark: () => undefined, log, saveState: () => undefined }
  await revertHost(docker, url, plan, image, hooks, report)
  log.info(`${url} runs ${image} again (${report.containers.length} container(s))`)
}

/** A new tunnel when the main step's is gone. */
async function reopenTunnel(access: RemoteAccess, path: string | undefined): Promise<void> {
  if (!access.tunnel || tunnelAlive(access.tunnel)) return
  const host = parseDockerHost(access.url)
  if (host.scheme === 'ssh') writeSshConfig(host, access.dir)
  await openTunnel(access, findProgram('ssh', path) ?? '/usr/bin/ssh')
}

async function freeLock(docker: DockerCli, lock: string, url: string, log: DeployLog): Promise<void> {
  if (await releaseLock(docker, { name: lock })) log.info(`Released the deploy lock ${lock} on ${url}`)
  else log.warning(`could not release the deploy lock ${lock} on ${url}: remove it with docker rm ${lock}`)
}

/** The tunnel closed and the access folders removed. */
function removeAccess(access: RemoteAccess, log: DeployLog): void {
  if (access.tunnel && closeTunnel(access.tunnel)) log.info(`Closed the SSH tunnel to ${access.url}`)
  for (const dir of [access.dir, access.socketDir]) {
    if (!dir) continue
    try {
      rmSync(dir, { recursive: true, force: true })
      log.info(`Removed the deploy host's access folder ${dir}`)
    } catch (error) {
      log.warning(`could not remove ${dir}: ${(error as Error).message}`)
    }
  }
}

/** The deploy step's part of the post step. */
export const deployCleanup: StepCleanup = { name: 'deploy', cleanUp: cleanUpDeploy }
