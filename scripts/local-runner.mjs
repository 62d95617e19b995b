// Runs the bundled action the way the GitHub Actions runner does: `node dist/index.js`, then
// `node dist/post.js`, with inputs as INPUT_<NAME> (defaults from action.yml filled in), file
// commands through GITHUB_OUTPUT / GITHUB_STATE / GITHUB_STEP_SUMMARY, saved state handed to the
// post step as STATE_<name>, and RUNNER_TEMP outside the workspace. The end-to-end tests and the
// demo (scripts/demo.mjs) both run the action through it. Plain JavaScript, type-checked by tsc.
import { spawn } from 'node:child_process'
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { parse } from 'yaml'

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..')
/** @type {{ inputs: Record<string, { default?: string }> }} */
const ACTION = parse(readFileSync(path.join(REPO_ROOT, 'action.yml'), 'utf8'))
/** What `${{ github.token }}` evaluates to in these runs. */
export const FAKE_GITHUB_TOKEN = 'ghs_e2eFakeToken0123456789abcdefABCDEF'

/**
 * @typedef {object} RunSpec
 * @property {Record<string, string>} inputs  action.yml input names and values
 * @property {Record<string, string>} event  GITHUB_* variables of the event, GITHUB_EVENT_PATH among them
 * @property {string} workspace  GITHUB_WORKSPACE, the working folder of both steps
 * @property {Record<string, string>} [env]  extra environment, e.g. DOCKER_CONFIG for the user's own config
 * @property {{ when: (log: string) => boolean; then: () => void }} [meanwhile]  something to do to the
 *   world once the main step's log satisfies `when` (a fault: a connection cut, a registry stopped)
 * @property {(log: string) => boolean} [cancelWhen]  cancel the run as the runner does once the main
 *   step's log satisfies this: SIGINT, then SIGTERM 7.5 s later if it still runs; the post step
 *   runs after it as always
 */

/**
 * @typedef {object} ActionRun
 * @property {number} exitCode
 * @property {boolean} cancelled  the main step was cancelled (cancelWhen)
 * @property {string} log  everything the main step printed (stdout and stderr, interleaved)
 * @property {Record<string, string>} outputs
 * @property {string[]} masks  values the main step's output asked the runner to mask (::add-mask::)
 * @property {Record<string, string>} state
 * @property {string} summary
 * @property {{ exitCode: number; log: string }} post
 * @property {string} runnerTemp
 * @property {string} workspace
 * @property {string} everything  the text of every file command and log, for secret checks
 */

/**
 * @param {RunSpec} spec
 * @returns {Promise<ActionRun>}
 */
export async function runAction(spec) {
  const home = mkdtempSync(path.join(os.tmpdir(), 'runner-'))
  const runnerTemp = path.join(home, '_temp')
  const toolCache = path.join(home, '_tool')
  const files = path.join(home, '_runner_file_commands')
  mkdirSync(runnerTemp)
  mkdirSync(toolCache)
  mkdirSync(files)
  /** @param {string} step */
  const fileCommands = (step) => {
    /** @param {string} name */
    const file = (name) => {
      const target = path.join(files, `${name}_${step}`)
      writeFileSync(target, '')
      return target
    }
    return {
      GITHUB_OUTPUT: file('output'),
      GITHUB_STATE: file('state'),
      GITHUB_STEP_SUMMARY: file('summary'),
      GITHUB_ENV: file('env')
    }
  }
  /** @type {Record<string, string>} */
  const base = {
    PATH: process.env.PATH ?? '/usr/bin:/bin',
    HOME: process.env.HOME ?? '/root',
    ...spec.event,
    ...inputEnv(spec.inputs),
    GITHUB_ACTIONS: 'true',
    CI: 'true',
    GITHUB_WORKSPACE: spec.workspace,
    RUNNER_TEMP: runnerTemp,
    RUNNER_TOOL_CACHE: toolCache,
    RUNNER_OS: 'Linux',
    ...spec.env
  }

  const mainFiles = fileCommands('main')
  const main = await runNode(
    path.join(REPO_ROOT, 'dist/index.js'),
    spec.workspace,
    { ...base, ...mainFiles },
    spec.cancelWhen,
    spec.meanwhile
  )
  // As the runner: the commands a step printed take effect as they come, its file commands when
  // it ends (so a file command wins over a printed one of the same name).
  const printed = stdoutCommands(main.log)
  const state = { ...printed.state, ...parseFileCommands(readFileSync(mainFiles.GITHUB_STATE, 'utf8')) }
  const stateEnv = Object.fromEntries(Object.entries(state).map(([name, value]) => [`STATE_${name}`, value]))
  const post = await runNode(path.join(REPO_ROOT, 'dist/post.js'), spec.workspace, {
    ...base,
    ...stateEnv,
    ...fileCommands('post')
  })
  const texts = [main.log, post.log, ...Object.values(mainFiles).map((f) => readFileSync(f, 'utf8'))]
  return {
    exitCode: main.exitCode,
    cancelled: main.cancelled ?? false,
    log: main.log,
    outputs: { ...printed.outputs, ...parseFileCommands(readFileSync(mainFiles.GITHUB_OUTPUT, 'utf8')) },
    masks: printed.masks,
    state,
    summary: readFileSync(mainFiles.GITHUB_STEP_SUMMARY, 'utf8'),
    post,
    runnerTemp,
    workspace: spec.workspace,
    everything: texts.join('\n')
  }
}

/**
 * INPUT_<NAME> as the runner names them, every action.yml input present with its default.
 * @param {Record<string, string>} given
 * @returns {Record<string, string>}
 */
export function inputEnv(given) {
  for (const name of Object.keys(given)) {
    if (!(name in ACTION.inputs)) throw new Error(`action.yml declares no input "${name}"`)
  }
  /** @type {Record<string, string>} */
  const env = {}
  for (const [name, declared] of Object.entries(ACTION.inputs)) {
    let value = given[name] ?? declared.default ?? ''
    if (value === '${{ github.token }}') value = FAKE_GITHUB_TOKEN
    env[`INPUT_${name.replace(/ /g, '_').toUpperCase()}`] = value
  }
  return env
}

/**
 * Reads `name=value` and `name<<DELIMITER ... DELIMITER` file commands.
 * @param {string} text
 * @returns {Record<string, string>}
 */
export function parseFileCommands(text) {
  /** @type {Record<string, string>} */
  const values = {}
  const lines = text.split('\n')
  for (let i = 0; i < lines.length; i++) {
    const line = /** @type {string} */ (lines[i])
    const heredoc = /^([^=<]+)<<(.+)$/.exec(line)
    if (heredoc) {
      const [, name, delimiter] = /** @type {[string, string, string]} */ (/** @type {unknown} */ (heredoc))
      const body = []
      for (i++; i < lines.length && lines[i] !== delimiter; i++) body.push(lines[i])
      values[name] = body.join('\n')
    } else if (line.includes('=')) {
      values[line.slice(0, line.indexOf('='))] = line.slice(line.indexOf('=') + 1)
    }
  }
  return values
}

/** Commands the runner registers (ActionCommandManager and its extensions). */
const RUNNER_COMMANDS = [
  'set-env',
  'set-output',
  'save-state',
  'add-mask',
  'add-path',
  'debug',
  'warning',
  'error',
  'notice',
  'group',
  'endgroup',
  'echo',
  'add-matcher',
  'remove-matcher'
]

/**
 * The workflow commands in a step's output, read as the runner reads them (actions/runner
 * ActionCommandManager and ActionCommand): line by line (it splits at \r too); `::name
 * k=v,...::data` after leading blanks, else `##[name k=v;...]data` anywhere in the line; names
 * compared without case; `::stop-commands::TOKEN` pauses all processing until `::TOKEN::`.
 * Returns what the stdout commands that write values did: outputs, saved state, masks.
 * @param {string} log
 */
export function stdoutCommands(log) {
  /** @type {Record<string, string>} */
  const outputs = {}
  /** @type {Record<string, string>} */
  const state = {}
  /** @type {string[]} */
  const masks = []
  /** @type {string | undefined} */
  let stopToken
  for (const line of log.split(/\r\n|\r|\n/)) {
    const registered = stopToken === undefined ? [...RUNNER_COMMANDS, 'stop-commands'] : [stopToken]
    const command = parseCommand(line, registered)
    if (!command) continue
    if (stopToken !== undefined) {
      stopToken = undefined
      continue
    }
    const name = command.name.toLowerCase()
    if (name === 'stop-commands') stopToken = command.data.toLowerCase()
    else if (name === 'set-output' && command.properties.name) outputs[command.properties.name] = command.data
    else if (name === 'save-state' && command.properties.name) state[command.properties.name] = command.data
    else if (name === 'add-mask' && command.data.trim()) masks.push(command.data)
  }
  return { outputs, state, masks }
}

/**
 * @param {string} line
 * @param {string[]} registered
 * @returns {{ name: string; properties: Record<string, string>; data: string } | undefined}
 */
function parseCommand(line, registered) {
  const known = (/** @type {string} */ name) => registered.some((r) => r.toLowerCase() === name.toLowerCase())
  const unescape = (/** @type {string} */ text) =>
    text
      .replace(/%0D/g, '\r')
      .replace(/%0A/g, '\n')
      .replace(/%3A/g, ':')
      .replace(/%2C/g, ',')
      .replace(/%25/g, '%')
  const trimmed = line.trimStart()
  if (trimmed.startsWith('::')) {
    const end = trimmed.indexOf('::', 2)
    if (end >= 0) {
      const info = trimmed.slice(2, end)
      const space = info.indexOf(' ')
      const name = space < 0 ? info : info.slice(0, space)
      if (known(name)) {
        /** @type {Record<string, string>} */
        const properties = {}
        if (space > 0) {
          for (const pair of info
            .slice(space + 1)
            .trim()
            .split(',')) {
            const eq = pair.indexOf('=')
            if (eq > 0) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1))
          }
        }
        return { name, properties, data: unescape(trimmed.slice(end + 2)) }
      }
    }
  }
  const prefix = line.indexOf('##[')
  const bracket = prefix < 0 ? -1 : line.indexOf(']', prefix)
  if (bracket < 0) return undefined
  const info = line.slice(prefix + 3, bracket)
  const space = info.indexOf(' ')
  const name = space < 0 ? info : info.slice(0, space)
  if (!known(name)) return undefined
  /** @type {Record<string, string>} */
  const properties = {}
  if (space > 0) {
    for (const pair of info.slice(space + 1).split(';')) {
      const eq = pair.indexOf('=')
      if (eq > 0) properties[pair.slice(0, eq)] = unescape(pair.slice(eq + 1))
    }
  }
  return { name, properties, data: unescape(line.slice(bracket + 1)) }
}

/**
 * The log as a viewer sees it: the runner hides `::add-mask::` command lines.
 * @param {string} text
 */
export function visibleText(text) {
  return text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')
}

/**
 * @param {string} script
 * @param {string} cwd
 * @param {Record<string, string>} env
 * @param {(log: string) => boolean} [cancelWhen]
 * @param {{ when: (log: string) => boolean; then: () => void }} [meanwhile]
 * @returns {Promise<{ exitCode: number; log: string; cancelled?: boolean }>}
 */
function runNode(script, cwd, env, cancelWhen, meanwhile) {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [script], { cwd, env, stdio: ['ignore', 'pipe', 'pipe'] })
    let log = ''
    let cancelled = false
    let faulted = false
    /** @type {NodeJS.Timeout | undefined} */
    let terminate
    /** @param {Buffer} chunk */
    const take = (chunk) => {
      log += chunk.toString()
      if (meanwhile && !faulted && meanwhile.when(log)) {
        faulted = true
        meanwhile.then()
      }
      if (cancelWhen && !cancelled && cancelWhen(log)) {
        cancelled = true
        child.kill('SIGINT')
        terminate = setTimeout(() => child.kill('SIGTERM'), 7500)
      }
    }
    child.stdout.on('data', take)
    child.stderr.on('data', take)
    child.on('error', reject)
    child.on('close', (code, signal) => {
      if (terminate) clearTimeout(terminate)
      resolve({ exitCode: code ?? (signal ? 128 + (signal === 'SIGINT' ? 2 : 15) : -1), log, cancelled })
    })
  })
}
