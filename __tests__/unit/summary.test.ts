import { describe, expect, it } from '@jest/globals'
import type { RunRecord } from '../../src/main.js'
import { summaryMarkdown } from '../../src/summary.js'
import type { Inputs } from '../../src/inputs.js'

const inputs = { image: { name: 'ghcr.io/acme/web', registry: 'ghcr.io', repository: 'acme/web' } } as Inputs

describe('summaryMarkdown', () => {
  it('tells what was built, pushed and left where it was', () => {
    const record: RunRecord = {
      inputs,
      plan: {
        version: '1.4.1',
        tags: ['1.4.1', '1.4', 'sha-0123456'],
        withheld: [{ tag: 'latest', reason: 'the registry already has 2.0.0, newer than 1.4.1' }]
      },
      pushing: { push: true, reason: 'push is auto' },
      built: { imageId: 'sha256:aaa', references: [], builder: 'buildx' },
      scanned: { result: 'skipped', findings: {} },
      pushed: { digest: 'sha256:bbb', pushed: ['a', 'b', 'c'] },
      deploySkipped: 'docker-host is empty'
    }
    expect(summaryMarkdown(record)).toBe(
      [
        '## Container Ship: ghcr.io/acme/web',
        '',
        '| | |',
        '| --- | --- |',
        '| Version | `1.4.1` |',
        '| Tags | `1.4.1` `1.4` `sha-0123456` |',
        '| Image ID | `sha256:aaa` |',
        '| Builder | buildx |',
        '| Scan | skipped |',
        '| Pushed | 3 tags |',
        '| Digest | `sha256:bbb` |',
        '| Deploy | skipped (docker-host is empty) |',
        '',
        '- `latest` was not moved: the registry already has 2.0.0, newer than 1.4.1.',
        ''
      ].join('\n')
    )
  })

  it('puts the error first, every line of it quoted, and says why nothing was pushed', () => {
    const markdown = summaryMarkdown({
      inputs,
      plan: { version: 'pr-7', tags: ['pr-7'], withheld: [] },
      pushing: { push: false, reason: 'push is auto and this is a pull_request event' },
      error: '`docker buildx build` failed with exit code 1:\nERROR: exit code: 3'
    })
    expect(markdown).toContain(
      '> [!CAUTION]\n> `docker buildx build` failed with exit code 1:\n> ERROR: exit code: 3\n'
    )
    expect(markdown).toContain('| Pushed | no (push is auto and this is a pull_request event) |')
    expect(markdown).toContain('| Scan | not run |')
  })

  it('still has a heading when the inputs were invalid', () => {
    expect(summaryMarkdown({ error: 'Invalid input: image: is empty' })).toMatch(
      /^## Container Ship: no image\n/
    )
  })
})
