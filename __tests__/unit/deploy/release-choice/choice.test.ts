import { describe, expect, it } from '@jest/globals'
import { parseReleaseChoice, previousRelease } from '../../../../src/deploy/release-choice/choice.js'

const DIGEST = `sha256:${'a'.repeat(64)}`

describe('parseReleaseChoice', () => {
  it('defaults to the event release', () => {
    expect(parseReleaseChoice({ version: '', rollback: '' }, ['build', 'push', 'deploy'])).toEqual({
      kind: 'event'
    })
  })

  it('takes a tag or a digest with deploy alone', () => {
    expect(parseReleaseChoice({ version: ' v1.2.0 ', rollback: 'false' }, ['deploy'])).toEqual({
      kind: 'version',
      version: 'v1.2.0'
    })
    expect(parseReleaseChoice({ version: DIGEST, rollback: '' }, ['deploy'])).toEqual({
      kind: 'version',
      version: DIGEST
    })
    expect(parseReleaseChoice({ version: '', rollback: 'true' }, ['deploy'])).toEqual({ kind: 'rollback' })
  })

  it('refuses version with rollback, naming both inputs', () => {
    expect(() => parseReleaseChoice({ version: 'v1', rollback: 'true' }, ['deploy'])).toThrow(
      /version and rollback/
    )
  })

  it('refuses a chosen release together with build or push, naming the input', () => {
    expect(() => parseReleaseChoice({ version: 'v1', rollback: '' }, ['build', 'push', 'deploy'])).toThrow(
      /version: only with steps: deploy alone/
    )
    expect(() => parseReleaseChoice({ version: '', rollback: 'true' }, ['push', 'deploy'])).toThrow(
      /rollback: only with steps: deploy alone/
    )
  })

  it('refuses a version that is neither a tag nor a digest, and a rollback that is not a boolean', () => {
    expect(() => parseReleaseChoice({ version: 'v1;rm', rollback: '' }, ['deploy'])).toThrow(
      /version: "v1;rm"/
    )
    expect(() => parseReleaseChoice({ version: 'sha256:abc', rollback: '' }, ['deploy'])).toThrow(/version:/)
    expect(() => parseReleaseChoice({ version: '', rollback: 'yes' }, ['deploy'])).toThrow(/rollback:/)
  })
})

describe('previousRelease', () => {
  it('is the release the hosts agree on', () => {
    expect(
      previousRelease([
        { host: 'a', previous: 'ghcr.io/acme/web:1.0.0' },
        { host: 'b', previous: 'ghcr.io/acme/web:1.0.0' }
      ])
    ).toBe('ghcr.io/acme/web:1.0.0')
  })

  it('refuses when the hosts disagree, naming them', () => {
    expect(() =>
      previousRelease([
        { host: 'a', previous: 'ghcr.io/acme/web:1.0.0' },
        { host: 'b', previous: 'ghcr.io/acme/web:0.9.0' }
      ])
    ).toThrow(/disagree.*a: ghcr.io\/acme\/web:1.0.0; b: ghcr.io\/acme\/web:0.9.0/)
  })

  it('fails clearly when nothing earlier is recorded', () => {
    expect(() => previousRelease([{ host: 'a', previous: undefined }])).toThrow(
      /no earlier release is recorded on a/
    )
    expect(() => previousRelease([])).toThrow(/no docker-host/)
  })
})
