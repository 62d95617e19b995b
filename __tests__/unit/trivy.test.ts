import { describe, expect, it } from '@jest/globals'
import { trivyArgs } from '../../src/trivy.js'

const run = {
  image: 'ghcr.io/acme/web:1.2.3',
  reportFile: '/tmp/r/trivy.json',
  emptyIgnoreFile: '/tmp/r/none'
}

describe('trivyArgs', () => {
  it('asks for everything, as JSON, and leaves the verdict to the gate', () => {
    const args = trivyArgs({ scanners: ['vuln', 'secret'], dbRepositories: [], skipDbUpdate: false }, run)
    expect(args).toEqual([
      'image',
      '--format',
      'json',
      '--output',
      '/tmp/r/trivy.json',
      '--scanners',
      'vuln,secret',
      '--exit-code',
      '0',
      '--ignorefile',
      '/tmp/r/none',
      '--image-src',
      'docker',
      '--skip-version-check',
      '--disable-telemetry',
      '--quiet',
      'ghcr.io/acme/web:1.2.3'
    ])
    // Nothing that would filter what Trivy writes.
    for (const flag of ['--severity', '--ignore-unfixed', '--vex']) expect(args).not.toContain(flag)
  })

  it('uses the cached DB or a mirror when asked', () => {
    const args = trivyArgs(
      {
        scanners: ['vuln'],
        dbRepositories: ['mirror.example.com/trivy-db:2', 'ghcr.io/aquasecurity/trivy-db:2'],
        skipDbUpdate: true
      },
      run
    )
    expect(args.slice(-6)).toEqual([
      '--quiet',
      '--skip-db-update',
      '--skip-java-db-update',
      '--db-repository',
      'mirror.example.com/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2',
      'ghcr.io/acme/web:1.2.3'
    ])
  })
})
