import { describe, expect, it } from '@jest/globals'
import { parseAnnotations } from '../../../src/build/annotations.js'

describe('parseAnnotations', () => {
  it('takes docker/metadata-action annotations output as it is, one --annotation a line', () => {
    const lines = [
      'manifest:org.opencontainers.image.title=web',
      'index:org.opencontainers.image.description=A web app, with spaces',
      'manifest-descriptor:org.opencontainers.image.version=1.2.3',
      'index-descriptor:org.opencontainers.image.revision=abc',
      'manifest,index:org.opencontainers.image.vendor=acme',
      'manifest[linux/amd64]:org.opencontainers.image.url=https://example.com/a=b',
      'org.opencontainers.image.licenses=MIT'
    ]
    expect(parseAnnotations(`${lines.join('\n')}\n\n`)).toEqual(lines)
  })

  it('reads nothing from an empty input', () => {
    expect(parseAnnotations('')).toEqual([])
  })

  it.each([
    ['org.opencontainers.image.title', 'line 1 "org.opencontainers.image.title" is not key=value'],
    ['=web', 'is not key=value'],
    ['config:org.opencontainers.image.title=web', '"config" is not an annotation type; use manifest, index'],
    ['manifest:=web', '"" is not an annotation key'],
    ['manifest:bad key=web', '"bad key" is not an annotation key']
  ])('refuses %p, saying what it should be', (raw, message) => {
    expect(() => parseAnnotations(raw)).toThrow(message)
  })
})
