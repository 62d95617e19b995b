// Deploy: blue-green rollout with Docker Compose on the docker-host.
// Not implemented in this version: a run that would deploy is refused before anything runs.
import { Output } from '../constants.js'
import type { Inputs } from '../inputs.js'
import type { Step } from '../step.js'

export interface DeployResult {
  deployed: boolean
  previousImage: string
  containers: string[]
}

/** Refuses, before anything runs, a run that would deploy while deploying is not implemented. */
export function refuseUnimplementedDeploy(inputs: Pick<Inputs, 'steps' | 'deploy'>): void {
  if (inputs.steps.includes('deploy') && inputs.deploy.dockerHost) {
    throw new Error(
      'docker-host is set, but the deploy step is not implemented in this version yet: remove deploy from steps or leave docker-host empty'
    )
  }
}

export const deployStep: Step<'deploy', DeployResult> = {
  name: 'deploy',
  title: 'Deploy',
  skip: (context) =>
    context.inputs.deploy.dockerHost ? undefined : 'The deploy step was skipped: docker-host is empty.',
  run: async () => {
    throw new Error('the deploy step is not implemented in this version')
  },
  report: (result, run) => ({
    outputs: {
      [Output.Deployed]: String(result?.deployed ?? false),
      [Output.PreviousImage]: result?.previousImage ?? '',
      [Output.Containers]: (result?.containers ?? []).join('\n')
    },
    rows:
      !result && run.inputs?.steps.includes('deploy') && !run.inputs.deploy.dockerHost
        ? [['Deploy', 'skipped (docker-host is empty)']]
        : []
  })
}
