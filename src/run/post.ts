// The post step (action.yml `runs.post`, entered through src/post.ts): releases what the main
// step may have left held and removes every credential it wrote:
// - each step's own, through its cleanup (run/cleanup.ts; pipeline/cleanups.ts lists them), with
//   the state that step saved: the deploy's puts an interrupted rollout back in one piece, frees
//   the deploy lock, closes the SSH tunnel and removes the host's access folder;
// - the steps' work folders;
// - the private Docker config, and with it every login the action stored. Logins live only in
//   that folder (see docker/config.ts), so no `docker logout` is needed and none can reach a
//   credential the user stored elsewhere.
// It runs even when the main step failed, and never fails itself. It trusts nothing it did not
// write: every value it takes from the saved state is checked first (trusted-state.ts), and
// what it runs is rebuilt from the inputs, which the runner hands the post step too.
//
// It speaks the runner's two commands it needs itself instead of loading @actions/core, whose
// HTTP client stack takes longer to load (about 60 ms here) than the step takes to run.
import { rmSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { State } from './names.js'
import { removePrivateDockerConfig } from '../docker/config.js'
import type { PostContext, StepCleanup } from './cleanup.js'
import { ownFolder, trusted } from './trusted-state.js'
import { renamedInputReader } from '../inputs/renamed.js'

/** core.getState: the runner hands saved state to the post step as STATE_<name>. */
function savedState(name: string, env: NodeJS.ProcessEnv): string {
  return env[`STATE_${name}`] ?? ''
}

/** A warning annotation, escaped as @actions/core escapes command data. */
function warning(message: string): void {
  const data = message.replace(/%/g, '%25').replace(/\r/g, '%0D').replace(/\n/g, '%0A')
  process.stdout.write(`::warning::${data}\n`)
}

function log(message: string): void {
  process.stdout.write(`${message}\n`)
}

export async function post(
  cleanups: readonly StepCleanup[],
  env: NodeJS.ProcessEnv = process.env
): Promise<void> {
  const tempRoot = env.RUNNER_TEMP || os.tmpdir()
  const configDir = trusted(
    () => ownFolder('docker-config', savedState(State.DockerConfig, env), tempRoot, 'docker'),
    warning
  )
  const context: PostContext = {
    saved: (name) => savedState(name, env),
    // By the new names, as the main step read them (an old name's value carried over).
    input: renamedInputReader((name) => input(name, env)).read,
    tempRoot,
    configDir,
    path: env.PATH,
    log: { info: log, warning }
  }
  for (const cleanup of cleanups) {
    await cleanup
      .cleanUp(context)
      .catch((error: Error) => warning(`the ${cleanup.name} step's cleanup failed: ${error.message}`))
  }
  removeWorkDirs(savedState(State.WorkDirs, env), tempRoot)
  if (!configDir) return
  try {
    removePrivateDockerConfig(configDir)
    log(`Removed the private Docker config ${configDir}`)
  } catch (error) {
    warning(`could not remove ${configDir}: ${(error as Error).message}`)
  }
}

/** An input as the runner hands it to the post step too (INPUT_<NAME>), trimmed. */
function input(name: string, env: NodeJS.ProcessEnv): string {
  return (env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] ?? '').trim()
}

/** The steps' private folders; each is already gone unless the run was cancelled. */
function removeWorkDirs(text: string, tempRoot: string): void {
  let dirs: unknown
  try {
    dirs = JSON.parse(text || '[]')
  } catch {
    dirs = []
  }
  if (!Array.isArray(dirs)) return
  for (const dir of dirs) {
    const text = typeof dir === 'string' ? dir : ''
    // The build's and the signing's (sign/private-folder.ts) folders; ownFolder checks the name.
    const kind = path.basename(text).startsWith('container-ship-sign-') ? 'sign' : 'build'
    const own = trusted(() => ownFolder('work-dirs', text, tempRoot, kind), warning)
    if (own) rmSync(own, { recursive: true, force: true })
  }
}
