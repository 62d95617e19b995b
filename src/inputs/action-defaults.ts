// Generated from action.yml by scripts/action-defaults.mjs: do not edit (npm run defaults).
// The literal default of every input that has one, applied where an input comes empty.
export const ACTION_DEFAULTS: Readonly<Record<string, string>> = {
  steps: 'build,scan,push,deploy',
  context: '.',
  pull: 'false',
  'no-cache': 'false',
  'tag-latest': 'auto',
  'tag-sha': 'true',
  push: 'auto',
  'registry-timeout': '600',
  'severity-threshold': 'HIGH',
  severities: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
  'ignore-unfixed': 'false',
  'ignore-file': '.trivyignore',
  scanners: 'vuln,secret',
  'trivy-version': '0.74.0',
  'trivy-releases': 'https://github.com/aquasecurity/trivy/releases/download',
  'skip-db-update': 'false',
  'db-cache': 'true',
  annotations: 'true',
  'pr-comment': 'true',
  'compose-file': 'docker-compose.yml',
  'health-timeout': '120',
  'drain-seconds': '0',
  'startup-grace': '10',
  'lock-timeout': '600',
  'deploy-on-untrusted-events': 'false'
}
