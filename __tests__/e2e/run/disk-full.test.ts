// The runner's temp folder full, for real: RUNNER_TEMP on a 12 KiB tmpfs of the test's own. The
// Docker config with the login fits, Trivy's report does not: the run must fail saying why, and
// the post step must still leave no credential behind.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readdirSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { scanAndPush, testbed, type Testbed } from '../../support/harness.js'
import { registryTags } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let small: string

beforeAll(() => {
  tb = testbed()
  small = mkdtempSync(path.join(os.tmpdir(), 'full-temp-'))
  execFileSync('mount', ['-t', 'tmpfs', '-o', 'size=12k,mode=0700', 'tmpfs', small])
})

afterAll(() => {
  execFileSync('umount', [small])
})

/** Every file under a folder, with its text. */
function filesUnder(dir: string): { file: string; text: string }[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .map((name) => path.join(dir, name))
    .filter((file) => statSync(file).isFile())
    .map((file) => ({ file, text: readFileSync(file, 'utf8') }))
}

describe('a full temp folder', () => {
  it('fails the scan saying so, pushes nothing, and leaves no credential', async () => {
    const { run, repository } = await scanAndPush(tb, 'disk-full', {
      baseImage: tb.debian10Image,
      env: { RUNNER_TEMP: small }
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(
      /::error::`\S+trivy image .* failed with exit code 1:.*unable to write results.*no space left on device/
    )
    expect(run.outputs['pushed-tags']).toBe('')
    expect(await registryTags(tb, repository)).toEqual([])
    expect(run.post.exitCode).toBe(0)
    const left = filesUnder(small)
    for (const { text } of left) {
      expect(text).not.toContain(tb.password)
      expect(text).not.toContain(Buffer.from(`${tb.username}:${tb.password}`).toString('base64'))
    }
    // Only the scan's folder stays (report-file is an output); the login is gone.
    expect(readdirSync(small).filter((name) => !name.startsWith('container-ship-scan-'))).toEqual([])
  })
})
