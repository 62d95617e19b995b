import { describe, expect, it } from '@jest/globals'
import { versionOf } from '../../../../src/deploy/compose/blue-green.js'

const DIGEST = `sha256:${'a'.repeat(64)}`
const template = (text: string) => (version: string) => text.replace('${APP_VERSION}', version)

describe("versionOf: the APP_VERSION that makes a release's image", () => {
  it('finds the version, with its digest, of an image the compose file makes', () => {
    const image = template('127.0.0.1:5000/shop/web:${APP_VERSION}')
    expect(versionOf('127.0.0.1:5000/shop/web:1.0.0', image)).toBe('1.0.0')
    expect(versionOf(`127.0.0.1:5000/shop/web:1.0.0@${DIGEST}`, image)).toBe(`1.0.0@${DIGEST}`)
    expect(versionOf('reg/web:v2-rc.1', template('reg/web:${APP_VERSION}'))).toBe('v2-rc.1')
    expect(versionOf('reg/web:1.0-slim', template('reg/web:${APP_VERSION}-slim'))).toBe('1.0')
  })
  it('refuses an image of another repository or shape', () => {
    const image = template('127.0.0.1:5000/shop/web:${APP_VERSION}')
    expect(versionOf('127.0.0.1:5000/shop/other:1.0.0', image)).toBeUndefined()
    expect(versionOf('127.0.0.1:5000/shop/web:', image)).toBeUndefined()
    expect(versionOf('127.0.0.1:5000/shop/web:1.0 0', image)).toBeUndefined()
    expect(versionOf('127.0.0.1:5000/shop/web:$(id)', image)).toBeUndefined()
  })
  it('refuses every image when the compose file does not use APP_VERSION', () => {
    expect(versionOf('reg/web:1.0.0', () => 'reg/web:latest')).toBeUndefined()
  })
})
