// The sticky pull request comment: one comment per image on the pull request, written by the first
// scan and edited in place by every later one, so reviewers see the current verdict without a new
// comment (and a new notification) per push.
//
// Finding the comment again: each body starts with a hidden marker line,
// `<!-- container-ship:scan image=<image> -->`, and only a comment written by the token's own
// identity is ever edited. A marker alone would let anyone who can comment (the author of a fork
// pull request included) plant it and have the action write the scan results into their comment,
// which they could then edit at will. Who the token is: `GET /user` answers a person's token
// (a personal access token or an OAuth or GitHub App user token) with its login, and only that
// login's comments are ours. It answers installation tokens (the workflow's GITHUB_TOKEN, a GitHub
// App's installation token) 403 "Resource not accessible by integration": those write as a bot
// (`github-actions[bot]`, `<app>[bot]`), and only comments of a `Bot` account are ours, which
// people cannot write. The marker must be the first line (a finding's text quoted in a table cell
// cannot pose as another image's marker), and the oldest matching comment is the one kept. The
// comments are read 100 a page, following GitHub's Link headers, until ours turns up (every page
// when it does not). Two runs that race on a new pull request can each create one; later runs
// edit the older.
//
// The API is GITHUB_API_URL (`https://HOST/api/v3` on GitHub Enterprise Server), asked for REST
// version 2022-11-28, each request given 30 s.
//
// Nothing here fails the run: every result is a CommentOutcome. A read-only token (fork pull
// requests get one) answers writes 403 "Resource not accessible by integration"; that, and a 404,
// are `skipped` with a warning. The token is never put into a message.
import { getOctokit } from '@actions/github'
import { clip, code, link, safeUrl, text } from '../../lib/markdown.js'
import type { GitHubContext } from '../../github/context.js'
import { FINDINGS_TABLE_HEADER, findingRow, type FindingRow } from './summary.js'
import { SEVERITIES, type Severity } from '../severity.js'

/** GitHub's limit on an issue or pull request comment body, in characters. */
export const COMMENT_BODY_LIMIT = 65_536
/** The REST API version asked for: the oldest supported one, which GitHub Enterprise Server has too. */
export const GITHUB_API_VERSION = '2022-11-28'
/** Rows of the findings table, at most; the rest are counted. */
export const COMMENT_TABLE_ROWS = 50

/** Reasons listed in full; the rest are counted. */
const REASONS_SHOWN = 20
const REASON_LIMIT = 500
/** Each API request's time limit, unless UpsertOptions.timeoutMs says otherwise. */
const REQUEST_TIMEOUT_MS = 30_000
/** Kept free for the notes and the footer after the table. */
const TAIL_RESERVE = 1_500

export interface CommentInput {
  /** The repository the action builds (the `image` input): one comment per image. */
  image: string
  passed: boolean
  /** Why the gate failed, one sentence a rule (ScanResult.reasons). */
  reasons: string[]
  /** What counts after ignores, by severity. */
  counts: Record<Severity, number>
  /** The reported findings, worst first, with their Dockerfile lines. */
  rows: FindingRow[]
  /** How many findings were taken out by `ignore-unfixed` and the ignore file. */
  ignored: number
  /** The Dockerfile, relative to the workspace. */
  dockerfile: string
  /** The workflow run, linked from the comment. */
  runUrl?: string
}

/** The hidden first line that marks this image's comment. */
export function commentMarker(image: string): string {
  // An image reference holds no `>`; strip any so the marker cannot be closed early.
  return `<!-- container-ship:scan image=${image.trim().replace(/>/g, '')} -->`
}

/**
 * The comment for one image: marker, verdict and reasons, counts by severity, the worst findings
 * in a table, what was left out and what was ignored. Never longer than `budget` characters
 * (UTF-16 code units, which are never fewer than the characters GitHub counts): rows are cut, and
 * the comment says so.
 */
export function commentBody(input: CommentInput, budget: number = COMMENT_BODY_LIMIT): string {
  const head = headOf(input)
  const limit = Math.min(budget, COMMENT_BODY_LIMIT)
  const wanted = input.rows.slice(0, COMMENT_TABLE_ROWS)
  const table: string[] = []
  if (wanted.length > 0) {
    let size = length(head) + length(FINDINGS_TABLE_HEADER) + TAIL_RESERVE
    for (const row of wanted) {
      const line = findingRow(row, input.dockerfile)
      if (size + line.length + 1 > limit) break
      table.push(line)
      size += line.length + 1
    }
  }
  const cut = wanted.length - table.length
  const tail = tailOf(input, table.length, cut)
  const parts = [...head]
  if (table.length > 0) parts.push('### Worst findings', '', ...FINDINGS_TABLE_HEADER, ...table, '')
  const body = [...parts, ...tail].join('\n')
  if (body.length <= limit) return body
  // Only an absurd input gets here (reasons or an image name tens of kilobytes long).
  const minimal = [
    commentMarker(input.image),
    verdictLine(input),
    '',
    `The scan results do not fit in a comment (GitHub takes ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters): the step summary${input.runUrl ? ` of ${link('the run', input.runUrl)}` : ''} has them.`,
    ''
  ].join('\n')
  return minimal.length <= limit ? minimal : minimal.slice(0, limit)
}

function headOf(input: CommentInput): string[] {
  const lines = [commentMarker(input.image), `## Container Ship scan: ${code(clip(input.image))}`, '']
  lines.push(verdictLine(input))
  if (!input.passed && input.reasons.length > 0) {
    lines.push('')
    for (const reason of input.reasons.slice(0, REASONS_SHOWN))
      lines.push(`- ${text(clip(reason, REASON_LIMIT))}`)
    const more = input.reasons.length - REASONS_SHOWN
    if (more > 0) lines.push(`- and ${more} more (see the step summary)`)
  }
  lines.push('', countsTable(input.counts), '')
  if (input.ignored > 0) {
    lines.push(
      `${input.ignored} ${input.ignored === 1 ? 'finding was' : 'findings were'} ignored (\`ignore-unfixed\` or the ignore file) and ${input.ignored === 1 ? 'does' : 'do'} not count.`,
      ''
    )
  }
  return lines
}

function verdictLine(input: CommentInput): string {
  return input.passed
    ? ':white_check_mark: **Passed**: no finding fails the gate.'
    : ':x: **Failed**: the gate stops the push.'
}

function countsTable(counts: Record<Severity, number>): string {
  const order = [...SEVERITIES].reverse()
  return [
    `| ${order.join(' | ')} |`,
    `| ${order.map(() => '---:').join(' | ')} |`,
    `| ${order.map((severity) => String(counts[severity] ?? 0)).join(' | ')} |`
  ].join('\n')
}

function tailOf(input: CommentInput, shown: number, cut: number): string[] {
  const lines: string[] = []
  const total = input.rows.length
  if (total === 0) lines.push('No findings to report.', '')
  const notShown = total - shown
  if (notShown > 0) {
    const where = input.runUrl ? `the step summary of ${link('the run', input.runUrl)}` : 'the step summary'
    const why =
      cut > 0
        ? ` (${cut} of them cut to keep this comment under GitHub's limit of ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters)`
        : ''
    lines.push(
      `${notShown} more reported ${notShown === 1 ? 'finding is' : 'findings are'} not in this table${why}: ${where} lists them all.`,
      ''
    )
  }
  if (input.runUrl && safeUrl(input.runUrl))
    lines.push(`<sub>${link('Workflow run', input.runUrl)}</sub>`, '')
  return lines
}

function length(lines: string[]): number {
  return lines.reduce((sum, line) => sum + line.length + 1, 0)
}

// --- writing the comment ----------------------------------------------------------------------

export type CommentOutcome =
  | { status: 'created'; commentId: number; url: string }
  | { status: 'updated'; commentId: number; url: string }
  | {
      status: 'skipped'
      reason: string
      /** true when the run should show a warning (no permission), false when commenting does not apply. */
      warning: boolean
    }
  | { status: 'failed'; message: string }

export interface UpsertOptions {
  /** The `pr-comment` input. */
  enabled: boolean
  /** The `github-token` input. Never put into a message. */
  token: string
  context: Pick<GitHubContext, 'pullRequestNumber' | 'repository'>
  /** The REST API's base URL; default GITHUB_API_URL, else https://api.github.com. */
  apiUrl?: string
  comment: CommentInput
  /** Each API request's time limit; default 30 s. */
  timeoutMs?: number
}

interface ListedComment {
  id: number
  body?: string
  html_url: string
  user: { login: string; type?: string } | null
}

type Author = { kind: 'user'; login: string } | { kind: 'bot' }

/**
 * Creates this image's comment on the pull request, or edits it in place when the token's identity
 * wrote it before. Never throws and never fails the run: see CommentOutcome.
 */
export async function upsertComment(options: UpsertOptions): Promise<CommentOutcome> {
  const { token, context, comment } = options
  const number = context.pullRequestNumber
  if (!options.enabled) return skip('pr-comment is false', false)
  if (number === undefined) return skip('this run is not for a pull request', false)
  if (!token) return skip('github-token is empty', false)
  const [owner, repo, ...extra] = (context.repository ?? '').split('/')
  if (!owner || !repo || extra.length > 0) return skip('GITHUB_REPOSITORY is not set', false)
  const baseUrl = (options.apiUrl || process.env.GITHUB_API_URL || 'https://api.github.com').replace(
    /\/+$/,
    ''
  )
  // GitHub does not echo tokens, but a message must not carry one even if it did. (A value this
  // short is no token: masking it would garble every message.)
  const scrub = (message: string): string => (token.length < 4 ? message : message.split(token).join('***'))

  let step = 'reading who the token is'
  try {
    const octokit = getOctokit(token, { baseUrl, userAgent: 'container-ship' })
    octokit.hook.before('request', (request) => {
      request.headers['x-github-api-version'] = GITHUB_API_VERSION
      // A request that hangs must not hold the step.
      request.request = {
        ...request.request,
        signal: AbortSignal.timeout(options.timeoutMs ?? REQUEST_TIMEOUT_MS)
      }
    })
    const author = await whoAmI(octokit)
    const marker = commentMarker(comment.image)
    step = `listing the comments of pull request #${number}`
    let existing: ListedComment | undefined
    for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
      owner,
      repo,
      issue_number: number,
      per_page: 100
    })) {
      existing = (page.data as ListedComment[]).find((item) => ours(item, author) && startsWith(item, marker))
      if (existing) break
    }
    const body = commentBody(comment)
    if (existing) {
      step = `updating comment ${existing.id} on pull request #${number}`
      const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body })
      return { status: 'updated', commentId: Number(data.id), url: data.html_url }
    }
    step = `commenting on pull request #${number}`
    const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body })
    return { status: 'created', commentId: Number(data.id), url: data.html_url }
  } catch (error) {
    const status = statusOf(error)
    const detail = scrub(apiMessage(error))
    if (status === 403 || status === 404 || status === 410) {
      const hint =
        status === 403
          ? ' (pull requests from forks and from Dependabot get a read-only token; otherwise give the job `pull-requests: write`)'
          : ''
      return skip(`${step} was refused: ${status} ${detail}${hint}`, true)
    }
    return { status: 'failed', message: `${step} failed: ${status ? `${status} ` : ''}${detail}` }
  }
}

/** One line for the log, and whether it is a warning. */
export function describeOutcome(
  image: string,
  outcome: CommentOutcome
): { warning: boolean; message: string } {
  switch (outcome.status) {
    case 'created':
      return { warning: false, message: `Pull request comment for ${image} created: ${outcome.url}` }
    case 'updated':
      return { warning: false, message: `Pull request comment for ${image} updated: ${outcome.url}` }
    case 'skipped':
      return { warning: outcome.warning, message: `No pull request comment for ${image}: ${outcome.reason}` }
    case 'failed':
      return {
        warning: true,
        message: `The pull request comment for ${image} was not written: ${outcome.message}`
      }
  }
}

/** The workflow run's page, from the runner's environment. */
export function runUrlFrom(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  if (!env.GITHUB_REPOSITORY || !env.GITHUB_RUN_ID) return undefined
  const attempt =
    env.GITHUB_RUN_ATTEMPT && env.GITHUB_RUN_ATTEMPT !== '1' ? `/attempts/${env.GITHUB_RUN_ATTEMPT}` : ''
  return `${server}/${env.GITHUB_REPOSITORY}/actions/runs/${env.GITHUB_RUN_ID}${attempt}`
}

type Octokit = ReturnType<typeof getOctokit>

/** A person's token names its login; an installation token is refused `/user` and writes as a bot. */
async function whoAmI(octokit: Octokit): Promise<Author> {
  try {
    const { data } = await octokit.rest.users.getAuthenticated()
    return { kind: 'user', login: data.login }
  } catch (error) {
    if (statusOf(error) === 403) return { kind: 'bot' }
    throw error
  }
}

function ours(item: ListedComment, author: Author): boolean {
  if (!item.user) return false
  return author.kind === 'user' ? item.user.login === author.login : item.user.type === 'Bot'
}

function startsWith(item: ListedComment, marker: string): boolean {
  return (item.body ?? '').split('\n', 1)[0]?.trim() === marker
}

function skip(reason: string, warning: boolean): CommentOutcome {
  return { status: 'skipped', reason, warning }
}

/** The HTTP status GitHub answered; undefined when there was no answer (Octokit calls that 500). */
function statusOf(error: unknown): number | undefined {
  const failed = error as { status?: unknown; response?: unknown } | null
  const status = failed?.status
  return typeof status === 'number' && failed?.response !== undefined ? status : undefined
}

/** GitHub's own message for an HTTP error, else the error's; never the request, which has the token. */
function apiMessage(error: unknown): string {
  const data = (error as { response?: { data?: unknown } } | null)?.response?.data
  if (data && typeof data === 'object') {
    const message = (data as { message?: unknown }).message
    const errors = (data as { errors?: unknown }).errors
    const details = Array.isArray(errors)
      ? errors
          .map((item: unknown) => (item as { message?: unknown })?.message)
          .filter((item): item is string => typeof item === 'string')
      : []
    if (typeof message === 'string') return [message, ...details].join(': ')
  }
  // No answer: the error and its causes (fetch failed, then connect ECONNREFUSED ...).
  const messages: string[] = []
  let current: unknown = error
  for (let depth = 0; depth < 5 && current !== null && typeof current === 'object'; depth++) {
    const { message, cause, errors } = current as { message?: unknown; cause?: unknown; errors?: unknown }
    if (typeof message === 'string' && message !== '' && !messages.includes(message)) messages.push(message)
    current = cause ?? (Array.isArray(errors) ? errors[0] : undefined)
  }
  if (messages.length === 0) return String(error)
  const [first, ...rest] = messages
  return rest.length > 0 ? `${first} (${rest.join(': ')})` : (first as string)
}
