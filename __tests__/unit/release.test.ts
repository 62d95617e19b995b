import { describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../__fixtures__/events.js'
import { makeInputs } from '../../__fixtures__/inputs.js'
import { readGitHubContext } from '../../src/github-context.js'
import type { RegistryClients } from '../../src/registry-access.js'
import { RegistryClient } from '../../src/registry-api.js'
import { decidePush, planRelease } from '../../src/release.js'

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
})
