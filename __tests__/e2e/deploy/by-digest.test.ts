// One artifact from build to production: the seed's stack built for two platforms by the test
// bed's BuildKit builder (an OCI layout, pushed as one index), rolled out on the test bed's engine
// (unix://) by the index's digest. The host pulls `repo:version@sha256:<index>` and runs its own
// platform's image of it; the containers are checked to run exactly that.
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
import type { ActionRun } from '../../support/harness.js'

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
