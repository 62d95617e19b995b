// Inputs of the actions this one replaces (docker/build-push-action, docker/metadata-action,
// docker/login-action, aquasecurity/trivy-action) that a workflow moved over may still give. The
// runner passes every `with:` key as an INPUT_ variable and only warns "Unexpected input(s)"; the
// warning here says what the input is called or done with in this action, since some change the
// outcome silently: trivy-action's `exit-code: 0` (report only) is not read, so the default gate
// still fails the run. Only names are printed, never a value (github-pat is a token).
/** An input of another action: which one, and what to do instead here. */
interface ForeignInput {
  from: string
  instead: string
}

const TRIVY = 'aquasecurity/trivy-action'
const BUILD_PUSH = 'docker/build-push-action'
const METADATA = 'docker/metadata-action'
const LOGIN = 'docker/login-action'
const NO_FLAG = 'not supported here'

export const FOREIGN_INPUTS: Readonly<Record<string, ForeignInput>> = {
  'exit-code': {
    from: TRIVY,
    instead:
      'the gate is severity-threshold (default HIGH) and max-findings; for a report without a gate, severity-threshold: none'
  },
  severity: {
    from: TRIVY,
    instead: 'severities chooses what is reported, severity-threshold what fails the run'
  },
  format: {
    from: TRIVY,
    instead: 'the JSON report is always written (report-file output); sarif-file for SARIF'
  },
  output: { from: TRIVY, instead: 'the report-file output is the JSON report; sarif-file writes SARIF' },
  'image-ref': { from: TRIVY, instead: 'the image this action builds is the one scanned' },
  'scan-type': { from: TRIVY, instead: 'only the image built is scanned' },
  'scan-ref': { from: TRIVY, instead: 'only the image built is scanned' },
  trivyignores: { from: TRIVY, instead: 'ignore-file' },
  cache: { from: TRIVY, instead: 'db-cache' },
  'vuln-type': { from: TRIVY, instead: `${NO_FLAG}: Trivy runs with --pkg-types os,library` },
  'skip-dirs': { from: TRIVY, instead: 'an ignore-file (YAML) entry with paths' },
  'skip-files': { from: TRIVY, instead: 'an ignore-file (YAML) entry with paths' },
  'trivy-config': { from: TRIVY, instead: `${NO_FLAG}: a trivy.yaml is never read` },
  'limit-severities-for-sarif': { from: TRIVY, instead: 'the SARIF file holds only the severities input' },
  'list-all-pkgs': { from: TRIVY, instead: 'sbom: true (sbom-files output)' },
  'github-pat': { from: TRIVY, instead: `${NO_FLAG}: no upload to the dependency graph` },
  'hide-progress': { from: TRIVY, instead: 'not needed: Trivy runs quietly' },
  images: { from: METADATA, instead: 'image (one repository, no tag)' },
  flavor: { from: METADATA, instead: 'tag-latest; prefixes and suffixes as full references in tags' },
  load: { from: BUILD_PUSH, instead: 'not needed: the builder decides (the docker driver loads the image)' },
  outputs: { from: BUILD_PUSH, instead: `${NO_FLAG}: the builder decides where the image goes` },
  'secret-envs': { from: BUILD_PUSH, instead: 'secrets, as ID=VALUE lines' },
  'secret-files': { from: BUILD_PUSH, instead: "secrets, with the file's content as the value" },
  logout: {
    from: LOGIN,
    instead: 'not needed: the login lives in a private Docker config removed at the end'
  }
}

/**
 * A warning for each input of another action given to this one, from the runner's INPUT_
 * variables. (No name in the table is one this action declares: a unit test holds it to action.yml.)
 */
export function foreignInputWarnings(env: NodeJS.ProcessEnv): string[] {
  const given = new Set(
    Object.keys(env)
      .filter((key) => key.startsWith('INPUT_') && env[key] !== undefined)
      .map((key) => key.slice('INPUT_'.length).toLowerCase())
  )
  return Object.entries(FOREIGN_INPUTS)
    .filter(([name]) => given.has(name))
    .map(
      ([name, { from, instead }]) =>
        `${name} is an input of ${from}, not of this action, and is not read: ${instead} (docs/migration.md)`
    )
}
