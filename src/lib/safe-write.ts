// Files the action writes where an input says (sarif-file) never follow a link. A workspace holds
// what the checkout and earlier steps put there, a pull request's files included: a
// `reports -> /home/runner/.ssh` link, or a `scan.sarif` linked to a file elsewhere, would
// otherwise have the action write outside the folders it was given. A path is accepted only
// inside the workspace (GITHUB_WORKSPACE, else the working folder) or the runner's temp folder
// (RUNNER_TEMP), with no symbolic link below that folder. getInputs checks what it can before
// anything runs; writing checks again, as a link can appear in between.
import {
  closeSync,
  constants,
  fstatSync,
  ftruncateSync,
  lstatSync,
  mkdirSync,
  openSync,
  readlinkSync,
  realpathSync,
  writeSync,
  type Stats
} from 'node:fs'
import path from 'node:path'

/** A folder the action may write in, and the name it goes by in messages. */
export interface WriteRoot {
  name: string
  dir: string
}

/** The workspace (GITHUB_WORKSPACE, else `cwd`) and, when set, the runner's temp folder. */
export function writeRoots(cwd: string = process.cwd(), env: NodeJS.ProcessEnv = process.env): WriteRoot[] {
  const roots = [{ name: 'the workspace', dir: path.resolve(env.GITHUB_WORKSPACE || cwd) }]
  if (env.RUNNER_TEMP) roots.push({ name: "the runner's temp folder", dir: path.resolve(env.RUNNER_TEMP) })
  return roots
}

/**
 * Why `file` (absolute) may not be written, or undefined: it is outside every root, or a folder
 * or the file below its root is a symbolic link (or not a folder). Missing parts are fine.
 */
export function writeRefusal(file: string, roots: WriteRoot[]): string | undefined {
  if (file.includes('\0')) return 'the path holds a NUL character'
  const place = placeOf(file, roots)
  if (typeof place === 'string') return place
  let current = place.root
  for (const part of place.parts) {
    current = path.join(current, part)
    const stats = lstatOrUndefined(current)
    if (!stats) return undefined
    const problem = refusalOf(current, stats, current === file)
    if (problem) return problem
  }
  return undefined
}

/**
 * Writes `text` to `file` (absolute), refusing what writeRefusal refuses at the time of writing:
 * missing folders are made one at a time, each checked, and the file is opened without following
 * a link (O_NOFOLLOW), so a link made after the check is refused too. Only a regular file with
 * no other hard link is truncated and written. Throws with the reason.
 */
export function writeFileNoFollow(file: string, text: string, roots: WriteRoot[]): void {
  const place = placeOf(file, roots)
  if (typeof place === 'string') throw new Error(place)
  let current = place.root
  for (const part of place.parts.slice(0, -1)) {
    current = path.join(current, part)
    makeFolder(current)
  }
  let fd: number
  try {
    // No O_TRUNC here: the file is checked first. O_NONBLOCK: a FIFO planted there fails at once
    // instead of holding the step.
    fd = openSync(
      file,
      constants.O_WRONLY | constants.O_CREAT | constants.O_NOFOLLOW | constants.O_NONBLOCK,
      0o644
    )
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ELOOP') throw new Error(refusalOf(file, lstatSync(file), true) ?? `${file} is a link`)
    if (code === 'ENXIO') throw new Error(`${file} is not a regular file`)
    throw error
  }
  try {
    const problem = refusalOf(file, fstatSync(fd), true)
    if (problem) throw new Error(problem)
    ftruncateSync(fd, 0)
    writeSync(fd, text)
  } finally {
    closeSync(fd)
  }
}

type Place = { root: string; parts: string[] } | string

/** The root `file` is inside (the deepest, when they nest) and the names below it. */
function placeOf(file: string, roots: WriteRoot[]): Place {
  let best: { root: string; parts: string[] } | undefined
  for (const { dir } of roots) {
    // The root's own path is the runner's, trusted as it is, also through its real path (/tmp
    // may be a link on some machines).
    for (const root of new Set([dir, realpathOrSelf(dir)])) {
      const relative = path.relative(root, file)
      if (relative === '' || relative.startsWith('..') || path.isAbsolute(relative)) continue
      const parts = relative.split(path.sep)
      if (!best || parts.length < best.parts.length) best = { root, parts }
    }
  }
  if (best) return best
  return `${file} is outside ${roots.map(({ name, dir }) => `${name} (${dir})`).join(' and ')}`
}

function refusalOf(where: string, stats: Stats, isFile: boolean): string | undefined {
  if (stats.isSymbolicLink()) {
    return `${where} is a symbolic link (to ${readlinkOrUnknown(where)}): files are never written through a link`
  }
  if (!isFile && !stats.isDirectory()) return `${where} is not a folder`
  if (isFile && stats.isDirectory()) return `${where} is a folder`
  if (isFile && !stats.isFile()) return `${where} is not a regular file`
  if (isFile && stats.nlink > 1) return `${where} has other hard links: writing it would change them too`
  return undefined
}

function makeFolder(dir: string): void {
  try {
    mkdirSync(dir)
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error
  }
  const problem = refusalOf(dir, lstatSync(dir), false)
  if (problem) throw new Error(problem)
}

function lstatOrUndefined(target: string): Stats | undefined {
  try {
    return lstatSync(target)
  } catch (error) {
    const code = (error as NodeJS.ErrnoException).code
    if (code === 'ENOENT') return undefined
    throw new Error(`${target} cannot be looked at (${code ?? (error as Error).message})`)
  }
}

function realpathOrSelf(dir: string): string {
  try {
    return realpathSync(dir)
  } catch {
    return dir
  }
}

function readlinkOrUnknown(link: string): string {
  try {
    return readlinkSync(link)
  } catch {
    return 'somewhere'
  }
}
