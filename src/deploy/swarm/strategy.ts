// Docker Swarm as a deploy strategy: the compose files rolled out with `docker stack deploy` on a
// manager, and Swarm's own rolling update (start-first, rolled back on failure) followed to its
// end. Chosen by the orchestrator input (deploy/target.ts; its recovery in deploy/cleanup.ts).
import * as core from '@actions/core'
import type { DockerCli } from '../../docker/cli.js'
import type { DeployInputs } from '../inputs.js'
import type { DeployLog, DeployPlan, DeployStrategy, Rollout } from '../strategy.js'
import { readSwarmPlan, type SwarmPlan } from './plan.js'
import { interruptedSwarmRollout } from './recovery.js'
import { knowsDetach, SwarmRollout } from './rollout.js'
import { engineInfo } from '../host/engine-info.js'

export const swarmStack: DeployStrategy = {
  prepare: (deploy, version, cwd, log) => {
    const plan = readSwarmPlan(deploy, version, cwd, log)
    tell(plan, log)
    return {
      project: plan.stack,
      service: plan.service.name,
      image: plan.service.image,
      connect: (docker) => connect(plan, deploy, docker),
      // `version@sha256:...`: the stack's image then names the digest the nodes pull and check.
      pinned: (digest) => pinnedPlan(deploy, `${version}@${digest}`, cwd),
      // One manager, never several hosts to bring back to one release: Swarm rolls back itself.
      releaseOf: () => undefined
    }
  },
  interrupted: interruptedSwarmRollout
}

/** The plan again for a pinned version, without repeating the notices. */
function pinnedPlan(deploy: DeployInputs, version: string, cwd: string): DeployPlan {
  return swarmStack.prepare(deploy, version, cwd, QUIET)
}

/** The log of a plan made again: what it would say was said the first time. */
const QUIET: DeployLog = { info: () => undefined, warning: () => undefined }

/** The settings the action adds, in a notice; the versioned objects' values masked. */
function tell(plan: SwarmPlan, log: DeployLog): void {
  if (log === QUIET) return
  for (const object of plan.versioned) if (object.value) core.setSecret(object.value)
  if (plan.added.length > 0) {
    const message = `compose-file: service ${plan.service.name} gets ${plan.added.join(', ')} from the action (a generated compose file after yours), so that Swarm starts new tasks before stopping old ones and rolls a failed update back; set them in deploy: to choose other values`
    if (log === core) core.notice(message)
    else log.info(message)
  }
  for (const object of plan.versioned)
    log.info(`Swarm ${object.kind} ${object.key}: deployed as ${object.name}`)
}

/** The manager's engine: refused when it is not one. */
async function connect(plan: SwarmPlan, deploy: DeployInputs, docker: DockerCli): Promise<Rollout> {
  const [info, detachFlag] = await Promise.all([engineInfo(docker), knowsDetach(docker)])
  const role = info.swarm
  if (!role.manager) {
    throw new Error(
      `orchestrator: swarm needs deploy-host to be a Swarm manager, and its engine ${role.member ? 'is a worker' : 'is in no swarm'}`
    )
  }
  return {
    tool: 'docker stack deploy',
    nodesPull: true,
    rollOut: (_imageId, hooks, report) =>
      new SwarmRollout(plan, docker, deploy.healthTimeout, detachFlag, hooks, report).rollOut()
  }
}
