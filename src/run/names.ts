// The names of the state the main step hands the post step (GITHUB_STATE, read back as
// STATE_<name>), typed once.
export enum State {
  /** The private DOCKER_CONFIG folder the post step logs out of and removes. */
  DockerConfig = 'docker-config',
  /** JSON of the deploy host's access folder and engine (RemoteAccess), removed in post. */
  DeployAccess = 'deploy-access',
  /** The deploy lock container's name while the main step holds it. */
  DeployLock = 'deploy-lock',
  /** JSON of RolloutState while a rollout is under way, for the post step to finish or undo. */
  DeployRollout = 'deploy-rollout',
  /** JSON list of the steps' private folders under the runner's temp folder. */
  WorkDirs = 'work-dirs'
}
