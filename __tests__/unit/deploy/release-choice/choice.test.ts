import { describe, expect, it } from '@jest/globals'
import {
  chosenAppVersion,
  parseReleaseChoice,
  previousRelease,
  readReleaseChoice
} from '../../../../src/deploy/release-choice/choice.js'
import { InputFields } from '../../../../src/inputs/fields.js'

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
    expect(() => previousRelease([])).toThrow(/no deploy-host/)
  })
})

describe('readReleaseChoice', () => {
  const read = (inputs: Record<string, string>, deploy = { hosts: 1, orchestrator: 'compose' }) => {
    const fields = new InputFields((name) => inputs[name] ?? '', '/')
    const choice = readReleaseChoice(fields, ['deploy'], deploy)
    return { choice, problems: fields.problems }
  }

  it('reads both inputs, rollback defaulting to false', () => {
    expect(read({})).toEqual({ choice: { kind: 'event' }, problems: [] })
    expect(read({ version: '1.4.2' })).toEqual({
      choice: { kind: 'version', version: '1.4.2' },
      problems: []
    })
    expect(read({ rollback: 'true' })).toEqual({ choice: { kind: 'rollback' }, problems: [] })
  })

  it('adds each problem to the fields, naming its input', () => {
    expect(read({ version: 'a b', rollback: 'maybe' }).problems).toEqual([
      'rollback: "maybe" is not a boolean (true or false)',
      'version: "a b" is neither a tag nor a digest (sha256:<64 hex>)'
    ])
    expect(read({ version: '1.0.0' }, { hosts: 0, orchestrator: 'compose' }).problems).toEqual([
      'version: needs a deploy-host to deploy to'
    ])
    expect(read({ rollback: 'true' }, { hosts: 1, orchestrator: 'swarm' }).problems).toEqual([
      expect.stringMatching(/^rollback: not with orchestrator swarm/)
    ])
    expect(read({ version: '1.0.0' }, { hosts: 1, orchestrator: 'swarm' }).problems).toEqual([])
  })
})

describe('chosenAppVersion', () => {
  it('is the tag, or for a digest a tag naming it', () => {
    expect(chosenAppVersion('1.4.2')).toBe('1.4.2')
    expect(chosenAppVersion(DIGEST)).toBe(`sha256-${'a'.repeat(64)}`)
  })
})
