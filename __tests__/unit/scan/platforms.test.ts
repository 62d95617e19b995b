import { describe, expect, it } from '@jest/globals'
import { mergeLayerMaps, mergePlatformFindings, platformNote } from '../../../src/scan/platforms.js'
import type { Finding } from '../../../src/scan/trivy/findings.js'
import type { LayerMap } from '../../../src/scan/dockerfile-map.js'
import { describeFinding } from '../../../src/scan/output/annotations.js'
import { findingRow } from '../../../src/scan/output/summary.js'

function vulnerability(id: string, pkgName: string, layerDiffId: string): Finding {
  return {
    kind: 'vulnerability',
    id,
    otherIds: [],
    severity: 'HIGH',
    target: 'ghcr.io/acme/web@sha256:1 (alpine 3.9.4)',
    resultClass: 'os-pkgs',
    pkgName,
    pkgPath: '',
    pkgVersion: '1.0',
    purl: '',
    fixedVersion: '1.1',
    status: 'fixed',
    title: '',
    message: '',
    category: '',
    url: '',
    layerDiffId
  }
}

describe('mergePlatformFindings', () => {
  it('counts a finding on every platform once, and names the platforms of one that is not', () => {
    const merged = mergePlatformFindings([
      { platform: 'linux/amd64', findings: [vulnerability('CVE-1', 'musl', 'sha256:a1')] },
      {
        platform: 'linux/arm64',
        findings: [vulnerability('CVE-1', 'musl', 'sha256:b1'), vulnerability('CVE-2', 'zlib', 'sha256:b2')]
      }
    ])
    expect(merged.map((finding) => [finding.id, finding.platforms])).toEqual([
      ['CVE-1', undefined],
      ['CVE-2', ['linux/arm64']]
    ])
    // The first platform's finding stands for all: its layer places it on a line.
    expect(merged[0]?.layerDiffId).toBe('sha256:a1')
  })

  it('keeps findings of different packages or versions apart', () => {
    const other = { ...vulnerability('CVE-1', 'musl', 'sha256:b1'), pkgVersion: '1.0-r1' }
    const merged = mergePlatformFindings([
      { platform: 'linux/amd64', findings: [vulnerability('CVE-1', 'musl', 'sha256:a1')] },
      { platform: 'linux/arm64', findings: [other] }
    ])
    expect(merged.map((finding) => finding.platforms)).toEqual([['linux/amd64'], ['linux/arm64']])
  })

  it('leaves the findings of one platform as they are', () => {
    const findings = [vulnerability('CVE-1', 'musl', 'sha256:a1')]
    expect(mergePlatformFindings([{ platform: 'linux/amd64', findings }])).toBe(findings)
  })
})

describe('mergeLayerMaps', () => {
  const map = (entries: [string, number][], reliable = true): LayerMap => ({
    reliable,
    reason: reliable ? undefined : 'history and layers disagree',
    byDiffId: new Map(entries.map(([diffId, line]) => [diffId, { line, instruction: 'RUN x', base: false }]))
  })
  it("places every platform's layers", () => {
    const merged = mergeLayerMaps([
      { platform: 'linux/amd64', map: map([['sha256:a1', 3]]) },
      { platform: 'linux/arm64', map: map([['sha256:b1', 3]]) }
    ])
    expect(merged.reliable).toBe(true)
    expect([...merged.byDiffId.keys()]).toEqual(['sha256:a1', 'sha256:b1'])
  })
  it('is unreliable when one platform is, saying which', () => {
    const merged = mergeLayerMaps([
      { platform: 'linux/amd64', map: map([['sha256:a1', 3]]) },
      { platform: 'linux/arm64', map: map([], false) }
    ])
    expect(merged).toMatchObject({ reliable: false, reason: 'history and layers disagree (linux/arm64)' })
  })
})

describe('the platform where a finding is not on all of them', () => {
  const onArm = { ...vulnerability('CVE-2', 'zlib', 'sha256:b2'), platforms: ['linux/arm64'] }
  it('is named in annotations and SARIF messages, and in summary and comment rows', () => {
    expect(platformNote(onArm)).toBe(' (linux/arm64 only)')
    expect(describeFinding(onArm)).toBe('CVE-2 (HIGH) zlib 1.0, fixed in 1.1 (linux/arm64 only)')
    expect(findingRow({ finding: onArm, line: 4 }, 'Dockerfile')).toContain('| `zlib` (linux/arm64 only) |')
    expect(describeFinding(vulnerability('CVE-1', 'musl', 'sha256:a1'))).not.toContain('only')
  })
})
