import { execFileSync } from 'node:child_process'
import {
  existsSync,
  linkSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  realpathSync,
  statSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeEach, describe, expect, it } from '@jest/globals'
import { writeFileNoFollow, writeRefusal, writeRoots, type WriteRoot } from '../../../src/lib/safe-write.js'

let workspace: string
let runnerTemp: string
/** A folder outside both, where nothing may ever be written. */
let outside: string
let roots: WriteRoot[]

beforeEach(() => {
  const base = realpathSync(mkdtempSync(path.join(os.tmpdir(), 'safe-write-')))
  workspace = path.join(base, 'work')
  runnerTemp = path.join(base, '_temp')
  outside = path.join(base, 'outside')
  for (const dir of [workspace, runnerTemp, outside]) mkdirSync(dir)
  roots = writeRoots('/unused', { GITHUB_WORKSPACE: workspace, RUNNER_TEMP: runnerTemp })
})

/** Both checks on one path: the one getInputs makes, and writing it. */
function attempt(file: string): { refusal?: string; error?: string } {
  const refusal = writeRefusal(file, roots)
  try {
    writeFileNoFollow(file, 'new', roots)
    return { refusal }
  } catch (error) {
    return { refusal, error: (error as Error).message }
  }
}

describe('writeRoots', () => {
  it('is the workspace (GITHUB_WORKSPACE, else the working folder) and RUNNER_TEMP when set', () => {
    expect(writeRoots('/cwd', { GITHUB_WORKSPACE: '/w', RUNNER_TEMP: '/t' })).toEqual([
      { name: 'the workspace', dir: '/w' },
      { name: "the runner's temp folder", dir: '/t' }
    ])
    expect(writeRoots('/cwd', {})).toEqual([{ name: 'the workspace', dir: '/cwd' }])
  })
})

describe('writing a file where an input says', () => {
  it('writes a normal path in the workspace, making its folders, mode 0644', () => {
    const file = path.join(workspace, 'reports/deep/scan.sarif')
    expect(attempt(file)).toEqual({ refusal: undefined })
    expect(readFileSync(file, 'utf8')).toBe('new')
    expect(statSync(file).mode & 0o777).toBe(0o644 & ~process.umask())
  })

  it('replaces a file that is there, whole', () => {
    const file = path.join(workspace, 'scan.sarif')
    writeFileSync(file, 'an older and longer report')
    expect(attempt(file)).toEqual({ refusal: undefined })
    expect(readFileSync(file, 'utf8')).toBe('new')
  })

  it('writes in the runner`s temp folder', () => {
    const file = path.join(runnerTemp, 'scan/out.sarif')
    expect(attempt(file)).toEqual({ refusal: undefined })
    expect(readFileSync(file, 'utf8')).toBe('new')
  })

  it('refuses a file that is a link to a file outside, which stays as it was', () => {
    const target = path.join(outside, 'authorized_keys')
    writeFileSync(target, 'keep me')
    symlinkSync(target, path.join(workspace, 'scan.sarif'))
    const { refusal, error } = attempt(path.join(workspace, 'scan.sarif'))
    expect(refusal).toBe(
      `${path.join(workspace, 'scan.sarif')} is a symbolic link (to ${target}): files are never written through a link`
    )
    expect(error).toBe(refusal)
    expect(readFileSync(target, 'utf8')).toBe('keep me')
  })

  it('refuses a dangling link, creating nothing where it points', () => {
    symlinkSync(path.join(outside, 'new-file'), path.join(workspace, 'scan.sarif'))
    const { refusal, error } = attempt(path.join(workspace, 'scan.sarif'))
    expect(refusal).toMatch(/is a symbolic link/)
    expect(error).toMatch(/is a symbolic link/)
    expect(readdirSync(outside)).toEqual([])
  })

  it('refuses a path through a linked folder, writing nothing outside', () => {
    symlinkSync(outside, path.join(workspace, 'reports'))
    const { refusal, error } = attempt(path.join(workspace, 'reports/sub/scan.sarif'))
    expect(refusal).toBe(
      `${path.join(workspace, 'reports')} is a symbolic link (to ${outside}): files are never written through a link`
    )
    expect(error).toBe(refusal)
    expect(readdirSync(outside)).toEqual([])
  })

  it('refuses a path whose .. leads out of the workspace', () => {
    const file = path.resolve(workspace, 'reports/../../outside/scan.sarif')
    const { refusal, error } = attempt(file)
    expect(refusal).toBe(
      `${file} is outside the workspace (${workspace}) and the runner's temp folder (${runnerTemp})`
    )
    expect(error).toBe(refusal)
    expect(readdirSync(outside)).toEqual([])
  })

  it('refuses an absolute path elsewhere, and the workspace folder itself', () => {
    expect(attempt(path.join(outside, 'scan.sarif')).refusal).toMatch(/ is outside the workspace /)
    expect(attempt(path.join(outside, 'scan.sarif')).error).toMatch(/ is outside the workspace /)
    expect(attempt(workspace).refusal).toMatch(/ is outside the workspace /)
    expect(readdirSync(outside)).toEqual([])
  })

  it('refuses a hard link to a file outside, which stays as it was', () => {
    const target = path.join(outside, 'config')
    writeFileSync(target, 'keep me')
    linkSync(target, path.join(workspace, 'scan.sarif'))
    expect(attempt(path.join(workspace, 'scan.sarif')).error).toMatch(/has other hard links/)
    expect(readFileSync(target, 'utf8')).toBe('keep me')
  })

  it('refuses a FIFO at once instead of waiting for a reader', () => {
    execFileSync('mkfifo', [path.join(workspace, 'scan.sarif')])
    expect(attempt(path.join(workspace, 'scan.sarif')).error).toMatch(/is not a regular file/)
  })

  it('refuses a link that appears after the check, when writing', () => {
    const file = path.join(workspace, 'reports/scan.sarif')
    expect(writeRefusal(file, roots)).toBeUndefined()
    symlinkSync(outside, path.join(workspace, 'reports'))
    expect(() => writeFileNoFollow(file, 'new', roots)).toThrow(/reports is a symbolic link/)
    expect(readdirSync(outside)).toEqual([])

    const direct = path.join(workspace, 'direct.sarif')
    expect(writeRefusal(direct, roots)).toBeUndefined()
    symlinkSync(path.join(outside, 'x'), direct)
    expect(() => writeFileNoFollow(direct, 'new', roots)).toThrow(/direct\.sarif is a symbolic link/)
    expect(existsSync(path.join(outside, 'x'))).toBe(false)
  })

  it('takes a workspace that is itself reached through a link as the runner gave it', () => {
    const linked = path.join(path.dirname(workspace), 'work-link')
    symlinkSync(workspace, linked)
    const through = writeRoots('/unused', { GITHUB_WORKSPACE: linked })
    for (const file of [path.join(linked, 'a.sarif'), path.join(workspace, 'b.sarif')]) {
      expect(writeRefusal(file, through)).toBeUndefined()
      writeFileNoFollow(file, 'new', through)
    }
    expect(readdirSync(workspace).sort()).toEqual(['a.sarif', 'b.sarif'])
  })
})
