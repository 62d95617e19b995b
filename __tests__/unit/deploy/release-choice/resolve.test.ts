import { describe, expect, it } from '@jest/globals'
import {
  chosenDigest,
  planVersion,
  reportedVersion,
  rollbackPlan,
  type ManifestLookup
} from '../../../../src/deploy/release-choice/resolve.js'
import { PREVIOUS_IMAGE_LABEL } from '../../../../src/deploy/release-choice/previous-label.js'
import type { DeployPlan } from '../../../../src/deploy/strategy.js'
import { parseImageReference } from '../../../../src/lib/image-name.js'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`
const image = parseImageReference('reg.example/acme/web:x').image

/** The registry holds these references (tags and digests). */
function registry(held: Record<string, string>): ManifestLookup & { asked: string[] } {
  const asked: string[] = []
  const lookup = (_image: unknown, reference: string): Promise<string | undefined> => {
    asked.push(reference)
    return Promise.resolve(held[reference])
  }
  return Object.assign(lookup, { asked })
}

/** A plan whose files make `reg.example/acme/web:<version>`. */
function plan(version: string): DeployPlan {
  return {
    project: 'p',
    service: 'web',
    image: `reg.example/acme/web:${version}`,
    connect: () => Promise.reject(new Error('not here')),
    pinned: (digest) => plan(`${version}@${digest}`),
    releaseOf: (other) =>
      other.startsWith('reg.example/acme/web:')
        ? plan(other.slice('reg.example/acme/web:'.length))
        : undefined
  }
}

const host = (name: string, ...previous: (string | undefined)[]) => ({
  host: name,
  labels: () =>
    Promise.resolve(
      previous.map((value): Record<string, string> =>
        value === undefined ? {} : { [PREVIOUS_IMAGE_LABEL]: value }
      )
    )
})

describe('planVersion', () => {
  it("is the event's version unless a version is chosen", async () => {
    const held = registry({})
    expect(await planVersion({ kind: 'event' }, '2.0.0', image, held)).toBe('2.0.0')
    expect(await planVersion({ kind: 'rollback' }, '2.0.0', image, held)).toBe('2.0.0')
    expect(held.asked).toEqual([])
  })

  it('is a chosen version the registry holds', async () => {
    const held = registry({ '1.0.0': A, [B]: B })
    expect(await planVersion({ kind: 'version', version: '1.0.0' }, '2.0.0', image, held)).toBe('1.0.0')
    expect(await planVersion({ kind: 'version', version: B }, '2.0.0', image, held)).toBe(
      `sha256-${'b'.repeat(64)}`
    )
    expect(held.asked).toEqual(['1.0.0', B])
  })

  it('refuses, naming the input, a version the registry does not hold', async () => {
    await expect(
      planVersion({ kind: 'version', version: '9.9.9' }, '2.0.0', image, registry({}))
    ).rejects.toThrow('version: reg.example/acme/web:9.9.9 is not in the registry')
    await expect(planVersion({ kind: 'version', version: A }, '2.0.0', image, registry({}))).rejects.toThrow(
      `version: reg.example/acme/web@${A} is not in the registry`
    )
  })
})

describe('chosenDigest and reportedVersion', () => {
  it('pin a chosen digest, and report what was chosen', () => {
    expect(chosenDigest({ kind: 'version', version: A })).toBe(A)
    expect(chosenDigest({ kind: 'version', version: '1.0.0' })).toBeUndefined()
    expect(chosenDigest({ kind: 'rollback' })).toBeUndefined()
    expect(reportedVersion({ kind: 'event' }, plan('1.0.0'))).toBeUndefined()
    expect(reportedVersion({ kind: 'version', version: A }, plan('x'))).toBe(A)
    expect(reportedVersion({ kind: 'rollback' }, plan(`1.0.0@${A}`))).toBe('1.0.0')
  })
})

describe('rollbackPlan', () => {
  const previous = `reg.example/acme/web:1.0.0@${A}`

  it('is the release every host records, checked in the registry by digest', async () => {
    const held = registry({ [A]: A })
    const rolled = await rollbackPlan(
      plan('2.0.0'),
      image,
      [host('h1', previous, previous), host('h2', previous)],
      held
    )
    expect(rolled.image).toBe(previous)
    expect(held.asked).toEqual([A])
  })

  it('refuses hosts that disagree, or record nothing, naming them', async () => {
    const other = `reg.example/acme/web:0.9.0@${B}`
    await expect(
      rollbackPlan(plan('2.0.0'), image, [host('h1', previous), host('h2', other)], registry({ [A]: A }))
    ).rejects.toThrow(/rollback: the hosts disagree on the previous release \(h1: .*1\.0\.0.*; h2: .*0\.9\.0/)
    await expect(
      rollbackPlan(plan('2.0.0'), image, [host('h1', previous), host('h2', undefined)], registry({ [A]: A }))
    ).rejects.toThrow('rollback: no earlier release is recorded on h2')
    await expect(
      rollbackPlan(plan('2.0.0'), image, [host('h1', previous, undefined)], registry({ [A]: A }))
    ).rejects.toThrow(/rollback: h1: its containers record different releases/)
  })

  it('refuses a recorded release of another image, not by digest, or no longer in the registry', async () => {
    const held = registry({ [A]: A })
    for (const recorded of [`reg.example/acme/other:1.0.0@${A}`, 'reg.example/acme/web:1.0.0']) {
      await expect(rollbackPlan(plan('2.0.0'), image, [host('h1', recorded)], held)).rejects.toThrow(
        /is not reg.example\/acme\/web by digest/
      )
    }
    await expect(rollbackPlan(plan('2.0.0'), image, [host('h1', previous)], registry({}))).rejects.toThrow(
      /no longer in the registry/
    )
  })
})
