// runProgram's time limit against real processes: a program past its limit is stopped (SIGTERM,
// then SIGKILL for one that ignores it) and fails naming the input that set the limit; one that
// finishes in time is untouched. Real processes because the point is that they are gone.
import { execFileSync } from 'node:child_process'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import { ProgramTimeoutError, runProgram } from '../../../src/program/program.js'

/** Processes whose command line holds `marker`, with their program names. */
function processesWith(marker: string): { pid: number; name: string }[] {
  let out = ''
  try {
    out = execFileSync('pgrep', ['-a', '-f', marker], { encoding: 'utf8' }).trim()
  } catch {
    return [] // pgrep exits 1 when nothing matches
  }
  return out
    .split('\n')
    .map((line) => line.split(' '))
    .map(([pid, name]) => ({ pid: Number(pid), name: path.basename(name ?? '') }))
}

/** A sleep of 300 s whose argument no other process has: how the test finds it again. */
function markedSleep(suffix: string): string {
  return `sleep 300.${process.pid}${suffix}`
}

describe('runProgram with a time limit', () => {
  it('returns the output of a program that finishes in time, as without a limit', async () => {
    const result = await runProgram('sh', ['-c', 'echo out; echo err >&2; exit 0'], {
      quiet: true,
      timeout: { ms: 5000, input: 'registry-timeout' }
    })
    expect(result).toEqual({ exitCode: 0, stdout: 'out\n', stderr: 'err\n' })
  })

  it('fails a program that exits non-zero in time as runProgram always does', async () => {
    await expect(
      runProgram('sh', ['-c', 'echo broken >&2; exit 3'], {
        quiet: true,
        timeout: { ms: 5000, input: 'registry-timeout' }
      })
    ).rejects.toThrow(/^`sh -c "echo broken >&2; exit 3"` failed with exit code 3:\nbroken$/)
  })

  it('hands standard input over, as docker login needs', async () => {
    const result = await runProgram('cat', [], {
      quiet: true,
      input: 'secret-on-stdin',
      timeout: { ms: 5000, input: 'registry-timeout' }
    })
    expect(result.stdout).toBe('secret-on-stdin')
  })

  it('stops a program past its limit and says which input set it, with what it printed', async () => {
    const sleep = markedSleep('1')
    const started = Date.now()
    const running = runProgram('sh', ['-c', `echo "pushing layer"; exec ${sleep}`], {
      quiet: true,
      timeout: { ms: 1000, input: 'registry-timeout' }
    }).catch((caught: unknown) => caught)
    await new Promise((resolve) => setTimeout(resolve, 500))
    expect(processesWith(sleep).map(({ name }) => name)).toEqual(['sleep']) // the test sees it
    const error = await running
    expect(error).toBeInstanceOf(ProgramTimeoutError)
    expect((error as Error).message).toBe(
      `\`sh -c "echo \\"pushing layer\\"; exec ${sleep}"\` timed out: it had not finished after 1 s (registry-timeout) and was stopped:\npushing layer`
    )
    expect(Date.now() - started).toBeLessThan(60_000) // it returned, long before sleep would end
    expect(processesWith(sleep)).toEqual([])
  })

  it('kills a program that ignores SIGTERM once the grace has passed', async () => {
    const sleep = markedSleep('2')
    // A shell that ignores SIGTERM while it waits for a child: the shell is what runProgram
    // started and must be gone; its child is orphaned with the output pipes, which must not
    // keep runProgram waiting.
    const error = await runProgram('sh', ['-c', `trap '' TERM; ${sleep}; echo after`], {
      quiet: true,
      timeout: { ms: 300, input: 'registry-timeout', killGraceMs: 300 }
    }).catch((caught: unknown) => caught)
    expect(error).toBeInstanceOf(ProgramTimeoutError)
    const left = processesWith(sleep)
    for (const { pid } of left) process.kill(pid, 'SIGKILL')
    expect(left.map(({ name }) => name)).toEqual(['sleep'])
  })
})
