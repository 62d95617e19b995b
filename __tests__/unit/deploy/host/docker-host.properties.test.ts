// Property-based tests of deploy-host (src/deploy/host/deploy-host.ts): on any text parseDockerHost
// either gives an ssh://, tcp:// or unix:// host that keeps its documented promises or throws a plain
// Error with a message of its own, never a crash (TypeError, RangeError, a stack trace, a value
// printed as [object Object]).
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import { parseDockerHost } from '../../../../src/deploy/host/docker-host.js'
import { anyText, hostName } from '../../../support/arbitraries.js'
import { attempt, expectPlainError, tally } from '../../../support/property-checks.js'

const hostPort = fc.oneof(fc.integer({ min: 1, max: 65535 }), fc.constantFrom(0, 65536, 99999)).map(String)
/** Hosts of the three forms, some with a port out of range, a trailing slash or blanks around. */
const wellFormedHost = fc
  .tuple(
    fc.oneof(
      fc
        .tuple(fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,8}$/)), hostName, fc.option(hostPort))
        .map(([user, host, port]) => `ssh://${user ? `${user}@` : ''}${host}${port ? `:${port}` : ''}`),
      fc.tuple(hostName, hostPort).map(([host, port]) => `tcp://${host}:${port}`),
      fc.stringMatching(/^\/[a-z0-9/._-]{0,20}$/).map((socket) => `unix://${socket}`)
    ),
    fc.constantFrom('', '/'),
    fc.constantFrom('', ' ', '\n')
  )
  .map(([url, slash, blank]) => `${blank}${url}${slash}${blank}`)
const hostText = fc.oneof(
  { arbitrary: wellFormedHost, weight: 3 },
  anyText,
  fc
    .tuple(
      fc.constantFrom('ssh://', 'tcp://', 'unix://', 'unix:///', 'http://', 'SSH://', ' ', ''),
      fc.array(
        fc.constantFrom(
          'user',
          '@',
          'host',
          '.',
          '-',
          'example.com',
          '[::1]',
          '[',
          ']',
          ':',
          '22',
          '0',
          '65536',
          '99999999999999999999',
          '/',
          ' ',
          'var/run/docker.sock',
          '_'
        ),
        { maxLength: 8 }
      )
    )
    .map(([scheme, parts]) => scheme + parts.join(''))
)

describe('parseDockerHost', () => {
  it('parses any text into a host it can reach or refuses it with a plain message', () => {
    const runs = tally()
    fc.assert(
      fc.property(hostText, (text) => {
        const outcome = attempt(() => parseDockerHost(text))
        runs.add(outcome.ok ? outcome.value.scheme : 'refused')
        if (!outcome.ok) {
          expectPlainError(
            outcome.error,
            /is not ssh:\/\/user@host\[:port\], tcp:\/\/host:port or unix:\/\/\/path$|^port \d+ is not between 1 and 65535$/
          )
          return
        }
        const host = outcome.value
        expect(host.url).toBe(text.trim())
        if (host.scheme === 'unix') {
          expect(host.path.startsWith('/')).toBe(true)
          expect(host.path).not.toMatch(/\s/)
        } else {
          expect(host.host).not.toBe('')
          expect(host.host).not.toMatch(/[\s/@]/)
          if (host.port !== undefined) {
            expect(Number.isInteger(host.port) && host.port >= 1 && host.port <= 65535).toBe(true)
          }
          if (host.scheme === 'tcp') expect(host.port).toBeDefined()
        }
      }),
      { numRuns: 500 }
    )
    for (const what of ['ssh', 'tcp', 'unix', 'refused']) expect(runs.count(what)).toBeGreaterThan(5)
  })

  it('reads back the parts of well-formed ssh:// and tcp:// hosts', () => {
    const name = fc.stringMatching(/^[A-Za-z0-9](?:[A-Za-z0-9.-]{0,20}[A-Za-z0-9])?$/)
    fc.assert(
      fc.property(
        fc.option(fc.stringMatching(/^[A-Za-z0-9._-]{1,12}$/), { nil: undefined }),
        name,
        fc.integer({ min: 1, max: 65535 }),
        (user, host, port) => {
          expect(parseDockerHost(`ssh://${user ? `${user}@` : ''}${host}:${port}`)).toEqual({
            scheme: 'ssh',
            url: `ssh://${user ? `${user}@` : ''}${host}:${port}`,
            user,
            host,
            port
          })
          expect(parseDockerHost(`tcp://${host}:${port}/`)).toEqual({
            scheme: 'tcp',
            url: `tcp://${host}:${port}/`,
            host,
            port
          })
        }
      ),
      { numRuns: 300 }
    )
  })
})
