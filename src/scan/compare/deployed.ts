// compare-to: deployed: the image the service runs on the first deploy host, as a registry
// reference by digest, found the way the rollout finds the release it replaces (the Compose
// service's running containers by their labels; the Swarm service's spec). The host is the one
// the deploy step reached before the build, so a run that does not deploy compares with nothing.
import { Containers } from '../../deploy/compose/containers.js'
import { swarmServiceName } from '../../deploy/swarm/plan.js'
import { SwarmService } from '../../deploy/swarm/service.js'
import type { DockerCli } from '../../docker/cli.js'
import { parseCompareTo, type CompareTo } from './compare-to.js'

export interface DeployedService {
  docker: DockerCli
  /** The host as the user named it, for messages. */
  url: string
  /** The Compose project or Swarm stack, and the service. */
  project: string
  service: string
  orchestrator: 'compose' | 'swarm'
}

export type DeployedImage =
  | { found: true; target: Extract<CompareTo, { kind: 'image' }> }
  /** `firstDeploy`: nothing of the service runs yet, so there is nothing to compare with. */
  | { found: false; reason: string; firstDeploy?: boolean }

type Running = { reference: string } | { reason: string; firstDeploy?: boolean }

/** The running release's image, by digest; or why there is none to compare with. */
export async function deployedImage(deployed: DeployedService): Promise<DeployedImage> {
  const running =
    deployed.orchestrator === 'swarm' ? await swarmImage(deployed) : await composeImage(deployed)
  if ('reason' in running) return { found: false, ...running }
  try {
    const target = parseCompareTo(running.reference)
    if (target.kind !== 'image' || !target.digest) throw new Error('it names no digest')
    return { found: true, target }
  } catch (error) {
    return {
      found: false,
      reason: `${deployed.service} on ${deployed.url} runs ${running.reference}, which is not a registry image by digest (${(error as Error).message})`
    }
  }
}

async function composeImage(deployed: DeployedService): Promise<Running> {
  const containers = new Containers(deployed.docker)
  const [first] = await containers.inspect(await containers.list(deployed.project, deployed.service))
  if (!first)
    return { reason: `no container of ${deployed.service} runs on ${deployed.url}`, firstDeploy: true }
  // The digest the engine pulled the image by: the repository the container names, else any.
  const inspected = await deployed.docker.run(
    ['image', 'inspect', '--format', '{{json .RepoDigests}}', first.imageId],
    { quiet: true }
  )
  const digests = JSON.parse(inspected.stdout.trim() || '[]') as unknown
  const known = Array.isArray(digests) ? digests.filter((d): d is string => typeof d === 'string') : []
  const repository = first.image.replace(/@sha256:[0-9a-f]{64}$/, '').replace(/:[\w][\w.-]*$/, '')
  const reference = known.find((d) => d.startsWith(`${repository}@`)) ?? known[0]
  if (!reference)
    return {
      reason: `the image ${first.image} that ${deployed.service} runs on ${deployed.url} was not pulled from a registry (it has no repository digest)`
    }
  return { reference }
}

async function swarmImage(deployed: DeployedService): Promise<Running> {
  const service = await new SwarmService(
    deployed.docker,
    swarmServiceName(deployed.project, deployed.service)
  ).inspect()
  if (!service)
    return { reason: `the swarm on ${deployed.url} has no service ${deployed.service}`, firstDeploy: true }
  return { reference: service.image }
}
