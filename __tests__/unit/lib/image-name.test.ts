import { describe, expect, it, test } from '@jest/globals'
import { isValidTag, parseImageName, registryApiBase, sanitizeTag } from '../../../src/lib/image-name.js'

describe('parseImageName', () => {
  test.each([
    ['ghcr.io/acme/web', 'ghcr.io', 'acme/web'],
    ['localhost:5000/app', 'localhost:5000', 'app'],
    ['127.0.0.1:5000/e2e/a-b_c.d', '127.0.0.1:5000', 'e2e/a-b_c.d'],
    ['nginx', 'docker.io', 'library/nginx'],
    ['acme/web', 'docker.io', 'acme/web'],
    ['localhost/app', 'localhost', 'app'],
    ['[::1]:5000/app', '[::1]:5000', 'app'],
    ['registry.example.com:443/team/sub/app', 'registry.example.com:443', 'team/sub/app']
  ])('%s', (name, registry, repository) => {
    expect(parseImageName(name)).toEqual({ registry, repository, name })
  })

  test.each([
    ['ghcr.io/acme/web:latest', /has a tag/],
    ['acme/web@sha256:0000', /has a digest/],
    ['ghcr.io/acme/Web', /not a valid repository name/],
    ['ghcr.io/acme//web', /not a valid repository name/],
    ['ghcr.io/acme/web-', /not a valid repository name/],
    ['bad_host.io:x/app', /not a valid registry/],
    ['', /is empty/]
  ])('refuses %j', (name, message) => {
    expect(() => parseImageName(name)).toThrow(message)
  })
})

describe('tags', () => {
  it('validates the tag grammar', () => {
    expect(isValidTag('v1.2.3_rc-1')).toBe(true)
    expect(isValidTag('.hidden')).toBe(false)
    expect(isValidTag('-dash')).toBe(false)
    expect(isValidTag('x'.repeat(129))).toBe(false)
    expect(isValidTag('a/b')).toBe(false)
  })
  it('sanitises refs into tags', () => {
    expect(sanitizeTag('feature/new UI')).toBe('feature-new-UI')
    expect(sanitizeTag('..weird')).toBe('weird')
    expect(isValidTag(sanitizeTag('dependabot/npm_and_yarn/@types/node-24.0.1'))).toBe(true)
  })
})

describe('registryApiBase', () => {
  test.each([
    ['docker.io', 'https://registry-1.docker.io'],
    ['ghcr.io', 'https://ghcr.io'],
    ['127.0.0.1:5000', 'http://127.0.0.1:5000'],
    ['localhost:5000', 'http://localhost:5000'],
    ['[::1]:5000', 'http://[::1]:5000'],
    ['10.0.0.1:5000', 'https://10.0.0.1:5000']
  ])('%s', (registry, base) => expect(registryApiBase(registry)).toBe(base))
})
