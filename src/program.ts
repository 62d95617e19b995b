// The one place that runs external programs. Always an argument array, never a shell string.
import { accessSync, constants } from 'node:fs'
import path from 'node:path'
import * as exec from '@actions/exec'

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
    readonly exitCode: number,
    readonly stdout: string,
    readonly stderr: string
  ) {
    const tail = lastLines(stderr.trim() || stdout.trim(), STDERR_TAIL_LINES)
    super(`\`${command}\` failed with exit code ${exitCode}${tail ? `:\n${tail}` : ''}`)
    this.name = 'ProgramError'
  }
}

export async function runProgram(
  program: string,
  args: string[],
  options: RunOptions = {}
): Promise<RunResult> {
  const result = await exec.getExecOutput(resolveProgram(program, options.env), args, {
    env: options.env ? definedOnly(options.env) : undefined,
    cwd: options.cwd,
    input: options.input === undefined ? undefined : Buffer.from(options.input),
    silent: options.quiet ?? false,
    ignoreReturnCode: true
  })
  if (result.exitCode !== 0 && !options.allowFailure) {
    throw new ProgramError(describeCommand(program, args), result.exitCode, result.stdout, result.stderr)
  }
  return result
}

/**
 * The program as found on the PATH of the environment it will run in (@actions/exec would look
 * on the action's own PATH); the bare name when it is not there, so exec reports it missing.
 */
function resolveProgram(program: string, env: NodeJS.ProcessEnv | undefined): string {
  // The same PATH as the action's: @actions/exec finds it itself, no second walk needed.
  if (!env?.PATH || env.PATH === process.env.PATH || program.includes('/')) return program
  for (const dir of env.PATH.split(path.delimiter)) {
    if (!dir) continue
    const candidate = path.join(dir, program)
    try {
      accessSync(candidate, constants.X_OK)
      return candidate
    } catch {
      // Not in this folder.
    }
  }
  return program
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

function definedOnly(env: NodeJS.ProcessEnv): Record<string, string> {
  const out: Record<string, string> = {}
  for (const [key, value] of Object.entries(env)) if (value !== undefined) out[key] = value
  return out
}
