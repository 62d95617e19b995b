// The one place that runs external programs. Always an argument array, never a shell string.
import { spawn } from 'node:child_process'
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import * as exec from '@actions/exec'
import { UntrustedOutput } from './untrusted-output.js'

export interface RunOptions {
  /** Environment of the program; the action's own environment when omitted. */
  env?: NodeJS.ProcessEnv
  cwd?: string
  /** Written to the program's standard input (how secrets reach `docker login`). */
  input?: string
  /** Keep the program's output out of the log (it is still captured and returned). */
  quiet?: boolean
  /** Return instead of throwing for a non-zero exit code. */
  allowFailure?: boolean
  /**
   * Stop the program (SIGTERM, SIGKILL 10 s later) when it has not finished within `ms`; it then
   * fails with a ProgramTimeoutError naming `input`, the input that sets the limit.
   */
  timeout?: ProgramTimeout
}

export interface ProgramTimeout {
  ms: number
  /** The input that sets the limit, for the message. */
  input: string
  /** After SIGTERM, how long the program has to exit before SIGKILL; KILL_GRACE_MS by default. */
  killGraceMs?: number
}

export interface RunResult {
  exitCode: number
  stdout: string
  stderr: string
}

const STDERR_TAIL_LINES = 15

/** A program that exited non-zero: says what was run and the end of what it printed. */
export class ProgramError extends Error {
  constructor(
    readonly command: string,
    readonly exitCode: number | null,
    readonly stdout: string,
    readonly stderr: string,
    // A program killed by a signal has no exit code (null from @actions/exec).
    how = exitCode === null ? 'was killed by a signal' : `failed with exit code ${exitCode}`
  ) {
    const tail = lastLines(stderr.trim() || stdout.trim(), STDERR_TAIL_LINES)
    super(`\`${command}\` ${how}${tail ? `:\n${tail}` : ''}`)
    this.name = 'ProgramError'
  }
}

/** A program stopped because it ran past its time limit. */
export class ProgramTimeoutError extends ProgramError {
  /** Why, in one line (the output's last line is only where the program had got to). */
  readonly reason: string

  constructor(command: string, stdout: string, stderr: string, timeout: ProgramTimeout) {
    const reason = `it had not finished after ${seconds(timeout.ms)} (${timeout.input}) and was stopped`
    super(command, null, stdout, stderr, `timed out: ${reason}`)
    this.reason = reason
    this.name = 'ProgramTimeoutError'
  }
}

function seconds(ms: number): string {
  return `${Math.round(ms / 100) / 10} s`
}

/** After SIGTERM, how long a program has to exit before SIGKILL. */
export const KILL_GRACE_MS = 10_000

export async function runProgram(
  program: string,
  args: string[],
  options: RunOptions = {}
): Promise<RunResult> {
  if (options.timeout) return runWithTimeout(program, args, options, options.timeout)
  // The echoed command line and everything the program prints (exec sends both of its streams
  // there) reach the log with workflow commands made inert.
  const log = new UntrustedOutput()
  const result = await exec
    .getExecOutput(resolveProgram(program, options.env), args, {
      env: options.env ? definedOnly(options.env) : undefined,
      cwd: options.cwd,
      input: options.input === undefined ? undefined : Buffer.from(options.input),
      silent: options.quiet ?? false,
      ignoreReturnCode: true,
      outStream: log,
      errStream: log
    })
    .finally(() => log.flush())
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new ProgramError(describeCommand(program, args), result.exitCode, result.stdout, result.stderr)
  }
  return result
}

/**
 * runProgram for a program that may hang (a transfer to a registry that stopped answering):
 * @actions/exec cannot stop what it started, so this spawns it itself, echoing and streaming its
 * output the same way.
 */
async function runWithTimeout(
  program: string,
  args: string[],
  options: RunOptions,
  timeout: ProgramTimeout
): Promise<RunResult> {
  const resolved = resolveProgram(program, options.env)
  const quiet = options.quiet ?? false
  // As exec does it: the command line and both streams to one log, commands made inert.
  const log = new UntrustedOutput()
  if (!quiet) log.take(`[command]${[resolved, ...args].join(' ')}\n`)
  const child = spawn(resolved, args, {
    env: options.env ? definedOnly(options.env) : undefined,
    cwd: options.cwd,
    stdio: [options.input === undefined ? 'ignore' : 'pipe', 'pipe', 'pipe']
  })
  let stdout = ''
  let stderr = ''
  child.stdout?.setEncoding('utf8').on('data', (chunk: string) => {
    stdout += chunk
    if (!quiet) log.take(chunk)
  })
  child.stderr?.setEncoding('utf8').on('data', (chunk: string) => {
    stderr += chunk
    if (!quiet) log.take(chunk)
  })
  if (options.input !== undefined) child.stdin?.end(options.input)
  let timedOut = false
  let killTimer: NodeJS.Timeout | undefined
  const timer = setTimeout(() => {
    timedOut = true
    child.kill('SIGTERM')
    killTimer = setTimeout(() => child.kill('SIGKILL'), timeout.killGraceMs ?? KILL_GRACE_MS)
  }, timeout.ms)
  const exitCode = await new Promise<number | null>((resolve, reject) => {
    child.on('error', reject)
    child.on('close', (code) => resolve(code))
    // Stopped: its exit is enough (a child of its own may still hold the output pipes open).
    child.on('exit', (code) => {
      if (timedOut) resolve(code)
    })
  }).finally(() => {
    clearTimeout(timer)
    clearTimeout(killTimer)
    log.flush()
  })
  const command = describeCommand(program, args)
  if (timedOut) throw new ProgramTimeoutError(command, stdout, stderr, timeout)
  const result = { exitCode: exitCode ?? -1, stdout, stderr }
  if (exitCode !== 0 && !options.allowFailure) throw new ProgramError(command, exitCode, stdout, stderr)
  return result
}

/**
 * The program as found on the PATH of the environment it will run in (@actions/exec would look
 * on the action's own PATH); the bare name when it is not there, so exec reports it missing.
 */
function resolveProgram(program: string, env: NodeJS.ProcessEnv | undefined): string {
  // The same PATH as the action's: @actions/exec finds it itself, no second walk needed.
  if (!env?.PATH || env.PATH === process.env.PATH || program.includes('/')) return program
  return findProgram(program, env.PATH) ?? program
}

/** The executable `program` in the folders of `searchPath`, or undefined. */
export function findProgram(program: string, searchPath: string | undefined): string | undefined {
  for (const dir of (searchPath ?? '').split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this folder.
    }
  }
  return undefined
}

/** A readable one-line form of a command for messages (never executed). */
export function describeCommand(program: string, args: string[]): string {
  return [program, ...args]
    .map((part) => (/^[\w@%+=:,./-]+$/.test(part) ? part : JSON.stringify(part)))
    .join(' ')
}

function lastLines(text: string, count: number): string {
  return text.split('\n').slice(-count).join('\n')
}

/** The variables that have a value (NodeJS.ProcessEnv allows undefined ones). */
export function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}

/** A program left running, its output read line by line (e.g. `docker events`). */
export interface RunningProgram {
  /** Ends the program; resolves once it has exited. */
  stop(): Promise<void>
  /** Settles when the program exits on its own: its exit code and the end of its stderr. */
  exited: Promise<{ exitCode: number | null; stderr: string }>
}

/**
 * Starts a program that runs until stopped, calling `onLine` for each line of its standard
 * output. Its standard error is kept for the message when it exits early.
 */
export function startProgram(
  program: string,
  args: string[],
  options: { env?: NodeJS.ProcessEnv; onLine: (line: string) => void }
): RunningProgram {
  const child = spawn(resolveProgram(program, options.env), args, {
    env: options.env ? definedOnly(options.env) : undefined,
    stdio: ['ignore', 'pipe', 'pipe']
  })
  let stderr = ''
  let pending = ''
  child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
    pending += chunk
    const lines = pending.split('\n')
    pending = lines.pop() ?? ''
    for (const line of lines) if (line.trim()) options.onLine(line)
  })
  child.stderr.setEncoding('utf8').on('data', (chunk: string) => {
    stderr = (stderr + chunk).slice(-4000)
  })
  const exited = new Promise<{ exitCode: number | null; stderr: string }>((resolve) => {
    child.on('error', (error) => resolve({ exitCode: null, stderr: error.message }))
    child.on('close', (exitCode) =>
      resolve({ exitCode, stderr: lastLines(stderr.trim(), STDERR_TAIL_LINES) })
    )
  })
  return {
    exited,
    stop: async () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGTERM')
      await exited
    }
  }
}
