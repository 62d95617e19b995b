import { describe, expect, it } from '@jest/globals'
import { makeInputs } from '../../__fixtures__/inputs.js'
import { reportRun } from '../../src/main.js'
import type { RunRecord } from '../../src/run-record.js'
import { summaryMarkdown } from '../../src/summary.js'

const inputs = makeInputs({ image: 'ghcr.io/acme/web' })
const markdown = (record: RunRecord): string => summaryMarkdown(record, reportRun(record))
const outputs = (record: RunRecord): Record<string, string> =>
  Object.assign({}, ...reportRun(record).map((report) => report.outputs))

const release: NonNullable<RunRecord['release']> = {
  plan: {
    version: '1.4.1',
    tags: ['1.4.1', '1.4', 'sha-0123456'],
    withheld: [{ tag: 'latest', reason: 'the registry already has 2.0.0, newer than 1.4.1' }]
  },
  references: ['ghcr.io/acme/web:1.4.1', 'ghcr.io/acme/web:1.4', 'ghcr.io/acme/web:sha-0123456'],
  withheldReferences: [
    { reference: 'quay.io/acme/web:1', reason: 'the registry already has 1.5.0, newer than 1.4.1' }
  ],
  pushing: { push: true, reason: 'push is auto' }
}

describe('summaryMarkdown', () => {
  it('tells what was built, pushed and left where it was', () => {
    const record: RunRecord = {
      inputs,
      release,
      results: {
        build: { imageId: 'sha256:aaa', references: release.references, builder: 'buildx' },
        push: { digest: 'sha256:bbb', pushed: release.references, taggedByApi: 2 }
      }
    }
    expect(markdown(record)).toBe(
      [
        '## Container Ship: ghcr.io/acme/web',
        '',
        '| | |',
        '| --- | --- |',
        '| Version | `1.4.1` |',
        '| Tags | `ghcr.io/acme/web:1.4.1` `ghcr.io/acme/web:1.4` `ghcr.io/acme/web:sha-0123456` |',
        '| Image ID | `sha256:aaa` |',
        '| Builder | buildx |',
        '| Scan | not run |',
        '| Pushed | 3 of 3 references |',
        '| Digest | `sha256:bbb` |',
        '| Deploy | skipped (docker-host is empty) |',
        '',
        '- `latest` was not moved: the registry already has 2.0.0, newer than 1.4.1.',
        '- `quay.io/acme/web:1` was not moved: the registry already has 1.5.0, newer than 1.4.1.',
        ''
      ].join('\n')
    )
  })

  it('says which tags were pushed when a push fails half-way, in the summary and the outputs', () => {
    const record: RunRecord = {
      inputs,
      release,
      results: {
        build: { imageId: 'sha256:aaa', references: release.references, builder: 'buildx' },
        push: {
          digest: 'sha256:bbb',
          pushed: release.references.slice(0, 2),
          failed: release.references[2],
          taggedByApi: 1
        }
      },
      error: 'tag ghcr.io/acme/web:sha-0123456 failed'
    }
    expect(markdown(record)).toContain('| Pushed | 2 of 3 references |')
    expect(markdown(record)).toContain(
      '- Push failed at `ghcr.io/acme/web:sha-0123456`; in the registry: `ghcr.io/acme/web:1.4.1` `ghcr.io/acme/web:1.4`.'
    )
    expect(outputs(record)).toMatchObject({
      digest: 'sha256:bbb',
      'pushed-tags': 'ghcr.io/acme/web:1.4.1\nghcr.io/acme/web:1.4',
      tags: release.references.join('\n'),
      version: '1.4.1'
    })
  })

  it('puts the error first, every line of it quoted, and says why nothing was pushed', () => {
    const record: RunRecord = {
      inputs,
      release: {
        plan: { version: 'pr-7', tags: ['pr-7'], withheld: [] },
        references: ['ghcr.io/acme/web:pr-7'],
        withheldReferences: [],
        pushing: { push: false, reason: 'push is auto and this is a pull request run (pull_request)' }
      },
      results: {},
      error: '`docker buildx build` failed with exit code 1:\nERROR: exit code: 3'
    }
    const text = markdown(record)
    expect(text).toContain(
      '> [!CAUTION]\n> `docker buildx build` failed with exit code 1:\n> ERROR: exit code: 3\n'
    )
    expect(text).toContain('| Pushed | no (push is auto and this is a pull request run (pull_request)) |')
    expect(text).toContain('| Scan | not run |')
  })

  it('still has a heading, and every output, when the inputs were invalid', () => {
    const record: RunRecord = { results: {}, error: 'Invalid input: image: is empty' }
    expect(markdown(record)).toMatch(/^## Container Ship: no image\n/)
    expect(Object.keys(outputs(record)).sort()).toEqual(
      [
        'containers',
        'deployed',
        'digest',
        'findings',
        'image',
        'image-id',
        'previous-image',
        'pushed-tags',
        'report-file',
        'sarif-file',
        'scan-result',
        'tags',
        'version'
      ].sort()
    )
  })
})
