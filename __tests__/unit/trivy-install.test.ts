import { describe, expect, it, test } from '@jest/globals'
import { DEFAULT_TRIVY_RELEASES } from '../../src/inputs.js'
import { parseChecksums, releaseFiles } from '../../src/trivy-install.js'

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
