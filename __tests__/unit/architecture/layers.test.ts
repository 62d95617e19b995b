// The shape of src/ as docs/architecture.md's Layout section tells it, read from the code's own imports:
// a folder per capability, shared plumbing that never reaches up into a step, a core (run/)
// that knows the Step contract and no concrete step, and no import circle.
import { readdirSync, readFileSync, statSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'

const SRC = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../../src')
/** Folders every step may use, and which use no step. */
const SHARED = ['run', 'inputs', 'release', 'registry', 'docker', 'program', 'github', 'lib', 'oci', 'sign']
/** One folder per step. */
const STEPS = ['build', 'scan', 'push', 'deploy']

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const full = path.join(dir, name)
    return statSync(full).isDirectory() ? sources(full) : name.endsWith('.ts') ? [full] : []
  })
}

/** Every relative module a file imports (static, type-only and dynamic), as paths under src/. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8')
  const specifiers = [...text.matchAll(/(?:from|import\()\s*'(\.{1,2}\/[^']+)'/g)].map(
    (match) => match[1] as string
  )
  return specifiers.map((specifier) =>
    path.relative(SRC, path.resolve(path.dirname(file), specifier)).replace(/\.js$/, '.ts')
  )
}

const graph = new Map(sources(SRC).map((file) => [path.relative(SRC, file), importsOf(file)]))
const folderOf = (file: string): string => file.split('/')[0] as string

describe('src/', () => {
  it('holds only the folders and the two entries', () => {
    const top = [...graph.keys()].filter((file) => !file.includes('/'))
    expect(top.sort()).toEqual(['index.ts', 'post.ts'])
  })

  it('has every import resolve to a file of src/', () => {
    const missing = [...graph].flatMap(([file, imports]) =>
      imports.filter((target) => !graph.has(target)).map((target) => `${file} -> ${target}`)
    )
    expect(missing).toEqual([])
  })

  it('has no shared module importing a step, the pipeline or an entry', () => {
    const upward = [...graph].flatMap(([file, imports]) =>
      SHARED.includes(folderOf(file))
        ? imports
            .filter((target) => !SHARED.includes(folderOf(target)))
            .map((target) => `${file} -> ${target}`)
        : []
    )
    expect(upward).toEqual([])
  })

  it('has no step importing the pipeline or an entry', () => {
    const upward = [...graph].flatMap(([file, imports]) =>
      STEPS.includes(folderOf(file))
        ? imports
            .filter((target) => !SHARED.includes(folderOf(target)) && !STEPS.includes(folderOf(target)))
            .map((target) => `${file} -> ${target}`)
        : []
    )
    expect(upward).toEqual([])
  })

  it('has no import circle', () => {
    const circles: string[] = []
    const state = new Map<string, 'open' | 'done'>()
    const visit = (file: string, trail: string[]): void => {
      if (state.get(file) === 'done') return
      if (state.get(file) === 'open') {
        circles.push([...trail.slice(trail.indexOf(file)), file].join(' -> '))
        return
      }
      state.set(file, 'open')
      for (const target of graph.get(file) ?? []) visit(target, [...trail, file])
      state.set(file, 'done')
    }
    for (const file of graph.keys()) visit(file, [])
    expect(circles).toEqual([])
  })
})
