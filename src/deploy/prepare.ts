// The deploy step's part of the run around its rollout: before any step runs, the compose files
// are checked and the host is reached (so a bad host fails before the build); when the main step
// ends, the tunnel is closed and the host's access files are removed, unless a held lock or an
// interrupted rollout leaves them to the post step.
import { rmSync } from 'node:fs'
import * as core from '@actions/core'
import { DeployState } from './states.js'
import { saveForPost, savedForPost } from '../run/saved-for-post.js'
import type { StepCall } from '../run/step.js'
import { savedAccess, type RemoteAccess } from './host/remote-engine.js'
import type { DeployInputs } from './inputs.js'
import { closeDeployTarget, prepareDeploy, type DeployTarget } from './target.js'

/** The state the deploy step saves for the post step. */
export const DEPLOY_STATES = [DeployState.Access, DeployState.Lock, DeployState.Rollout] as const

/** The host's access files, as soon as they exist: also when reaching the host then fails. */
let written: RemoteAccess | undefined

export function prepareDeployTarget({
  context,
  release,
  inputs
}: StepCall<DeployInputs>): Promise<DeployTarget> {
  return prepareDeploy({ deploy: inputs }, release.plan.version, context.docker, {
    tempRoot: context.tempRoot,
    cwd: process.cwd(),
    onAccess: (access) => {
      written = access
      saveForPost(DeployState.Access, JSON.stringify(savedAccess(access)))
    }
  })
}

/** True while the deploy lock is held or a rollout is under way: the post step needs the host then. */
export function deployLeftForPost(): boolean {
  return Boolean(savedForPost(DeployState.Lock) || savedForPost(DeployState.Rollout))
}

/** Closes the tunnel, and removes the host's access files unless the post step needs them. */
export function finishDeploy(target: DeployTarget | undefined): void {
  closeDeployTarget(target ?? (written ? { access: written } : undefined))
  if (!written || deployLeftForPost()) return
  for (const dir of [written.dir, written.socketDir]) if (dir) rmSync(dir, { recursive: true, force: true })
  saveForPost(DeployState.Access, '')
  core.info(`Removed the deploy host's access folder ${written.dir}`)
}
