// What every step is handed besides its own inputs: the inputs the whole run shares, the workflow
// run's facts, the docker CLI with the private config, a Registry API client per registry, and a
// temp folder outside the workspace.
import type { DockerCli } from '../docker/cli.js'
import type { GitHubContext } from '../github/context.js'
import type { RegistryClients } from '../registry/access.js'
import type { ReleaseInputs } from '../release/inputs.js'

/** The inputs of the whole run: which steps run, and the release's (image, tags, registry). */
export interface RunInputs extends ReleaseInputs {
  steps: string[]
}

export interface RunContext {
  inputs: RunInputs
  github: GitHubContext
  docker: DockerCli
  /** The Registry API client of each registry, with the credentials docker would use there. */
  registries: RegistryClients
  /** The runner's temp folder (RUNNER_TEMP), never inside the workspace. */
  tempRoot: string
}
