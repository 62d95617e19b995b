import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { ACTION_DEFAULTS } from '../../../src/inputs/action-defaults.js'
import { InputFields } from '../../../src/inputs/fields.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: unknown }>
}

describe('ACTION_DEFAULTS', () => {
  it("is action.yml's literal default of every input that has one (npm run defaults writes it)", () => {
    const literal = Object.fromEntries(
      Object.entries(action.inputs)
        .map(([name, input]): [string, string] => [
          name,
          input.default === undefined ? '' : String(input.default)
        ])
        .filter(([, value]) => value !== '' && !value.includes('${{'))
    )
    expect(ACTION_DEFAULTS).toEqual(literal)
  })

  it('is what an input that comes empty reads as, and only then', () => {
    const fields = new InputFields((name) => (name === 'push' ? 'false' : ''), root)
    expect(fields.read('health-timeout')).toBe(action.inputs['health-timeout']?.default)
    expect(fields.read('push')).toBe('false')
    expect(fields.read('github-token')).toBe('')
    expect(fields.read('image')).toBe('')
  })
})
