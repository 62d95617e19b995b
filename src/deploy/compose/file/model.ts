// The model of the deploy step's Compose files once they are loaded and merged (see load.ts):
// each service with the attributes the rollout reads, and the error every step of reading and
// checking the files throws. Types only, besides that error, so that every module of the compose
// file shares one vocabulary.

/** A problem with the compose files or the rolled-out service; the message names the input. */
export class ComposeFileError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.length === 1 ? problems[0] : problems.map((problem) => `- ${problem}`).join('\n'))
    this.name = 'ComposeFileError'
  }
}

/** One `ports` entry in Compose's long form; `raw` is how the file wrote it, for messages. */
export interface ComposePort {
  /** Container port or range (`80`, `8000-8001`). */
  target: string
  /** Host port or range; undefined (or '') when the engine picks a free port. */
  published?: string
  hostIp?: string
  protocol: string
  raw: string
}

export interface ComposeDependency {
  condition: string
  required: boolean
  restart?: boolean
}

/** A service of the merged model, with the attributes the rollout reads. */
export interface ComposeService {
  name: string
  image?: string
  /** `build`, always in its long form (`build: .` becomes `{ context: '.' }`). */
  build?: Record<string, unknown>
  containerName?: string
  ports: ComposePort[]
  healthcheck?: Record<string, unknown>
  /** `deploy.replicas`. */
  replicas?: number
  scale?: number
  /** As written, e.g. `1m30s`; see parseComposeDuration. */
  stopGracePeriod?: string
  networkMode?: string
  /** Service-level networks (the list form becomes keys with null values). */
  networks: Record<string, Record<string, unknown> | null>
  dependsOn: Record<string, ComposeDependency>
  labels: Record<string, string | null>
  environment: Record<string, string | null>
  /**
   * The merged mapping. Only the attributes above follow every Compose merge rule; others (volumes,
   * secrets, configs) are appended without Compose's uniqueness rules.
   */
  raw: Record<string, unknown>
}

export interface ComposeModel {
  /** The files, in the order they were merged. */
  files: string[]
  /** The last non-empty top-level `name:`, interpolated, not normalised; undefined when none. */
  name?: string
  services: Record<string, ComposeService>
  /** Top-level networks, merged. */
  networks: Record<string, Record<string, unknown> | null>
  /** Compose's warnings (unset variables defaulting to a blank string), to be logged. */
  warnings: string[]
  /** Each file's interpolated documents, to say which file set an attribute. */
  layers: { path: string; document: Record<string, unknown> }[]
}
