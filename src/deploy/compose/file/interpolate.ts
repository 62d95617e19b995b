// Interpolation of the Compose files: the compose-spec's 12-interpolation.md as compose-go's
// template/template.go implements it, applied to every string value of each file before the merge
// (see load.ts).
import { isMapping, Tagged } from './values.js'

const NAME = /^[_a-z][_a-z0-9]*/i

/**
 * Interpolates one string as Compose does: `$VAR`, `${VAR}`, `${VAR:-default}`, `${VAR-default}`,
 * `${VAR:?error}`, `${VAR?error}`, `${VAR:+alternative}`, `${VAR+alternative}` (nested inside the
 * default, error or alternative), `$$` for a literal `$`. A `$` before anything else is kept.
 * An unset variable with no default becomes '' and `warn` is told.
 */
export function interpolate(
  text: string,
  env: Record<string, string>,
  warn: (message: string) => void = () => undefined
): string {
  const lookup = (name: string): string | undefined =>
    Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined
  let out = ''
  let i = 0
  while (i < text.length) {
    const dollar = text.indexOf('$', i)
    if (dollar === -1) {
      out += text.slice(i)
      break
    }
    out += text.slice(i, dollar)
    const next = text[dollar + 1]
    if (next === '$') {
      out += '$'
      i = dollar + 2
      continue
    }
    if (next === '{') {
      const close = closingBrace(text, dollar + 2)
      if (close === -1) throw new Error(`invalid interpolation "${text}": \${ without a closing }`)
      out += substitute(text.slice(dollar + 2, close), text, env, lookup, warn)
      i = close + 1
      continue
    }
    const named = NAME.exec(text.slice(dollar + 1))
    if (named) {
      const value = lookup(named[0])
      if (value === undefined) warn(unsetWarning(named[0]))
      out += value ?? ''
      i = dollar + 1 + named[0].length
      continue
    }
    out += '$'
    i = dollar + 1
  }
  return out
}

function unsetWarning(name: string): string {
  return `the "${name}" variable is not set. Defaulting to a blank string.`
}

/** Index of the `}` closing a `${` whose content starts at `from`, counting nested `{`. */
function closingBrace(text: string, from: number): number {
  let depth = 1
  for (let i = from; i < text.length; i++) {
    if (text[i] === '{') depth++
    else if (text[i] === '}' && --depth === 0) return i
  }
  return -1
}

function substitute(
  inner: string,
  whole: string,
  env: Record<string, string>,
  lookup: (name: string) => string | undefined,
  warn: (message: string) => void
): string {
  const named = NAME.exec(inner)
  if (!named) throw new Error(`invalid interpolation "${whole}": "\${${inner}}" does not start with a name`)
  const name = named[0]
  const rest = inner.slice(name.length)
  const value = lookup(name)
  if (rest === '') {
    if (value === undefined) warn(unsetWarning(name))
    return value ?? ''
  }
  const operator = /^:?[-?+]/.exec(rest)?.[0]
  if (!operator) {
    throw new Error(
      `invalid interpolation "${whole}": "\${${inner}}" is not supported (Compose takes :- - :? ? :+ +)`
    )
  }
  const word = rest.slice(operator.length)
  const colon = operator.startsWith(':')
  const present = value !== undefined && (!colon || value !== '')
  switch (operator.slice(-1)) {
    case '-':
      return present ? (value as string) : interpolate(word, env, warn)
    case '+':
      return present ? interpolate(word, env, warn) : (value ?? '')
    default: {
      if (present) return value as string
      const reason = interpolate(word, env, warn)
      throw new Error(`required variable ${name} is missing a value${reason ? `: ${reason}` : ''}`)
    }
  }
}

export function interpolateTree(
  value: unknown,
  env: Record<string, string>,
  at: string[],
  warn: (message: string) => void
): unknown {
  if (typeof value === 'string') {
    try {
      return interpolate(value, env, warn)
    } catch (error) {
      throw new Error(`${at.join('.') || 'value'}: ${(error as Error).message}`)
    }
  }
  if (value instanceof Tagged) return new Tagged(value.tag, interpolateTree(value.value, env, at, warn))
  if (Array.isArray(value))
    return value.map((item, index) => interpolateTree(item, env, [...at, `[${index}]`], warn))
  if (isMapping(value)) {
    const out: Record<string, unknown> = {}
    for (const [key, item] of Object.entries(value)) out[key] = interpolateTree(item, env, [...at, key], warn)
    return out
  }
  return value
}
