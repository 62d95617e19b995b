// Deploy: blue-green rollout with Docker Compose on the docker-host.
// Not implemented in this version: main refuses a run that would deploy before anything runs.
export const DEPLOY_IMPLEMENTED = false

export interface DeployResult {
  deployed: boolean
  previousImage: string
  containers: string[]
}
