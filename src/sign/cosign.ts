// Getting cosign: the `cosign` on PATH when it is cosign v2; else v2.6.5 from the tool cache;
// else its release binary, downloaded and checked against the sha256 pinned here before anything
// runs it (the signer is part of the supply chain, as the scanner is: see scan/trivy/install.ts).
// Only v2 is taken: v3 dropped --tlog-upload and signs into a new bundle format by default, so
// the arguments here would not mean what they say.
import { chmodSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import * as tc from '@actions/tool-cache'
import { findProgram, runProgram } from '../program/program.js'
import { sha256OfFile } from '../lib/sha256.js'

export const COSIGN_VERSION = '2.6.5'
export const COSIGN_RELEASES = 'https://github.com/sigstore/cosign/releases/download'

/**
 * The sha256 of the v2.6.5 release binaries, by asset name: the lines of cosign_checksums.txt
 * published with sigstore/cosign v2.6.5, as copied into public pins of unrelated projects
 * (install scripts, Dockerfiles, Python and shell tool tables, release workflows); each value
 * was found in at least four independent repositories. They were not computed here: this
 * project's machines cannot download release assets. A cosign built from source (the test bed's)
 * has other bytes, and is used from PATH.
 */
export const COSIGN_BINARY_SHA256: Readonly<Record<string, string>> = {
  'cosign-linux-amd64': 'c3b4f5410e608af03a5eb0aaac84a4313d8da131248e08ff1759ac70c79d1644',
  'cosign-linux-arm64': '426193b4c5da4d4d643e822f48fe0cc8a476ca1782a272704831f5a0cef716d7'
}

const INSTALLER_HINT =
  'install it before this step with sigstore/cosign-installer (with cosign-release: v2.6.5), so that it is on PATH'

export interface Cosign {
  path: string
  /** Where it came from, for the log. */
  source: 'PATH' | 'tool cache' | 'download'
}

/** The release asset for an OS and CPU this action pins; throws for others. */
export function cosignAsset(
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): string {
  const cpu = { x64: 'amd64', arm64: 'arm64' }[arch]
  const asset = platform === 'linux' && cpu ? `cosign-linux-${cpu}` : undefined
  if (!asset || !COSIGN_BINARY_SHA256[asset]) {
    throw new Error(`this action pins no cosign binary for ${platform}/${arch}: ${INSTALLER_HINT}`)
  }
  return asset
}

/** The major version in `cosign version --json` (`{"gitVersion": "v2.6.5", ...}`), or undefined. */
export function cosignMajor(versionJson: string): number | undefined {
  try {
    const parsed: unknown = JSON.parse(versionJson)
    const version = (parsed as { gitVersion?: unknown }).gitVersion
    const match = typeof version === 'string' ? /^v?(\d+)\./.exec(version) : null
    return match ? Number(match[1]) : undefined
  } catch {
    return undefined
  }
}

export interface FindCosignOptions {
  /** PATH to look on; the action's own by default. */
  searchPath?: string
  releases?: string
  /** For the tests, which cannot have a real binary that matches a real pin. */
  pins?: Readonly<Record<string, string>>
}

export async function findCosign(options: FindCosignOptions = {}): Promise<Cosign> {
  const onPath = findProgram('cosign', options.searchPath ?? process.env.PATH)
  if (onPath) {
    const version = await runProgram(onPath, ['version', '--json'], { quiet: true, allowFailure: true })
    const major = cosignMajor(version.stdout)
    if (major === 2) return { path: onPath, source: 'PATH' }
    core.warning(
      `the cosign on PATH (${onPath}) is ${major === undefined ? 'of a version it does not tell' : `v${major}`}, not v2, whose arguments this action uses: it uses cosign v${COSIGN_VERSION} instead`
    )
  }
  const cached = tc.find('cosign', COSIGN_VERSION)
  if (cached) return { path: path.join(cached, 'cosign'), source: 'tool cache' }
  return { path: await downloadCosign(options), source: 'download' }
}

/** Downloads the pinned binary, checks it, and caches it; returns its path in the tool cache. */
async function downloadCosign(options: FindCosignOptions): Promise<string> {
  const asset = cosignAsset()
  const pins = options.pins ?? COSIGN_BINARY_SHA256
  const expected = pins[asset]
  if (!expected) throw new Error(`no sha256 pinned for ${asset}: ${INSTALLER_HINT}`)
  const url = `${(options.releases ?? COSIGN_RELEASES).replace(/\/+$/, '')}/v${COSIGN_VERSION}/${asset}`
  core.info(`Downloading cosign ${COSIGN_VERSION} from ${url}`)
  let file: string
  try {
    file = await tc.downloadTool(url)
  } catch (error) {
    throw new Error(`could not download ${url}: ${(error as Error).message}; or ${INSTALLER_HINT}`)
  }
  try {
    const actual = await sha256OfFile(file)
    if (actual !== expected) {
      throw new Error(
        `the cosign ${COSIGN_VERSION} binary ${asset} does not match the sha256 this action pins for it (sha256 ${actual}, expected ${expected}): refusing to run it`
      )
    }
    chmodSync(file, 0o755)
    const dir = await tc.cacheFile(file, 'cosign', 'cosign', COSIGN_VERSION)
    return path.join(dir, 'cosign')
  } finally {
    // The tool cache holds its own copy.
    rmSync(file, { force: true })
  }
}
