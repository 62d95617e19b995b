// Runs the bundled action the way the GitHub Actions runner does: `node dist/index.js`, then
// `node dist/post.js`, with inputs as INPUT_<NAME> (defaults from action.yml filled in), file
// commands through GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY, saved state handed to the
// post step as STATE_<name>, and RUNNER_TEMP outside the workspace.
import { spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../..')
const ACTION = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8')) as {
  inputs: Record<string, { default?: string }>
}
/** What `${{ github.token }}` evaluates to in these runs. */
export const FAKE_GITHUB_TOKEN = 'ghs_e2eFakeToken0123456789abcdefABCDEF'

export interface ActionRun {
  exitCode: number
  /** Everything the main step printed (stdout and stderr, interleaved). */
  log: string
  outputs: Record<string, string>
  state: Record<string, string>
  summary: string
  post: { exitCode: number; log: string }
  runnerTemp: string
  workspace: string
  /** The text of every file command and log, for secret checks. */
  everything: string
}

export interface RunSpec {
  inputs: Record<string, string>
  /** GITHUB_* variables of the event (see __fixtures__/events.ts). */
  event: Record<string, string>
  workspace: string
  /** Extra environment, e.g. DOCKER_CONFIG for the user's own Docker config. */
  env?: Record<string, string>
}

export async function runAction(spec: RunSpec): Promise<ActionRun> {
  const home = mkdtempSync(path.join(os.tmpdir(), 'runner-'))
  const runnerTemp = path.join(home, '_temp')
  const files = path.join(home, '_runner_file_commands')
  mkdirSync(runnerTemp)
  mkdirSync(files)
  const file = (name: string): string => {
    const target = path.join(files, name)
    writeFileSync(target, '')
    return target
  }
  const mainFiles = {
    output: file('output_main'),
    state: file('state_main'),
    summary: file('summary_main'),
    env: file('env_main')
  }
  const base: Record<string, string> = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...spec.event,
    ...inputEnv(spec.inputs),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: spec.workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_OS: 'Linux',
    ...spec.env
  }

  const main = await runNode(path.join(REPO_ROOT, 'dist/index.js'), spec.workspace, {
    ...base,
    GITHUB_OUTPUT: mainFiles.output,
    GITHUB_STATE: mainFiles.state,
    GITHUB_STEP_SUMMARY: mainFiles.summary,
    GITHUB_ENV: mainFiles.env
  })
  const state = parseFileCommands(readFileSync(mainFiles.state, 'utf8'))
  const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]))
  const post = await runNode(path.join(REPO_ROOT, 'dist/post.js'), spec.workspace, {
    ...base,
    ...stateEnv,
    GITHUB_OUTPUT: file('output_post'),
    GITHUB_STATE: file('state_post'),
    GITHUB_STEP_SUMMARY: file('summary_post'),
    GITHUB_ENV: file('env_post')
  })
  const texts = [main.log, post.log, ...Object.values(mainFiles).map((f) => readFileSync(f, 'utf8'))]
  return {
    exitCode: main.exitCode,
    log: main.log,
    outputs: parseFileCommands(readFileSync(mainFiles.output, 'utf8')),
    state,
    summary: readFileSync(mainFiles.summary, 'utf8'),
    post,
    runnerTemp,
    workspace: spec.workspace,
    everything: texts.join('\n')
  }
}

/** INPUT_<NAME> as the runner names them, every action.yml input present with its default. */
export function inputEnv(given: Record<string, string>): Record<string, string> {
  for (const name of Object.keys(given)) {
    if (!(name in ACTION.inputs)) throw new Error(`action.yml declares no input "${name}"`)
  }
  const env: Record<string, string> = {}
  for (const [name, declared] of Object.entries(ACTION.inputs)) {
    let value = given[name] ?? declared.default ?? ''
    if (value === '${{ github.token }}') value = FAKE_GITHUB_TOKEN
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  return env
}

/** Reads `name=value` and `name<<DELIMITER ... DELIMITER` file commands. */
export function parseFileCommands(text: string): Record<string, string> {
  const values: Record<string, string> = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i] as string
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = heredoc as unknown as [string, string, string]
      const body: string[] = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i] as string)
      values[name] = body.join('\n')
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

function runNode(
  script: string,
  cwd: string,
  env: Record<string, string>
): Promise<{ exitCode: number; log: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    child.stdout.on('data', (chunk: Buffer) => (log += chunk.toString()))
    child.stderr.on('data', (chunk: Buffer) => (log += chunk.toString()))
    child.on('error', reject)
    child.on('close', (code) => resolve({ exitCode: code ?? -1, log }))
  })
}

/** The log as a viewer sees it: the runner hides `::add-mask::` command lines. */
export function visibleText(text: string): string {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

export interface Testbed {
  registry: string
  username: string
  password: string
  baseImage: string
  trivy: string
}

/** The test bed scripts/testbed.sh set up; fails (never skips) when it is not there. */
export function testbed(): Testbed {
  const envFile = path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env')
  if (!existsSync(envFile)) {
    throw new Error(
      `${envFile} is missing: run "bash scripts/testbed.sh" as root first (it starts dockerd and the registry)`
    )
  }
  const values = parseFileCommands(readFileSync(envFile, 'utf8'))
  return {
    registry: values.TESTBED_REGISTRY as string,
    username: values.TESTBED_REGISTRY_USER as string,
    password: readFileSync(values.TESTBED_REGISTRY_PASSWORD_FILE as string, 'utf8').trim(),
    baseImage: values.TESTBED_BASE_IMAGE as string,
    trivy: values.TESTBED_TRIVY as string
  }
}

/** A workspace folder holding the given files (path -> content). */
export function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workspace-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}
