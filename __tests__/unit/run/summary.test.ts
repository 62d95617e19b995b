import { describe, expect, it } from '@jest/globals'
import { makeInputs } from '../../../__fixtures__/inputs.js'
import { HOSTILE, outsideCodeSpans } from '../../../__fixtures__/markdown.js'
import { STEPS } from '../../../src/pipeline/steps.js'
import { reportRun } from '../../../src/run/main.js'
import type { RunRecord } from '../../../src/run/record.js'
import type { ContainerFailure, DeployResult } from '../../../src/deploy/result.js'
import { summaryMarkdown } from '../../../src/run/summary.js'

const inputs = makeInputs({ image: 'ghcr.io/acme/web' })
/** Each step's own inputs, as the run records them. */
const own = { build: inputs.build, scan: inputs.scan, deploy: inputs.deploy }
const markdown = (record: RunRecord): string => summaryMarkdown(record, reportRun(STEPS, record))
const outputs = (record: RunRecord): Record<string, string> =>
  Object.assign({}, ...reportRun(STEPS, record).map((report) => report.outputs))

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
      own,
      release,
      results: {
        build: {
          imageId: 'sha256:aaa',
          references: release.references,
          builder: {
            kind: 'buildx',
            name: 'builder-1',
            driver: 'docker-container',
            platforms: ['linux/amd64'],
            output: 'oci-layout'
          },
          layout: { dir: '/tmp/layout', digest: 'sha256:bbb' }
        },
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
        '| Built | OCI image layout `sha256:bbb` |',
        '| Image ID | `sha256:aaa` |',
        '| Builder | buildx builder-1 (docker-container driver) |',
        '| Scan | not run |',
        '| Pushed | 3 of 3 references |',
        '| Digest | `sha256:bbb` |',
        '| Deploy | skipped (deploy-host is empty) |',
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
      own,
      release,
      results: {
        build: {
          imageId: 'sha256:aaa',
          references: release.references,
          builder: {
            kind: 'buildx',
            name: 'builder-1',
            driver: 'docker-container',
            platforms: ['linux/amd64'],
            output: 'oci-layout'
          },
          layout: { dir: '/tmp/layout', digest: 'sha256:bbb' }
        },
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
      own,
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
        'fixed-findings',
        'image',
        'imageid',
        'image-id',
        'metadata',
        'new-findings',
        'previous-image',
        'pushed-tags',
        'report-file',
        'report-files',
        'sbom-files',
        'sarif-file',
        'scan-result',
        'tags',
        'version'
      ].sort()
    )
  })
})

describe('summaryMarkdown: what a program, an image or a registry said shows as text', () => {
  const hostile = Object.values(HOSTILE).join(' ')
  const failure: ContainerFailure = {
    name: `web-2 ${HOSTILE.html}`,
    id: 'f'.repeat(64),
    reason: `docker events exited with 1: ${HOSTILE.link} ${HOSTILE.details}`,
    healthLog: ['exit 1: HEALTH-OUTPUT-MARKER 404 Not Found'],
    logTail: `LOG-TAIL-MARKER ${hostile}\n::error::from the container`
  }
  const deploy: DeployResult = {
    deployed: false,
    previousImage: `ghcr.io/acme/web:1.0.0 ${HOSTILE.details}`,
    containers: [failure.id],
    host: 'ssh://deploy@example.com',
    project: 'shop',
    service: 'web',
    image: 'ghcr.io/acme/web:1.4.1',
    timeline: [{ phase: 'not healthy', seconds: 3 }],
    rolledBack: true,
    failures: [failure],
    hosts: []
  }
  const record: RunRecord = {
    inputs,
    own,
    release: {
      ...release,
      plan: { ...release.plan, withheld: [{ tag: 'latest', reason: `the registry already has ${hostile}` }] }
    },
    results: {
      push: { digest: `sha256:bbb ${HOSTILE.newline}`, pushed: [], failed: HOSTILE.details, taggedByApi: 0 },
      deploy
    },
    error: `\`docker buildx build\` failed with exit code 1:\n${HOSTILE.html}\n${HOSTILE.link}\n${HOSTILE.details}\n${HOSTILE.image}`
  }

  it('renders no tag, link or image of theirs anywhere', () => {
    const outside = outsideCodeSpans(markdown(record))
    expect(outside).not.toMatch(/<(?!br>)/)
    expect(outside).not.toMatch(/(?<!\\)\[[^\]]*(?<!\\)\]\(/)
    // The caution keeps its own code span and shows each line as escaped text.
    expect(markdown(record)).toContain(
      '> [!CAUTION]\n> `docker buildx build` failed with exit code 1:\n> &lt;img src=x onerror=alert(1)&gt;\n> \\[click\\](https://evil.example)\n'
    )
  })

  it('keeps a failed container`s logs out, naming it and pointing to the job log', () => {
    const text = markdown(record)
    expect(text).not.toContain('LOG-TAIL-MARKER')
    expect(text).not.toContain('HEALTH-OUTPUT-MARKER')
    expect(text).not.toContain('```')
    expect(text).toContain(
      '- `web-2 <img src=x onerror=alert(1)>` (`ffffffffffff`): docker events exited with 1: \\[click\\](https://evil.example) &lt;/details&gt;&lt;script&gt;alert(1)&lt;/script&gt;. Its last health checks and log lines are in the job log, in the group `Logs of web-2 <img src=x onerror=alert(1)> (ffffffffffff)`.'
    )
  })
})
