// The stand-in GitHub API (stand-in-github.ts) behaves as its header says GitHub does: checked
// here with plain fetch, so the pull request comment tests can rely on it.
import { randomBytes } from 'node:crypto'
import { afterEach, describe, expect, it } from '@jest/globals'
import {
  ACTIONS_BOT,
  startStandInGitHub,
  type StandInGitHub,
  type StandInGitHubOptions
} from '../../support/stand-in-github.js'

const WRITE = `ghs_${randomBytes(18).toString('hex')}`
const READ_ONLY = `ghs_${randomBytes(18).toString('hex')}`
const PAT = `ghp_${randomBytes(18).toString('hex')}`
const TOKENS: StandInGitHubOptions['tokens'] = {
  [WRITE]: { kind: 'installation', login: ACTIONS_BOT.login, write: true },
  [READ_ONLY]: { kind: 'installation', login: ACTIONS_BOT.login, write: false },
  [PAT]: { kind: 'user', login: 'octocat', write: true }
}
const UA = { 'user-agent': 'stand-in-test' }

let standIn: StandInGitHub | undefined

afterEach(async () => {
  await standIn?.close()
  standIn = undefined
})

async function start(options: Partial<StandInGitHubOptions> = {}): Promise<StandInGitHub> {
  standIn = await startStandInGitHub({ tokens: TOKENS, ...options })
  return standIn
}

function call(
  gh: StandInGitHub,
  path: string,
  init: {
    method?: string
    token?: string
    scheme?: string
    body?: unknown
    headers?: Record<string, string>
  } = {}
): Promise<Response> {
  const url = path.startsWith('http') ? path : `${gh.apiUrl}${path}`
  return fetch(url, {
    method: init.method ?? 'GET',
    headers: {
      ...UA,
      ...(init.token ? { authorization: `${init.scheme ?? 'token'} ${init.token}` } : {}),
      ...(init.body !== undefined ? { 'content-type': 'application/json' } : {}),
      ...init.headers
    },
    body:
      init.body === undefined
        ? undefined
        : typeof init.body === 'string'
          ? init.body
          : JSON.stringify(init.body)
  })
}

const comments = (gh: StandInGitHub, issue = 7): string => `/repos/${gh.repository}/issues/${issue}/comments`

/** `<url>; rel="x"` pairs of a Link header. */
function links(header: string | null): Record<string, string> {
  const out: Record<string, string> = {}
  for (const part of (header ?? '').split(',')) {
    const match = /<([^>]+)>;\s*rel="([^"]+)"/.exec(part)
    if (match) out[match[2] as string] = match[1] as string
  }
  return out
}

describe('stand-in GitHub: authentication', () => {
  it('takes `token` and `Bearer` alike, and answers anything else 401 Bad credentials', async () => {
    const gh = await start()
    expect((await call(gh, comments(gh), { token: WRITE })).status).toBe(200)
    expect((await call(gh, comments(gh), { token: WRITE, scheme: 'Bearer' })).status).toBe(200)
    const bad = await call(gh, comments(gh), { token: 'ghs_not-a-token' })
    expect(bad.status).toBe(401)
    expect(await bad.json()).toEqual({
      message: 'Bad credentials',
      documentation_url: 'https://docs.github.com/rest',
      status: '401'
    })
    expect((await call(gh, comments(gh), { token: WRITE, scheme: 'Basic' })).status).toBe(401)
    expect(gh.requests.map((r) => [r.authorization, r.status])).toEqual([
      ['token', 200],
      ['bearer', 200],
      ['token', 401],
      ['basic', 401]
    ])
  })

  it('hides a private repository from anonymous callers (404) and refuses them writes (401)', async () => {
    const gh = await start()
    expect((await call(gh, comments(gh))).status).toBe(404)
    const pub = await startStandInGitHub({ tokens: TOKENS, publicRepository: true })
    try {
      expect((await call(pub, comments(pub))).status).toBe(200)
      const write = await call(pub, comments(pub), { method: 'POST', body: { body: 'hi' } })
      expect(write.status).toBe(401)
      expect(((await write.json()) as { message: string }).message).toBe('Requires authentication')
    } finally {
      await pub.close()
    }
  })

  it('names a person token`s user on GET /user and refuses installation tokens 403', async () => {
    const gh = await start()
    const user = await call(gh, '/user', { token: PAT })
    expect(user.status).toBe(200)
    expect(await user.json()).toMatchObject({ login: 'octocat', type: 'User' })
    const installation = await call(gh, '/user', { token: WRITE })
    expect(installation.status).toBe(403)
    expect(await installation.json()).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/users/users#get-the-authenticated-user',
      status: '403'
    })
  })

  it('refuses requests without a User-Agent', async () => {
    const gh = await start()
    // fetch always sends one; node:http does not unless told.
    const http = await import('node:http')
    const status = await new Promise<number>((resolve, reject) => {
      http
        .get(`${gh.apiUrl}${comments(gh)}`, { headers: { authorization: `token ${WRITE}` } }, (res) => {
          res.resume()
          resolve(res.statusCode ?? 0)
        })
        .on('error', reject)
    })
    expect(status).toBe(403)
  })
})

describe('stand-in GitHub: comments', () => {
  it('creates a comment: 201, Location, the comment as GitHub writes it', async () => {
    const gh = await start()
    const res = await call(gh, comments(gh), { method: 'POST', token: WRITE, body: { body: 'hello' } })
    expect(res.status).toBe(201)
    const json = (await res.json()) as Record<string, unknown> & { user: Record<string, unknown> }
    expect(res.headers.get('location')).toBe(json.url)
    expect(json).toMatchObject({
      body: 'hello',
      html_url: `${gh.serverUrl}/${gh.repository}/pull/7#issuecomment-${json.id as number}`,
      issue_url: `${gh.apiUrl}/repos/${gh.repository}/issues/7`,
      user: { login: 'github-actions[bot]', id: 41898282, type: 'Bot' },
      performed_via_github_app: null
    })
    expect(json.created_at).toMatch(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\dZ$/)
    expect(typeof json.node_id).toBe('string')
    expect(gh.comments(7)).toHaveLength(1)
  })

  it('updates a comment in place: 200, same ID, new body', async () => {
    const gh = await start()
    const created = (await (
      await call(gh, comments(gh), { method: 'POST', token: WRITE, body: { body: 'one' } })
    ).json()) as { id: number }
    const res = await call(gh, `/repos/${gh.repository}/issues/comments/${created.id}`, {
      method: 'PATCH',
      token: WRITE,
      body: { body: 'two' }
    })
    expect(res.status).toBe(200)
    expect(await res.json()).toMatchObject({ id: created.id, body: 'two' })
    expect(gh.comments(7).map((c) => c.body)).toEqual(['two'])
    const missing = await call(gh, `/repos/${gh.repository}/issues/comments/99`, {
      method: 'PATCH',
      token: WRITE,
      body: { body: 'x' }
    })
    expect(missing.status).toBe(404)
  })

  it('lets a read-only token read and answers its writes 403 Resource not accessible by integration', async () => {
    const gh = await start()
    const mine = gh.addComment(7, ACTIONS_BOT, 'before')
    expect((await call(gh, comments(gh), { token: READ_ONLY })).status).toBe(200)
    const create = await call(gh, comments(gh), { method: 'POST', token: READ_ONLY, body: { body: 'x' } })
    expect(create.status).toBe(403)
    expect(await create.json()).toEqual({
      message: 'Resource not accessible by integration',
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
      status: '403'
    })
    const update = await call(gh, `/repos/${gh.repository}/issues/comments/${mine.id}`, {
      method: 'PATCH',
      token: READ_ONLY,
      body: { body: 'x' }
    })
    expect(update.status).toBe(403)
    expect(gh.comments(7).map((c) => c.body)).toEqual(['before'])
  })

  it('takes 65,536 characters and refuses one more with 422 Validation Failed', async () => {
    const gh = await start()
    // 65,536 characters, 131,072 UTF-16 code units: characters are what counts here.
    const astral = '\u{1F308}'.repeat(65_536)
    const ok = await call(gh, comments(gh), { method: 'POST', token: WRITE, body: { body: astral } })
    expect(ok.status).toBe(201)
    const long = await call(gh, comments(gh), {
      method: 'POST',
      token: WRITE,
      body: { body: 'a'.repeat(65_537) }
    })
    expect(long.status).toBe(422)
    expect(await long.json()).toEqual({
      message: 'Validation Failed',
      errors: [
        {
          resource: 'IssueComment',
          code: 'unprocessable',
          field: 'data',
          message: 'Body is too long (maximum is 65536 characters)'
        }
      ],
      documentation_url: 'https://docs.github.com/rest/issues/comments#create-an-issue-comment',
      status: '422'
    })
    const id = gh.comments(7)[0]?.id as number
    const patch = await call(gh, `/repos/${gh.repository}/issues/comments/${id}`, {
      method: 'PATCH',
      token: WRITE,
      body: { body: 'b'.repeat(65_537) }
    })
    expect(patch.status).toBe(422)
  })

  it('answers bad JSON 400 and a missing body 422', async () => {
    const gh = await start()
    expect((await call(gh, comments(gh), { method: 'POST', token: WRITE, body: '{"body":' })).status).toBe(
      400
    )
    expect((await call(gh, comments(gh), { method: 'POST', token: WRITE, body: { text: 'x' } })).status).toBe(
      422
    )
  })

  it('answers 404 for another repository, a pull request that does not exist and unknown paths', async () => {
    const gh = await start()
    expect((await call(gh, '/repos/acme/other/issues/7/comments', { token: WRITE })).status).toBe(404)
    expect((await call(gh, comments(gh, 8), { token: WRITE })).status).toBe(404)
    expect(
      (await call(gh, comments(gh, 8), { method: 'POST', token: WRITE, body: { body: 'x' } })).status
    ).toBe(404)
    expect((await call(gh, '/repos/acme/web/pulls', { token: WRITE })).status).toBe(404)
  })
})

describe('stand-in GitHub: pagination', () => {
  it('serves 30 a page by default with absolute prev/next/last/first links by repository ID', async () => {
    const gh = await start({ repositoryId: 1300192 })
    for (let i = 0; i < 75; i++) gh.addComment(7, { login: `reviewer${i % 3}` }, `comment ${i}`)
    const first = await call(gh, comments(gh), { token: WRITE })
    expect(((await first.json()) as unknown[]).length).toBe(30)
    const base = `${gh.apiUrl}/repositories/1300192/issues/7/comments`
    expect(links(first.headers.get('link'))).toEqual({ next: `${base}?page=2`, last: `${base}?page=3` })

    const second = await call(gh, `${base}?page=2`, { token: WRITE })
    expect(second.status).toBe(200)
    expect(links(second.headers.get('link'))).toEqual({
      prev: `${base}?page=1`,
      next: `${base}?page=3`,
      last: `${base}?page=3`,
      first: `${base}?page=1`
    })
    const third = await call(gh, `${base}?page=3`, { token: WRITE })
    const bodies = ((await third.json()) as { body: string }[]).map((c) => c.body)
    expect(bodies).toEqual(Array.from({ length: 15 }, (_, i) => `comment ${60 + i}`))
    expect(links(third.headers.get('link'))).toEqual({ prev: `${base}?page=2`, first: `${base}?page=1` })
  })

  it('keeps per_page in the links, caps it at 100 and leaves the header out when one page holds all', async () => {
    const gh = await start()
    for (let i = 0; i < 150; i++) gh.addComment(7, { login: 'reviewer' }, `comment ${i}`)
    const big = await call(gh, `${comments(gh)}?per_page=500`, { token: WRITE })
    expect(((await big.json()) as unknown[]).length).toBe(100)
    expect(links(big.headers.get('link')).next).toMatch(/\/issues\/7\/comments\?per_page=100&page=2$/)
    const small = await startStandInGitHub({ tokens: TOKENS })
    try {
      small.addComment(7, { login: 'reviewer' }, 'only')
      const one = await call(small, `${comments(small)}?per_page=100`, { token: WRITE })
      expect(one.headers.get('link')).toBeNull()
    } finally {
      await small.close()
    }
  })

  it('lists comments in ascending ID order, page after page', async () => {
    const gh = await start()
    for (let i = 0; i < 7; i++) gh.addComment(7, { login: 'reviewer' }, `c${i}`)
    let url: string | undefined = `${gh.apiUrl}${comments(gh)}?per_page=3`
    const ids: number[] = []
    while (url) {
      const res = await call(gh, url, { token: WRITE })
      ids.push(...((await res.json()) as { id: number }[]).map((c) => c.id))
      url = links(res.headers.get('link')).next
    }
    expect(ids).toEqual([...ids].sort((a, b) => a - b))
    expect(ids).toHaveLength(7)
  })
})

describe('stand-in GitHub: versions, GHES, faults', () => {
  it('selects 2022-11-28 by default, echoes a supported version and refuses an unknown one with 400', async () => {
    const gh = await start()
    const plain = await call(gh, comments(gh), { token: WRITE })
    expect(plain.headers.get('x-github-api-version-selected')).toBe('2022-11-28')
    const newer = await call(gh, comments(gh), {
      token: WRITE,
      headers: { 'x-github-api-version': '2026-03-10' }
    })
    expect(newer.headers.get('x-github-api-version-selected')).toBe('2026-03-10')
    const bad = await call(gh, comments(gh), { token: WRITE, headers: { 'x-github-api-version': 'v3' } })
    expect(bad.status).toBe(400)
    expect(((await bad.json()) as { message: string }).message).toContain('"v3", is not a supported version')
    expect(gh.requests.map((r) => r.apiVersion)).toEqual([undefined, '2026-03-10', 'v3'])
  })

  it('serves the API under /api/v3 as GitHub Enterprise Server does, links included', async () => {
    const gh = await start({ prefix: '/api/v3' })
    expect(gh.apiUrl).toBe(`${gh.serverUrl}/api/v3`)
    for (let i = 0; i < 40; i++) gh.addComment(7, { login: 'reviewer' }, `c${i}`)
    const res = await call(gh, comments(gh), { token: WRITE })
    expect(res.status).toBe(200)
    expect(links(res.headers.get('link')).next).toMatch(new RegExp(`^${gh.serverUrl}/api/v3/repositories/`))
    expect(
      (await fetch(`${gh.serverUrl}${comments(gh)}`, { headers: { ...UA, authorization: `token ${WRITE}` } }))
        .status
    ).toBe(404)
  })

  it('answers the next matching request with an injected error, once', async () => {
    const gh = await start()
    gh.failNext({ method: 'GET', status: 502, message: 'Server Error' })
    expect((await call(gh, comments(gh), { token: WRITE })).status).toBe(502)
    expect((await call(gh, comments(gh), { token: WRITE })).status).toBe(200)
  })
})

describe('stand-in GitHub: deployments', () => {
  const SHA = 'a'.repeat(40)
  const create = (gh: StandInGitHub, body: Record<string, unknown>, token = WRITE): Promise<Response> =>
    call(gh, '/repos/acme/web/deployments', { method: 'POST', token, body })
  const status = (gh: StandInGitHub, id: number, body: Record<string, unknown>): Promise<Response> =>
    call(gh, `/repos/acme/web/deployments/${id}/statuses`, { method: 'POST', token: WRITE, body })

  it('creates a deployment: 201, the environment production (a production one) by default', async () => {
    const gh = await start()
    const response = await create(gh, { ref: SHA, auto_merge: false, required_contexts: [] })
    expect(response.status).toBe(201)
    const json = (await response.json()) as Record<string, unknown>
    expect(json).toMatchObject({
      sha: SHA,
      ref: SHA,
      environment: 'production',
      production_environment: true,
      transient_environment: false,
      statuses_url: `${gh.apiUrl}/repos/acme/web/deployments/${json.id as number}/statuses`
    })
    expect(gh.deployments()[0]?.request).toEqual({ ref: SHA, auto_merge: false, required_contexts: [] })
    const staging = (await (await create(gh, { ref: SHA, environment: 'staging' })).json()) as Record<
      string,
      unknown
    >
    expect(staging.production_environment).toBe(false)
  })

  it('merges instead with auto_merge on a ref behind the default branch: 202, or 409 on a conflict', async () => {
    const gh = await start({ defaultBranchAhead: true })
    const merged = await create(gh, { ref: 'topic' })
    expect(merged.status).toBe(202)
    expect(await merged.json()).toEqual({ message: 'Auto-merged main into topic on deployment.' })
    expect((await create(gh, { ref: 'topic', auto_merge: false })).status).toBe(201)
    await gh.close()
    const conflicting = await start({ defaultBranchAhead: true, mergeConflict: true })
    const conflict = await create(conflicting, { ref: 'topic' })
    expect(conflict.status).toBe(409)
    expect(((await conflict.json()) as { message: string }).message).toBe('Conflict merging main into topic.')
  })

  it('refuses with 409 while a required context fails, every context unless required_contexts says', async () => {
    const gh = await start({ failingContexts: ['ci/lint'] })
    const refused = await create(gh, { ref: SHA })
    expect(refused.status).toBe(409)
    expect(((await refused.json()) as { message: string }).message).toBe(
      `Conflict: Commit status checks failed for ${SHA}.`
    )
    expect((await create(gh, { ref: SHA, required_contexts: ['ci/test'] })).status).toBe(201)
    expect((await create(gh, { ref: SHA, required_contexts: [] })).status).toBe(201)
    expect((await create(gh, {})).status).toBe(422)
  })

  it('adds statuses (201; 422 for an unknown state, 404 for an unknown deployment) and lists them newest first', async () => {
    const gh = await start()
    const { id } = (await (await create(gh, { ref: SHA })).json()) as { id: number }
    expect((await status(gh, id, { state: 'in_progress' })).status).toBe(201)
    const success = await status(gh, id, { state: 'success', environment_url: 'https://web.example.com' })
    expect(success.status).toBe(201)
    expect(await success.json()).toMatchObject({
      state: 'success',
      environment_url: 'https://web.example.com'
    })
    expect((await status(gh, id, { state: 'done' })).status).toBe(422)
    expect((await status(gh, 999, { state: 'success' })).status).toBe(404)
    const listed = (await (
      await call(gh, `/repos/acme/web/deployments/${id}/statuses`, { token: WRITE })
    ).json()) as {
      state: string
    }[]
    expect(listed.map((item) => item.state)).toEqual(['success', 'in_progress'])
  })

  it('makes earlier successful deployments inactive on a success (auto_inactive), except production ones', async () => {
    const gh = await start()
    const deploy = async (environment: string, state: string, autoInactive?: boolean): Promise<number> => {
      const { id } = (await (await create(gh, { ref: SHA, environment })).json()) as { id: number }
      await status(gh, id, { state, ...(autoInactive === undefined ? {} : { auto_inactive: autoInactive }) })
      return id
    }
    await deploy('staging', 'success')
    await deploy('staging', 'failure')
    await deploy('production', 'success')
    await deploy('staging', 'success', false)
    await deploy('staging', 'success')
    await deploy('production', 'success')
    expect(
      gh.deployments().map((d) => `${d.environment} ${d.statuses.map((s) => s.state).join(',')}`)
    ).toEqual([
      'staging success,inactive',
      'staging failure',
      'production success',
      'staging success,inactive',
      'staging success',
      'production success'
    ])
    const newest = (await (
      await call(gh, '/repos/acme/web/deployments?environment=staging&per_page=2', { token: WRITE })
    ).json()) as {
      id: number
    }[]
    expect(newest.map((item) => item.id)).toEqual(
      gh
        .deployments()
        .filter((d) => d.environment === 'staging')
        .map((d) => d.id)
        .reverse()
        .slice(0, 2)
    )
  })

  it('answers a token without deployments: write 403 Resource not accessible by integration', async () => {
    const NO_DEPLOY = `ghs_${randomBytes(18).toString('hex')}`
    const gh = await start({
      tokens: {
        ...TOKENS,
        [NO_DEPLOY]: { kind: 'installation', login: ACTIONS_BOT.login, write: true, deployments: false }
      }
    })
    const refused = await create(gh, { ref: SHA }, NO_DEPLOY)
    expect(refused.status).toBe(403)
    expect(((await refused.json()) as { message: string }).message).toBe(
      'Resource not accessible by integration'
    )
    expect((await create(gh, { ref: SHA }, READ_ONLY)).status).toBe(403)
    expect(gh.deployments()).toEqual([])
  })
})
