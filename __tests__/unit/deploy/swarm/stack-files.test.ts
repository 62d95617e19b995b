import { mkdtempSync, readFileSync, statSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import type { SwarmPlan } from '../../../../src/deploy/swarm/plan.js'
import { writeStackFiles } from '../../../../src/deploy/swarm/rollout.js'

const FIRST =
  'services:\n  web:\n    image: app:${APP_VERSION}\nsecrets:\n  token:\n    environment: API_TOKEN\n'
const SECOND = 'secrets:\n  other:\n    environment: OTHER\n'

function plan(rewritten: string[]): SwarmPlan {
  return {
    stack: 'swarm-app',
    service: { name: 'web', image: 'app:1', healthcheck: 'image', networks: ['default'], ports: [] },
    files: ['deploy/first.yml', 'deploy/second.yml', 'deploy/third.yml'],
    texts: { 'deploy/first.yml': FIRST, 'deploy/second.yml': SECOND, 'deploy/third.yml': '' },
    variables: { APP_VERSION: '1' },
    cwd: '/work/space',
    override: { services: { web: { deploy: { replicas: 2 } } } },
    added: [],
    versioned: [
      {
        kind: 'secret',
        key: 'token',
        name: 'swarm-app_token_0123456789ab',
        prefix: 'swarm-app_token_',
        variable: 'API_TOKEN',
        value: 'v1'
      },
      {
        kind: 'secret',
        key: 'other',
        name: 'swarm-app_other_0123456789ab',
        prefix: 'swarm-app_other_',
        variable: 'OTHER',
        value: 'v2'
      }
    ],
    rewritten
  }
}

describe('writeStackFiles: what the docker CLI is handed', () => {
  it('the files as they are, and the generated one last', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-files-'))
    const stack = writeStackFiles(plan([]), dir)
    expect(stack).toEqual({
      files: [
        '/work/space/deploy/first.yml',
        '/work/space/deploy/second.yml',
        '/work/space/deploy/third.yml',
        path.join(dir, 'container-ship.yml')
      ],
      cwd: '/work/space'
    })
    expect(parse(readFileSync(path.join(dir, 'container-ship.yml'), 'utf8'))).toEqual({
      services: { web: { deploy: { replicas: 2 } } }
    })
    expect(statSync(path.join(dir, 'container-ship.yml')).mode & 0o777).toBe(0o600)
  })
  it('a rewritten first file on stdin, run from its folder; a rewritten other file as a private copy', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'stack-files-'))
    const stack = writeStackFiles(plan(['deploy/first.yml', 'deploy/second.yml']), dir)
    expect(stack.files).toEqual([
      '-',
      path.join(dir, 'compose-1.yml'),
      '/work/space/deploy/third.yml',
      path.join(dir, 'container-ship.yml')
    ])
    expect(stack.cwd).toBe('/work/space/deploy')
    expect(parse(stack.stdin ?? '')).toMatchObject({
      secrets: { token: { file: path.join(dir, 'secret-token'), name: 'swarm-app_token_0123456789ab' } }
    })
    expect(parse(readFileSync(path.join(dir, 'compose-1.yml'), 'utf8'))).toEqual({
      secrets: { other: { file: path.join(dir, 'secret-other'), name: 'swarm-app_other_0123456789ab' } }
    })
    expect(readFileSync(path.join(dir, 'secret-token'), 'utf8')).toBe('v1')
    expect(statSync(path.join(dir, 'secret-token')).mode & 0o777).toBe(0o600)
  })
})
