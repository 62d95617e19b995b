// A host that finished its rollout, put back on the release it ran before: the same rollout as
// any release (blue-green, no request dropped), of the image its old containers ran, which is
// still on the host. Used when another host fails (on-failure: rollback) and by the post step
// after a cancelled rollout over several hosts.
import type { DockerCli } from '../../docker/cli.js'
import { imageIdOn } from '../host/images.js'
import type { DeployPlan, RolloutHooks, RolloutReport } from '../strategy.js'

export async function revertHost(
  docker: DockerCli,
  url: string,
  plan: DeployPlan,
  previousImage: string,
  hooks: RolloutHooks,
  report: RolloutReport
): Promise<void> {
  const release = plan.releaseOf(previousImage)
  if (!release) {
    throw new Error(
      `the image it ran before, ${previousImage}, is not what the compose file's image makes for a version`
    )
  }
  const imageId = await imageIdOn(docker, previousImage, url)
  const rollout = await release.connect(docker)
  hooks.log.info(`Rolling ${url} back to ${previousImage}`)
  await rollout.rollOut(imageId, hooks, report)
}
