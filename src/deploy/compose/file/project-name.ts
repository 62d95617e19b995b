// The Compose project name, and the engine's names of the project's networks: as compose-go's
// cli/options.go (withNamePrecedenceLoad) and loader/loader.go (projectName, NormalizeProjectName)
// settle them.
import path from 'node:path'
import { ComposeFileError, type ComposeModel } from './model.js'

/** compose-go's NormalizeProjectName: lowercase, keep [a-z0-9_-], drop leading _ and -. */
export function normalizeProjectName(name: string): string {
  return name
    .toLowerCase()
    .replace(/[^a-z0-9_-]/g, '')
    .replace(/^[_-]+/, '')
}

/**
 * The project name as Compose settles it: the compose-project input (`-p`), else a non-empty
 * COMPOSE_PROJECT_NAME in `env` (both must already be valid: Compose refuses, not normalises,
 * them), else the top-level `name:` of the files, else the folder of the first file (resolved
 * against `cwd`), both normalised.
 */
export function composeProjectName(
  model: ComposeModel,
  options: { composeProject?: string; env?: Record<string, string>; cwd?: string } = {}
): string {
  const imperative: [string, string | undefined][] = [
    ['compose-project', options.composeProject],
    ['env: COMPOSE_PROJECT_NAME', options.env?.COMPOSE_PROJECT_NAME]
  ]
  for (const [source, value] of imperative) {
    if (!value) continue
    if (normalizeProjectName(value) !== value) {
      throw new ComposeFileError([
        `${source}: "${value}" is not a Compose project name (lowercase letters, digits, _ and -, starting with a letter or digit)`
      ])
    }
    return value
  }
  if (model.name !== undefined) {
    const named = normalizeProjectName(model.name)
    if (named) return named
    throw new ComposeFileError([
      `compose-file: the name "${model.name}" leaves no valid project name; set compose-project`
    ])
  }
  const first = model.files[0] ?? '.'
  const folder = path.basename(path.dirname(path.resolve(options.cwd ?? process.cwd(), first)))
  const named = normalizeProjectName(folder)
  if (!named) {
    throw new ComposeFileError([
      `compose-file: the folder name "${folder}" leaves no valid project name; set compose-project or name: in the file`
    ])
  }
  return named
}

/** The engine's name of a service-level network key: `name:` if set, else external as is, else project_key. */
export function networkName(model: ComposeModel, project: string, key: string): string {
  const definition = model.networks[key]
  if (definition && typeof definition.name === 'string' && definition.name) return definition.name
  if (definition && (definition.external === true || definition.external === 'true')) return key
  return `${project}_${key}`
}
