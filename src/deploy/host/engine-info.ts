// What the deploy step asks of a host's `docker info`, asked once per connection: over an ssh
// tunnel each `docker info` costs a round trip and a full report from the engine.
import type { DockerCli } from '../../docker/cli.js'

export interface EngineInfo {
  /** Whether the engine keeps containers running while it restarts; undefined when it does not say. */
  liveRestore: boolean | undefined
  /** The engine's part in a swarm. */
  swarm: { member: boolean; manager: boolean }
}

const asked = new WeakMap<DockerCli, Promise<EngineInfo>>()

/** The engine's answer, from one `docker info` for each DockerCli (one per host connection). */
export function engineInfo(docker: DockerCli): Promise<EngineInfo> {
  let info = asked.get(docker)
  if (!info) {
    info = askEngine(docker)
    asked.set(docker, info)
  }
  return info
}

async function askEngine(docker: DockerCli): Promise<EngineInfo> {
  const result = await docker.run(
    [
      'info',
      '--format',
      '{{json .LiveRestoreEnabled}} {{json .Swarm.LocalNodeState}} {{json .Swarm.ControlAvailable}}'
    ],
    { quiet: true, allowFailure: true }
  )
  return parseEngineInfo(result.exitCode === 0 ? result.stdout : '')
}

/** The three words the format above prints; anything else reads as "does not say" / "no swarm". */
export function parseEngineInfo(stdout: string): EngineInfo {
  const [liveRestore, state, control] = stdout.trim().split(/\s+/)
  const member = state === '"active"'
  return {
    liveRestore: liveRestore === 'true' ? true : liveRestore === 'false' ? false : undefined,
    swarm: { member, manager: member && control === 'true' }
  }
}
