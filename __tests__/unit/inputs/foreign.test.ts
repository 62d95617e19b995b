// Inputs of the replaced actions given to this one: a warning each, naming what to use instead,
// never the value; nothing for this action's own inputs.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { FOREIGN_INPUTS, foreignInputWarnings } from '../../../src/inputs/foreign.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const declared = Object.keys(
  (parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as { inputs: Record<string, unknown> }).inputs
)

describe('foreignInputWarnings', () => {
  it("says that trivy-action's exit-code is not read and how to report without a gate", () => {
    const warnings = foreignInputWarnings({ 'INPUT_EXIT-CODE': '0', 'INPUT_SEVERITY-THRESHOLD': 'HIGH' })
    expect(warnings).toEqual([
      expect.stringMatching(
        /^exit-code is an input of aquasecurity\/trivy-action, not of this action, and is not read: .*severity-threshold: none/
      )
    ])
  })

  it('names the input to use instead of a renamed one', () => {
    expect(
      foreignInputWarnings({ INPUT_TRIVYIGNORES: '.trivyignore', INPUT_IMAGES: 'ghcr.io/acme/web' })
    ).toEqual([
      expect.stringContaining(
        'trivyignores is an input of aquasecurity/trivy-action, not of this action, and is not read: ignore-file'
      ),
      expect.stringContaining(
        'images is an input of docker/metadata-action, not of this action, and is not read: image'
      )
    ])
  })

  it('never prints the value given', () => {
    const token = 'ghp_' + 'x'.repeat(36)
    const [warning] = foreignInputWarnings({ 'INPUT_GITHUB-PAT': token })
    expect(warning).toContain('github-pat is an input of aquasecurity/trivy-action')
    expect(warning).not.toContain(token)
  })

  it("warns of nothing for this action's own inputs or other variables", () => {
    const env = Object.fromEntries(declared.map((name) => [`INPUT_${name.toUpperCase()}`, 'x']))
    expect(foreignInputWarnings({ ...env, EXIT_CODE: '0', PATH: '/usr/bin' })).toEqual([])
  })

  it('has no name this action declares (action.yml)', () => {
    expect(Object.keys(FOREIGN_INPUTS).filter((name) => declared.includes(name))).toEqual([])
  })
})
