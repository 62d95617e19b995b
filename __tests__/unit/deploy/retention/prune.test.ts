import { describe, expect, it } from '@jest/globals'
import type { DockerCli } from '../../../../src/docker/cli.js'
import {
  deployedTagOf,
  pruneMessage,
  pruneReleases,
  releaseName,
  repositoryOf
} from '../../../../src/deploy/retention/prune.js'
import type { RunResult } from '../../../../src/program/program.js'

const REPO = '127.0.0.1:5000/acme/web'
const DIGEST = `sha256:${'a'.repeat(64)}`
const id = (n: number): string => `sha256:${String(n).repeat(64)}`

interface FakeImage {
  id: string
  tags: string[]
  digests?: string[]
  created: string
  lastTag?: string
  size: number
}

/** A host holding `images`; containers use `inUse`; `image rm` of every reference removes one. */
function fakeHost(images: FakeImage[], inUse: string[], refuse: string[] = []) {
  const present = new Map(images.map((image) => [image.id, image]))
  const calls: string[][] = []
  const ok = (stdout: string): RunResult => ({ exitCode: 0, stdout, stderr: '' })
  const docker = {
    run: async (args: string[]): Promise<RunResult> => {
      calls.push(args)
      const [a, b] = args
      if (a === 'tag') return ok('')
      if (a === 'image' && b === 'ls') return ok([...present.keys()].map((i) => `${i}\n${i}`).join('\n'))
      if (a === 'image' && b === 'inspect' && args[3] === '{{json .}}') {
        return ok(
          args
            .slice(4)
            .map((i) => present.get(i) as FakeImage)
            .map((image) =>
              JSON.stringify({
                Id: image.id,
                RepoTags: image.tags,
                RepoDigests: image.digests ?? [],
                Created: image.created,
                Size: image.size,
                Metadata: { LastTagTime: image.lastTag ?? '0001-01-01T00:00:00Z' }
              })
            )
            .join('\n')
        )
      }
      if (a === 'image' && b === 'inspect') {
        const ref = args[4] as string
        const found = [...present.values()].find((image) => image.id === ref || image.tags.includes(ref))
        return found
          ? ok(`${found.id}\n`)
          : { exitCode: 1, stdout: '', stderr: `Error: No such image: ${ref}\n` }
      }
      if (a === 'ps') return ok(inUse.map((_, i) => `c${i}`).join('\n'))
      if (a === 'container' && b === 'inspect') return ok(inUse.join('\n'))
      if (a === 'image' && b === 'rm') {
        const image = [...present.values()].find((item) => item.tags.includes(args[2] as string))
        if (!image) return { exitCode: 1, stdout: '', stderr: 'Error: No such image\n' }
        if (refuse.includes(image.id))
          return {
            exitCode: 1,
            stdout: '',
            stderr: 'Error response from daemon: conflict: image is being used\n'
          }
        present.delete(image.id)
        return ok('Untagged\nDeleted\n')
      }
      throw new Error(`unexpected docker ${args.join(' ')}`)
    }
  }
  return { docker: docker as unknown as DockerCli, calls, present }
}

// Built in one order (Created: 4, 2, 3, 1, as after build cache hits), deployed in another
// (LastTagTime: 1, 2, 3, 4): deploys decide.
const images: FakeImage[] = [
  {
    id: id(1),
    tags: [`${REPO}:1`, `${REPO}:1.0.0`],
    created: '2025-12-30T00:00:00Z',
    lastTag: '2026-01-01T00:00:00Z',
    size: 10
  },
  {
    id: id(2),
    tags: [`${REPO}:2.0.0`],
    digests: [`${REPO}@${DIGEST}`],
    created: '2025-12-20T00:00:00Z',
    lastTag: '2026-01-02T00:00:00Z',
    size: 20
  },
  {
    id: id(3),
    tags: [`${REPO}:3.0.0`],
    created: '2025-12-25T00:00:00Z',
    lastTag: '2026-01-03T00:00:00Z',
    size: 30
  },
  {
    id: id(4),
    tags: [`${REPO}:4.0.0`, `${REPO}:latest`],
    created: '2025-12-10T00:00:00Z',
    lastTag: '2026-01-04T00:00:00Z',
    size: 40
  }
]

describe('pruneReleases', () => {
  it('marks the running release deployed, then removes the releases beyond keep-releases by every reference', async () => {
    const { docker, calls, present } = fakeHost(images, [])
    const report = await pruneReleases(docker, {
      repository: REPO,
      keepReleases: 2,
      runningId: id(4),
      deployedTag: `${REPO}:4.0.0`,
      previousImage: `${REPO}:3.0.0@${DIGEST}`.replace(`@${DIGEST}`, '')
    })
    expect(calls[0]).toEqual(['tag', id(4), `${REPO}:4.0.0`])
    expect(report.removed.map((image) => image.release)).toEqual(['1.0.0', '2.0.0'])
    expect(report.bytes).toBe(30)
    expect(report.warnings).toEqual([])
    expect(calls).toContainEqual(['image', 'rm', `${REPO}:2.0.0`, `${REPO}@${DIGEST}`])
    expect(calls.some((args) => args.includes('--force'))).toBe(false)
    expect([...present.keys()]).toEqual([id(3), id(4)])
    expect(pruneMessage(REPO, '', report)).toBe(
      `keep-releases: removed 2 image(s) of ${REPO}: 1.0.0 (111111111111), 2.0.0 (222222222222); 0.0 MB (30 bytes) freed`
    )
  })

  it('never removes the previous release or an image a container uses', async () => {
    const { docker, present } = fakeHost(images, [id(2)])
    const report = await pruneReleases(docker, {
      repository: REPO,
      keepReleases: 1,
      runningId: id(4),
      deployedTag: '',
      previousImage: `${REPO}:1.0.0`
    })
    expect(report.removed.map((image) => image.id)).toEqual([id(3)])
    expect([...present.keys()].sort()).toEqual([id(1), id(2), id(4)])
  })

  it('turns a refused removal into a warning', async () => {
    const { docker } = fakeHost(images, [], [id(1)])
    const report = await pruneReleases(docker, {
      repository: REPO,
      keepReleases: 3,
      runningId: id(4),
      deployedTag: '',
      previousImage: ''
    })
    expect(report.removed).toEqual([])
    expect(report.warnings).toEqual([
      `${REPO} 1.0.0 (${id(1)}) was not removed: Error response from daemon: conflict: image is being used`
    ])
  })

  it('keeps all with keep-releases 0, asking the host nothing', async () => {
    const { docker, calls } = fakeHost(images, [])
    const report = await pruneReleases(docker, {
      repository: REPO,
      keepReleases: 0,
      runningId: id(4),
      deployedTag: `${REPO}:4.0.0`,
      previousImage: ''
    })
    expect(report.removed).toEqual([])
    expect(calls).toEqual([])
  })
})

describe('names', () => {
  it('finds the repository and the deployed tag of a reference', () => {
    expect(repositoryOf(`${REPO}:1.2.3@${DIGEST}`)).toBe(REPO)
    expect(repositoryOf(`${REPO}@${DIGEST}`)).toBe(REPO)
    expect(repositoryOf(`${REPO}:1.2.3`)).toBe(REPO)
    expect(deployedTagOf(`${REPO}:1.2.3@${DIGEST}`)).toBe(`${REPO}:1.2.3`)
    expect(deployedTagOf(`${REPO}@${DIGEST}`)).toBe('')
  })

  it('names a release by its most specific version tag', () => {
    expect(releaseName(['1', '1.2', '1.2.3', 'latest', 'sha-0123456'])).toBe('1.2.3')
    expect(releaseName(['latest'])).toBe('latest')
    expect(releaseName([])).toBe('<no tag>')
  })
})
