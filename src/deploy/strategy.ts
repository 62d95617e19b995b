// How a release is rolled out on the deploy host, behind one seam. The deploy step does what
// every rollout shares: it reaches the host, pulls the image, takes the lock, keeps the timeline
// and reports. A strategy does the rest, at three moments:
//   - prepare, in the main step before anything is built: reads and checks its files (a bad file
//     fails the run here), then, once the host's engine answers, binds to it (connect);
//   - rollOut, with the lock held: the new version up, traffic moved, the old one gone, saving
//     where it is at each phase so that the post step can finish or undo it;
//   - interrupted, in the post step: what a rollout the main step did not finish saved, checked,
//     and the recovery that puts the service back in one piece.
// Today's strategy is Compose blue-green (compose/blue-green.ts, chosen in target.ts; its
// recovery in compose/recovery.ts, chosen in cleanup.ts).
import type { DockerCli } from '../docker/cli.js'
import type { DeployInputs } from './inputs.js'

/** Where messages go: @actions/core in the main step, plain workflow commands in the post step. */
export interface DeployLog {
  info(message: string): void
  warning(message: string): void
}

/** An input as the post step reads it again (the runner hands it the inputs too). */
export type InputReader = (name: string) => string

export interface DeployStrategy {
  /**
   * Before the build, before the host is reached: reads and checks what the rollout needs (the
   * compose files), for the deploy inputs and the release's version; relative paths start at
   * `cwd`. Throws on a bad file.
   */
  prepare(deploy: DeployInputs, version: string, cwd: string, log: DeployLog): DeployPlan
  /**
   * In the post step: the rollout the main step saved (RolloutHooks.saveState) and did not
   * finish, or undefined when none was under way. Trusts nothing it reads: a value that is not
   * one rollOut writes for these inputs throws UntrustedStateError.
   */
  interrupted(saved: string, input: InputReader): InterruptedRollout | undefined
}

/** What a strategy rolls out where, settled before the build. */
export interface DeployPlan {
  /** What one deploy lock covers on a host: one rollout of a project at a time. */
  project: string
  service: string
  /** The image reference the service runs after the rollout. */
  image: string
  /** Once the host's engine answers: what else the strategy needs of it (Compose probed). */
  connect(docker: DockerCli): Promise<Rollout>
  /**
   * The same plan with the release's version pinned to a manifest digest (APP_VERSION becomes
   * `version@sha256:...`), so the host runs exactly the image that was pushed.
   */
  pinned(digest: string): DeployPlan
  /**
   * The plan of another release of the same service: the one whose image is `image` (as the
   * host's containers name it), when the strategy's files make that image for some version;
   * undefined otherwise. Rolls a host back to the release it ran before.
   */
  releaseOf(image: string): DeployPlan | undefined
}

export interface Rollout {
  /** What runs the rollout, for the log (`docker compose 2.27.0`). */
  tool: string
  /**
   * True when the orchestrator's nodes pull the image themselves (Swarm): the step then neither
   * pulls it on the host nor reads its ID there, and rollOut gets '' for it.
   */
  nodesPull?: boolean
  /**
   * The rollout of the image (its ID on the host), with the lock held. Fills `report` as it
   * goes; a failure throws, and `report` keeps what is still true (e.g. rolled back).
   */
  rollOut(imageId: string, hooks: RolloutHooks, report: RolloutReport): Promise<void>
}

/** What the deploy step hands a rollout. */
export interface RolloutHooks {
  /** Ends a phase in the step's timeline. */
  mark(phase: string): void
  log: DeployLog
  /** Saves where the rollout is for the post step; '' once nothing is left for it to do. */
  saveState(state: string): void
  /** False once the way to the engine is gone for good (an SSH tunnel that ended). */
  connectionAlive?: () => boolean
}

/** What the step reports of a rollout. */
export interface RolloutReport {
  deployed: boolean
  previousImage: string
  /** IDs of the new containers (kept in the result of a failed release, which removed them). */
  containers: string[]
  replicas?: number
  /** True when no container of the service ran before. */
  firstDeploy?: boolean
  /** Set when the release failed and the new containers were removed. */
  rolledBack?: boolean
  failures: ContainerFailure[]
  /** An orchestrator's tasks after the rollout (Swarm), a row each in the summary. */
  tasks?: TaskRow[]
}

/** One task of an orchestrated service, as the summary shows it. */
export interface TaskRow {
  task: string
  node: string
  state: string
  health: string
  error: string
}

/** A failure's logTail holds at most this many of the container's last log lines. */
export const LOG_TAIL_LINES = 20

/**
 * Why a new container was not accepted, and what it said. The summary shows the name, ID and
 * reason; what the container said goes to the job log only (printContainerLogs).
 */
export interface ContainerFailure {
  name: string
  id: string
  reason: string
  /** The last healthcheck outputs, oldest first. */
  healthLog: string[]
  logTail: string
}

/** A rollout the main step did not finish, as the post step found it. */
export interface InterruptedRollout {
  /** The service it rolled out. */
  service: string
  /** Finishes or undoes it, by where it was, so that one version serves. */
  recover(docker: DockerCli, log: DeployLog): Promise<void>
}
