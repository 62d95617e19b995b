// Registries failing for real, through a proxy on loopback in front of the test bed's registry:
// one that fails every other request (503, as an overloaded registry behind a load balancer
// does), one that stops in the middle of the push (its port closed, open connections cut), and
// one that takes the layer uploads and never answers them (a registry stalled behind a load
// balancer that keeps the connection open: the engine's own client has no limit there, so
// without registry-timeout `docker push` waits for ever).
// The last also takes the deploy host's pull (its manifest requests) and never answers.
// Either the retries get the release through with the registry's own digest, or the run fails
// clearly and says what is in the registry; nothing is deployed either way.
import http from 'node:http'
import type { AddressInfo, Socket } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type ActionRun, type Testbed } from '../../support/harness.js'
import {
  lockExists,
  newStack,
  release,
  serviceContainers,
  setUpDeployBed,
  tearDownDeployBed
} from '../../support/deploy-harness.js'
import {
  forwardToRegistry,
  registryDigest,
  registryTags,
  uniqueRepository
} from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let proxy: http.Server
let port = 0
let mode: 'pass' | 'every-other' | 'stall-uploads' | 'stall-tag-list' | 'stall-manifests' = 'pass'
let requests = 0
const sockets = new Set<Socket>()
/** Upload requests the stalled registry took and has not answered (while their client waits). */
const stalled = new Set<http.IncomingMessage>()
let stalledTotal = 0

/** Starting a layer upload: POST /v2/<name>/blobs/uploads/ (distribution's API). */
function isUploadStart(req: http.IncomingMessage): boolean {
  return req.method === 'POST' && /\/blobs\/uploads\/?(\?|$)/.test(req.url ?? '')
}

function startProxy(listenPort: number): Promise<void> {
  proxy = http.createServer((req, res) => {
    requests++
    if (mode === 'stall-tag-list' && req.method === 'GET' && /\/tags\/list(\?|$)/.test(req.url ?? '')) {
      req.resume()
      return // the connection stays open, unanswered, until the client gives up
    }
    if (mode === 'stall-manifests' && /\/manifests\//.test(req.url ?? '')) {
      req.resume()
      return // the pull's manifest request, taken and never answered
    }
    if (mode === 'stall-uploads' && isUploadStart(req)) {
      req.resume()
      Object.assign(req, { res })
      stalled.add(req)
      stalledTotal++
      req.socket.on('close', () => stalled.delete(req))
      res.on('finish', () => stalled.delete(req))
      return
    }
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
  setUpDeployBed()
  await startProxy(0)
})

afterAll(async () => {
  stopProxy()
  await tearDownDeployBed()
})

function push(repository: string, extra: Partial<Parameters<typeof runAction>[0]> = {}): Promise<ActionRun> {
  const { inputs, ...rest } = extra
  return runAction({
    inputs: {
      image: `127.0.0.1:${port}/${repository}`,
      username: tb.username,
      password: tb.password,
      steps: 'build,push',
      ...inputs
    },
    event: eventEnv('tag-push'),
    // A layer of its own, a few MB, so that the push takes a moment.
    workspace: workspaceWith({
      Dockerfile: `FROM ${tb.baseImage}\nRUN echo ${repository} > /f && head -c 4000000 /dev/urandom > /payload\n`
    }),
    ...rest
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

/** Answers every stalled upload as a load balancer that gave up on its upstream does. */
function endStalls(): void {
  for (const req of stalled) {
    const res = (req as http.IncomingMessage & { res?: http.ServerResponse }).res
    res?.writeHead(504, 'Gateway Timeout').end('upstream timed out')
  }
}

describe('a registry that takes the layer uploads and does not answer', () => {
  it('stops the stalled push at registry-timeout and gets the release through once the stall ends', async () => {
    const { repository } = uniqueRepository(tb, 'stalled-once')
    stalledTotal = 0
    mode = 'stall-uploads'
    // The registry's load balancer ends the stall after 8 s (a 504), as nginx's proxy_read_timeout
    // would, and the registry answers from then on.
    const ended = setInterval(() => {
      if (stalledTotal === 0) return
      clearInterval(ended)
      setTimeout(() => {
        mode = 'pass'
        endStalls()
      }, 8000)
    }, 100)
    try {
      const run = await push(repository, { inputs: { 'registry-timeout': '5' } })
      expect(stalledTotal).toBeGreaterThan(0)
      expect(run.log).toMatch(
        /::warning::docker push \S+ failed \(attempt 1 of 4\), retrying in 2 s: .*timed out: it had not finished after 5 s \(registry-timeout\) and was stopped/
      )
      expect(run.exitCode).toBe(0)
      expect(run.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
      for (const tag of ['1.2.3', '1.2', '1', 'latest'])
        expect(await registryDigest(tb, repository, tag)).toBe(run.outputs.digest)
    } finally {
      clearInterval(ended)
      mode = 'pass'
    }
  })

  it('fails clearly after the last attempt, naming registry-timeout, with nothing pushed', async () => {
    const { repository } = uniqueRepository(tb, 'stalled')
    stalledTotal = 0
    mode = 'stall-uploads'
    try {
      const run = await push(repository, { inputs: { 'registry-timeout': '3' } })
      expect(run.exitCode).toBe(1)
      expect(run.log).toMatch(
        /::error::`docker push \S+` timed out: it had not finished after 3 s \(registry-timeout\) and was stopped/
      )
      expect(run.log).toContain('The engine keeps waiting on the registry for the upload it started')
      expect(run.log.match(/::warning::docker push .* retrying in/g)).toHaveLength(3)
      expect(run.outputs.digest).toBe('')
      expect(run.outputs['pushed-tags']).toBe('')
      // What the message says of the engine, measured: stopping docker push does not end the
      // engine's upload (Engine 20.10): the stalled request is still open after the run.
      expect(stalled.size).toBeGreaterThan(0)
    } finally {
      mode = 'pass'
      endStalls()
    }
    expect(await registryTags(tb, repository)).toEqual([])
  })
})

describe('a registry whose tag list does not answer', () => {
  it('gives the Registry API request up at registry-timeout and pushes without moving the aliases', async () => {
    const { repository } = uniqueRepository(tb, 'stalled-tags')
    mode = 'stall-tag-list'
    let run: ActionRun
    try {
      run = await push(repository, { inputs: { 'registry-timeout': '2' } })
    } finally {
      mode = 'pass'
    }
    expect(run.log).toMatch(
      new RegExp(
        `::warning::Could not read the tags of 127\\.0\\.0\\.1:${port}/${repository}, so latest and the version aliases are left where they are: 127\\.0\\.0\\.1:${port} did not answer GET /v2/${repository}/tags/list within 2 s: timed out`
      )
    )
    expect(run.log.match(/::warning::list the tags of .* retrying in/g)).toHaveLength(3)
    expect(run.exitCode).toBe(0)
    expect((await registryTags(tb, repository)).sort()).toEqual(['1.2.3', 'sha-0123456'])
  })
})

describe("a registry that does not answer the deploy host's pull", () => {
  it('stops each pull at registry-timeout and fails the deploy before anything on the host changes', async () => {
    const { repository } = uniqueRepository(tb, 'stalled-pull')
    // The stack's image through the stalling proxy; the host is the test bed's engine (unix://).
    const stack = { ...newStack('stalled-pull', 'unix', 'v2'), image: `127.0.0.1:${port}/${repository}` }
    let run: ActionRun
    try {
      run = await release(stack, '1.0.0', {
        inputs: { 'registry-timeout': '3' },
        // The push is through; the deploy step starts with the pull.
        meanwhile: { when: (log) => log.includes('::group::Deploy'), then: () => (mode = 'stall-manifests') }
      })
    } finally {
      mode = 'pass'
    }
    expect(run.exitCode).toBe(1)
    expect(run.log).toMatch(
      /::error::`docker pull --quiet \S+:1\.0\.0@sha256:[0-9a-f]{64}` timed out: it had not finished after 3 s \(registry-timeout\) and was stopped/
    )
    expect(run.log.match(/::warning::docker pull .* retrying in/g)).toHaveLength(3)
    expect(await serviceContainers(stack.project)).toEqual([])
    expect(await lockExists(stack.project)).toBe(false)
  })
})
