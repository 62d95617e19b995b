import { createHash } from 'node:crypto'
import { mkdtempSync, readdirSync, readFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, beforeEach, describe, expect, it, jest, test } from '@jest/globals'
import { DEFAULT_TRIVY_RELEASES, DEFAULT_TRIVY_VERSION } from '../../../../src/scan/inputs.js'
import {
  downloadVerifiedArchive,
  parseChecksums,
  releaseFiles,
  type ReleaseFiles
} from '../../../../src/scan/trivy/install.js'
import { TRIVY_ARCHIVE_SHA256, type ArchivePins } from '../../../../src/scan/trivy/pins.js'

describe('releaseFiles', () => {
  test.each([
    ['linux', 'x64', 'trivy_0.74.0_Linux-64bit.tar.gz'],
    ['linux', 'arm64', 'trivy_0.74.0_Linux-ARM64.tar.gz'],
    ['darwin', 'arm64', 'trivy_0.74.0_macOS-ARM64.tar.gz']
  ] as const)('%s/%s: %s', (platform, arch, archiveName) => {
    expect(releaseFiles('0.74.0', DEFAULT_TRIVY_RELEASES, platform, arch)).toEqual({
      archiveName,
      archiveUrl: `https://github.com/aquasecurity/trivy/releases/download/v0.74.0/${archiveName}`,
      checksumsUrl:
        'https://github.com/aquasecurity/trivy/releases/download/v0.74.0/trivy_0.74.0_checksums.txt'
    })
  })

  it('takes a mirror, and refuses a platform Trivy does not publish', () => {
    expect(releaseFiles('0.74.0', 'http://127.0.0.1:8080/trivy/', 'linux', 'x64').archiveUrl).toBe(
      'http://127.0.0.1:8080/trivy/v0.74.0/trivy_0.74.0_Linux-64bit.tar.gz'
    )
    expect(() => releaseFiles('0.74.0', DEFAULT_TRIVY_RELEASES, 'win32', 'x64')).toThrow(
      'Trivy publishes no release archive for win32/x64: put trivy on PATH'
    )
  })
})

describe('parseChecksums', () => {
  it('reads sha256sum lines, in text or binary mode', () => {
    const a = 'a'.repeat(64)
    const b = 'B'.repeat(64)
    expect(
      parseChecksums(
        `${a}  trivy_0.74.0_Linux-64bit.tar.gz\n${b} *trivy_0.74.0_Linux-ARM64.tar.gz\nnot a line\n`
      )
    ).toEqual(
      new Map([
        ['trivy_0.74.0_Linux-64bit.tar.gz', a],
        ['trivy_0.74.0_Linux-ARM64.tar.gz', 'b'.repeat(64)]
      ])
    )
  })
})

describe('the pins', () => {
  test.each([
    ['linux', 'x64'],
    ['linux', 'arm64'],
    ['darwin', 'x64'],
    ['darwin', 'arm64']
  ] as const)("hold the default version's archive for %s/%s", (platform, arch) => {
    const { archiveName } = releaseFiles(DEFAULT_TRIVY_VERSION, DEFAULT_TRIVY_RELEASES, platform, arch)
    expect(TRIVY_ARCHIVE_SHA256[archiveName]).toMatch(/^[0-9a-f]{64}$/)
  })

  it("hold the Linux-64bit line of Trivy 0.74.0's checksums file", () => {
    expect(TRIVY_ARCHIVE_SHA256['trivy_0.74.0_Linux-64bit.tar.gz']).toBe(
      '2ae6fe3ee734b7fdf11335663e18c75ea12dccc76062f09f164a3b0f8be4371a'
    )
  })
})

describe('downloadVerifiedArchive', () => {
  // A release mirror on loopback (as trivy-releases may name one) and a RUNNER_TEMP of its own.
  const sha256 = (data: string): string => createHash('sha256').update(data).digest('hex')
  let server: http.Server
  let base: string
  let files: Record<string, string> = {}
  let requests: string[] = []
  let runnerTemp: string
  const savedRunnerTemp = process.env.RUNNER_TEMP

  beforeAll(async () => {
    server = http.createServer((req, res) => {
      requests.push(req.url ?? '')
      const body = files[req.url ?? '']
      if (body === undefined) res.writeHead(404).end('Not Found')
      else res.writeHead(200, { 'content-type': 'application/octet-stream' }).end(body)
    })
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
    base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  })

  afterAll(async () => {
    await new Promise((resolve) => server.close(resolve))
    if (savedRunnerTemp === undefined) delete process.env.RUNNER_TEMP
    else process.env.RUNNER_TEMP = savedRunnerTemp
  })

  beforeEach(() => {
    runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'trivy-install-unit-'))
    process.env.RUNNER_TEMP = runnerTemp
    requests = []
  })

  /** Serves `archive` and a checksums file with the given line for it, under `version`. */
  function serve(version: string, archive: string, listed: string): ReleaseFiles {
    const release = releaseFiles(version, base)
    const pathOf = (url: string): string => new URL(url).pathname
    files = {
      [pathOf(release.archiveUrl)]: archive,
      [pathOf(release.checksumsUrl)]: `${listed}  ${release.archiveName}\n`
    }
    return release
  }

  /** Runs downloadVerifiedArchive, keeping what it wrote to standard output (where @actions/core writes). */
  async function attempt(
    version: string,
    pins: ArchivePins
  ): Promise<{ printed: string; archive: string | undefined; error: Error | undefined }> {
    const lines: string[] = []
    const write = jest.spyOn(process.stdout, 'write').mockImplementation((text) => {
      lines.push(String(text))
      return true
    })
    let archive: string | undefined
    let error: Error | undefined
    try {
      archive = await downloadVerifiedArchive(version, base, pins)
    } catch (thrown) {
      error = thrown as Error
    } finally {
      write.mockRestore()
    }
    return { printed: lines.join(''), archive, error }
  }

  it('takes a pinned archive that matches its pin, without fetching the checksums file', async () => {
    const release = serve('0.74.0', 'the archive', sha256('a checksums file that says otherwise'))
    const run = await attempt('0.74.0', { [release.archiveName]: sha256('the archive') })
    expect(run.error).toBeUndefined()
    expect(readFileSync(run.archive ?? '', 'utf8')).toBe('the archive')
    expect(requests).toEqual([new URL(release.archiveUrl).pathname])
    expect(run.printed).not.toContain('::warning::')
  })

  it('refuses a pinned archive that does not match its pin, even when the checksums file agrees with it', async () => {
    const release = serve('0.74.0', 'a tampered archive', sha256('a tampered archive'))
    const run = await attempt('0.74.0', { [release.archiveName]: sha256('the genuine archive') })
    expect(run.error?.message).toBe(
      `the Trivy 0.74.0 archive ${release.archiveName} does not match the sha256 this action pins for it (sha256 ${sha256('a tampered archive')}, expected ${sha256('the genuine archive')}): refusing to run it`
    )
    expect(readdirSync(runnerTemp)).toEqual([])
  })

  it("refuses, with the action's own pins, an archive of the default version that is not Trivy's", async () => {
    const release = serve(DEFAULT_TRIVY_VERSION, 'not trivy', sha256('not trivy'))
    const run = await attempt(DEFAULT_TRIVY_VERSION, TRIVY_ARCHIVE_SHA256)
    expect(run.error?.message).toContain(
      `archive ${release.archiveName} does not match the sha256 this action pins for it (sha256 ${sha256('not trivy')}, expected ${TRIVY_ARCHIVE_SHA256[release.archiveName] ?? 'a pin'})`
    )
  })

  it('checks a version without a pin against the checksums file, warning that this shows integrity only', async () => {
    const release = serve('0.73.0', 'an unpinned archive', sha256('an unpinned archive'))
    const run = await attempt('0.73.0', TRIVY_ARCHIVE_SHA256)
    expect(run.error).toBeUndefined()
    expect(readFileSync(run.archive ?? '', 'utf8')).toBe('an unpinned archive')
    expect(requests).toEqual([new URL(release.checksumsUrl).pathname, new URL(release.archiveUrl).pathname])
    expect(run.printed).toContain(
      `::warning::Trivy 0.73.0 has no sha256 pinned in this action for ${release.archiveName}: it is checked only against the checksums file from the same place (${release.checksumsUrl}), which shows that it arrived whole, not that it is Trivy's. To run a Trivy you have verified, put trivy on PATH before this step, or use trivy-version ${DEFAULT_TRIVY_VERSION}, whose archives are pinned.`
    )
  })

  it('refuses an unpinned archive that does not match the checksums file', async () => {
    const release = serve('0.73.0', 'a tampered archive', sha256('the genuine archive'))
    const run = await attempt('0.73.0', {})
    expect(run.error?.message).toBe(
      `the Trivy 0.73.0 archive ${release.archiveName} does not match the release's checksums file (sha256 ${sha256('a tampered archive')}, expected ${sha256('the genuine archive')}): refusing to run it`
    )
    expect(readdirSync(runnerTemp)).toEqual([])
  })
})
