// What a Swarm rollout needs settled before anything is built: the compose files read, merged and
// interpolated as `docker stack deploy` reads them (the process environment, the env input and
// APP_VERSION; no .env file, which the docker CLI does not read), the rolled service checked (it
// runs old and new tasks side by side, as Compose blue-green does), the stack named, the update
// settings it lacks and the versioned secrets and configs worked out for the generated file.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { loadCompose, readComposeFiles } from '../compose/file/load.js'
import { composeProjectName } from '../compose/file/project-name.js'
import { checkRolloutService, type RolloutService } from '../compose/file/rollout-service.js'
import { composeVariables } from '../compose/plan.js'
import { programEnv } from '../../docker/cli.js'
import { definedOnly } from '../../program/program.js'
import type { DeployInputs } from '../inputs.js'
import type { DeployLog } from '../strategy.js'
import { updateConfigPatch } from './update-config.js'
import { filesToRewrite, versionedObjects, versionedSections, type VersionedObject } from './versioned.js'

export interface SwarmPlan {
  stack: string
  service: RolloutService
  /** The compose files as the inputs name them (relative to cwd). */
  files: string[]
  /** Their texts, for the ones handed over rewritten. */
  texts: Record<string, string>
  /** The variables interpolation used besides the runner's: the env input and APP_VERSION. */
  variables: Record<string, string>
  cwd: string
  /** The generated compose file's content (update settings, versioned names); undefined when none is needed. */
  override?: Record<string, unknown>
  /** The update settings the action adds, one line each. */
  added: string[]
  versioned: VersionedObject[]
  /** The files that define a secret or config from `environment:`: handed over rewritten. */
  rewritten: string[]
}

/** The name of the rolled service in the swarm. */
export function swarmServiceName(stack: string, service: string): string {
  return `${stack}_${service}`
}

export function readSwarmPlan(deploy: DeployInputs, version: string, cwd: string, log: DeployLog): SwarmPlan {
  const variables = composeVariables({ deploy }, version)
  const interpolationEnv = { ...definedOnly(programEnv()), ...variables }
  const read = (file: string): string => readFileSync(path.resolve(cwd, file), 'utf8')
  const texts = readComposeFiles(deploy.composeFiles, read)
  const model = loadCompose(texts, interpolationEnv)
  for (const warning of model.warnings) log.warning(`compose-file: ${warning}`)
  const stack = composeProjectName(model, {
    composeProject: deploy.composeProject,
    env: interpolationEnv,
    cwd
  })
  const service = checkRolloutService(model, deploy.service)
  if (service.healthcheck === 'disabled') {
    log.warning(
      `compose-file: service ${service.name} turns its healthcheck off: Swarm counts a new task as ready as soon as it runs, which proves less than a healthcheck`
    )
  }
  // The docker CLI resolves relative paths from the first compose file's folder.
  const workingDir = path.dirname(path.resolve(cwd, deploy.composeFiles[0] ?? 'docker-compose.yml'))
  const versioned = versionedObjects(model.layers, stack, interpolationEnv, (file) =>
    readFileSync(path.resolve(workingDir, file))
  )
  const patch = updateConfigPatch(model.services[service.name]?.raw.deploy, deploy.replicas)
  const override: Record<string, unknown> = { ...versionedSections(versioned) }
  if (patch.deploy) override.services = { [service.name]: { deploy: patch.deploy } }
  return {
    stack,
    service,
    files: deploy.composeFiles,
    texts: Object.fromEntries(texts.map(({ path: file, text }) => [file, text])),
    variables,
    cwd,
    ...(Object.keys(override).length > 0 ? { override } : {}),
    added: patch.added,
    versioned,
    rewritten: filesToRewrite(model.layers, versioned)
  }
}
