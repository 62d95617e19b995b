// Unit tests of the compare-to and gate-on inputs (src/scan/compare/compare-to.ts).
import { describe, expect, it } from '@jest/globals'
import { parseCompareTo, parseGateOn } from '../../../../src/scan/compare/compare-to.js'

const DIGEST = `sha256:${'a1'.repeat(32)}`

describe('parseCompareTo', () => {
  it('takes deployed and none in any case', () => {
    expect(parseCompareTo('deployed')).toEqual({ kind: 'deployed' })
    expect(parseCompareTo(' None ')).toEqual({ kind: 'none' })
  })

  it('takes an image by tag, by digest, or both', () => {
    expect(parseCompareTo('ghcr.io/acme/web:production')).toEqual({
      kind: 'image',
      image: { registry: 'ghcr.io', repository: 'acme/web', name: 'ghcr.io/acme/web' },
      tag: 'production',
      text: 'ghcr.io/acme/web:production'
    })
    expect(parseCompareTo(`127.0.0.1:5000/web@${DIGEST}`)).toEqual({
      kind: 'image',
      image: { registry: '127.0.0.1:5000', repository: 'web', name: '127.0.0.1:5000/web' },
      digest: DIGEST,
      text: `127.0.0.1:5000/web@${DIGEST}`
    })
    expect(parseCompareTo(`nginx:1.27@${DIGEST}`)).toMatchObject({
      image: { registry: 'docker.io', repository: 'library/nginx' },
      tag: '1.27',
      digest: DIGEST
    })
  })

  it('refuses a name without tag or digest, a bad digest, a bad tag or a bad name', () => {
    expect(() => parseCompareTo('ghcr.io/acme/web')).toThrow('names no tag or digest')
    expect(() => parseCompareTo('127.0.0.1:5000/web')).toThrow('names no tag or digest')
    expect(() => parseCompareTo('web@sha256:abc')).toThrow('sha256: and 64 lowercase hex digits')
    expect(() => parseCompareTo(`web@sha512:${'a'.repeat(128)}`)).toThrow('sha256:')
    expect(() => parseCompareTo('web:-bad')).toThrow('invalid tag "-bad"')
    expect(() => parseCompareTo('Acme/Web:1')).toThrow()
    expect(() => parseCompareTo('')).toThrow('is empty')
  })
})

describe('parseGateOn', () => {
  it('takes all or new, and nothing else', () => {
    expect(parseGateOn('all')).toBe('all')
    expect(parseGateOn('NEW')).toBe('new')
    expect(() => parseGateOn('some')).toThrow('"some" is not one of all, new')
  })
})
