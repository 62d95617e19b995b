// Unit tests of gate-on (src/scan/compare/gate-scope.ts): never silently weaker.
import { describe, expect, it } from '@jest/globals'
import { resolveGateScope } from '../../../../src/scan/compare/gate-scope.js'

describe('resolveGateScope', () => {
  it('gates on all when asked, comparison or not', () => {
    expect(resolveGateScope('all', true)).toEqual({ scope: 'all' })
    expect(resolveGateScope('all', false)).toEqual({ scope: 'all' })
  })

  it('gates on new findings only with a comparison', () => {
    expect(resolveGateScope('new', true)).toEqual({ scope: 'new' })
  })

  it('falls back to all, loudly, without a comparison', () => {
    const resolved = resolveGateScope('new', false)
    expect(resolved.scope).toBe('all')
    expect(resolved.warning).toContain('counts all findings')
  })
})
