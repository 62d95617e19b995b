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
// The REST client (its URL, API version, time limits and error messages) is
// src/github/rest-client.ts.
//
// Nothing here fails the run: every result is a CommentOutcome. A read-only token (fork pull
// requests get one) answers writes 403 "Resource not accessible by integration"; that, and a 404,
// are `skipped` with a warning. The token is never put into a message.
import type { GitHubContext } from '../../../github/context.js'
import {
  apiBaseUrl,
  apiMessage,
  restClient,
  statusOf,
  whoAmI,
  type Author
} from '../../../github/rest-client.js'
import { commentBody, commentMarker, type CommentInput } from './body.js'

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
  const baseUrl = apiBaseUrl(options.apiUrl)
  // GitHub does not echo tokens, but a message must not carry one even if it did. (A value this
  // short is no token: masking it would garble every message.)
  const scrub = (message: string): string => (token.length < 4 ? message : message.split(token).join('***'))

  let step = 'reading who the token is'
  try {
    const octokit = restClient({ token, baseUrl, timeoutMs: options.timeoutMs })
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
