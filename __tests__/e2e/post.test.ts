// The post step runs even after a failed main step, in whatever state that left: it warns and
// never fails.
import { spawnSync } from 'node:child_process'
import { mkdtempSync, writeFileSync, existsSync, mkdirSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { REPO_ROOT } from './harness.js'

function post(env: Record<string, string>): { status: number | null; log: string } {
  const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/post.js')], {
    env,
    encoding: 'utf8'
  })
  return { status: result.status, log: result.stdout + result.stderr }
}

describe('the post step', () => {
  it('does nothing when the main step saved no state', () => {
    expect(post({ PATH: process.env.PATH ?? '' })).toEqual({ status: 0, log: '' })
  })

  it('warns and still removes the config when docker is not there to log out', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'post-'))
    mkdirSync(path.join(dir, 'buildx'))
    writeFileSync(path.join(dir, 'config.json'), '{"auths":{"127.0.0.1:5000":{"auth":"eDp5"}}}')
    const result = post({
      PATH: '/nonexistent',
      'STATE_docker-config': dir,
      'STATE_logged-in-registry': '127.0.0.1:5000'
    })
    expect(result.status).toBe(0)
    expect(result.log).toMatch(/::warning::docker logout 127\.0\.0\.1:5000 failed: .*docker/)
    expect(existsSync(dir)).toBe(false)
  })

  it('exits 0 when the config folder is already gone', () => {
    const result = post({
      PATH: process.env.PATH ?? '',
      'STATE_docker-config': '/nonexistent/container-ship-docker-x'
    })
    expect(result.status).toBe(0)
  })
})
