// The OCI annotations docker/metadata-action adds as labels, so an image says where it came from.
import type { GitHubContext } from '../github/context.js'
import type { KeyValue } from '../lib/key-value.js'

export interface LabelFacts {
  github: GitHubContext
  version: string
  /** Build time; SOURCE_DATE_EPOCH wins when set, for reproducible builds. */
  created: Date
}

export function ociLabels({ github, version, created }: LabelFacts): KeyValue[] {
  const labels: KeyValue[] = [{ key: 'org.opencontainers.image.created', value: created.toISOString() }]
  if (github.repositoryUrl) {
    labels.push({ key: 'org.opencontainers.image.source', value: github.repositoryUrl })
    labels.push({ key: 'org.opencontainers.image.url', value: github.repositoryUrl })
  }
  if (github.repository)
    labels.push({ key: 'org.opencontainers.image.title', value: github.repository.split('/').pop() ?? '' })
  if (github.sha) labels.push({ key: 'org.opencontainers.image.revision', value: github.sha })
  labels.push({ key: 'org.opencontainers.image.version', value: version })
  return labels
}

/** The automatic labels, each overridden by a user label of the same key (user order kept last). */
export function mergeLabels(automatic: KeyValue[], user: KeyValue[]): KeyValue[] {
  const userKeys = new Set(user.map((label) => label.key))
  return [...automatic.filter((label) => !userKeys.has(label.key)), ...user]
}

export function buildTime(env: NodeJS.ProcessEnv = process.env, now: Date = new Date()): Date {
  const epoch = env.SOURCE_DATE_EPOCH
  return epoch && /^\d+$/.test(epoch) ? new Date(Number(epoch) * 1000) : now
}
