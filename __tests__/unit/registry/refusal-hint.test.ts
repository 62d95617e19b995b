// Causes a user can fix, and the message each gets: it names the permission or the input and
// says what to do (registry/refusal-hint.ts, used by the login and the push).
import { describe, expect, it } from '@jest/globals'
import { RegistryError } from '../../../src/registry/http.js'
import { isRefusal, refusalFix, withRefusalFix } from '../../../src/registry/refusal-hint.js'

describe('a registry that refuses', () => {
  it.each([
    ['ghcr.io', 'give the job `permissions: packages: write`'],
    ['ghcr.io', 'Manage Actions access'],
    ['docker.io', 'access token with the Read & Write scope'],
    ['registry-1.docker.io', 'access token with the Read & Write scope'],
    [
      'registry.example.com:5000',
      'Check that username and password may push to registry.example.com:5000/acme/web'
    ]
  ])('%s: the fix says %j', (registry, fix) => {
    expect(refusalFix(registry, 'acme/web')).toContain(fix)
  })

  it.each([
    [new RegistryError('could not push', 401), true],
    [new RegistryError('could not push', 403), true],
    [new Error('denied: permission_denied: write_package'), true],
    [new Error('unauthorized: authentication required'), true],
    [new Error('no basic auth credentials'), true],
    [new RegistryError('could not push: 500 Internal Server Error', 500), false],
    [new Error('dial tcp 127.0.0.1:5000: connect: connection refused'), false],
    [new Error('manifest sha256:4010403401 unknown'), false]
  ])('%s is a refusal: %s', (error, refused) => {
    expect(isRefusal(error)).toBe(refused)
  })

  it('adds the fix to a refusal only', () => {
    const denied = new Error('denied: permission_denied: write_package')
    expect(withRefusalFix('push failed', denied, 'ghcr.io')).toBe(`push failed\n${refusalFix('ghcr.io')}`)
    expect(withRefusalFix('push failed', new Error('connection reset'), 'ghcr.io')).toBe('push failed')
  })
})
