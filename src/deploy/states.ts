// The names of the state the deploy step saves for the post step (GITHUB_STATE, read back as
// STATE_<name>): what its cleanup needs to reach the hosts, free the locks and repair a rollout.
// With several deploy-host lines, each host has its own: the first host's under these names,
// the others' with the host's line number after them (hostState).
export enum DeployState {
  /** JSON of the deploy host's access folder and engine (SavedAccess), removed in post. */
  Access = 'deploy-access',
  /** The deploy lock container's name while the main step holds it. */
  Lock = 'deploy-lock',
  /** The strategy's JSON of a rollout under way, for the post step to finish or undo. */
  Rollout = 'deploy-rollout',
  /**
   * With several hosts, while the rollout is under way: JSON of the hosts already on the new
   * release and the image each ran before (FinishedHost[]), which the post step rolls back.
   */
  Finished = 'deploy-finished',
  /**
   * With environment: JSON of the GitHub deployment (GitHubDeployment) from its creation until
   * the main step gave it its last status; the post step marks one still here failed.
   */
  GitHubDeployment = 'deploy-github-deployment'
}

/** The state's name for the host of the deploy-host input's `index`-th line (from 0). */
export function hostState(
  state: Exclude<DeployState, DeployState.Finished | DeployState.GitHubDeployment>,
  index: number
): string {
  return index === 0 ? state : `${state}-${index + 1}`
}
