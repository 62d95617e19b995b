// The names of the state the orchestrator itself hands the post step (GITHUB_STATE, read back as
// STATE_<name>); each step names its own (Step.states).
export enum State {
  /** The private DOCKER_CONFIG folder the post step logs out of and removes. */
  DockerConfig = 'docker-config',
  /** JSON list of the steps' private folders under the runner's temp folder. */
  WorkDirs = 'work-dirs'
}
