// A registry that fails for a moment: a proxy on loopback in front of the test registry answers
// 503 to the first manifest upload, as a registry does while it restarts. The push step must
// retry and still report the registry's digest.
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv, type EventFixture } from '../../../__fixtures__/events.js'
import {
  runAction,
  testbed,
  visibleText,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { forwardToRegistry, registryDigest, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let proxy: http.Server
let proxyAddress: string
let failuresLeft = 0
/** When set, the proxy refuses every tag listing, as a registry with a broken token service does. */
let refuseTagList = false
/** A tag whose manifest PUT the proxy denies, as a registry with an immutable-tag rule does. */
let deniedTag: string | undefined
/**
 * When set, the proxy answers 502 to the action's own HTTP client (user agent `node`) and serves
 * the engine: a registry the engine reaches (through a proxy or a certificate it alone trusts)
 * and the action's Node process does not.
 */
let unreachableFromNode = false
const answered: string[] = []

beforeAll(async () => {
  tb = testbed()
  proxy = http.createServer((req, res) => {
    if (failuresLeft > 0 && req.method === 'PUT' && /\/manifests\//.test(req.url ?? '')) {
      failuresLeft--
      answered.push(`503 ${req.method} ${req.url}`)
      req.resume()
      res.writeHead(503, 'Service Unavailable', { 'content-type': 'text/plain' }).end('restarting')
      return
    }
    if (unreachableFromNode && req.headers['user-agent'] === 'node') {
      answered.push(`502 ${req.method} ${req.url}`)
      req.resume()
      res.writeHead(502, 'Bad Gateway').end()
      return
    }
    if (deniedTag && req.method === 'PUT' && (req.url ?? '').endsWith(`/manifests/${deniedTag}`)) {
      answered.push(`403 ${req.method} ${req.url}`)
      req.resume()
      res
        .writeHead(403, { 'content-type': 'application/json' })
        .end('{"errors":[{"code":"DENIED","message":"requested access to the resource is denied"}]}')
      return
    }
    if (refuseTagList && /\/tags\/list/.test(req.url ?? '')) {
      req.resume()
      res.writeHead(401, { 'www-authenticate': 'Basic realm="proxy"' }).end()
      return
    }
    forwardToRegistry(tb, proxyAddress, req, res)
  })
  await new Promise<void>((resolve) => proxy.listen(0, '127.0.0.1', resolve))
  proxyAddress = `127.0.0.1:${(proxy.address() as AddressInfo).port}`
})

afterAll(() => new Promise<void>((resolve) => proxy.close(() => resolve())))

/** The action, logged in, pushing a small image of its own through the proxy. */
function pushThroughProxy(
  repository: string,
  fixture: EventFixture,
  extra: Record<string, string> = {}
): Promise<ActionRun> {
  return runAction({
    inputs: {
      image: `${proxyAddress}/${repository}`,
      username: tb.username,
      password: tb.password,
      steps: 'build,push',
      ...extra
    },
    event: eventEnv(fixture),
    workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo ${repository} > /f\n` })
  })
}

describe('a registry that answers 503 once', () => {
  it('is retried with backoff and the push succeeds with the right digest', async () => {
    const { repository } = uniqueRepository(tb, 'flaky')
    failuresLeft = 1
    const result = await pushThroughProxy(repository, 'branch-push', { tags: 'edge', 'tag-sha': 'false' })
    expect(result.exitCode).toBe(0)
    expect(answered).toHaveLength(1)
    expect(result.log).toMatch(
      /::warning::docker push 127\.0\.0\.1:\d+\/e2e\/flaky-\w+:feature-Login-Form failed \(attempt 1 of 4\), retrying in 2 s/
    )
    expect(result.outputs.digest).toMatch(/^sha256:/)
    expect(await registryDigest(tb, repository, 'feature-Login-Form')).toBe(result.outputs.digest)
    expect(await registryDigest(tb, repository, 'edge')).toBe(result.outputs.digest)
    expect(visibleText(result.everything)).not.toContain(tb.password)
  })

  it('is not retried when the registry refuses the credentials', async () => {
    const { repository } = uniqueRepository(tb, 'denied')
    failuresLeft = 0
    // No credentials: the registry answers 401, a failure that no retry can mend.
    const result = await runAction({
      inputs: { image: `${proxyAddress}/${repository}`, steps: 'build,push', 'tag-sha': 'false', tags: 'x' },
      event: eventEnv('workflow-dispatch'),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\n` })
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/no basic auth credentials|unauthorized|authentication required/)
    expect(result.log).not.toContain('retrying in')
    expect(await registryDigest(tb, repository, 'main')).toBeUndefined()
  })
})

describe('a registry whose tag list cannot be read', () => {
  it('still pushes the release, leaving latest and the version aliases where they are', async () => {
    const { repository } = uniqueRepository(tb, 'notags')
    refuseTagList = true
    try {
      const result = await pushThroughProxy(repository, 'tag-push')
      expect(result.exitCode).toBe(0)
      expect(result.log).toMatch(
        /::warning::Could not read the tags of .*, so latest and the version aliases are left where they are/
      )
      expect(result.outputs.tags?.split('\n').map((ref) => ref.split(':').pop())).toEqual([
        '1.2.3',
        'sha-0123456'
      ])
      expect(await registryDigest(tb, repository, '1.2.3')).toBe(result.outputs.digest)
      expect(await registryDigest(tb, repository, 'latest')).toBeUndefined()
    } finally {
      refuseTagList = false
    }
  })
})

describe('a push that fails at the third of five tags', () => {
  it('says which tags are in the registry, in the outputs and the summary', async () => {
    const { repository } = uniqueRepository(tb, 'partial')
    deniedTag = '1'
    answered.length = 0
    try {
      const result = await pushThroughProxy(repository, 'tag-push')
      expect(result.exitCode).toBe(1)
      const image = `${proxyAddress}/${repository}`
      // The tags after the failing one were tagged at the same time: the outputs say so.
      expect(result.outputs['pushed-tags']).toBe(
        [`${image}:1.2.3`, `${image}:1.2`, `${image}:latest`, `${image}:sha-0123456`].join('\n')
      )
      expect(result.outputs.tags?.split('\n')).toHaveLength(5)
      expect(result.outputs.digest).toBe(await registryDigest(tb, repository, '1.2.3'))
      expect(result.summary).toContain('| Pushed | 4 of 5 references |')
      expect(result.summary).toContain(`Push failed at \`${image}:1\``)
      expect(result.log).toMatch(
        /::error::.*denied[\s\S]*Check that username and password may push to [\s\S]*Pushed before the failure: .*:1\.2\.3, .*:1\.2, .*:latest, .*:sha-0123456/
      )
      expect(await registryDigest(tb, repository, '1.2')).toBe(result.outputs.digest)
      expect(await registryDigest(tb, repository, '1')).toBeUndefined()
      expect(await registryDigest(tb, repository, 'latest')).toBe(result.outputs.digest)
    } finally {
      deniedTag = undefined
    }
  })
})

describe('a registry the engine reaches and the action itself does not', () => {
  it('falls back to docker login and docker push for everything', async () => {
    const { repository } = uniqueRepository(tb, 'enginesonly')
    unreachableFromNode = true
    try {
      const result = await pushThroughProxy(repository, 'branch-push', { tags: 'edge', 'tag-sha': 'false' })
      expect(result.exitCode).toBe(0)
      expect(result.log).toMatch(
        /Could not check the credentials through the Registry API .*: running docker login/
      )
      expect(result.log).toContain('Login Succeeded')
      expect(result.log).toMatch(
        /::warning::Could not read .*:feature-Login-Form back through the Registry API/
      )
      expect(result.log).toMatch(/Pushed 2 references, 0 of them by a manifest PUT/)
      expect(await registryDigest(tb, repository, 'edge')).toBe(result.outputs.digest)
      expect(await registryDigest(tb, repository, 'feature-Login-Form')).toBe(result.outputs.digest)
    } finally {
      unreachableFromNode = false
    }
  })
})
