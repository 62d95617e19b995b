// Unit tests of compare-to: deployed (src/scan/compare/deployed.ts) with a stand-in docker CLI that
// answers as the engine does (container and image inspect JSON, service inspect); the Compose path
// against a real engine is in __tests__/e2e/scan/compare.test.ts.
import { describe, expect, it } from '@jest/globals'
import type { DockerCli } from '../../../../src/docker/cli.js'
import type { RunResult } from '../../../../src/program/program.js'
import { deployedImage, type DeployedService } from '../../../../src/scan/compare/deployed.js'

const DIGEST = `sha256:${'d4'.repeat(32)}`
const OTHER = `sha256:${'e5'.repeat(32)}`
const IMAGE_ID = `sha256:${'f6'.repeat(32)}`

/** A docker CLI answering each command by its first words; every call is recorded. */
function fakeDocker(answers: Record<string, Partial<RunResult>>): { docker: DockerCli; calls: string[][] } {
  const calls: string[][] = []
  const docker = {
    run: (args: string[]) => {
      calls.push(args)
      const key = Object.keys(answers).find((prefix) => args.join(' ').startsWith(prefix))
      const answer = key === undefined ? { exitCode: 1, stderr: 'unexpected' } : answers[key]
      return Promise.resolve({ exitCode: 0, stdout: '', stderr: '', ...answer } as RunResult)
    }
  } as unknown as DockerCli
  return { docker, calls }
}

function service(docker: DockerCli, orchestrator: 'compose' | 'swarm' = 'compose'): DeployedService {
  return { docker, url: 'ssh://deploy@prod', project: 'shop', service: 'web', orchestrator }
}

const container = (image: string) =>
  JSON.stringify([
    { Id: 'c1', Name: '/shop-web-1', Image: IMAGE_ID, Config: { Image: image }, State: { Running: true } }
  ])

describe('deployedImage with Compose', () => {
  it("takes the digest the host pulled the running container's image by, from its repository", async () => {
    const { docker, calls } = fakeDocker({
      ps: { stdout: 'c1\n' },
      'container inspect': { stdout: container('ghcr.io/acme/web:1.4.0') },
      'image inspect': {
        stdout: JSON.stringify([`mirror.example/acme/web@${OTHER}`, `ghcr.io/acme/web@${DIGEST}`])
      }
    })
    expect(await deployedImage(service(docker))).toEqual({
      found: true,
      target: expect.objectContaining({
        kind: 'image',
        image: expect.objectContaining({ name: 'ghcr.io/acme/web' }),
        digest: DIGEST
      })
    })
    // The running containers of the project's service, by the labels Compose sets.
    expect(calls[0]).toEqual(
      expect.arrayContaining([
        '--filter',
        'label=com.docker.compose.project=shop',
        'label=com.docker.compose.service=web'
      ])
    )
    expect(calls[0]).not.toContain('--all')
    expect(calls[2]).toEqual(['image', 'inspect', '--format', '{{json .RepoDigests}}', IMAGE_ID])
  })

  it('reads a container created by digest too', async () => {
    const { docker } = fakeDocker({
      ps: { stdout: 'c1\n' },
      'container inspect': { stdout: container(`ghcr.io/acme/web:1.4.0@${DIGEST}`) },
      'image inspect': { stdout: JSON.stringify([`ghcr.io/acme/web@${DIGEST}`]) }
    })
    expect(await deployedImage(service(docker))).toMatchObject({ found: true, target: { digest: DIGEST } })
  })

  it('says why when nothing runs, or the image came from no registry', async () => {
    const none = fakeDocker({ ps: { stdout: '' } })
    expect(await deployedImage(service(none.docker))).toEqual({
      found: false,
      reason: 'no container of web runs on ssh://deploy@prod',
      firstDeploy: true
    })
    const built = fakeDocker({
      ps: { stdout: 'c1\n' },
      'container inspect': { stdout: container('web:local') },
      'image inspect': { stdout: '[]' }
    })
    expect(await deployedImage(service(built.docker))).toEqual({
      found: false,
      reason:
        'the image web:local that web runs on ssh://deploy@prod was not pulled from a registry (it has no repository digest)'
    })
  })
})

describe('deployedImage with Swarm', () => {
  it("takes the service spec's image, which Swarm pins by digest", async () => {
    const { docker, calls } = fakeDocker({
      'service inspect': {
        stdout: JSON.stringify({
          ID: 's1',
          Spec: { TaskTemplate: { ContainerSpec: { Image: `ghcr.io/acme/web:1.4.0@${DIGEST}` } } }
        })
      }
    })
    expect(await deployedImage(service(docker, 'swarm'))).toMatchObject({
      found: true,
      target: { tag: '1.4.0', digest: DIGEST, image: { name: 'ghcr.io/acme/web' } }
    })
    expect(calls[0]).toEqual(['service', 'inspect', '--format', '{{json .}}', 'shop_web'])
  })

  it('says why when the service is not there or names no digest', async () => {
    const missing = fakeDocker({
      'service inspect': { exitCode: 1, stderr: 'Error: no such service: shop_web' }
    })
    expect(await deployedImage(service(missing.docker, 'swarm'))).toEqual({
      found: false,
      reason: 'the swarm on ssh://deploy@prod has no service web',
      firstDeploy: true
    })
    const unpinned = fakeDocker({
      'service inspect': {
        stdout: JSON.stringify({
          Spec: { TaskTemplate: { ContainerSpec: { Image: 'ghcr.io/acme/web:1.4.0' } } }
        })
      }
    })
    expect(await deployedImage(service(unpinned.docker, 'swarm'))).toMatchObject({
      found: false,
      reason: expect.stringContaining('runs ghcr.io/acme/web:1.4.0, which is not a registry image by digest')
    })
  })
})
