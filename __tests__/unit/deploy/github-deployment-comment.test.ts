import { afterEach, describe, expect, it } from '@jest/globals'
import { deploymentCommentLine } from '../../../src/deploy/github-deployment.js'

const saved = { ...process.env }
afterEach(() => {
  process.env = { ...saved }
})

describe("the deploy's line in the pull request comment", () => {
  it('links the environment and its address on success', () => {
    process.env.GITHUB_SERVER_URL = 'https://github.com'
    process.env.GITHUB_REPOSITORY = 'acme/web'
    expect(
      deploymentCommentLine(
        { id: 7, environment: 'pr 42', url: 'https://pr-42.example.test/' },
        'success',
        false
      )
    ).toBe(
      ':rocket: Deployed to [pr 42](https://github.com/acme/web/deployments/pr%2042) (deployment 7): [https://pr-42.example.test/](https://pr-42.example.test/).'
    )
  })

  it('says a failure was rolled back only when it was', () => {
    delete process.env.GITHUB_REPOSITORY
    const rolledBack = deploymentCommentLine({ id: 8, environment: 'preview', url: '' }, 'failure', true)
    expect(rolledBack).toBe(
      ':x: The deploy to preview failed (deployment 8) and was rolled back: the release before keeps serving.'
    )
    expect(deploymentCommentLine({ id: 8, environment: 'preview', url: '' }, 'failure', false)).toBe(
      ':x: The deploy to preview failed (deployment 8).'
    )
  })

  it('never links an address that is not http(s), and escapes the name', () => {
    process.env.GITHUB_REPOSITORY = 'acme/web'
    const line = deploymentCommentLine(
      { id: 9, environment: 'a]<b', url: 'javascript:alert(1)' },
      'success',
      false
    )
    expect(line).not.toContain('javascript:')
    expect(line).toContain('a\\]&lt;b')
  })
})
