// A stand-in for GitHub's REST API, for end-to-end tests of the pull request comment: the issue
// comment endpoints of one repository on 127.0.0.1, answering as GitHub documents and as it was
// seen to answer. Only loopback, only node:http.
//
// What it models, and where each fact comes from (GitHub's docs are quoted from the github/docs
// repository, content/rest/..., and the OpenAPI description in @octokit/openapi-types 29.0.1,
// which is generated from github/rest-api-description):
//
// - Endpoints. `GET /repos/{owner}/{repo}/issues/{issue_number}/comments` (query `per_page`,
//   `page`; 200 with a `Link` header; 404, 410), `POST` to the same path (body `{"body": ...}`;
//   201 with the comment and a `Location` header naming its `url`; 403, 404, 410, 422) and
//   `PATCH /repos/{owner}/{repo}/issues/comments/{comment_id}` (200 with the comment; 422): the
//   operations issues/list-comments, issues/create-comment and issues/update-comment. "Every pull
//   request is an issue", so a pull request's conversation comments live here. Comments are listed
//   in ascending ID order ("By default, issue comments are ordered by ascending ID", REST docs,
//   Issue comments). The comment JSON has the `issue-comment` schema's fields: id, node_id, url,
//   html_url (`.../pull/N#issuecomment-ID` for a pull request), body, user (a simple-user: login,
//   id, node_id, type `User` or `Bot`, ...), created_at, updated_at (`YYYY-MM-DDTHH:MM:SSZ`),
//   issue_url, author_association, performed_via_github_app. The workflow token's account is
//   `github-actions[bot]`, id 41898282, type `Bot` (as every payload from GitHub names it).
//   `GET /user` (users/get-authenticated) answers a person's token with that user; an installation
//   token (GITHUB_TOKEN, a GitHub App's) gets 403 "Resource not accessible by integration" with
//   documentation_url `https://docs.github.com/rest/users/users#get-the-authenticated-user` and
//   `"status": "403"` (the transcript in actions/create-github-app-token#258).
//
// - Pagination (content/rest/using-the-rest-api/using-pagination-in-the-rest-api.md): 30 items a
//   page unless `per_page` says otherwise, at most 100 ("The number of results per page (max
//   100)", the `per-page` parameter); `page` starts at 1. "If ... all results fit on a single
//   page, the link header will be omitted"; otherwise it holds absolute URLs with `rel="prev"`,
//   `"next"`, `"last"`, `"first"` (those that apply), in the form GitHub sends them:
//   `<https://api.github.com/repositories/1300192/issues?per_page=2&page=2>; rel="next"`: by
//   repository ID, not by name, and "The per_page parameter will automatically be included in the
//   link header". So the `/repositories/{id}/...` paths are served too, and a client that builds
//   page URLs itself instead of following the links still works only by accident.
//
// - Authentication (content/rest/authentication/authenticating-to-the-rest-api.md): "In most
//   cases, you can use `Authorization: Bearer` or `Authorization: token` to pass a token".
//   "Authenticating with invalid credentials will initially return a `401 Unauthorized`":
//   `{"message":"Bad credentials","documentation_url":"https://docs.github.com/rest","status":"401"}`
//   (that body as quoted in many client test suites; `status` is a string). Without a token, a
//   private repository is a 404 ("GitHub uses a 404 Not Found response instead of a 403 Forbidden
//   response to avoid confirming the existence of private repositories", troubleshooting page),
//   reads of a public one are allowed, and writes and `GET /user` get 401 "Requires
//   authentication".
//
// - A read-only token (`write: false`, the token of a pull request from a fork) may read, and
//   every write gets 403 `{"message":"Resource not accessible by integration","documentation_url":
//   "https://docs.github.com/rest/issues/comments#create-an-issue-comment","status":"403"}` (the
//   message the troubleshooting page names for a GitHub App token without the permission; the body
//   shape from github/docs#43937).
//
// - The body limit: over 65,536 characters is 422 `{"message":"Validation Failed","errors":
//   [{"resource":"IssueComment","code":"unprocessable","field":"data","message":"Body is too long
//   (maximum is 65536 characters)"}],"documentation_url":...}` (jmikedupont2/ai-ticket#51, 2023;
//   vebr/jest-lcov-reporter#14, reg-viz/reg-actions#123 show the same errors entry). Characters are
//   counted as code points here, the reading of the message. GitHub's own enforcement has been
//   measured otherwise (262,144 UTF-8 bytes refused on comments in 2026, objectstack-ai/objectstack
//   #18826); a body within 65,536 UTF-16 code units is within every reading, which is what the
//   action keeps to. Invalid JSON is 400 "Problems parsing JSON" and a missing `body` 422 (the
//   troubleshooting page).
//
// - API versions (content/rest/about-the-rest-api/api-versions.md): a request without
//   `X-GitHub-Api-Version` gets the default version, 2022-11-28; a supported version is echoed in
//   `x-github-api-version-selected` (seen on api.github.com responses); a version that does not
//   exist is 400 ("you will receive a `400 Bad Request` error and a message about the version not
//   being supported": `The version you specified in the "X-GitHub-API-Version" request header,
//   "v3", is not a supported version. The following versions are currently supported: ...`,
//   expipiplus1/update-nix-fetchgit#79). Supported here: 2022-11-28 and 2026-03-10 (the two
//   versions github/rest-api-description publishes descriptions for, api.github.com.<version>.json;
//   "The current X-GitHub-Api-Version is 2026-03-10", r-lib/gh#230). The action asks for 2022-11-28,
//   which GitHub Enterprise Server has too.
//
// - "Requests with no `User-Agent` header will be rejected": 403, text, "Request forbidden by
//   administrative rules. Please make sure your request has a User-Agent header." (the REST docs'
//   former resources page).
//
// - GitHub Enterprise Server: with `prefix: '/api/v3'` the API lives under
//   `http://127.0.0.1:PORT/api/v3` (GITHUB_API_URL on GHES is `https://HOST/api/v3`) and the web
//   pages at the root, and the Link URLs carry the prefix.
//
// - Deployments (content/rest/deployments/deployments.md, deployments/statuses.md; the OpenAPI
//   operations repos/create-deployment, repos/list-deployments, repos/create-deployment-status,
//   repos/list-deployment-statuses). `POST /repos/{owner}/{repo}/deployments` (body: `ref`
//   required, `environment` default `production`, `auto_merge` default true, `required_contexts`
//   default every context, `description`, `task` default `deploy`, `payload`,
//   `transient_environment` default false, `production_environment` default true when the
//   environment is `production` and false otherwise) answers 201 with the deployment. With
//   auto_merge on and the default branch ahead of the ref (the option `defaultBranchAhead`) GitHub
//   merges instead of deploying: 202 `{"message":"Auto-merged main into <ref> on deployment."}`;
//   when that merge conflicts (`mergeConflict`), 409 `{"message":"Conflict merging main into
//   <ref>."}`; with required_contexts left to its default and a commit status failing
//   (`failingContexts`), 409 `{"message":"Conflict: Commit status checks failed for <ref>."}` (the
//   response examples of the docs). No ref is 422. `GET .../deployments` (query `environment`,
//   `sha`, `ref`, `per_page`, `page`) lists them newest first. `POST
//   .../deployments/{id}/statuses` (body: `state` one of error, failure, inactive, in_progress,
//   queued, pending, success, else 422; `log_url`, `environment_url`, `description`,
//   `auto_inactive` default true) answers 201 with the status, 404 for an unknown deployment;
//   `GET` the same path lists the statuses newest first. Inactive deployments (docs): "When you
//   set the state of a deployment to success, then all prior non-transient, non-production
//   environment deployments in the same repository with the same environment name will become
//   inactive" (when auto_inactive is true): an `inactive` status is added to each such deployment
//   whose latest status is success; production ones are left as they are. A token whose grant has
//   `deployments: false` (GITHUB_TOKEN without `deployments: write`) gets 403 "Resource not
//   accessible by integration" on these writes. Every request body is recorded.
//
// Not modelled: rate limits (the x-ratelimit headers are sent, never reached), `since`, media
// types other than the default raw JSON, conditional requests, other endpoints (404).
import { createHash, randomBytes } from 'node:crypto'
import http from 'node:http'
import type { AddressInfo } from 'node:net'

/** What a token may do, and whose it is. */
export interface TokenGrant {
  /**
   * 'installation': GITHUB_TOKEN or a GitHub App's token, writes as the bot `login` and is refused
   * `GET /user`; 'user': a personal access token, `GET /user` answers `login`.
   */
  kind: 'installation' | 'user'
  login: string
  /** false: a read-only token, as pull requests from forks get. */
  write: boolean
  /** false: may not write deployments (no `deployments: write`); default: as `write`. */
  deployments?: boolean
}

export const ACTIONS_BOT = { login: 'github-actions[bot]', id: 41898282, type: 'Bot' } as const

export interface StandInGitHubOptions {
  owner?: string
  repo?: string
  repositoryId?: number
  /** Pull requests (issues) that exist; default [7]. */
  pullRequests?: number[]
  /** Token value -> grant. */
  tokens: Record<string, TokenGrant>
  /** '' (github.com) or '/api/v3' (GitHub Enterprise Server); default ''. */
  prefix?: string
  /** Anonymous reads allowed; default false (a private repository). */
  publicRepository?: boolean
  /** The repository's default branch; default main. */
  defaultBranch?: string
  /** The default branch has commits the deployed ref lacks: auto_merge merges instead (202). */
  defaultBranchAhead?: boolean
  /** ...and merging it conflicts (409). */
  mergeConflict?: boolean
  /** Commit status contexts failing on every ref: a deployment requiring them is refused (409). */
  failingContexts?: string[]
  /** Workflow runs that exist, by run ID (see workflowRunsRoute); others are 404. */
  workflowRuns?: Record<number, StandInWorkflowRun>
}

export interface StoredDeploymentStatus {
  id: number
  state: string
  description: string
  environmentUrl: string
  logUrl: string
  /** As sent (undefined when not sent: GitHub's default, true). */
  autoInactive?: boolean
  /** Added by GitHub itself (auto_inactive), not by a request. */
  automatic: boolean
}

export interface StoredDeployment {
  id: number
  ref: string
  sha: string
  environment: string
  description: string
  productionEnvironment: boolean
  transientEnvironment: boolean
  /** The request's body as received. */
  request: Record<string, unknown>
  /** Oldest first. */
  statuses: StoredDeploymentStatus[]
}

export interface Account {
  login: string
  id: number
  type: 'User' | 'Bot'
}

export interface StoredComment {
  id: number
  issue: number
  body: string
  user: Account
  createdAt: string
  updatedAt: string
}

export interface RecordedGitHubRequest {
  method: string
  /** Path and query as received. */
  path: string
  /** Scheme of the Authorization header, lower case ('token', 'bearer'), or 'none'. */
  authorization: string
  /** The X-GitHub-Api-Version header, if sent. */
  apiVersion?: string
  userAgent?: string
  /** Status answered; 0 while the request is still running. */
  status: number
  /** The request's body as received ('' when none). */
  body: string
}

export interface Fault {
  method?: string
  /** Only requests whose path contains this. */
  pathIncludes?: string
  status: number
  message: string
  /** Never answer (until close). */
  hang?: boolean
}

export interface StandInGitHub {
  /** The REST API's base URL, as GITHUB_API_URL names it. */
  apiUrl: string
  /** The web server's URL, as GITHUB_SERVER_URL names it. */
  serverUrl: string
  /** owner/repo, as GITHUB_REPOSITORY names it. */
  repository: string
  requests: RecordedGitHubRequest[]
  /** The comments of an issue (every issue when omitted), in ID order. */
  comments(issue?: number): StoredComment[]
  /** A comment written by someone else, e.g. a reviewer. */
  addComment(issue: number, user: Partial<Account> & { login: string }, body: string): StoredComment
  /** Every deployment created, oldest first. */
  deployments(): StoredDeployment[]
  /** The next matching request gets this error instead (once). */
  failNext(fault: Fault): void
  close(): Promise<void>
}

export const DEFAULT_API_VERSION = '2022-11-28'
export const SUPPORTED_API_VERSIONS = ['2026-03-10', '2022-11-28']
export const BODY_LIMIT = 65_536
const DEFAULT_PER_PAGE = 30
const MAX_PER_PAGE = 100
const DOCS = 'https://docs.github.com/rest'
const NO_USER_AGENT =
  'Request forbidden by administrative rules. Please make sure your request has a User-Agent header (https://docs.github.com/rest/overview/resources-in-the-rest-api#user-agent-required). Check https://developer.github.com for other possible causes.\n'

type Caller = { kind: 'anonymous' } | { kind: 'token'; grant: TokenGrant; account: Account }

class Answer extends Error {
  constructor(
    readonly status: number,
    readonly body: Record<string, unknown>
  ) {
    super(String(body.message))
  }
}

function error(status: number, message: string, documentation = DOCS, extra: object = {}): Answer {
  return new Answer(status, { message, ...extra, documentation_url: documentation, status: String(status) })
}

/** GitHub's timestamps: seconds, UTC, `Z`. */
function timestamp(date = new Date()): string {
  return date.toISOString().replace(/\.\d{3}Z$/, 'Z')
}

function idOf(login: string): number {
  let hash = 7
  for (const char of login) hash = (hash * 31 + char.charCodeAt(0)) % 90_000_000
  return 10_000_000 + hash
}

function readBody(req: http.IncomingMessage): Promise<string> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = []
    req.on('data', (chunk: Buffer) => chunks.push(chunk))
    req.on('end', () => resolve(Buffer.concat(chunks).toString('utf8')))
    req.on('error', reject)
  })
}

export async function startStandInGitHub(options: StandInGitHubOptions): Promise<StandInGitHub> {
  const owner = options.owner ?? 'acme'
  const repo = options.repo ?? 'web'
  const repositoryId = options.repositoryId ?? 424242
  const prefix = (options.prefix ?? '').replace(/\/+$/, '')
  const pullRequests = new Set(options.pullRequests ?? [7])
  const workflowRuns = options.workflowRuns ?? {}
  const requests: RecordedGitHubRequest[] = []
  const stored: StoredComment[] = []
  const faults: Fault[] = []
  const deployments: StoredDeployment[] = []
  const defaultBranch = options.defaultBranch ?? 'main'
  let nextId = 1_000_001
  let used = 0

  const server = http.createServer()
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject)
    server.listen(0, '127.0.0.1', () => resolve())
  })
  const port = (server.address() as AddressInfo).port
  const serverUrl = `http://127.0.0.1:${port}`
  const apiUrl = `${serverUrl}${prefix}`

  function accountOf(grant: TokenGrant): Account {
    if (grant.kind === 'installation') {
      const id = grant.login === ACTIONS_BOT.login ? ACTIONS_BOT.id : idOf(grant.login)
      return { login: grant.login, id, type: 'Bot' }
    }
    return { login: grant.login, id: idOf(grant.login), type: 'User' }
  }

  function userJson(account: Account): Record<string, unknown> {
    const escaped = encodeURIComponent(account.login)
    return {
      login: account.login,
      id: account.id,
      node_id: Buffer.from(`04:${account.type}${account.id}`).toString('base64'),
      avatar_url: `${serverUrl}/avatars/u/${account.id}?v=4`,
      gravatar_id: '',
      url: `${apiUrl}/users/${escaped}`,
      html_url:
        account.type === 'Bot'
          ? `${serverUrl}/apps/${account.login.replace(/\[bot\]$/, '')}`
          : `${serverUrl}/${escaped}`,
      type: account.type,
      site_admin: false
    }
  }

  function commentJson(comment: StoredComment): Record<string, unknown> {
    return {
      url: `${apiUrl}/repos/${owner}/${repo}/issues/comments/${comment.id}`,
      html_url: `${serverUrl}/${owner}/${repo}/pull/${comment.issue}#issuecomment-${comment.id}`,
      issue_url: `${apiUrl}/repos/${owner}/${repo}/issues/${comment.issue}`,
      id: comment.id,
      node_id: `IC_${Buffer.from(String(comment.id)).toString('base64url')}`,
      user: userJson(comment.user),
      created_at: comment.createdAt,
      updated_at: comment.updatedAt,
      author_association: comment.user.type === 'Bot' ? 'NONE' : 'CONTRIBUTOR',
      body: comment.body,
      reactions: {
        url: `${apiUrl}/repos/${owner}/${repo}/issues/comments/${comment.id}/reactions`,
        total_count: 0
      },
      performed_via_github_app: null
    }
  }

  function store(issue: number, user: Account, body: string): StoredComment {
    const now = timestamp()
    const comment = { id: nextId++, issue, body, user, createdAt: now, updatedAt: now }
    stored.push(comment)
    return comment
  }

  // --- request handling ---------------------------------------------------------------------

  function caller(req: http.IncomingMessage): Caller {
    const header = req.headers.authorization
    if (header === undefined) return { kind: 'anonymous' }
    const match = /^(token|bearer)\s+(\S+)$/i.exec(header.trim())
    const grant = match ? options.tokens[match[2] as string] : undefined
    if (!grant) throw error(401, 'Bad credentials')
    return { kind: 'token', grant, account: accountOf(grant) }
  }

  /** Deployments are written with their own permission (`deployments: write`). */
  function mayDeploy(who: Caller, documentation: string): Account {
    const account = mayWrite(who, documentation)
    if (who.kind === 'token' && who.grant.deployments === false)
      throw error(403, 'Resource not accessible by integration', documentation)
    return account
  }

  function mayWrite(who: Caller, documentation: string): Account {
    if (who.kind === 'anonymous') throw error(401, 'Requires authentication', documentation)
    if (!who.grant.write) throw error(403, 'Resource not accessible by integration', documentation)
    return who.account
  }

  /** owner/repo or the repository ID, as a path names it; 404 for any other. */
  function checkRepository(byName: string | undefined, byId: string | undefined, who: Caller): void {
    const same = byName
      ? byName.toLowerCase() === `${owner}/${repo}`.toLowerCase()
      : Number(byId) === repositoryId
    if (!same || (who.kind === 'anonymous' && !options.publicRepository)) throw error(404, 'Not Found')
  }

  function checkIssue(issue: number): void {
    if (!pullRequests.has(issue)) throw error(404, 'Not Found')
  }

  function pageParam(url: URL, name: string, fallback: number): number {
    const raw = url.searchParams.get(name)
    const value = raw === null ? NaN : Number.parseInt(raw, 10)
    return Number.isFinite(value) && value > 0 ? value : fallback
  }

  function listComments(url: URL, issue: number): { body: unknown; headers: Record<string, string> } {
    checkIssue(issue)
    const all = stored.filter((comment) => comment.issue === issue).sort((a, b) => a.id - b.id)
    const perPage = Math.min(pageParam(url, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE)
    const page = pageParam(url, 'page', 1)
    const last = Math.max(1, Math.ceil(all.length / perPage))
    const headers: Record<string, string> = {}
    if (last > 1 || page > 1) {
      const link = (n: number): string => {
        const query = new URLSearchParams()
        if (url.searchParams.has('per_page')) query.set('per_page', String(perPage))
        query.set('page', String(n))
        return `<${apiUrl}/repositories/${repositoryId}/issues/${issue}/comments?${query.toString()}>`
      }
      const links: string[] = []
      if (page > 1) links.push(`${link(Math.min(page - 1, last))}; rel="prev"`)
      if (page < last) links.push(`${link(page + 1)}; rel="next"`, `${link(last)}; rel="last"`)
      if (page > 1) links.push(`${link(1)}; rel="first"`)
      headers.link = links.join(', ')
    }
    const slice = all.slice((page - 1) * perPage, page * perPage)
    return { body: slice.map(commentJson), headers }
  }

  function parseCommentBody(text: string, documentation: string): string {
    const body = parseObject(text, documentation).body
    if (typeof body !== 'string')
      throw error(422, 'Invalid request.\n\n"body" wasn\'t supplied.', documentation)
    if ([...body].length > BODY_LIMIT) {
      throw new Answer(422, {
        message: 'Validation Failed',
        errors: [
          {
            resource: 'IssueComment',
            code: 'unprocessable',
            field: 'data',
            message: `Body is too long (maximum is ${BODY_LIMIT} characters)`
          }
        ],
        documentation_url: documentation,
        status: '422'
      })
    }
    return body
  }

  function parseObject(text: string, documentation: string): Record<string, unknown> {
    let json: unknown
    try {
      json = JSON.parse(text)
    } catch {
      throw error(400, 'Problems parsing JSON', documentation)
    }
    if (typeof json !== 'object' || json === null || Array.isArray(json))
      throw error(400, 'Body should be a JSON object', documentation)
    return json as Record<string, unknown>
  }

  const deploymentCreators = new Map<number, Account>()
  /** Each request's body, read before it is routed (and recorded). */
  const bodies = new WeakMap<http.IncomingMessage, string>()
  const entryBody = (req: http.IncomingMessage): string => bodies.get(req) ?? ''

  function deploymentJson(deployment: StoredDeployment): Record<string, unknown> {
    const url = `${apiUrl}/repos/${owner}/${repo}/deployments/${deployment.id}`
    return {
      url,
      id: deployment.id,
      node_id: `DE_${Buffer.from(String(deployment.id)).toString('base64url')}`,
      sha: deployment.sha,
      ref: deployment.ref,
      task: 'deploy',
      payload: {},
      original_environment: deployment.environment,
      environment: deployment.environment,
      description: deployment.description,
      creator: userJson(deploymentCreators.get(deployment.id) ?? ACTIONS_BOT),
      created_at: timestamp(),
      updated_at: timestamp(),
      statuses_url: `${url}/statuses`,
      repository_url: `${apiUrl}/repos/${owner}/${repo}`,
      transient_environment: deployment.transientEnvironment,
      production_environment: deployment.productionEnvironment
    }
  }

  function statusJson(deployment: StoredDeployment, status: StoredDeploymentStatus): Record<string, unknown> {
    const url = `${apiUrl}/repos/${owner}/${repo}/deployments/${deployment.id}`
    return {
      url: `${url}/statuses/${status.id}`,
      id: status.id,
      node_id: `DES_${Buffer.from(String(status.id)).toString('base64url')}`,
      state: status.state,
      creator: userJson(deploymentCreators.get(deployment.id) ?? ACTIONS_BOT),
      description: status.description,
      environment: deployment.environment,
      target_url: status.logUrl,
      log_url: status.logUrl,
      environment_url: status.environmentUrl,
      created_at: timestamp(),
      updated_at: timestamp(),
      deployment_url: url,
      repository_url: `${apiUrl}/repos/${owner}/${repo}`
    }
  }

  const STATES = ['error', 'failure', 'inactive', 'in_progress', 'queued', 'pending', 'success']

  function createDeployment(
    body: Record<string, unknown>,
    account: Account
  ): { status: number; body: unknown } {
    const documentation = 'https://docs.github.com/rest/deployments/deployments#create-a-deployment'
    const ref = body.ref
    if (typeof ref !== 'string' || ref === '')
      throw error(422, 'Invalid request.\n\n"ref" wasn\'t supplied.', documentation)
    const environment = typeof body.environment === 'string' ? body.environment : 'production'
    if (body.auto_merge !== false && options.defaultBranchAhead) {
      if (options.mergeConflict)
        throw error(409, `Conflict merging ${defaultBranch} into ${ref}.`, documentation)
      return { status: 202, body: { message: `Auto-merged ${defaultBranch} into ${ref} on deployment.` } }
    }
    const required = Array.isArray(body.required_contexts) ? (body.required_contexts as unknown[]) : undefined
    const failing = (options.failingContexts ?? []).filter(
      (context) => !required || required.includes(context)
    )
    if (failing.length > 0)
      throw error(409, `Conflict: Commit status checks failed for ${ref}.`, documentation)
    const deployment: StoredDeployment = {
      id: nextId++,
      ref,
      sha: /^[0-9a-f]{40}$/.test(ref) ? ref : createHash('sha1').update(ref).digest('hex'),
      environment,
      description: typeof body.description === 'string' ? body.description : '',
      productionEnvironment:
        typeof body.production_environment === 'boolean'
          ? body.production_environment
          : environment === 'production',
      transientEnvironment: body.transient_environment === true,
      request: body,
      statuses: []
    }
    deployments.push(deployment)
    deploymentCreators.set(deployment.id, account)
    return { status: 201, body: deploymentJson(deployment) }
  }

  function createStatus(deployment: StoredDeployment, body: Record<string, unknown>): StoredDeploymentStatus {
    const documentation = 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status'
    const state = body.state
    if (typeof state !== 'string' || !STATES.includes(state))
      throw error(422, 'Validation Failed', documentation, {
        errors: [{ resource: 'DeploymentStatus', code: 'invalid', field: 'state' }]
      })
    const text = (value: unknown): string => (typeof value === 'string' ? value : '')
    const status: StoredDeploymentStatus = {
      id: nextId++,
      state,
      description: text(body.description),
      environmentUrl: text(body.environment_url),
      logUrl: text(body.log_url) || text(body.target_url),
      autoInactive: typeof body.auto_inactive === 'boolean' ? body.auto_inactive : undefined,
      automatic: false
    }
    deployment.statuses.push(status)
    if (state === 'success' && status.autoInactive !== false) {
      for (const prior of deployments) {
        const latest = prior.statuses.at(-1)
        if (
          prior.id < deployment.id &&
          prior.environment === deployment.environment &&
          !prior.transientEnvironment &&
          !prior.productionEnvironment &&
          latest?.state === 'success'
        ) {
          prior.statuses.push({
            id: nextId++,
            state: 'inactive',
            description: '',
            environmentUrl: latest.environmentUrl,
            logUrl: '',
            automatic: true
          })
        }
      }
    }
    return status
  }

  function paged<T>(url: URL, items: T[]): T[] {
    const perPage = Math.min(pageParam(url, 'per_page', DEFAULT_PER_PAGE), MAX_PER_PAGE)
    const page = pageParam(url, 'page', 1)
    return items.slice((page - 1) * perPage, page * perPage)
  }

  const DEPLOYMENTS = /^\/repos\/([^/]+\/[^/]+)\/deployments$/
  const STATUSES = /^\/repos\/([^/]+\/[^/]+)\/deployments\/(\d+)\/statuses$/

  const LIST = /^\/(?:repos\/([^/]+\/[^/]+)|repositories\/(\d+))\/issues\/(\d+)\/comments$/
  const ONE = /^\/(?:repos\/([^/]+\/[^/]+)|repositories\/(\d+))\/issues\/comments\/(\d+)$/

  async function route(
    req: http.IncomingMessage,
    url: URL
  ): Promise<{ status: number; body: unknown; headers?: Record<string, string> }> {
    const method = req.method ?? 'GET'
    const fault = faults.findIndex(
      (f) => (!f.method || f.method === method) && (!f.pathIncludes || url.pathname.includes(f.pathIncludes))
    )
    if (fault >= 0) {
      const [f] = faults.splice(fault, 1) as [Fault]
      if (f.hang) await new Promise(() => undefined)
      throw error(f.status, f.message)
    }
    if (!url.pathname.startsWith(`${prefix}/`)) throw error(404, 'Not Found')
    const path = url.pathname.slice(prefix.length)
    const who = caller(req)

    if (path === '/user' && method === 'GET') {
      const documentation = 'https://docs.github.com/rest/users/users#get-the-authenticated-user'
      if (who.kind === 'anonymous') throw error(401, 'Requires authentication', documentation)
      if (who.grant.kind === 'installation')
        throw error(403, 'Resource not accessible by integration', documentation)
      return { status: 200, body: userJson(who.account) }
    }

    const deploymentsPath = DEPLOYMENTS.exec(path)
    if (deploymentsPath) {
      checkRepository(deploymentsPath[1], undefined, who)
      if (method === 'GET') {
        const filter = (name: string, value: string): boolean =>
          !url.searchParams.has(name) || url.searchParams.get(name) === value
        const found = [...deployments]
          .reverse()
          .filter((d) => filter('environment', d.environment) && filter('sha', d.sha) && filter('ref', d.ref))
        return { status: 200, body: paged(url, found).map(deploymentJson) }
      }
      if (method === 'POST') {
        const documentation = 'https://docs.github.com/rest/deployments/deployments#create-a-deployment'
        const account = mayDeploy(who, documentation)
        return createDeployment(parseObject(entryBody(req), documentation), account)
      }
    }

    const statusesPath = STATUSES.exec(path)
    if (statusesPath) {
      checkRepository(statusesPath[1], undefined, who)
      const documentation = 'https://docs.github.com/rest/deployments/statuses#create-a-deployment-status'
      const deployment = deployments.find((d) => d.id === Number(statusesPath[2]))
      if (method === 'GET') {
        if (!deployment) throw error(404, 'Not Found')
        const newest = [...deployment.statuses].reverse()
        return { status: 200, body: paged(url, newest).map((status) => statusJson(deployment, status)) }
      }
      if (method === 'POST') {
        mayDeploy(who, documentation)
        if (!deployment) throw error(404, 'Not Found', documentation)
        const status = createStatus(deployment, parseObject(entryBody(req), documentation))
        return { status: 201, body: statusJson(deployment, status) }
      }
    }

    const run = workflowRunsRoute(path, method, { owner, repo, serverUrl, apiUrl, runs: workflowRuns })
    if (run) {
      checkRepository(run.repository, undefined, who)
      return run.answer()
    }

    const list = LIST.exec(path)
    if (list) {
      checkRepository(list[1], list[2], who)
      const issue = Number(list[3])
      if (method === 'GET') {
        const { body, headers } = listComments(url, issue)
        return { status: 200, body, headers }
      }
      if (method === 'POST') {
        const documentation = 'https://docs.github.com/rest/issues/comments#create-an-issue-comment'
        const account = mayWrite(who, documentation)
        checkIssue(issue)
        const comment = store(issue, account, parseCommentBody(entryBody(req), documentation))
        const json = commentJson(comment)
        return { status: 201, body: json, headers: { location: json.url as string } }
      }
    }

    const one = ONE.exec(path)
    if (one && method === 'PATCH') {
      checkRepository(one[1], one[2], who)
      const documentation = 'https://docs.github.com/rest/issues/comments#update-an-issue-comment'
      const comment = stored.find((item) => item.id === Number(one[3]))
      if (!comment) throw error(404, 'Not Found', documentation)
      mayWrite(who, documentation)
      comment.body = parseCommentBody(entryBody(req), documentation)
      comment.updatedAt = timestamp()
      return { status: 200, body: commentJson(comment) }
    }
    throw error(404, 'Not Found')
  }

  function respond(
    res: http.ServerResponse,
    status: number,
    body: unknown,
    headers: Record<string, string>,
    version: string
  ): void {
    used++
    const text = JSON.stringify(body)
    res.writeHead(status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': String(Buffer.byteLength(text)),
      'x-github-api-version-selected': version,
      'x-github-media-type': 'github.v3; format=json',
      'x-github-request-id': randomBytes(8).toString('hex').toUpperCase(),
      'x-ratelimit-limit': '5000',
      'x-ratelimit-remaining': String(Math.max(0, 5000 - used)),
      'x-ratelimit-used': String(used),
      'x-ratelimit-resource': 'core',
      'x-ratelimit-reset': String(Math.floor(Date.now() / 1000) + 3600),
      ...headers
    })
    res.end(text)
  }

  server.on('request', (req: http.IncomingMessage, res: http.ServerResponse) => {
    const versionHeader = req.headers['x-github-api-version']
    const apiVersion = Array.isArray(versionHeader) ? versionHeader[0] : versionHeader
    const entry: RecordedGitHubRequest = {
      method: req.method ?? '',
      path: req.url ?? '',
      authorization: (req.headers.authorization ?? 'none').trim().split(/\s/)[0]?.toLowerCase() || 'none',
      apiVersion,
      userAgent: req.headers['user-agent'],
      status: 0,
      body: ''
    }
    requests.push(entry)
    res.on('close', () => {
      entry.status = res.statusCode
    })
    if (!req.headers['user-agent']) {
      req.resume()
      res.writeHead(403, { 'content-type': 'text/plain; charset=utf-8', connection: 'close' })
      res.end(NO_USER_AGENT)
      return
    }
    if (apiVersion !== undefined && !SUPPORTED_API_VERSIONS.includes(apiVersion)) {
      req.resume()
      const supported = SUPPORTED_API_VERSIONS.map((v, i) => `"${v}"${i === 0 ? ' (most recent)' : ''}`)
      respond(
        res,
        400,
        {
          message: `The version you specified in the "X-GitHub-API-Version" request header, "${apiVersion}", is not a supported version. The following versions are currently supported: ${supported.join(', ')}.`,
          documentation_url: 'https://docs.github.com/rest/about-the-rest-api/api-versions',
          status: '400'
        },
        {},
        DEFAULT_API_VERSION
      )
      return
    }
    const version = apiVersion ?? DEFAULT_API_VERSION
    const url = new URL(req.url ?? '/', serverUrl)
    readBody(req)
      .then((text) => {
        entry.body = text
        bodies.set(req, text)
        return route(req, url)
      })
      .then(({ status, body, headers }) => respond(res, status, body, headers ?? {}, version))
      .catch((failure: unknown) => {
        req.resume()
        if (failure instanceof Answer) respond(res, failure.status, failure.body, {}, version)
        else respond(res, 500, { message: 'Server Error', status: '500' }, {}, version)
      })
  })

  return {
    apiUrl,
    serverUrl,
    repository: `${owner}/${repo}`,
    requests,
    comments: (issue) => stored.filter((comment) => issue === undefined || comment.issue === issue),
    addComment: (issue, user, body) =>
      store(issue, { login: user.login, id: user.id ?? idOf(user.login), type: user.type ?? 'User' }, body),
    deployments: () => deployments,
    failNext: (fault) => {
      faults.push(fault)
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve())
        server.closeAllConnections()
      })
  }
}

// --- workflow runs (GET /repos/{owner}/{repo}/actions/runs/{run_id}) --------------------------
//
// actions/get-workflow-run (REST docs, content/rest/actions/workflow-runs.md, "Get a workflow
// run"): 200 with the `workflow-run` schema (id, name, run_number, run_attempt, event, status,
// conclusion, workflow_id, html_url, created_at, updated_at, ...); status is one of requested,
// in_progress, completed, queued, pending, waiting; conclusion is null until completed. A run
// that does not exist (never was, or was deleted) is 404 "Not Found" with documentation_url
// https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run. Anonymous reads of a
// private repository are 404 too (checkRepository). Set runs with `workflowRuns`; change them
// on the object passed in (the stand-in reads it on every request).

export interface StandInWorkflowRun {
  status: 'requested' | 'in_progress' | 'completed' | 'queued' | 'pending' | 'waiting'
  conclusion?: 'success' | 'failure' | 'cancelled' | 'skipped' | 'timed_out' | null
  name?: string
  runAttempt?: number
}

const RUN = /^\/repos\/([^/]+\/[^/]+)\/actions\/runs\/(\d+)$/

function workflowRunsRoute(
  path: string,
  method: string,
  where: {
    owner: string
    repo: string
    serverUrl: string
    apiUrl: string
    runs: Record<number, StandInWorkflowRun>
  }
): { repository: string; answer: () => { status: number; body: unknown } } | undefined {
  const match = RUN.exec(path)
  if (!match || method !== 'GET') return undefined
  const id = Number(match[2])
  return {
    repository: match[1] as string,
    answer: () => {
      const run = where.runs[id]
      if (!run)
        throw error(404, 'Not Found', 'https://docs.github.com/rest/actions/workflow-runs#get-a-workflow-run')
      const now = timestamp()
      return {
        status: 200,
        body: {
          id,
          name: run.name ?? 'Deploy',
          node_id: `WFR_${Buffer.from(String(id)).toString('base64url')}`,
          head_branch: 'main',
          head_sha: '0123456789abcdef0123456789abcdef01234567',
          run_number: id % 1000,
          run_attempt: run.runAttempt ?? 1,
          event: 'push',
          status: run.status,
          conclusion: run.status === 'completed' ? (run.conclusion ?? 'success') : null,
          workflow_id: 161335,
          url: `${where.apiUrl}/repos/${where.owner}/${where.repo}/actions/runs/${id}`,
          html_url: `${where.serverUrl}/${where.owner}/${where.repo}/actions/runs/${id}`,
          created_at: now,
          updated_at: now
        }
      }
    }
  }
}
