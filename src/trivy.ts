// Running Trivy once on the built image: everything it finds, as JSON, to a file. Trivy filters
// before it writes (FACTS: scan -> filter -> report -> exit code), so the action asks for
// everything and applies severities, ignores and the gate itself: what is reported and what
// fails the run stay independent. Trivy's own defaults that would filter are turned off: the
// `.trivyignore` of the working folder is replaced by an empty file.
import type { ScanInputs } from './inputs.js'

export interface TrivyRun {
  /** The image to scan, as the local engine names it. */
  image: string
  reportFile: string
  /** An empty file: Trivy would otherwise apply the workspace's .trivyignore on its own. */
  emptyIgnoreFile: string
}

/**
 * The arguments. The user's skip-db-update skips both DB updates; a vulnerability DB restored
 * from today's cache entry skips only its own update (`skip`).
 */
export function trivyArgs(
  inputs: Pick<ScanInputs, 'scanners' | 'dbRepositories' | 'skipDbUpdate'>,
  run: TrivyRun,
  skip: { vulnerabilityDb: boolean } = { vulnerabilityDb: inputs.skipDbUpdate }
): string[] {
  const args = [
    'image',
    '--format',
    'json',
    '--output',
    run.reportFile,
    '--scanners',
    inputs.scanners.join(','),
    // Exit 0 whatever is found: the gate decides, and an exit code 1 then only means a failure.
    '--exit-code',
    '0',
    '--ignorefile',
    run.emptyIgnoreFile,
    '--image-src',
    'docker',
    '--skip-version-check',
    '--disable-telemetry',
    '--quiet'
  ]
  if (skip.vulnerabilityDb) args.push('--skip-db-update')
  if (inputs.skipDbUpdate) args.push('--skip-java-db-update')
  if (inputs.dbRepositories.length > 0) args.push('--db-repository', inputs.dbRepositories.join(','))
  args.push(run.image)
  return args
}
