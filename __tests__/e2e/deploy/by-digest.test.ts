// One artifact from build to production: the seed's stack built for two platforms by the test
// bed's BuildKit builder (an OCI layout, pushed as one index), rolled out on the test bed's engine
// (unix://) by the index's digest. The host pulls `repo:version@sha256:<index>` and runs its own
// platform's image of it; the containers are checked to run exactly that.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import {
  docker,
  newStack,
  release,
  serviceContainers,
  setUpDeployBed,
  tb,
  tearDownDeployBed,
  type Stack
} from '../../support/deploy-harness.js'
import { registryManifest } from '../../support/registry-helpers.js'
import { visibleText, type ActionRun } from '../../support/harness.js'

jest.setTimeout(600_000)

beforeAll(setUpDeployBed)
afterAll(tearDownDeployBed)

describe('a two-platform release', () => {
  let stack: Stack
  let first: ActionRun

  beforeAll(async () => {
    stack = newStack('by-digest', 'unix', 'v2')
    first = await release(stack, '1.0.0', {
      inputs: { builder: tb.builder, platforms: 'linux/amd64,linux/arm64' }
    })
  })

  it('is pushed as an index and deployed by its digest', async () => {
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    const digest = first.outputs.digest ?? ''
    const repository = stack.image.slice(tb.registry.length + 1)
    const index = await registryManifest(tb, repository, '1.0.0')
    expect(index.digest).toBe(digest)
    expect(index.mediaType).toBe('application/vnd.oci.image.index.v1+json')
    expect(first.log).toContain(`${stack.image}:1.0.0@${digest}`)
    const web = await serviceContainers(stack.project)
    expect(web).toHaveLength(3)
    expect(web.every((c) => c.running && c.image === `${stack.image}:1.0.0` && c.digest === digest)).toBe(
      true
    )
  })

  it("runs the host's own platform of the index", async () => {
    const [container] = await serviceContainers(stack.project)
    const imageId = await docker(['container', 'inspect', '--format', '{{.Image}}', container?.id ?? ''])
    const platform = await docker(['image', 'inspect', '--format', '{{.Os}}/{{.Architecture}}', imageId])
    expect(platform).toBe('linux/amd64')
    const repoDigests = await docker(['image', 'inspect', '--format', '{{json .RepoDigests}}', imageId])
    expect(JSON.parse(repoDigests)).toContain(`${stack.image}@${first.outputs.digest}`)
  })

  it('deploys alone the digest the registry holds for the version', async () => {
    const again = await release(stack, '1.0.0', { steps: 'deploy' })
    expect(again.exitCode).toBe(0)
    expect(again.log).toContain(`${stack.image}:1.0.0@${first.outputs.digest}`)
    const web = await serviceContainers(stack.project)
    expect(web.every((c) => c.digest === first.outputs.digest)).toBe(true)
  })
})

// Signed with a cosign key pair made here, without a transparency log (no Rekor on the test
// bed: --tlog-upload=false, verified with --insecure-ignore-tlog=true). cosign's own outbound
// calls (Sigstore's TUF root) go to a closed loopback port; Go never proxies loopback.
describe('a signed release', () => {
  const password = 'e2e-cosign-password'
  let stack: Stack
  let keys: { key: string; pub: string }
  let first: ActionRun
  let cosignEnv: Record<string, string>

  beforeAll(async () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'cosign-keys-'))
    execFileSync(tb.cosign, ['generate-key-pair'], {
      cwd: dir,
      env: { PATH: process.env.PATH, HOME: dir, COSIGN_PASSWORD: password },
      stdio: 'ignore'
    })
    keys = {
      key: readFileSync(path.join(dir, 'cosign.key'), 'utf8'),
      pub: readFileSync(path.join(dir, 'cosign.pub'), 'utf8')
    }
    cosignEnv = { HTTPS_PROXY: 'http://127.0.0.1:9', HTTP_PROXY: 'http://127.0.0.1:9' }
    stack = newStack('signed', 'unix', 'v2')
    first = await release(stack, '1.0.0', {
      steps: 'build,scan,push,deploy',
      path: `${path.dirname(tb.cosign)}:${path.dirname(tb.trivy)}:${process.env.PATH ?? ''}`,
      env: { ...cosignEnv, TRIVY_CACHE_DIR: tb.trivyCache },
      inputs: {
        sign: 'key',
        'cosign-key': keys.key,
        'cosign-password': password,
        'cosign-tlog': 'false',
        verify: 'scan-attestation',
        'skip-db-update': 'true'
      }
    })
  })

  it('signs the digest, attests the scan, and verifies both before the rollout', async () => {
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    const digest = first.outputs.digest ?? ''
    expect(first.log).toContain(`Signed ${stack.image}@${digest}`)
    expect(first.log).toContain(`Attested the scan of ${stack.image}@${digest}: passed`)
    expect(first.log).toContain(`Verified the scan attestation of ${stack.image}@${digest}`)
    expect(first.log.indexOf('Verified the scan attestation')).toBeLessThan(first.log.indexOf(' up --detach'))
    expect(first.summary).toContain('with the scan verdict attested')
    const web = await serviceContainers(stack.project)
    expect(web.map((c) => c.digest)).toEqual(Array(3).fill(digest))
    // Neither the key nor its password reached the log a viewer sees (nor the files it wrote).
    expect(first.masks).toEqual(expect.arrayContaining([password, keys.key.trim()]))
    for (const text of [visibleText(first.log), first.summary, JSON.stringify(first.outputs)]) {
      expect(text).not.toContain(password)
      expect(text).not.toContain(keys.key.split('\n')[1])
    }
  })

  it('refuses, deploying alone, an image pushed without a signature, with the host untouched', async () => {
    const unsigned = await release(stack, '1.1.0', { steps: 'build,push' })
    expect(unsigned.exitCode).toBe(0)
    const before = await serviceContainers(stack.project)
    const refused = await release(stack, '1.1.0', {
      steps: 'deploy',
      path: `${path.dirname(tb.cosign)}:${process.env.PATH ?? ''}`,
      env: cosignEnv,
      inputs: { 'cosign-public-key': keys.pub, verify: 'signature', 'cosign-tlog': 'false' }
    })
    expect(refused.exitCode).toBe(1)
    expect(refused.log).toMatch(/::error::.*not signed with this key/)
    expect(refused.log).not.toContain(' up --detach')
    expect(refused.outputs.deployed).toBe('false')
    const after = await serviceContainers(stack.project)
    expect(after.map((c) => `${c.id} ${c.digest}`)).toEqual(before.map((c) => `${c.id} ${c.digest}`))
    expect(after.every((c) => c.digest === first.outputs.digest)).toBe(true)
  })
})
