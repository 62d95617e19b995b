// ignore-unfixed with the real Trivy and its offline fixture DB (scripts/testbed.sh), on an image
// built from the test bed's Debian 10.1 image: bash 5.0-4 has CVE-2019-18276 (LOW, no fix, Status
// affected) and libidn2-0 2.0.5-1 has CVE-2019-18224 (CRITICAL, fixed in 2.0.5-1+deb10u1), as in
// Trivy's debian-buster golden. With no threshold and a LOW budget of 0 only the unfixed LOW can
// fail the gate, so ignore-unfixed decides the verdict.
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed

beforeAll(() => {
  tb = testbed()
})

function unfixedRun(inputs: Record<string, string> = {}): Promise<ActionRun> {
  const setup = scanSetup(tb)
  return runAction({
    inputs: {
      image: uniqueRepository(tb, 'unfixed').image,
      steps: 'build,scan',
      'severity-threshold': 'none',
      'max-findings': 'low=0',
      ...setup.inputs,
      ...inputs
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith({ Dockerfile: `FROM ${tb.debian10Image}\n` }),
    env: setup.env
  })
}

describe('the Debian 10.1 image with a LOW budget of 0 and no threshold', () => {
  it('fails by the budget on the unfixed LOW without ignore-unfixed', async () => {
    const result = await unfixedRun()
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('::error::The scan gate failed: LOW: 1 finding over the budget of 0.')
    expect(result.outputs['scan-result']).toBe('failed')
    expect(JSON.parse(result.outputs.findings ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 1,
      MEDIUM: 0,
      HIGH: 0,
      CRITICAL: 1
    })
    expect(result.summary).toContain('| Scan | failed: LOW: 1 finding over the budget of 0 |')
    expect(result.summary).toContain('| Findings | 1 CRITICAL, 1 LOW |')
  })

  it('passes with ignore-unfixed: the LOW is dropped, the fixed CRITICAL still shows', async () => {
    const result = await unfixedRun({ 'ignore-unfixed': 'true' })
    expect(result.log).not.toMatch(/::error/)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(JSON.parse(result.outputs.findings ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 0,
      HIGH: 0,
      CRITICAL: 1
    })
    expect(result.summary).toContain('| Scan | passed |')
    expect(result.summary).toContain('| Findings | 1 CRITICAL (1 ignored) |')
    expect(result.summary).toMatch(
      /\| CRITICAL \| .*CVE-2019-18224.* \| `libidn2-0` \| `2\.0\.5-1` \| `2\.0\.5-1\+deb10u1` \| `Dockerfile:1` \|/
    )
    expect(result.summary).not.toContain('CVE-2019-18276')
  })
})
