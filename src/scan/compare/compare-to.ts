// The compare-to and gate-on inputs: which image counts as production (the one the deploy host
// runs, one the user names, or none), and whether the gate counts every finding or only new ones.
import { parseImageName, type ImageName } from '../../lib/image-name.js'
import { parseChoice } from '../../inputs/fields.js'
import type { GateOn } from './gate-scope.js'

export type CompareTo =
  | { kind: 'deployed' }
  | { kind: 'none' }
  /** An image in a registry, by tag, by digest or both (the digest then wins). */
  | { kind: 'image'; image: ImageName; tag?: string; digest?: string; text: string }

export const GATE_ON: readonly GateOn[] = ['all', 'new']

const DIGEST = /^sha256:[0-9a-f]{64}$/
const TAG = /^[\w][\w.-]{0,127}$/

/** `deployed`, `none`, or an image reference: `name:tag`, `name@sha256:…` or `name:tag@sha256:…`. */
export function parseCompareTo(raw: string): CompareTo {
  const text = raw.trim()
  const word = text.toLowerCase()
  if (word === 'deployed' || word === 'none') return { kind: word }
  if (text === '') throw new Error('is empty: give deployed, none or an image reference')
  const at = text.indexOf('@')
  const digest = at === -1 ? undefined : text.slice(at + 1)
  if (digest !== undefined && !DIGEST.test(digest))
    throw new Error(`"${text}" has a digest that is not sha256: and 64 lowercase hex digits`)
  const named = at === -1 ? text : text.slice(0, at)
  const colon = named.lastIndexOf(':')
  const tag = colon > named.lastIndexOf('/') ? named.slice(colon + 1) : undefined
  if (tag !== undefined && !TAG.test(tag)) throw new Error(`"${text}" has an invalid tag "${tag}"`)
  if (tag === undefined && digest === undefined)
    throw new Error(`"${text}" names no tag or digest: give deployed, none, name:tag or name@sha256:…`)
  const image = parseImageName(tag === undefined ? named : named.slice(0, colon))
  return {
    kind: 'image',
    image,
    ...(tag === undefined ? {} : { tag }),
    ...(digest === undefined ? {} : { digest }),
    text
  }
}

export function parseGateOn(raw: string): GateOn {
  return parseChoice(raw, GATE_ON)
}
