// The example workflows (examples/*.yml) as users copy them: every input they give the action is
// one action.yml declares, under its current name (not a deprecated one); every other action is
// pinned by commit SHA with its version in a comment; every checkout leaves no credentials; every
// job says its permissions.
import { readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')
const ACTION = 'your-org/container-ship@v1'

interface Step {
  uses?: string
  with?: Record<string, unknown>
}
interface Workflow {
  permissions?: unknown
  jobs: Record<string, { permissions?: unknown; steps?: Step[] }>
}

const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { description: string }>
}
const examples = readdirSync(path.join(root, 'examples'))
  .filter((name) => name.endsWith('.yml') && !name.startsWith('.'))
  .sort()

describe.each(examples)('examples/%s', (name) => {
  const text = readFileSync(path.join(root, 'examples', name), 'utf8')
  const workflow = parse(text) as Workflow
  const steps = Object.values(workflow.jobs).flatMap((job) => job.steps ?? [])

  it('gives the action only its current inputs, and an image', () => {
    const ours = steps.filter((step) => step.uses === ACTION)
    expect(ours.length).toBeGreaterThan(0)
    for (const step of ours) {
      const given = Object.keys(step.with ?? {})
      expect(given.filter((input) => !(input in action.inputs))).toEqual([])
      expect(given.filter((input) => action.inputs[input]?.description.startsWith('Deprecated'))).toEqual([])
      expect(given).toContain('image')
    }
  })

  it('pins every other action by commit SHA, with the version in a comment', () => {
    const others = text.split('\n').filter((line) => /^\s*(- )?uses: /.test(line) && !line.includes(ACTION))
    for (const line of others) expect(line).toMatch(/uses: [\w.-]+\/[\w./-]+@[0-9a-f]{40} # v\d+(\.\d+)*$/)
  })

  it('leaves no credentials in .git/config, and names the permissions of every job', () => {
    for (const step of steps.filter((s) => s.uses?.startsWith('actions/checkout@')))
      expect(step.with?.['persist-credentials']).toBe(false)
    expect(workflow.permissions).toBeDefined()
    for (const job of Object.values(workflow.jobs)) expect(job.permissions).toBeDefined()
  })
})
