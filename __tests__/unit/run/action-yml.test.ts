import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { INPUT_BOUNDS } from '../../../src/inputs/bounds.js'
import { InputError } from '../../../src/inputs/fields.js'
import { getInputs } from '../../../src/pipeline/inputs.js'
import { STEPS } from '../../../src/pipeline/steps.js'
import { reportRun } from '../../../src/run/main.js'
import { DEFAULT_TRIVY_RELEASES, DEFAULT_TRIVY_VERSION } from '../../../src/scan/inputs.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string; default?: string; required?: boolean }>
  outputs: Record<string, { description: string }>
  runs: Record<string, string>
}

describe('action.yml', () => {
  it('runs the bundled main and post entries on node24', () => {
    expect(action.runs).toEqual({ using: 'node24', main: 'dist/index.js', post: 'dist/post.js' })
  })

  it('declares exactly the inputs the action reads, each with a description', () => {
    const read = new Set<string>()
    try {
      getInputs((name) => {
        read.add(name)
        return ''
      }, root)
    } catch (error) {
      if (!(error instanceof InputError)) throw error
    }
    expect(Object.keys(action.inputs).sort()).toEqual([...read].sort())
    for (const [name, input] of Object.entries(action.inputs))
      expect([name, input.description.length > 10]).toEqual([name, true])
  })

  it('declares every output the action sets', () => {
    const set = reportRun(STEPS, { results: {} }).flatMap((report) => Object.keys(report.outputs))
    expect(Object.keys(action.outputs).sort()).toEqual(set.sort())
  })

  it('says the upper bound of every numeric input, as getInputs enforces it', () => {
    for (const [name, { max }] of Object.entries(INPUT_BOUNDS))
      expect([name, action.inputs[name]?.description]).toEqual([name, expect.stringContaining(` ${max} `)])
  })

  it('keeps the SPEC defaults', () => {
    const defaults = Object.fromEntries(
      Object.entries(action.inputs).map(([name, input]) => [name, input.default])
    )
    expect(defaults).toMatchObject({
      steps: 'build,scan,push,deploy',
      context: '.',
      'tag-latest': 'auto',
      'tag-sha': 'true',
      push: 'auto',
      'severity-threshold': 'HIGH',
      severities: 'UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL',
      'ignore-unfixed': 'false',
      'ignore-file': '.trivyignore',
      scanners: 'vuln,secret',
      'scan-annotations': 'true',
      annotations: '',
      'deploy-host': '',
      'docker-host': '',
      'pr-comment': 'true',
      'github-token': '${{ github.token }}',
      'compose-file': 'docker-compose.yml',
      'health-timeout': '120',
      'drain-seconds': '0',
      'trivy-version': DEFAULT_TRIVY_VERSION,
      'trivy-releases': DEFAULT_TRIVY_RELEASES,
      'skip-db-update': 'false'
    })
    expect(action.inputs.image?.required).toBe(true)
  })

  it('has branding of its own, not the one docker/build-push-action has', () => {
    expect(parse(readFileSync(path.join(root, 'action.yml'), 'utf8')).branding).toEqual({
      icon: 'package',
      color: 'green'
    })
  })

  it('says which inputs are deprecated and what replaces them', () => {
    expect(action.inputs['docker-host']?.description).toContain('Deprecated: the old name of deploy-host')
    expect(action.inputs.annotations?.description).toContain('scan-annotations')
    expect(action.outputs['image-id']?.description).toContain('Deprecated, the same as imageid')
  })
})
