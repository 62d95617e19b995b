// What every step is handed: the validated inputs, the workflow run's facts, the docker CLI with
// the private config, and a temp folder outside the workspace.
import type { DockerCli } from './docker-cli.js'
import type { GitHubContext } from './github-context.js'
import type { Inputs } from './inputs.js'

export interface RunContext {
  inputs: Inputs
  github: GitHubContext
  docker: DockerCli
  /** The runner's temp folder (RUNNER_TEMP), never inside the workspace. */
  tempRoot: string
}
