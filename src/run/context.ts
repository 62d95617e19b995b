// What every step is handed: the validated inputs, the workflow run's facts, the docker CLI with
// the private config, a Registry API client per registry, and a temp folder outside
// the workspace.
import type { DeployTarget } from '../deploy/target.js'
import type { DockerCli } from '../docker/cli.js'
import type { GitHubContext } from '../github/context.js'
import type { Inputs } from '../inputs/inputs.js'
import type { RegistryClients } from '../registry/access.js'

/** The builder the build step uses: buildx when the CLI has it, else the classic one. */
export type Builder = 'buildx' | 'classic'

export interface RunContext {
  inputs: Inputs
  github: GitHubContext
  docker: DockerCli
  /** Chosen before any login, when build is in steps. */
  builder?: Builder
  /** The Registry API client of each registry, with the credentials docker would use there. */
  registries: RegistryClients
  /** The runner's temp folder (RUNNER_TEMP), never inside the workspace. */
  tempRoot: string
  /** The deploy host reached and the compose files checked, when the deploy step will run. */
  deployTarget?: DeployTarget
}
