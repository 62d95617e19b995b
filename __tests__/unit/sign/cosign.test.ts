import { describe, expect, it } from '@jest/globals'
import { COSIGN_BINARY_SHA256, COSIGN_VERSION, cosignAsset, cosignMajor } from '../../../src/sign/cosign.js'

describe('cosign', () => {
  it('pins v2.6.5 for the Linux CPUs the runners have', () => {
    expect(COSIGN_VERSION).toBe('2.6.5')
    expect(cosignAsset('linux', 'x64')).toBe('cosign-linux-amd64')
    expect(cosignAsset('linux', 'arm64')).toBe('cosign-linux-arm64')
    for (const sum of Object.values(COSIGN_BINARY_SHA256)) expect(sum).toMatch(/^[0-9a-f]{64}$/)
  })

  it('points elsewhere to sigstore/cosign-installer', () => {
    expect(() => cosignAsset('darwin', 'arm64')).toThrow(
      'this action pins no cosign binary for darwin/arm64: install it before this step with sigstore/cosign-installer'
    )
  })

  it("reads the major version from cosign version --json, and nothing from what isn't", () => {
    expect(cosignMajor('{"gitVersion": "v2.6.5", "platform": "linux/amd64"}')).toBe(2)
    expect(cosignMajor('{"gitVersion": "v3.0.2"}')).toBe(3)
    expect(cosignMajor('GitVersion: v2.6.5')).toBeUndefined()
    expect(cosignMajor('{"gitVersion": 2}')).toBeUndefined()
  })
})
