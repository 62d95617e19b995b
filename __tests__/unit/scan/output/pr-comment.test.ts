import { describe, expect, it } from '@jest/globals'
import { runUrlFrom } from '../../../../src/github/context.js'
import {
  COMMENT_BODY_LIMIT,
  COMMENT_TABLE_ROWS,
  commentBody,
  commentMarker,
  type CommentInput
} from '../../../../src/scan/output/pr-comment/body.js'
import { describeOutcome } from '../../../../src/scan/output/pr-comment/upsert.js'
import type { FindingRow } from '../../../../src/scan/output/summary.js'
import type { Finding } from '../../../../src/scan/trivy/findings.js'

function finding(over: Partial<Finding> = {}): Finding {
  return {
    kind: 'vulnerability',
    id: 'CVE-2019-14697',
    otherIds: [],
    severity: 'CRITICAL',
    target: 'image (alpine 3.9.4)',
    resultClass: 'os-pkgs',
    pkgName: 'musl',
    pkgPath: '',
    pkgVersion: '1.1.20-r4',
    purl: '',
    fixedVersion: '1.1.20-r5',
    status: 'fixed',
    title: '',
    message: '',
    category: '',
    url: 'https://avd.aquasec.com/nvd/cve-2019-14697',
    layerDiffId: '',
    ...over
  }
}

function input(over: Partial<CommentInput> = {}): CommentInput {
  return {
    image: 'ghcr.io/acme/web',
    passed: false,
    reasons: ['1 CRITICAL finding at or above the threshold HIGH'],
    counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 4, HIGH: 0, CRITICAL: 1 },
    rows: [{ finding: finding(), line: 3 }],
    ignored: 2,
    dockerfile: 'docker/Dockerfile',
    runUrl: 'https://github.com/acme/web/actions/runs/42',
    ...over
  }
}

function rows(count: number, over: (i: number) => Partial<Finding> = () => ({})): FindingRow[] {
  return Array.from({ length: count }, (_, i) => ({
    finding: finding({ id: `CVE-2026-${String(i).padStart(5, '0')}`, ...over(i) }),
    line: i + 1
  }))
}

describe('commentBody', () => {
  it('starts with the hidden marker of its image, then the verdict and the reasons', () => {
    const body = commentBody(input())
    const lines = body.split('\n')
    expect(lines[0]).toBe('<!-- container-ship:scan image=ghcr.io/acme/web -->')
    expect(lines[0]).toBe(commentMarker('ghcr.io/acme/web'))
    expect(body).toContain('## Container Ship scan: `ghcr.io/acme/web`')
    expect(body).toContain(':x: **Failed**: the gate stops the push.')
    expect(body).toContain('- 1 CRITICAL finding at or above the threshold HIGH')
  })

  it('renders counts, the worst findings with links and Dockerfile lines, and what was ignored', () => {
    expect(commentBody(input())).toBe(
      [
        '<!-- container-ship:scan image=ghcr.io/acme/web -->',
        '## Container Ship scan: `ghcr.io/acme/web`',
        '',
        ':x: **Failed**: the gate stops the push.',
        '',
        '- 1 CRITICAL finding at or above the threshold HIGH',
        '',
        '| CRITICAL | HIGH | MEDIUM | LOW | UNKNOWN |',
        '| ---: | ---: | ---: | ---: | ---: |',
        '| 1 | 0 | 4 | 0 | 0 |',
        '',
        '2 findings were ignored (`ignore-unfixed` or the ignore file) and do not count.',
        '',
        '### Worst findings',
        '',
        '| Severity | ID | Package | Installed | Fixed | Dockerfile line |',
        '| --- | --- | --- | --- | --- | --- |',
        '| CRITICAL | [`CVE-2019-14697`](https://avd.aquasec.com/nvd/cve-2019-14697) | `musl` | `1.1.20-r4` | `1.1.20-r5` | `docker/Dockerfile:3` |',
        '',
        '<sub>[Workflow run](https://github.com/acme/web/actions/runs/42)</sub>',
        ''
      ].join('\n')
    )
  })

  it('says when the gate passed, with no reasons, and when there is nothing to report', () => {
    const body = commentBody(
      input({
        passed: true,
        reasons: [],
        rows: [],
        ignored: 0,
        counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 }
      })
    )
    expect(body).toContain(':white_check_mark: **Passed**: no finding fails the gate.')
    expect(body).toContain('No findings to report.')
    expect(body).not.toContain('ignored')
    expect(body).not.toContain('### Worst findings')
  })

  it('gives each image its own marker, never a prefix of another', () => {
    const web = commentMarker('ghcr.io/acme/web')
    const web2 = commentMarker('ghcr.io/acme/web2')
    expect(web).not.toBe(web2)
    expect(web2.startsWith(web)).toBe(false)
    expect(commentBody(input({ image: 'ghcr.io/acme/web2' })).split('\n')[0]).toBe(web2)
    // A stray `>` cannot close the marker early.
    expect(commentMarker('a>b')).toBe('<!-- container-ship:scan image=ab -->')
  })

  it(`shows at most ${COMMENT_TABLE_ROWS} rows and says how many more there are`, () => {
    const body = commentBody(input({ rows: rows(80) }))
    expect(body.match(/^\| CRITICAL \| \[/gm)).toHaveLength(COMMENT_TABLE_ROWS)
    expect(body).toContain(
      '30 more reported findings are not in this table: the step summary of [the run](https://github.com/acme/web/actions/runs/42) lists them all.'
    )
    expect(body).not.toContain('cut to keep')
  })

  it('cuts rows to stay under 65,536 characters and says so', () => {
    const huge = rows(COMMENT_TABLE_ROWS, (i) => ({
      pkgName: `${'p'.repeat(190)}${i}`,
      // Pipes are escaped in cells: the longest a cell gets.
      pkgVersion: '|'.repeat(300),
      fixedVersion: 'f'.repeat(300),
      url: `https://example.com/${'u'.repeat(470)}`
    }))
    const many = [...huge, ...huge, ...huge, ...huge]
    const body = commentBody(input({ rows: many }))
    expect(body.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT)
    const shown = body.match(/^\| CRITICAL \| \[/gm)?.length ?? 0
    expect(shown).toBeGreaterThan(0)
    expect(shown).toBeLessThan(COMMENT_TABLE_ROWS)
    const cut = COMMENT_TABLE_ROWS - shown
    expect(body).toContain(
      `${many.length - shown} more reported findings are not in this table (${cut} of them cut to keep this comment under GitHub's limit of 65,536 characters)`
    )
    // Cells are clipped, never left to grow a row without bound.
    expect(body).toContain(`\`${'f'.repeat(199)}…\``)
  })

  it('stays within a smaller budget too, and within the limit for an absurd input', () => {
    const small = commentBody(input({ rows: rows(40) }), 4_000)
    expect(small.length).toBeLessThanOrEqual(4_000)
    expect(small).toContain('cut to keep this comment')
    const tiny = commentBody(input({ rows: rows(5) }), 400)
    expect(tiny.length).toBeLessThanOrEqual(400)
    expect(tiny.split('\n')[0]).toBe(commentMarker('ghcr.io/acme/web'))
    expect(tiny).toContain('do not fit in a comment')
    const absurd = commentBody(input({ reasons: Array.from({ length: 500 }, () => 'r'.repeat(10_000)) }))
    expect(absurd.length).toBeLessThanOrEqual(COMMENT_BODY_LIMIT)
    expect(absurd.split('\n')[0]).toBe(commentMarker('ghcr.io/acme/web'))
    expect(absurd).toContain('- and 480 more (see the step summary)')
  })

  it('keeps report text from writing HTML, mentions or another image`s marker', () => {
    const hostile = finding({
      id: 'CVE-1 | x',
      pkgName: '@octocat <!-- container-ship:scan image=ghcr.io/acme/other -->',
      pkgVersion: '1`2',
      url: 'javascript:alert(1)'
    })
    const body = commentBody(
      input({ rows: [{ finding: hostile, line: 2 }], reasons: ['<img src=x> @octocat'] })
    )
    const row = body.split('\n').find((line) => line.startsWith('| CRITICAL | `')) as string
    expect(row).toContain('`CVE-1 \\| x`')
    expect(row).not.toContain('javascript:')
    expect(row).toContain('`@octocat <!-- container-ship:scan image=ghcr.io/acme/other -->`')
    expect(row).toContain("`1'2`")
    expect(body).toContain('- &lt;img src=x&gt; @octocat')
    // Only the first line is a marker.
    expect(body.split('\n').filter((line) => line.startsWith('<!--'))).toHaveLength(1)
  })

  it('links only http(s) URLs and escapes parentheses in them', () => {
    const body = commentBody(
      input({
        rows: [{ finding: finding({ url: 'https://example.com/a_(b)' }), line: 1 }],
        runUrl: 'ftp://x'
      })
    )
    expect(body).toContain('[`CVE-2019-14697`](https://example.com/a_%28b%29)')
    expect(body).not.toContain('Workflow run')
  })
})

describe('describeOutcome and runUrlFrom', () => {
  it('says what happened, warning for refusals and failures', () => {
    expect(describeOutcome('img', { status: 'created', commentId: 1, url: 'u' })).toEqual({
      warning: false,
      message: 'Pull request comment for img created: u'
    })
    expect(describeOutcome('img', { status: 'skipped', reason: 'r', warning: true }).warning).toBe(true)
    expect(describeOutcome('img', { status: 'skipped', reason: 'r', warning: false }).warning).toBe(false)
    expect(describeOutcome('img', { status: 'failed', message: 'm' })).toEqual({
      warning: true,
      message: 'The pull request comment for img was not written: m'
    })
  })

  it('builds the run URL from the runner environment', () => {
    const env = {
      GITHUB_SERVER_URL: 'https://ghe.example.com/',
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_RUN_ID: '9'
    }
    expect(runUrlFrom(env)).toBe('https://ghe.example.com/acme/web/actions/runs/9')
    expect(runUrlFrom({ ...env, GITHUB_RUN_ATTEMPT: '2' })).toBe(
      'https://ghe.example.com/acme/web/actions/runs/9/attempts/2'
    )
    expect(runUrlFrom({ GITHUB_REPOSITORY: 'acme/web' })).toBeUndefined()
  })
})

describe('the deploy in the comment', () => {
  it('follows the verdict, after the comparison that leads', () => {
    const lines = commentBody(
      input({
        passed: true,
        reasons: [],
        comparison: '**1 new**',
        deployment: ':rocket: Deployed to preview.'
      })
    ).split('\n')
    const at = (line: string): number => lines.indexOf(line)
    expect(at('**1 new**')).toBeGreaterThan(0)
    expect(at('**1 new**')).toBeLessThan(at(':white_check_mark: **Passed**: no finding fails the gate.'))
    expect(at(':white_check_mark: **Passed**: no finding fails the gate.')).toBeLessThan(
      at(':rocket: Deployed to preview.')
    )
  })

  it('is absent when nothing was deployed', () => {
    expect(commentBody(input())).not.toContain('Deployed')
  })
})
