// The switch-command input, `SERVICE: command`: run in each container of the proxy service
// once the new containers are ready (nginx: nginx -s reload). Read by the main step from its
// inputs and by the post step, which finishes or undoes a switch, from the same input: never
// from saved state.
import { splitCommandWords } from '../../lib/command-words.js'

export interface SwitchCommand {
  service: string
  /** The command as written. */
  command: string
  /** The argument array it runs as (never through a shell). */
  args: string[]
}

const SERVICE_NAME = /^[A-Za-z0-9][A-Za-z0-9_.-]*$/

export function parseSwitchCommand(raw: string): SwitchCommand | undefined {
  if (!raw) return undefined
  const match = /^([^:\s]+)\s*:\s*(\S[\s\S]*)$/.exec(raw)
  if (!match || !SERVICE_NAME.test(match[1] as string))
    throw new Error(`"${raw}" is not SERVICE: command, e.g. nginx: nginx -s reload`)
  const command = (match[2] as string).trim()
  let args: string[]
  try {
    args = splitCommandWords(command)
  } catch (error) {
    throw new Error(`"${raw}": ${(error as Error).message}`)
  }
  return { service: match[1] as string, command, args }
}
