// Loads a GitHub event fixture: a `.env` file of the variables the runner sets and the event
// payload JSON, as docker/metadata-action's tests keep them.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'

export const EVENTS_DIR = path.join(path.dirname(fileURLToPath(import.meta.url)), 'events')
export type EventFixture =
  'tag-push' | 'branch-push' | 'pull-request' | 'pull-request-review' | 'merge-group' | 'workflow-dispatch'

/** The runner's variables for the event, GITHUB_EVENT_PATH pointing at its payload. */
export function eventEnv(name: EventFixture, overrides: Record<string, string> = {}): Record<string, string> {
  const env: Record<string, string> = {}
  for (const line of readFileSync(path.join(EVENTS_DIR, `${name}.env`), 'utf8').split('\n')) {
    const equals = line.indexOf('=')
    if (equals > 0) env[line.slice(0, equals)] = line.slice(equals + 1)
  }
  env.GITHUB_EVENT_PATH = path.join(EVENTS_DIR, `${name}.json`)
  return { ...env, ...overrides }
}
