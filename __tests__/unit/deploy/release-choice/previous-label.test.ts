import { existsSync, readFileSync } from 'node:fs'
import { describe, expect, it } from '@jest/globals'
import {
  digestReference,
  labelOverride,
  PREVIOUS_IMAGE_LABEL,
  recordedPrevious,
  withPreviousLabel
} from '../../../../src/deploy/release-choice/previous-label.js'

const A = `sha256:${'a'.repeat(64)}`
const B = `sha256:${'b'.repeat(64)}`

describe('digestReference', () => {
  it('keeps a reference pinned to a digest', () => {
    expect(digestReference(`reg.example/web:1.0.0@${A}`, [])).toBe(`reg.example/web:1.0.0@${A}`)
  })

  it("pins a tag to the image's digest in the same repository", () => {
    expect(digestReference('reg.example/web:1.0.0', [`other.example/web@${B}`, `reg.example/web@${A}`])).toBe(
      `reg.example/web:1.0.0@${A}`
    )
    expect(digestReference('localhost:5000/web:1.0.0', [`localhost:5000/web@${A}`])).toBe(
      `localhost:5000/web:1.0.0@${A}`
    )
  })

  it('is undefined when the engine knows no digest of that repository', () => {
    expect(digestReference('reg.example/web:1.0.0', [])).toBeUndefined()
    expect(digestReference('reg.example/web:1.0.0', [`reg.example/webx@${A}`])).toBeUndefined()
  })
})

describe('labelOverride', () => {
  it('is a compose file labelling the service, whatever the value holds', () => {
    const value = `reg.example/web:1.0.0@${A}`
    expect(JSON.parse(labelOverride('web', value))).toEqual({
      services: { web: { labels: { [PREVIOUS_IMAGE_LABEL]: value } } }
    })
  })
})

describe('withPreviousLabel', () => {
  it('adds the label file for the scale-up only, then removes it', async () => {
    let seen: string[] = []
    let text = ''
    const value = `reg.example/web:1.0.0@${A}`
    expect(
      await withPreviousLabel('web', value, async (files) => {
        seen = files
        text = readFileSync(files[0] as string, 'utf8')
        return 7
      })
    ).toBe(7)
    expect(seen).toHaveLength(1)
    expect(text).toBe(labelOverride('web', value))
    expect(existsSync(seen[0] as string)).toBe(false)
  })

  it('adds nothing on a first deploy, and removes the file when the scale-up fails', async () => {
    expect(await withPreviousLabel('web', undefined, (files) => Promise.resolve(files))).toEqual([])
    let file = ''
    await expect(
      withPreviousLabel('web', 'x', (files) => {
        file = files[0] as string
        return Promise.reject(new Error('compose failed'))
      })
    ).rejects.toThrow('compose failed')
    expect(existsSync(file)).toBe(false)
  })
})

describe('recordedPrevious', () => {
  const label = (value: string) => ({ [PREVIOUS_IMAGE_LABEL]: value, other: 'x' })

  it('is the release every container records', () => {
    expect(recordedPrevious([label('r1'), label('r1')])).toBe('r1')
  })

  it('is undefined when none records one, or nothing runs', () => {
    expect(recordedPrevious([{ other: 'x' }, {}])).toBeUndefined()
    expect(recordedPrevious([])).toBeUndefined()
  })

  it('refuses containers that record different releases', () => {
    expect(() => recordedPrevious([label('r1'), label('r2')])).toThrow(
      /different releases before theirs \(r1, r2\)/
    )
    expect(() => recordedPrevious([label('r1'), {}])).toThrow(/\(r1, none\)/)
  })

  it('refuses, without quoting it, a label that is not an image reference', () => {
    let message = ''
    try {
      recordedPrevious([label('reg/web:1\n::stop-commands::x')])
    } catch (caught) {
      message = (caught as Error).message
    }
    expect(message).toBe(`a container's ${PREVIOUS_IMAGE_LABEL} label is not an image reference`)
  })
})
