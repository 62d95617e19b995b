// The signing's private folder: 0700, files 0600, saved for the post step, which removes it
// (and only folders named as the action names them) when the main step never got to.
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { post } from '../../../src/run/post.js'
import { savedForPost } from '../../../src/run/saved-for-post.js'
import { pemFile, privateFolder, withPrivateFolder } from '../../../src/sign/private-folder.js'

let temp: string
const savedState = process.env.GITHUB_STATE

beforeAll(() => {
  temp = mkdtempSync(path.join(os.tmpdir(), 'sign-folder-'))
  process.env.GITHUB_STATE = path.join(temp, 'state')
  writeFileSync(process.env.GITHUB_STATE, '')
})

afterAll(() => {
  if (savedState === undefined) delete process.env.GITHUB_STATE
  else process.env.GITHUB_STATE = savedState
  rmSync(temp, { recursive: true, force: true })
})

describe('privateFolder', () => {
  it('is private, its files too, and is removed after the work, also when it fails', async () => {
    let seen = ''
    await expect(
      withPrivateFolder(temp, async (folder) => {
        seen = folder.dir
        const file = folder.write('cosign.key', 'secret')
        expect(path.basename(folder.dir)).toMatch(/^container-ship-sign-\w{6}$/)
        expect(statSync(folder.dir).mode & 0o777).toBe(0o700)
        expect(statSync(file).mode & 0o777).toBe(0o600)
        throw new Error('cosign failed')
      })
    ).rejects.toThrow('cosign failed')
    expect(existsSync(seen)).toBe(false)
  })

  it('is saved for the post step, which removes a folder left behind', async () => {
    const left = privateFolder(temp)
    left.write('identity-token', 'a.b.c')
    expect(JSON.parse(savedForPost('work-dirs'))).toContain(left.dir)
    // A folder named otherwise, listed in the state by anyone, stays.
    const stranger = path.join(temp, 'not-ours')
    mkdirSync(stranger)
    const write = jest.spyOn(process.stdout, 'write').mockImplementation(() => true)
    try {
      await post([], {
        RUNNER_TEMP: temp,
        ['STATE_work-dirs']: JSON.stringify([left.dir, stranger])
      })
    } finally {
      write.mockRestore()
    }
    expect(existsSync(left.dir)).toBe(false)
    expect(existsSync(stranger)).toBe(true)
  })

  it('writes PEM as tools read it', () => {
    expect(pemFile('\r\n-----BEGIN PUBLIC KEY-----\r\nAAAA\r\n-----END PUBLIC KEY-----')).toBe(
      '-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n'
    )
  })
})
