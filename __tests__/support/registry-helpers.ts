// Independent views of the engine and the registry, to check what the action did without using
// its own code: plain fetch with Basic auth against the Registry API, and the docker CLI.
import { execFileSync } from 'node:child_process'
import http from 'node:http'
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import type { Testbed } from './harness.js'

const ACCEPT = [
  'application/vnd.oci.image.index.v1+json',
  'application/vnd.docker.distribution.manifest.list.v2+json',
  'application/vnd.oci.image.manifest.v1+json',
  'application/vnd.docker.distribution.manifest.v2+json'
].join(', ')

function auth(tb: Testbed): string {
  return `Basic ${Buffer.from(`${tb.username}:${tb.password}`).toString('base64')}`
}

/** Tags of `repository` (path inside the registry); [] when it does not exist. */
export async function registryTags(tb: Testbed, repository: string): Promise<string[]> {
  const response = await fetch(`http://${tb.registry}/v2/${repository}/tags/list`, {
    headers: { authorization: auth(tb) }
  })
  if (response.status === 404) return []
  if (!response.ok) throw new Error(`tags/list answered ${response.status}`)
  return ((await response.json()) as { tags: string[] | null }).tags ?? []
}

export async function registryDigest(
  tb: Testbed,
  repository: string,
  tag: string
): Promise<string | undefined> {
  const response = await fetch(`http://${tb.registry}/v2/${repository}/manifests/${tag}`, {
    method: 'HEAD',
    headers: { authorization: auth(tb), accept: ACCEPT }
  })
  if (response.status === 404) return undefined
  if (!response.ok) throw new Error(`manifest HEAD answered ${response.status}`)
  return response.headers.get('docker-content-digest') ?? undefined
}

/** A manifest as the registry stores it (by tag or digest), parsed, with its type and digest. */
export async function registryManifest(
  tb: Testbed,
  repository: string,
  reference: string
): Promise<{ mediaType: string; digest: string; json: Record<string, unknown> }> {
  const response = await fetch(`http://${tb.registry}/v2/${repository}/manifests/${reference}`, {
    headers: { authorization: auth(tb), accept: ACCEPT }
  })
  if (!response.ok) throw new Error(`manifest GET ${repository}:${reference} answered ${response.status}`)
  return {
    mediaType: response.headers.get('content-type') ?? '',
    digest: response.headers.get('docker-content-digest') ?? '',
    json: (await response.json()) as Record<string, unknown>
  }
}

/** A blob's bytes from the registry (the registry redirects nothing on the test bed). */
export async function registryBlob(tb: Testbed, repository: string, digest: string): Promise<Buffer> {
  const response = await fetch(`http://${tb.registry}/v2/${repository}/blobs/${digest}`, {
    headers: { authorization: auth(tb) }
  })
  if (!response.ok) throw new Error(`blob GET ${repository}@${digest} answered ${response.status}`)
  return Buffer.from(await response.arrayBuffer())
}

export function docker(args: string[]): string {
  return execFileSync('docker', args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] }).trim()
}

export function imageExists(reference: string): boolean {
  try {
    docker(['image', 'inspect', reference])
    return true
  } catch {
    return false
  }
}

/** A unique repository on the test registry for one test. */
export function uniqueRepository(tb: Testbed, name: string): { image: string; repository: string } {
  const repository = `e2e/${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  return { image: `${tb.registry}/${repository}`, repository }
}

/**
 * A Docker config folder standing in for the user's ~/.docker: a login of their own that must
 * survive, and (unless withoutPlugins) the CLI plugins the test bed installed.
 */
export function userDockerConfig(options: { withoutPlugins?: boolean } = {}): {
  dir: string
  configJson: string
} {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'user-docker-'))
  const configJson = JSON.stringify(
    { auths: { 'registry.example.invalid': { auth: 'dXNlcjpwYXNz' } } },
    null,
    2
  )
  writeFileSync(path.join(dir, 'config.json'), configJson)
  if (!options.withoutPlugins)
    symlinkSync(path.join(os.homedir(), '.docker', 'cli-plugins'), path.join(dir, 'cli-plugins'))
  else mkdirSync(path.join(dir, 'cli-plugins'))
  return { dir, configJson }
}

/**
 * Passes one request of a loopback proxy on to the test bed's registry, rewriting the registry's
 * Location headers to the proxy (`proxyAddress`) so that the engine keeps talking to the proxy.
 */
export function forwardToRegistry(
  tb: Testbed,
  proxyAddress: string,
  req: http.IncomingMessage,
  res: http.ServerResponse
): void {
  const [host, port] = tb.registry.split(':') as [string, string]
  const upstream = http.request(
    { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
    (answer) => {
      const headers = { ...answer.headers }
      if (typeof headers.location === 'string')
        headers.location = headers.location.replace(tb.registry, proxyAddress)
      res.writeHead(answer.statusCode ?? 502, headers)
      answer.pipe(res)
    }
  )
  upstream.on('error', () => {
    if (!res.headersSent) res.writeHead(502)
    res.end()
  })
  // A client that went away (or a proxy that cut it) takes its registry request with it: an
  // upload left half-sent would otherwise hold a connection to the registry open for ever.
  res.on('close', () => {
    if (!res.writableFinished) upstream.destroy()
  })
  req.pipe(upstream)
}
