// Getting Trivy: the `trivy` on PATH as it is; else the release from the tool cache; else the
// release archive, downloaded and checked before anything runs it: against the sha256 this action
// pins for it (pins.ts), or, for a version without a pin, against the release's checksums
// file, which shows only that the archive arrived whole. The scanner is part of the supply chain:
// aquasecurity/trivy-action had tags force-pushed to malicious commits (trivy-action #541), so an
// archive that does not match is refused, and never cached.
import { readFileSync, rmSync } from 'node:fs'
import path from 'node:path'
import * as core from '@actions/core'
import * as io from '@actions/io'
import * as tc from '@actions/tool-cache'
import { DEFAULT_TRIVY_VERSION } from '../inputs.js'
import { TRIVY_ARCHIVE_SHA256, type ArchivePins } from './pins.js'
import { sha256OfFile } from '../../lib/sha256.js'

export interface Trivy {
  path: string
  /** Where it came from, for the log. */
  source: 'PATH' | 'tool cache' | 'download'
}

export interface ReleaseFiles {
  /** URL of the archive, and its file name as the checksums file lists it. */
  archiveUrl: string
  archiveName: string
  checksumsUrl: string
}

/** Trivy's release names for an OS and CPU: `trivy_0.74.0_Linux-64bit.tar.gz`. */
export function releaseFiles(
  version: string,
  releases: string,
  platform: NodeJS.Platform = process.platform,
  arch: string = process.arch
): ReleaseFiles {
  const os = { linux: 'Linux', darwin: 'macOS', freebsd: 'FreeBSD' }[platform as string]
  const cpu = { x64: '64bit', arm64: 'ARM64', arm: 'ARM', ppc64: 'PPC64LE', s390x: 's390x' }[arch]
  if (!os || !cpu)
    throw new Error(`Trivy publishes no release archive for ${platform}/${arch}: put trivy on PATH`)
  const base = `${releases.replace(/\/+$/, '')}/v${version}`
  const archiveName = `trivy_${version}_${os}-${cpu}.tar.gz`
  return {
    archiveUrl: `${base}/${archiveName}`,
    archiveName,
    checksumsUrl: `${base}/trivy_${version}_checksums.txt`
  }
}

/** `sha256sum` output: `<64 hex>  <file name>` per line. */
export function parseChecksums(text: string): Map<string, string> {
  const sums = new Map<string, string>()
  for (const line of text.split(/\r?\n/)) {
    const match = /^([0-9a-f]{64})\s+\*?(\S+)\s*$/i.exec(line.trim())
    if (match) sums.set(match[2] as string, (match[1] as string).toLowerCase())
  }
  return sums
}

/** `pins` is for the tests, which cannot have a real archive that matches a real pin. */
export async function findTrivy(
  version: string,
  releases: string,
  pins: ArchivePins = TRIVY_ARCHIVE_SHA256
): Promise<Trivy> {
  const onPath = await io.which('trivy', false)
  if (onPath) return { path: onPath, source: 'PATH' }
  const cached = tc.find('trivy', version)
  if (cached) return { path: path.join(cached, 'trivy'), source: 'tool cache' }
  return { path: path.join(await downloadTrivy(version, releases, pins), 'trivy'), source: 'download' }
}

/** Downloads, verifies, extracts and caches the release; returns the cached folder. */
async function downloadTrivy(version: string, releases: string, pins: ArchivePins): Promise<string> {
  const archive = await downloadVerifiedArchive(version, releases, pins)
  let extracted: string | undefined
  try {
    extracted = await tc.extractTar(archive)
    return await tc.cacheDir(extracted, 'trivy', version)
  } finally {
    // The tool cache holds its own copy: the download and the unpacked folder go.
    rmSync(archive, { force: true })
    if (extracted) rmSync(extracted, { recursive: true, force: true })
  }
}

/**
 * Downloads this platform's release archive and returns its path once its sha256 is the one
 * vouched for: the pin when there is one (the checksums file is then not even fetched, since it
 * could not overrule the pin), else the release's checksums file, with a warning. An archive
 * that does not match is removed.
 */
export async function downloadVerifiedArchive(
  version: string,
  releases: string,
  pins: ArchivePins
): Promise<string> {
  const files = releaseFiles(version, releases)
  core.info(`Downloading Trivy ${version} from ${files.archiveUrl}`)
  const pinned = pins[files.archiveName]
  if (!pinned) {
    core.warning(
      `Trivy ${version} has no sha256 pinned in this action for ${files.archiveName}: it is checked only against the checksums file from the same place (${files.checksumsUrl}), which shows that it arrived whole, not that it is Trivy's. To run a Trivy you have verified, put trivy on PATH before this step, or use trivy-version ${DEFAULT_TRIVY_VERSION}, whose archives are pinned.`
    )
  }
  const expected = pinned ?? (await sha256FromChecksumsFile(files, version))
  const archive = await download(files.archiveUrl, version)
  try {
    const actual = await sha256OfFile(archive)
    if (actual !== expected) {
      const vouch = pinned ? 'the sha256 this action pins for it' : "the release's checksums file"
      throw new Error(
        `the Trivy ${version} archive ${files.archiveName} does not match ${vouch} (sha256 ${actual}, expected ${expected}): refusing to run it`
      )
    }
    return archive
  } catch (error) {
    rmSync(archive, { force: true })
    throw error
  }
}

/** The archive's line of the release's checksums file; refused when it has none. */
async function sha256FromChecksumsFile(files: ReleaseFiles, version: string): Promise<string> {
  const checksumsFile = await download(files.checksumsUrl, version)
  let expected: string | undefined
  try {
    expected = parseChecksums(readFileSync(checksumsFile, 'utf8')).get(files.archiveName)
  } finally {
    rmSync(checksumsFile, { force: true })
  }
  // Checked before the archive is fetched: an archive nothing vouches for is not even downloaded.
  if (!expected) {
    throw new Error(
      `the checksums file of Trivy ${version} (${files.checksumsUrl}) does not list ${files.archiveName}: refusing to run it`
    )
  }
  return expected
}

/** tc.downloadTool, its error naming what was asked for (it says only the HTTP status). */
async function download(url: string, version: string): Promise<string> {
  try {
    return await tc.downloadTool(url)
  } catch (error) {
    throw new Error(`could not download ${url} (Trivy ${version}): ${(error as Error).message}`)
  }
}
