// Unit tests of the production report's cache key (src/scan/compare/cache-key.ts).
import { describe, expect, it } from '@jest/globals'
import { productionCacheKey } from '../../../../src/scan/compare/cache-key.js'

const base = {
  digest: `sha256:${'a'.repeat(64)}`,
  trivyVersion: '0.50.0',
  dbUpdatedAt: '2026-01-01T00:00:00Z',
  rules: 'HIGH,CRITICAL'
}

describe('productionCacheKey', () => {
  it('is stable for the same identity and file-name safe', () => {
    expect(productionCacheKey(base)).toBe(productionCacheKey({ ...base }))
    expect(productionCacheKey(base)).toMatch(/^production-[0-9a-f]{12}-[0-9a-f]{32}$/)
  })

  it.each(['digest', 'trivyVersion', 'dbUpdatedAt', 'rules'] as const)('changes when %s changes', (field) => {
    const other = { ...base, [field]: field === 'digest' ? `sha256:${'b'.repeat(64)}` : 'other' }
    expect(productionCacheKey(other)).not.toBe(productionCacheKey(base))
  })

  it('refuses what is not a digest', () => {
    expect(() => productionCacheKey({ ...base, digest: '../../etc/passwd' })).toThrow('not an image digest')
  })
})
