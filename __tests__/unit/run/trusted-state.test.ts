import { chmodSync, mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { checkedRollout } from '../../../src/deploy/compose/recovery.js'
import { checkedLockName, checkedPid } from '../../../src/deploy/saved-state.js'
import { ownFolder, ownSocketFolder, UntrustedStateError } from '../../../src/run/trusted-state.js'

const uid = process.getuid?.() ?? 0

function runnerTemp(): string {
  return mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
}

describe('ownFolder', () => {
  it("takes a folder the action made in the runner's temp folder, or one already gone", () => {
    const temp = runnerTemp()
    const dir = mkdtempSync(path.join(temp, 'container-ship-docker-'))
    expect(ownFolder('docker-config', dir, temp, 'docker', uid)).toBe(dir)
    expect(
      ownFolder('docker-config', path.join(temp, 'container-ship-docker-AbC123'), temp, 'docker', uid)
    ).toBe(path.join(temp, 'container-ship-docker-AbC123'))
    expect(ownFolder('docker-config', '', temp, 'docker', uid)).toBeUndefined()
  })

  it('refuses folders outside it, of another name or kind, relative, links, files, or of another user', () => {
    const temp = runnerTemp()
    const outside = mkdtempSync(path.join(os.tmpdir(), 'container-ship-docker-'))
    const link = path.join(temp, 'container-ship-docker-Link00')
    symlinkSync(outside, link)
    const file = path.join(temp, 'container-ship-build-File00')
    writeFileSync(file, '')
    const mine = mkdtempSync(path.join(temp, 'container-ship-docker-'))
    const refused: [string, string, RegExp][] = [
      [outside, 'docker', /not in the runner's temp folder/],
      [path.join(temp, '..', path.basename(outside)), 'docker', /not in the runner's temp folder/],
      [`${temp}/container-ship-docker-abc123/../../etc`, 'docker', /not named/],
      [path.join(temp, 'home'), 'docker', /not named/],
      [path.join(temp, 'container-ship-docker-toolong1'), 'docker', /not named/],
      [mine, 'remote', /not named/],
      ['container-ship-docker-abc123', 'docker', /not an absolute path/],
      [link, 'docker', /not a folder/],
      [file, 'build', /not a folder/]
    ]
    for (const [text, kind, reason] of refused) {
      expect(() => ownFolder('docker-config', text, temp, kind as 'docker', uid)).toThrow(UntrustedStateError)
      expect(() => ownFolder('docker-config', text, temp, kind as 'docker', uid)).toThrow(reason)
    }
    expect(() => ownFolder('docker-config', mine, temp, 'docker', uid + 1)).toThrow(/belongs to user/)
  })
})

describe('ownSocketFolder', () => {
  it('takes only a private /tmp/cs-ssh-XXXXXX folder of this user', () => {
    const dir = mkdtempSync('/tmp/cs-ssh-')
    chmodSync(dir, 0o700)
    expect(ownSocketFolder('deploy-access', dir, uid)).toBe(dir)
    chmodSync(dir, 0o755)
    expect(() => ownSocketFolder('deploy-access', dir, uid)).toThrow(/open to other users/)
    expect(() => ownSocketFolder('deploy-access', '/home', uid)).toThrow(/not the action's socket folder/)
    expect(() => ownSocketFolder('deploy-access', '/tmp/cs-ssh-abc123/../../etc', uid)).toThrow(
      /not the action's socket folder/
    )
    expect(ownSocketFolder('deploy-access', '', uid)).toBeUndefined()
  })
})

describe('checkedLockName', () => {
  it("takes the action's lock name of a Compose project only", () => {
    expect(checkedLockName('container-ship-lock-shop_web-1')).toBe('container-ship-lock-shop_web-1')
    expect(checkedLockName('')).toBeUndefined()
    for (const name of [
      'production-db',
      'container-ship-lock-',
      'container-ship-lock-Web',
      'container-ship-lock-a b'
    ])
      expect(() => checkedLockName(name)).toThrow(/not the name of a deploy lock/)
  })
})

describe('checkedRollout', () => {
  const id = 'a'.repeat(64)
  const state = { project: 'shop', service: 'web', old: [id], phase: 'scaling' }

  it('takes a rollout of the service input, without anything that runs', () => {
    const forged = {
      ...state,
      switchCommand: { service: 'proxy', command: 'sh -c x', args: ['sh', '-c', 'x'] }
    }
    expect(checkedRollout(JSON.stringify(forged), 'web')).toEqual(state)
    expect(checkedRollout('', 'web')).toBeUndefined()
  })

  it('refuses another service, a bad project, short or odd IDs, and what does not parse', () => {
    expect(() => checkedRollout(JSON.stringify(state), 'db')).toThrow(/service input is "db"/)
    expect(() => checkedRollout(JSON.stringify({ ...state, project: '../x' }), 'web')).toThrow(
      /Compose project/
    )
    expect(() => checkedRollout(JSON.stringify({ ...state, old: ['abc'] }), 'web')).toThrow(/container IDs/)
    expect(() => checkedRollout('{nope', 'web')).toThrow(UntrustedStateError)
  })
})

describe('checkedPid', () => {
  it('takes a plausible PID only', () => {
    expect(checkedPid(4242)).toBe(4242)
    for (const value of [1, 0, -5, 1.5, '4242', null]) expect(checkedPid(value)).toBeUndefined()
  })
})

describe('a gone folder', () => {
  it('is still checked by name and place', () => {
    const temp = runnerTemp()
    mkdirSync(path.join(temp, 'sub'))
    expect(() =>
      ownFolder('work-dirs', path.join(temp, 'sub', 'container-ship-build-abc123'), temp, 'build', uid)
    ).toThrow(/not in the runner's temp folder/)
  })
})
