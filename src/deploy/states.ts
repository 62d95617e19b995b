// The names of the state the deploy step saves for the post step (GITHUB_STATE, read back as
// STATE_<name>): what its cleanup needs to reach the host, free the lock and repair a rollout.
export enum DeployState {
  /** JSON of the deploy host's access folder and engine (SavedAccess), removed in post. */
  Access = 'deploy-access',
  /** The deploy lock container's name while the main step holds it. */
  Lock = 'deploy-lock',
  /** The strategy's JSON of a rollout under way, for the post step to finish or undo. */
  Rollout = 'deploy-rollout'
}
