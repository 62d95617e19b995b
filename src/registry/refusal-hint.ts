// What to do when a registry refuses the run's credentials or a push: the cause alone ("denied",
// 401) sends people searching, and the fix differs by registry (a job permission on ghcr.io, a
// token scope on Docker Hub).
import { RegistryError } from './http.js'

/** A refusal of the credentials or of access: a 401/403 answer, or the words registries use for one. */
export function isRefusal(error: unknown): boolean {
  if (error instanceof RegistryError && (error.status === 401 || error.status === 403)) return true
  const message = error instanceof Error ? error.message : String(error)
  return /\b(?:401|403)\b|unauthorized|denied|forbidden|authentication required|no basic auth credentials/i.test(
    message
  )
}

const DOCKER_HUB = new Set(['docker.io', 'index.docker.io', 'registry-1.docker.io'])

/** The fix for a refusal by `registry`, one sentence or two, naming the input or permission. */
export function refusalFix(registry: string, repository?: string): string {
  const host = registry.toLowerCase()
  if (host === 'ghcr.io') {
    return 'For ghcr.io with the workflow token (username: ${{ github.actor }}, password: ${{ secrets.GITHUB_TOKEN }}), give the job `permissions: packages: write`; a package first pushed by another repository must also grant this one write access (the package settings, Manage Actions access).'
  }
  if (DOCKER_HUB.has(host)) {
    return 'For Docker Hub, set password to an access token with the Read & Write scope (Account settings, Personal access tokens) and username to the account it belongs to; an organization repository needs that account in a team with write access.'
  }
  return `Check that username and password may push to ${repository ? `${registry}/${repository}` : registry}.`
}

/** `message` with the fix appended when `error` is a refusal by `registry`; else `message` as it is. */
export function withRefusalFix(
  message: string,
  error: unknown,
  registry: string,
  repository?: string
): string {
  return isRefusal(error) ? `${message}\n${refusalFix(registry, repository)}` : message
}
