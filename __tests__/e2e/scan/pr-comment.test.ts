// upsertComment against the stand-in GitHub API (stand-in-github.ts) through the real
// @actions/github client: one comment per image, found again across pages and edited in place,
// refusals as warnings, and the token never in a message.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from '@jest/globals'
import { GITHUB_API_VERSION } from '../../../src/github/rest-client.js'
import { commentMarker, type CommentInput } from '../../../src/scan/output/pr-comment/body.js'
import {
  upsertComment,
  type CommentOutcome,
  type UpsertOptions
} from '../../../src/scan/output/pr-comment/upsert.js'
import type { Finding } from '../../../src/scan/trivy/findings.js'
import {
  ACTIONS_BOT,
  startStandInGitHub,
  type StandInGitHub,
  type StandInGitHubOptions
} from '../../support/stand-in-github.js'

const WRITE = `ghs_${randomBytes(18).toString('hex')}`
const READ_ONLY = `ghs_${randomBytes(18).toString('hex')}`
const PAT = `ghp_${randomBytes(18).toString('hex')}`
const APP = `ghs_${randomBytes(18).toString('hex')}`
const TOKENS: StandInGitHubOptions['tokens'] = {
  [WRITE]: { kind: 'installation', login: ACTIONS_BOT.login, write: true },
  [READ_ONLY]: { kind: 'installation', login: ACTIONS_BOT.login, write: false },
  [PAT]: { kind: 'user', login: 'release-bot-user', write: true },
  [APP]: { kind: 'installation', login: 'acme-ci[bot]', write: true }
}
const ALL_TOKENS = [WRITE, READ_ONLY, PAT, APP]

let standIn: StandInGitHub | undefined

afterEach(async () => {
  await standIn?.close()
  standIn = undefined
})

async function start(options: Partial<StandInGitHubOptions> = {}): Promise<StandInGitHub> {
  standIn = await startStandInGitHub({ tokens: TOKENS, pullRequests: [7], ...options })
  return standIn
}

function scan(over: Partial<CommentInput> = {}): CommentInput {
  const finding: Finding = {
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
    layerDiffId: ''
  }
  return {
    image: 'ghcr.io/acme/web',
    passed: false,
    reasons: ['1 CRITICAL finding at or above the threshold HIGH'],
    counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 1 },
    rows: [{ finding, line: 2 }],
    ignored: 0,
    dockerfile: 'Dockerfile',
    ...over
  }
}

function upsert(gh: StandInGitHub, over: Partial<UpsertOptions> = {}): Promise<CommentOutcome> {
  return upsertComment({
    enabled: true,
    token: WRITE,
    context: { pullRequestNumber: 7, repository: gh.repository },
    apiUrl: gh.apiUrl,
    comment: scan(),
    ...over
  })
}

/** No token in anything the outcome says. */
function expectNoToken(outcome: CommentOutcome): void {
  const text = JSON.stringify(outcome)
  for (const token of ALL_TOKENS) expect(text).not.toContain(token)
}

describe('upsertComment', () => {
  it('creates the comment once, then edits it in place', async () => {
    const gh = await start()
    const first = await upsert(gh)
    expect(first).toMatchObject({ status: 'created' })
    const [comment] = gh.comments(7)
    expect(gh.comments(7)).toHaveLength(1)
    expect(comment?.user.login).toBe('github-actions[bot]')
    expect(comment?.body.split('\n')[0]).toBe(commentMarker('ghcr.io/acme/web'))
    expect(comment?.body).toContain(':x: **Failed**')
    expect(first).toEqual({
      status: 'created',
      commentId: comment?.id,
      url: `${gh.serverUrl}/${gh.repository}/pull/7#issuecomment-${comment?.id}`
    })

    const second = await upsert(gh, {
      comment: scan({
        passed: true,
        reasons: [],
        rows: [],
        counts: { UNKNOWN: 0, LOW: 0, MEDIUM: 0, HIGH: 0, CRITICAL: 0 }
      })
    })
    expect(second).toEqual({ status: 'updated', commentId: comment?.id, url: (first as { url: string }).url })
    expect(gh.comments(7)).toHaveLength(1)
    expect(gh.comments(7)[0]?.body).toContain(':white_check_mark: **Passed**')

    // Who am I, the list, the write: every request versioned, named and authenticated.
    expect(gh.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')} ${r.status}`)).toEqual([
      'GET /user 403',
      'GET /repos/acme/web/issues/7/comments 200',
      'POST /repos/acme/web/issues/7/comments 201',
      'GET /user 403',
      'GET /repos/acme/web/issues/7/comments 200',
      `PATCH /repos/acme/web/issues/comments/${comment?.id} 200`
    ])
    for (const request of gh.requests) {
      expect(request.apiVersion).toBe(GITHUB_API_VERSION)
      expect(request.authorization).toBe('token')
      expect(request.userAgent).toMatch(/^container-ship /)
    }
  })

  it('keeps one comment per image', async () => {
    const gh = await start()
    expect(await upsert(gh)).toMatchObject({ status: 'created' })
    expect(await upsert(gh, { comment: scan({ image: 'ghcr.io/acme/web2' }) })).toMatchObject({
      status: 'created'
    })
    expect(
      await upsert(gh, { comment: scan({ image: 'ghcr.io/acme/web2', passed: true, reasons: [] }) })
    ).toMatchObject({ status: 'updated' })
    const [web, web2] = gh.comments(7)
    expect(gh.comments(7)).toHaveLength(2)
    expect(web?.body.split('\n')[0]).toBe(commentMarker('ghcr.io/acme/web'))
    expect(web?.body).toContain('**Failed**')
    expect(web2?.body.split('\n')[0]).toBe(commentMarker('ghcr.io/acme/web2'))
    expect(web2?.body).toContain('**Passed**')
  })

  it('finds its comment behind three pages of other comments, following the Link headers', async () => {
    const gh = await start()
    for (let i = 0; i < 300; i++) gh.addComment(7, { login: `reviewer${i % 4}` }, `review note ${i}`)
    const mine = gh.addComment(7, ACTIONS_BOT, `${commentMarker('ghcr.io/acme/web')}\nold results`)
    gh.addComment(7, { login: 'reviewer0' }, 'later note')

    const outcome = await upsert(gh)
    expect(outcome).toMatchObject({ status: 'updated', commentId: mine.id })
    expect(gh.comments(7)).toHaveLength(302)
    expect(gh.comments(7).find((c) => c.id === mine.id)?.body).toContain('**Failed**')
    const pages = gh.requests.filter((r) => r.method === 'GET' && r.path.includes('/comments'))
    expect(pages.map((r) => r.path)).toEqual([
      '/repos/acme/web/issues/7/comments?per_page=100',
      '/repositories/424242/issues/7/comments?per_page=100&page=2',
      '/repositories/424242/issues/7/comments?per_page=100&page=3',
      '/repositories/424242/issues/7/comments?per_page=100&page=4'
    ])
  })

  it('never edits a marked comment someone else wrote', async () => {
    const gh = await start()
    const planted = gh.addComment(
      7,
      { login: 'fork-author' },
      `${commentMarker('ghcr.io/acme/web')}\nall clear!`
    )
    expect(await upsert(gh)).toMatchObject({ status: 'created' })
    expect(gh.comments(7).find((c) => c.id === planted.id)?.body).toContain('all clear!')
    expect(gh.comments(7)).toHaveLength(2)
    expect(await upsert(gh)).toMatchObject({ status: 'updated' })
    expect(gh.comments(7)).toHaveLength(2)
  })

  it('with a personal token, edits only that user`s comment; a GitHub App`s token finds its bot`s', async () => {
    const gh = await start()
    gh.addComment(7, ACTIONS_BOT, `${commentMarker('ghcr.io/acme/web')}\nby the workflow token`)
    const byPat = await upsert(gh, { token: PAT })
    expect(byPat).toMatchObject({ status: 'created' })
    expect(gh.comments(7).at(-1)?.user.login).toBe('release-bot-user')
    expect(await upsert(gh, { token: PAT })).toMatchObject({
      status: 'updated',
      commentId: (byPat as { commentId: number }).commentId
    })
    expect(gh.requests.filter((r) => r.path === '/user').map((r) => r.status)).toEqual([200, 200])

    const other = await startStandInGitHub({ tokens: TOKENS })
    try {
      expect(await upsert(other, { token: APP })).toMatchObject({ status: 'created' })
      expect(other.comments(7)[0]?.user).toMatchObject({ login: 'acme-ci[bot]', type: 'Bot' })
      expect(await upsert(other, { token: APP })).toMatchObject({ status: 'updated' })
      expect(other.comments(7)).toHaveLength(1)
    } finally {
      await other.close()
    }
  })

  it('only warns when the token is read-only (a pull request from a fork)', async () => {
    const gh = await start()
    const outcome = await upsert(gh, { token: READ_ONLY })
    expect(outcome).toMatchObject({ status: 'skipped', warning: true })
    const reason = (outcome as { reason: string }).reason
    expect(reason).toContain(
      'commenting on pull request #7 was refused: 403 Resource not accessible by integration'
    )
    expect(reason).toContain('read-only token')
    expect(gh.comments(7)).toHaveLength(0)
    expectNoToken(outcome)

    gh.addComment(7, ACTIONS_BOT, `${commentMarker('ghcr.io/acme/web')}\nolder`)
    const update = await upsert(gh, { token: READ_ONLY })
    expect(update).toMatchObject({ status: 'skipped', warning: true })
    expect((update as { reason: string }).reason).toMatch(
      /^updating comment \d+ on pull request #7 was refused: 403/
    )
  })

  it('only warns on a 404 (no such pull request, or a repository the token cannot see)', async () => {
    const gh = await start()
    const outcome = await upsert(gh, { context: { pullRequestNumber: 8, repository: gh.repository } })
    expect(outcome).toEqual({
      status: 'skipped',
      warning: true,
      reason: 'listing the comments of pull request #8 was refused: 404 Not Found'
    })
  })

  it('returns a failure, never throws, for bad credentials, server errors and no server at all', async () => {
    const gh = await start()
    const badToken = `ghp_${randomBytes(18).toString('hex')}`
    const bad = await upsert(gh, { token: badToken })
    expect(bad).toEqual({ status: 'failed', message: 'reading who the token is failed: 401 Bad credentials' })
    expect(JSON.stringify(bad)).not.toContain(badToken)

    gh.failNext({ method: 'POST', status: 502, message: 'Server Error' })
    expect(await upsert(gh)).toEqual({
      status: 'failed',
      message: 'commenting on pull request #7 failed: 502 Server Error'
    })
    gh.failNext({ method: 'GET', pathIncludes: '/comments', status: 500, message: 'Server Error' })
    expect(await upsert(gh)).toMatchObject({ status: 'failed' })

    // A port nothing listens on any more.
    const gone = await startStandInGitHub({ tokens: TOKENS })
    const url = gone.apiUrl
    await gone.close()
    const down = await upsertComment({
      enabled: true,
      token: WRITE,
      context: { pullRequestNumber: 7, repository: 'acme/web' },
      apiUrl: url,
      comment: scan()
    })
    expect(down.status).toBe('failed')
    expect((down as { message: string }).message).toMatch(/^reading who the token is failed: .*ECONNREFUSED/)
    expectNoToken(down)
  })

  it('gives up on a request that hangs', async () => {
    const gh = await start()
    gh.failNext({ method: 'GET', pathIncludes: '/comments', status: 0, message: '', hang: true })
    const started = Date.now()
    const outcome = await upsert(gh, { timeoutMs: 300 })
    expect(Date.now() - started).toBeLessThan(5_000)
    expect(outcome).toMatchObject({ status: 'failed' })
    expect((outcome as { message: string }).message).toMatch(
      /^listing the comments of pull request #7 failed: .*timeout/
    )
  })

  it('keeps the token out of messages even when GitHub echoes it', async () => {
    const gh = await start()
    gh.failNext({ method: 'POST', status: 422, message: `token ${WRITE} is invalid here` })
    const outcome = await upsert(gh)
    expect(outcome).toEqual({
      status: 'failed',
      message: 'commenting on pull request #7 failed: 422 token *** is invalid here'
    })
  })

  it('writes through a GitHub Enterprise Server API URL (/api/v3)', async () => {
    const gh = await start({ prefix: '/api/v3' })
    for (let i = 0; i < 120; i++) gh.addComment(7, { login: 'reviewer' }, `note ${i}`)
    expect(await upsert(gh)).toMatchObject({ status: 'created' })
    expect(await upsert(gh)).toMatchObject({ status: 'updated' })
    expect(gh.comments(7)).toHaveLength(121)
    expect(gh.requests.every((r) => r.path.startsWith('/api/v3/'))).toBe(true)
  })

  it('posts a comment GitHub accepts however large the report', async () => {
    const gh = await start()
    const finding = scan().rows[0]?.finding as Finding
    const rows = Array.from({ length: 400 }, (_, i) => ({
      finding: {
        ...finding,
        id: `CVE-2026-${i}`,
        pkgName: `${'p'.repeat(300)}${i}`,
        pkgVersion: '|'.repeat(300),
        fixedVersion: '|'.repeat(300),
        url: `https://example.com/${'u'.repeat(470)}`
      },
      line: i + 1
    }))
    expect(await upsert(gh, { comment: scan({ rows }) })).toMatchObject({ status: 'created' })
    const body = gh.comments(7)[0]?.body as string
    expect(body.length).toBeLessThanOrEqual(65_536)
    expect(body).toContain('cut to keep this comment under')
  })

  it('does nothing off pull requests, with pr-comment false or without a token', async () => {
    const gh = await start()
    expect(await upsert(gh, { context: { repository: gh.repository } })).toEqual({
      status: 'skipped',
      warning: false,
      reason: 'this run is not for a pull request'
    })
    expect(await upsert(gh, { enabled: false })).toEqual({
      status: 'skipped',
      warning: false,
      reason: 'pr-comment is false'
    })
    expect(await upsert(gh, { token: '' })).toEqual({
      status: 'skipped',
      warning: false,
      reason: 'github-token is empty'
    })
    expect(gh.requests).toHaveLength(0)
  })
})
