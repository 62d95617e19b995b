// Trivy failing in the ways it does fail, caused for real: no vulnerability DB, a corrupt one,
// the binary crashing, a report cut short. The gate must fail closed each time: the run fails,
// saying why, and nothing is pushed.
import { chmodSync, mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { scanAndPush, testbed, type ActionRun, type Testbed } from '../../support/harness.js'
import { registryTags } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let scratch: string

beforeAll(() => {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'trivy-faults-'))
})

/** A folder holding one executable `trivy` script, to put first on PATH. */
function trivyScript(name: string, body: string): string {
  const bin = path.join(scratch, name)
  mkdirSync(bin)
  writeFileSync(path.join(bin, 'trivy'), `#!/bin/sh\n${body}\n`)
  chmodSync(path.join(bin, 'trivy'), 0o755)
  return bin
}

function scanWith(
  name: string,
  env: Record<string, string>
): Promise<{ run: ActionRun; repository: string }> {
  return scanAndPush(tb, name, { baseImage: tb.alpine39Image, env })
}

async function expectClosed(result: { run: ActionRun; repository: string }, reason: RegExp): Promise<void> {
  const { run, repository } = result
  expect(run.exitCode).toBe(1)
  expect(run.log).toMatch(reason)
  expect(run.outputs['scan-result']).toBe('skipped')
  expect(run.outputs['pushed-tags']).toBe('')
  expect(await registryTags(tb, repository)).toEqual([])
  expect(run.summary).toContain('> [!CAUTION]')
}

describe('the gate fails closed when', () => {
  it('Trivy has no vulnerability DB and may not download one', async () => {
    const empty = mkdtempSync(path.join(scratch, 'no-db-'))
    await expectClosed(
      await scanWith('no-db', { TRIVY_CACHE_DIR: empty }),
      /::error::`\S+trivy image .* failed with exit code 1:.*--skip-db-update cannot be specified on the first run/
    )
  })

  it('the vulnerability DB is corrupt', async () => {
    const cache = mkdtempSync(path.join(scratch, 'corrupt-db-'))
    mkdirSync(path.join(cache, 'db'))
    writeFileSync(path.join(cache, 'db', 'trivy.db'), 'this is not a bolt database'.repeat(100))
    writeFileSync(
      path.join(cache, 'db', 'metadata.json'),
      JSON.stringify({ Version: 2, NextUpdate: '2999-01-01T00:00:00Z', UpdatedAt: '2026-11-25T00:00:00Z' })
    )
    await expectClosed(
      await scanWith('corrupt-db', { TRIVY_CACHE_DIR: cache }),
      /::error::`\S+trivy image .* failed with exit code 1:.*failed to open db/
    )
  })

  it('the Trivy binary crashes', async () => {
    const bin = trivyScript('crash', 'echo "panic: runtime error: invalid memory address" >&2\nkill -SEGV $$')
    await expectClosed(
      await scanWith('crash', { PATH: `${bin}:${process.env.PATH ?? ''}` }),
      /::error::.*trivy/is
    )
  })

  it('the report is cut short', async () => {
    // The real Trivy, then its report truncated to its first 300 bytes, exit code 0.
    const bin = trivyScript(
      'truncated',
      [
        `${tb.trivy} "$@" || exit $?`,
        'out=""; prev=""',
        'for arg in "$@"; do [ "$prev" = --output ] && out=$arg; prev=$arg; done',
        'head -c 300 "$out" > "$out.cut" && mv "$out.cut" "$out"'
      ].join('\n')
    )
    await expectClosed(
      await scanWith('truncated', { PATH: `${bin}:${process.env.PATH ?? ''}` }),
      /::error::The scan cannot be judged: Trivy report is truncated: the JSON stops at line \d+/
    )
  })
})
