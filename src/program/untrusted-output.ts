// Text the action did not write itself (what a program prints, a container's logs) reaches the
// job log only through here, so that no line of it is taken as a workflow command. The runner
// reads every line of an action's output for commands: a line that starts with `::name ...::`
// (after leading blanks) or holds `##[name ...]` anywhere. A build whose RUN prints
// `::save-state name=...::` would otherwise write the post step's state, `::add-mask::` hide text,
// `::set-output` change an output.
//
// Such lines are wrapped in the runner's stop-commands token: `::stop-commands::<token>`, the
// line, `::<token>::`. The token is random for each run of the action, so nothing printed can
// end the pause early. Only the lines that the runner would parse are wrapped, each run of them
// in one pause: a pause over a whole program's run would also swallow the action's own
// annotations printed meanwhile by work going on beside it.
import { randomBytes } from 'node:crypto'
import { Writable } from 'node:stream'

/** Unguessable, and as the runner takes a command name (letters and digits). */
const STOP_TOKEN = `cs${randomBytes(16).toString('hex')}`

/**
 * Whether the runner would parse this line (or a part of it it splits off at a carriage
 * return) as a command of either syntax, registered or not.
 */
export function looksLikeCommand(line: string): boolean {
  return line.split('\r').some((part) => {
    const trimmed = part.trimStart()
    if (trimmed.startsWith('::') && trimmed.indexOf('::', 2) >= 0) return true
    const v1 = part.indexOf('##[')
    return v1 >= 0 && part.indexOf(']', v1) >= 0
  })
}

/** Lines as they are, with every run of command-like lines inside one stop-commands pause. */
export function neutralize(text: string, token: string = STOP_TOKEN): string {
  const lines = text.split('\n')
  const out: string[] = []
  let paused = false
  lines.forEach((line, index) => {
    // The last piece is what follows the final newline ('' when the text ends with one).
    const isTail = index === lines.length - 1
    const command = looksLikeCommand(line)
    if (command && !paused) {
      out.push(`::stop-commands::${token}`)
      paused = true
    } else if (!command && paused && !(isTail && line === '')) {
      out.push(`::${token}::`)
      paused = false
    }
    out.push(line)
  })
  if (paused) {
    // The resume must be a line of its own: end the text's last line first.
    if (out[out.length - 1] === '') out.pop()
    out.push(`::${token}::`, '')
  }
  return out.join('\n')
}

/** Prints text that came from a program or a container to the job log, commands made inert. */
export function printUntrusted(text: string, write: (text: string) => void = defaultWrite): void {
  if (text === '') return
  write(neutralize(text.endsWith('\n') ? text : `${text}\n`))
}

function defaultWrite(text: string): void {
  process.stdout.write(text)
}

/** Longest partial line held back waiting for its end (a progress line without a newline). */
const MAX_PENDING = 64 * 1024

/**
 * A program's output on its way to the job log: whole lines are neutralized and passed on, a
 * partial line waits for its end (the runner judges a line whole). `flush` passes on the rest
 * once the program has ended.
 */
export class UntrustedOutput extends Writable {
  private pending = ''

  constructor(private readonly target: (text: string) => void = defaultWrite) {
    super({ decodeStrings: false })
  }

  override _write(
    chunk: Buffer | string,
    _encoding: BufferEncoding,
    done: (error?: Error | null) => void
  ): void {
    this.take(typeof chunk === 'string' ? chunk : chunk.toString('utf8'))
    done()
  }

  /** Takes text synchronously (for callers that write to the log themselves). */
  take(text: string): void {
    this.pending += text
    const end = this.pending.lastIndexOf('\n')
    if (end >= 0) {
      this.target(neutralize(this.pending.slice(0, end + 1)))
      this.pending = this.pending.slice(end + 1)
    }
    if (this.pending.length > MAX_PENDING) this.flush()
  }

  /** Passes on what is held, ended with a newline so any pause closes on its own line. */
  flush(): void {
    if (this.pending === '') return
    const rest = this.pending
    this.pending = ''
    this.target(neutralize(`${rest}\n`))
  }
}
