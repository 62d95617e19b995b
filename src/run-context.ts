// What every step is handed: the validated inputs, the workflow run's facts, the docker CLI with
// the private config, the credentials the CLI would use per registry, and a temp folder outside
// the workspace.
import type { DockerCli } from './docker-cli.js'
import type { GitHubContext } from './github-context.js'
import type { Inputs } from './inputs.js'
import type { CredentialsFor } from './release.js'
import type { Builder } from './steps/build.js'

export interface RunContext {
  inputs: Inputs
  github: GitHubContext
  docker: DockerCli
  /** Chosen before any login, when build is in steps. */
  builder?: Builder
  credentialsFor: CredentialsFor
  /** The runner's temp folder (RUNNER_TEMP), never inside the workspace. */
  tempRoot: string
}
