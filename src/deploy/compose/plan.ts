// What a Compose rollout needs settled before anything is built: the compose files read, merged
// and interpolated as Compose does, the rolled service checked (it can run twice side by side),
// the switch-command's service checked, and the project named. A bad file fails the run here.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadCompose, readComposeFiles } from './file/load.js'
import { ComposeFileError, type ComposeModel } from './file/model.js'
import { composeProjectName } from './file/project-name.js'
import { checkRolloutService, type RolloutService } from './file/rollout-service.js'
import { parseDotenv } from './dotenv.js'
import { programEnv } from '../../docker/cli.js'
import type { DeployInputs } from '../inputs.js'
import { definedOnly } from '../../program/program.js'
import type { DeployLog } from '../strategy.js'

export interface ComposePlan {
  project: string
  service: RolloutService
  files: string[]
  /** The variables interpolation used besides the runner's: the env input and APP_VERSION. */
  variables: Record<string, string>
  /** Where relative compose-file paths start: the workspace. */
  cwd: string
}

/** The variables Compose interpolates with besides the runner's: the env input and APP_VERSION. */
export function composeVariables(
  inputs: { deploy: Pick<DeployInputs, 'env'> },
  version: string
): Record<string, string> {
  return {
    ...Object.fromEntries(inputs.deploy.env.map(({ key, value }) => [key, value])),
    APP_VERSION: version
  }
}

/** Reads and checks the compose files for a rollout of the service input. */
export function readComposePlan(
  deploy: DeployInputs,
  version: string,
  cwd: string,
  log: DeployLog
): ComposePlan {
  const variables = composeVariables({ deploy }, version)
  // As Compose: the project folder's .env, then the process environment, then the env input.
  const interpolationEnv = {
    ...projectDotenv(deploy.composeFiles, cwd),
    ...definedOnly(programEnv()),
    ...variables
  }
  const texts = readComposeFiles(deploy.composeFiles, (file) => readFileSync(path.resolve(cwd, file), 'utf8'))
  const model = loadCompose(texts, interpolationEnv)
  for (const warning of model.warnings) log.warning(`compose-file: ${warning}`)
  const project = composeProjectName(model, {
    composeProject: deploy.composeProject,
    env: interpolationEnv,
    cwd
  })
  const service = checkRolloutService(model, deploy.service)
  checkSwitchService(model, deploy)
  if (service.healthcheck === 'disabled') {
    log.warning(
      `compose-file: service ${service.name} turns its healthcheck off: new containers count as ready after staying up ${deploy.startupGrace} s (startup-grace), which proves less than a healthcheck`
    )
  }
  return { project, service, files: deploy.composeFiles, variables, cwd }
}

/** switch-command runs in a service of the files, and not in the one rolled out. */
function checkSwitchService(model: ComposeModel, deploy: DeployInputs): void {
  const switchService = deploy.switchCommand?.service
  if (switchService !== undefined && !Object.prototype.hasOwnProperty.call(model.services, switchService)) {
    throw new ComposeFileError([
      `switch-command: "${switchService}" is not a service of ${model.files.join(', ')}`
    ])
  }
  if (switchService === deploy.service) {
    throw new ComposeFileError([
      `switch-command: runs in ${switchService}, the service being rolled out; name the proxy in front of it`
    ])
  }
}

/** The `.env` of the first compose file's folder, as Compose reads it; none is fine. */
function projectDotenv(files: string[], cwd: string): Record<string, string> {
  const file = path.join(path.dirname(path.resolve(cwd, files[0] ?? 'docker-compose.yml')), '.env')
  let text: string
  try {
    text = readFileSync(file, 'utf8')
  } catch {
    return {}
  }
  try {
    return parseDotenv(text, path.relative(cwd, file) || '.env')
  } catch (error) {
    throw new ComposeFileError([`compose-file: ${(error as Error).message}`])
  }
}
