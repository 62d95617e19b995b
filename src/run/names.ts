// Names shared between the main and post entries and the outputs, typed once.
export enum Output {
  Image = 'image',
  Tags = 'tags',
  Version = 'version',
  Digest = 'digest',
  PushedTags = 'pushed-tags',
  ImageId = 'image-id',
  ScanResult = 'scan-result',
  Findings = 'findings',
  ReportFile = 'report-file',
  SarifFile = 'sarif-file',
  Deployed = 'deployed',
  PreviousImage = 'previous-image',
  Containers = 'containers'
}

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
