// Property-based tests of image names (src/lib/image-name.ts): on any text parseImageName,
// parseImageReference and parseRegistry either give a name, reference or registry of Docker's grammar
// or throw a plain Error with a message of its own, never a crash (TypeError, RangeError, a stack
// trace, a value printed as [object Object]).
// (sanitizeTag is tested with tag planning, in ../release/tags.properties.test.ts.)
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import {
  isValidTag,
  parseImageName,
  parseImageReference,
  parseRegistry
} from '../../../src/lib/image-name.js'
import { anyText, hostName } from '../../support/arbitraries.js'
import { attempt, expectPlainError, tally } from '../../support/property-checks.js'

const PATH_GRAMMAR = /^[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*(?:\/[a-z0-9]+(?:(?:[._]|__|[-]+)[a-z0-9]+)*)*$/
const pathComponent = fc.stringMatching(/^[a-z0-9]{1,6}(?:(?:[._]|__|-{1,2})[a-z0-9]{1,6}){0,2}$/)
/** Registries that parse, with what they normalise to. */
const GOOD_REGISTRIES: [string, string][] = [
  ['ghcr.io', 'ghcr.io'],
  ['localhost:5000', 'localhost:5000'],
  ['Registry.Example.COM:443', 'registry.example.com:443'],
  ['[::1]:5000', '[::1]:5000'],
  ['index.docker.io', 'docker.io'],
  ['localhost', 'localhost']
]
/**
 * Names of the grammar: an optional registry, then /-separated path components (without a
 * registry, the first has no `.`: it would name a registry host).
 */
const grammarName = fc
  .tuple(
    fc.option(fc.constantFrom(...GOOD_REGISTRIES), { nil: undefined }),
    fc.array(pathComponent, { minLength: 1, maxLength: 3 })
  )
  .filter(
    ([registry, path]) => registry !== undefined || path.length === 1 || !(path[0] as string).includes('.')
  )
const tagOrNot = fc.oneof(
  fc.constant(''),
  fc.stringMatching(/^[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}$/).map((tag) => `:${tag}`),
  fc.constantFrom(':-bad', ':', `:${'x'.repeat(129)}`, '@sha256:abc', ':.x')
)
const wellFormedName = fc
  .tuple(
    fc.oneof(
      grammarName.map(([registry, path]) => `${registry ? `${registry[0]}/` : ''}${path.join('/')}`),
      fc
        .tuple(fc.constantFrom('a.b:0', 'x.io:70000', 'bad_host.io', 'Acme'), pathComponent)
        .map((parts) => parts.join('/'))
    ),
    tagOrNot
  )
  .map(([name, tag]) => name + tag)
const nameText = fc.oneof(
  { arbitrary: wellFormedName, weight: 3 },
  anyText,
  fc
    .array(
      fc.constantFrom(
        'ghcr.io',
        'localhost',
        'Registry.Example.COM',
        ':5000',
        ':0',
        ':99999',
        ':443',
        '/',
        'acme',
        'web',
        'Web',
        'a',
        '-',
        '_',
        '__',
        '.',
        '@sha256:abc',
        ':tag',
        ':1.2',
        '[::1]',
        '[',
        ' ',
        '..',
        '//'
      ),
      { maxLength: 10 }
    )
    .map((parts) => parts.join('')),
  fc.integer({ min: 250, max: 270 }).map((length) => `ghcr.io/${'a'.repeat(length)}`)
)

/** Registry addresses, well-formed or not, and any name text. */
const registryText = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.oneof(
          fc.constantFrom(...GOOD_REGISTRIES.map(([registry]) => registry)),
          fc.constantFrom('a.b:0', 'x.io:70000', 'bad_host.io', 'HOST:1', '[::1]', '[::1', 'a..b', '-a.io'),
          hostName
        ),
        fc.constantFrom('', ' ', ':5000', ':0')
      )
      .map(([registry, suffix]) => registry + suffix),
    weight: 2
  },
  nameText
)

describe('image names, references and registries', () => {
  it('parseImageName gives a repository of the grammar or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(nameText, (text) => {
        const outcome = attempt(() => parseImageName(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        const name = outcome.value
        expect(name.name).toBe(text.trim())
        expect(name.name).not.toContain('@')
        expect(name.name.length).toBeLessThanOrEqual(255)
        expect(name.repository).toMatch(PATH_GRAMMAR)
        expect(name.registry).toBe(name.registry.toLowerCase())
        expect(name.registry).not.toBe('')
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })

  it('parseImageName accepts every name of the grammar and reads its registry and repository', () => {
    fc.assert(
      fc.property(grammarName, ([registry, path]) => {
        const name = `${registry ? `${registry[0]}/` : ''}${path.join('/')}`
        const host = registry?.[1] ?? 'docker.io'
        expect(parseImageName(name)).toEqual({
          registry: host,
          repository: host === 'docker.io' && path.length === 1 ? `library/${path[0]}` : path.join('/'),
          name
        })
      }),
      { numRuns: 300 }
    )
  })

  it('parseImageReference gives name:tag with a valid tag or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(nameText, (text) => {
        const outcome = attempt(() => parseImageReference(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        const reference = outcome.value
        expect(isValidTag(reference.tag)).toBe(true)
        expect(`${reference.image.name}:${reference.tag}`).toBe(text.trim())
        expect(reference.image.repository).toMatch(PATH_GRAMMAR)
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })

  it('parseRegistry gives a lowercase host[:port] or refuses with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(registryText, (text) => {
        const outcome = attempt(() => parseRegistry(text))
        runs.add(outcome.ok ? 'parsed' : 'refused')
        if (!outcome.ok) return expectPlainError(outcome.error)
        expect(outcome.value).toBe(outcome.value.toLowerCase())
        expect(outcome.value).not.toMatch(/[\s/@]/)
        const port = /:(\d+)$/.exec(outcome.value)?.[1]
        if (port !== undefined && !outcome.value.endsWith(']')) {
          expect(Number(port) >= 1 && Number(port) <= 65535).toBe(true)
        }
      }),
      { numRuns: 500 }
    )
    expect(runs.count('parsed')).toBeGreaterThan(20)
  })
})
