// Registries failing for real, through a proxy on loopback in front of the test bed's registry:
// one that fails every other request (503, as an overloaded registry behind a load balancer
// does), and one that stops in the middle of the push (its port closed, open connections cut).
// Either the retries get the release through with the registry's own digest, or the run fails
// clearly and says what is in the registry; nothing is deployed either way.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type ActionRun, type Testbed } from './harness.js'
import { forwardToRegistry, registryDigest, registryTags, uniqueRepository } from './registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let proxy: http.Server
let port = 0
let mode: 'pass' | 'every-other' = 'pass'
let requests = 0
const sockets = new Set<Socket>()

function startProxy(listenPort: number): Promise<void> {
  proxy = http.createServer((req, res) => {
    requests++
    if (mode === 'every-other' && requests % 2 === 0) {
      req.resume()
      res.writeHead(503, 'Service Unavailable').end('overloaded')
      return
    }
    forwardToRegistry(tb, `127.0.0.1:${port}`, req, res)
  })
  proxy.on('connection', (socket) => {
    sockets.add(socket)
    socket.on('close', () => sockets.delete(socket))
  })
  return new Promise((resolve) =>
    proxy.listen(listenPort, '127.0.0.1', () => {
      port = (proxy.address() as AddressInfo).port
      resolve()
    })
  )
}

/** The registry stops: no new connections, the open ones cut. */
function stopProxy(): void {
  proxy.close()
  for (const socket of sockets) socket.destroy()
}

beforeAll(async () => {
  tb = testbed()
  await startProxy(0)
})

afterAll(() => stopProxy())

function push(repository: string, extra: Partial<Parameters<typeof runAction>[0]> = {}): Promise<ActionRun> {
  return runAction({
    inputs: {
      image: `127.0.0.1:${port}/${repository}`,
      username: tb.username,
      password: tb.password,
      steps: 'build,push'
    },
    event: eventEnv('tag-push'),
    // A layer of its own, a few MB, so that the push takes a moment.
    workspace: workspaceWith({
      Dockerfile: `FROM ${tb.baseImage}\nRUN echo ${repository} > /f && head -c 4000000 /dev/urandom > /payload\n`
    }),
    ...extra
  })
}

describe('a registry that fails every other request', () => {
  it('gets the release through by retrying, or fails clearly saying truly what got there', async () => {
    const { repository } = uniqueRepository(tb, 'every-other')
    mode = 'every-other'
    requests = 0
    try {
      const run = await push(repository)
      if (run.exitCode === 0) {
        expect(run.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
        for (const tag of ['1.2.3', '1.2', '1', 'latest'])
          expect(await registryDigest(tb, repository, tag)).toBe(run.outputs.digest)
        expect(run.log).toContain('retrying in')
      } else {
        // A clear failure (the engine takes a 503 to its ping for a registry without auth and
        // then reports "unauthorized", which no retry mends), and what got there is said, and is true.
        expect(run.log).toMatch(
          /::error::`docker push \S+` failed with exit code 1:.*Pushed before the failure: /
        )
        const inRegistry = (await registryTags(tb, repository)).sort()
        const said = (run.outputs['pushed-tags'] ?? '')
          .split('\n')
          .filter(Boolean)
          .map((ref) => ref.split(':').pop())
        expect(said.sort()).toEqual(inRegistry)
      }
    } finally {
      mode = 'pass'
    }
  })
})

describe('a registry that stops in the middle of the push', () => {
  it('fails the run clearly, without a digest, and pushes no tag it does not report', async () => {
    const { repository } = uniqueRepository(tb, 'stopped')
    const listenPort = port
    const run = await push(repository, {
      meanwhile: { when: (log) => log.includes('The push refers to repository'), then: stopProxy }
    })
    await startProxy(listenPort)
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(/::error::.*(connection refused|EOF|connection reset|broken pipe)/i)
    expect(run.outputs.digest).toBe('')
    expect(run.outputs['pushed-tags']).toBe('')
    expect(await registryTags(tb, repository)).toEqual([])
  })
})
