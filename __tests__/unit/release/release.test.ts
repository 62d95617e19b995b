import { describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { makeInputs } from '../../../__fixtures__/inputs.js'
import { readGitHubContext } from '../../../src/github/context.js'
import type { RegistryClients } from '../../../src/registry/access.js'
import { RegistryClient } from '../../../src/registry/api.js'
import { decidePush, planRelease, reportRelease } from '../../../src/release/release.js'

describe('decidePush', () => {
  it.each([
    [['build', 'push'], 'auto', 'push', true],
    [['build', 'push'], 'auto', 'pull_request', false],
    [['build', 'push'], 'auto', 'pull_request_target', false],
    [['build', 'push'], 'true', 'pull_request', true],
    [['build', 'push'], 'false', 'push', false],
    [['build'], 'true', 'push', false]
  ] as const)('steps %j, push %s, event %s: %s', (steps, push, eventName, expected) => {
    const pullRequestNumber = eventName.startsWith('pull_request') ? 7 : undefined
    expect(decidePush({ steps: [...steps], publish: { push } }, { eventName, pullRequestNumber }).push).toBe(
      expected
    )
  })

  it.each(['pull-request', 'pull-request-review', 'merge-group'] as const)(
    'never pushes a %s run with push: auto',
    (fixture) => {
      const github = readGitHubContext(eventEnv(fixture))
      const decision = decidePush({ steps: ['build', 'push'], publish: { push: 'auto' } }, github)
      expect(decision.push).toBe(false)
      expect(decision.reason).toMatch(/pull request|merge_group/)
    }
  )

  it('pushes a branch push with push: auto', () => {
    const github = readGitHubContext(eventEnv('branch-push'))
    expect(decidePush({ steps: ['build', 'push'], publish: { push: 'auto' } }, github).push).toBe(true)
  })
})

describe('the GitHub context', () => {
  it('labels the commit that was built and tags the one reviewers saw', () => {
    const github = readGitHubContext(eventEnv('pull-request'))
    expect(github.sha).toBe('fedcba9876543210fedcba9876543210fedcba98')
    expect(github.tagSha).toBe('5555555555aaaaaaaaaa5555555555aaaaaaaaaa')
  })
  it('finds the pull request of a review by its ref', () => {
    expect(readGitHubContext(eventEnv('pull-request-review')).pullRequestNumber).toBe(43)
  })
})

describe('planRelease', () => {
  const github = readGitHubContext(eventEnv('branch-push'))
  const clients =
    (withCredentials: string[]): RegistryClients =>
    async (registry) =>
      new RegistryClient(
        registry,
        withCredentials.includes(registry) ? { username: 'u', password: 'p' } : undefined
      )

  it('warns before the build of each registry the push reaches without credentials', async () => {
    const inputs = makeInputs({
      image: 'ghcr.io/acme/web',
      tags: 'docker.io/acme/web:edge\nquay.io/acme/web:edge\nlocalhost:5000/acme/web:edge'
    })
    const printed: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      printed.push(String(chunk))
      return true
    })
    try {
      const release = await planRelease(inputs, github, clients(['ghcr.io', 'quay.io']))
      expect(release.references).toEqual([
        'ghcr.io/acme/web:sha-89abcde',
        'ghcr.io/acme/web:feature-Login-Form',
        'docker.io/acme/web:edge',
        'quay.io/acme/web:edge',
        'localhost:5000/acme/web:edge'
      ])
    } finally {
      spy.mockRestore()
    }
    const warnings = printed.filter((line) => line.startsWith('::warning::'))
    expect(warnings).toHaveLength(1)
    expect(warnings[0]).toContain('No credentials for docker.io were found')
  })

  describe('alias references of the tags input', () => {
    const release = readGitHubContext(eventEnv('tag-push', { GITHUB_REF: 'refs/tags/v1.2.0' }))
    /** Registries whose tags are given per `registry/repository`; each listing is counted. */
    const listingRegistries = (tags: Record<string, string[] | Error>) => {
      const listed: string[] = []
      const registries: RegistryClients = async (registry) =>
        ({
          registry,
          hasCredentials: true,
          listTags: async (repository: string) => {
            listed.push(`${registry}/${repository}`)
            const found = tags[`${registry}/${repository}`] ?? []
            if (found instanceof Error) throw found
            return found
          }
        }) as unknown as RegistryClient
      return { registries, listed }
    }
    const captured = async <T>(work: () => Promise<T>): Promise<{ value: T; printed: string[] }> => {
      const printed: string[] = []
      const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
        printed.push(String(chunk))
        return true
      })
      try {
        return { value: await work(), printed }
      } finally {
        spy.mockRestore()
      }
    }

    it('withholds those with a newer release in their repository, reading each repository once', async () => {
      const inputs = makeInputs({
        image: 'ghcr.io/acme/web',
        'tag-sha': 'false',
        tags: [
          'ghcr.io/acme/web:latest',
          'docker.io/acme/web:latest',
          'acme/web:1',
          'quay.io/acme/web:1.2',
          'quay.io/acme/web:latest',
          'quay.io/acme/web:edge'
        ].join('\n')
      })
      const { registries, listed } = listingRegistries({
        'ghcr.io/acme/web': ['1.1.0', '2.0.0'],
        'docker.io/acme/web': ['1.5.0'],
        'quay.io/acme/web': ['1.1.0', '1.3.0-rc.1']
      })
      const { value, printed } = await captured(() => planRelease(inputs, release, registries))
      expect(value.references).toEqual([
        'ghcr.io/acme/web:1.2.0',
        'ghcr.io/acme/web:1.2',
        'ghcr.io/acme/web:1',
        'quay.io/acme/web:1.2',
        'quay.io/acme/web:latest',
        'quay.io/acme/web:edge'
      ])
      expect(listed.sort()).toEqual(['docker.io/acme/web', 'ghcr.io/acme/web', 'quay.io/acme/web'])
      // ghcr.io/acme/web:latest is the plan's own latest, withheld once, as the plan's.
      expect(printed.filter((line) => line.includes('stays where it is'))).toEqual([
        'Tag latest stays where it is: the registry already has 2.0.0, newer than 1.2.0.\n',
        'docker.io/acme/web:latest stays where it is: the registry already has 1.5.0, newer than 1.2.0.\n',
        'acme/web:1 stays where it is: the registry already has 1.5.0, newer than 1.2.0.\n'
      ])
      const report = reportRelease(inputs, value)
      expect(report.outputs.tags?.split('\n')).toEqual(value.references)
      expect(report.notes).toEqual([
        '`latest` was not moved: the registry already has 2.0.0, newer than 1.2.0.',
        '`docker.io/acme/web:latest` was not moved: the registry already has 1.5.0, newer than 1.2.0.',
        '`acme/web:1` was not moved: the registry already has 1.5.0, newer than 1.2.0.'
      ])
    })

    it('withholds them, with a warning, when their repository cannot be listed', async () => {
      const inputs = makeInputs({
        image: 'ghcr.io/acme/web',
        tags: 'quay.io/acme/web:latest\nquay.io/acme/web:edge'
      })
      const { registries, listed } = listingRegistries({
        'quay.io/acme/web': new Error('quay.io refused the credentials (401 Unauthorized) for acme/web')
      })
      const { value, printed } = await captured(() => planRelease(inputs, release, registries))
      expect(value.references).toContain('quay.io/acme/web:edge')
      expect(value.references).not.toContain('quay.io/acme/web:latest')
      expect(value.withheldReferences).toEqual([
        { reference: 'quay.io/acme/web:latest', reason: "the registry's tags could not be read" }
      ])
      expect(listed.filter((name) => name === 'quay.io/acme/web')).toHaveLength(1)
      expect(
        printed.some((line) => line.startsWith('::warning::Could not read the tags of quay.io/acme/web'))
      ).toBe(true)
    })

    it('reads no registry when nothing is pushed, and pushes the aliases as given', async () => {
      const inputs = makeInputs({ image: 'ghcr.io/acme/web', push: 'false', tags: 'quay.io/acme/web:latest' })
      const { registries, listed } = listingRegistries({ 'quay.io/acme/web': ['9.0.0'] })
      const { value } = await captured(() => planRelease(inputs, release, registries))
      expect(listed).toEqual([])
      expect(value.references).toContain('quay.io/acme/web:latest')
      expect(value.withheldReferences).toEqual([])
    })

    it('reads no registry for a branch build whose references name no version', async () => {
      const inputs = makeInputs({
        image: 'ghcr.io/acme/web',
        tags: 'quay.io/acme/web:latest\nquay.io/acme/web:1'
      })
      const { registries, listed } = listingRegistries({ 'quay.io/acme/web': ['9.0.0'] })
      const { value } = await captured(() => planRelease(inputs, github, registries))
      expect(listed).toEqual([])
      expect(value.references).toEqual(
        expect.arrayContaining(['quay.io/acme/web:latest', 'quay.io/acme/web:1'])
      )
    })

    it('leaves latest to tag-latest: true when a reference names the same tag of image', async () => {
      const inputs = makeInputs({
        image: 'ghcr.io/acme/web',
        'tag-latest': 'true',
        tags: 'ghcr.io/acme/web:latest'
      })
      const { registries } = listingRegistries({ 'ghcr.io/acme/web': ['2.0.0'] })
      const { value } = await captured(() => planRelease(inputs, release, registries))
      expect(value.references).toContain('ghcr.io/acme/web:latest')
      expect(value.withheldReferences).toEqual([])
    })
  })
})
