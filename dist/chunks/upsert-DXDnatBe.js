import { b as apiBaseUrl, r as restClient, w as whoAmI, s as statusOf, a as apiMessage } from './rest-client-BpBWRiiE.js';
import { l as link, c as code, a as clip, t as text, s as safeUrl } from './markdown-BQzPEqmq.js';
import { f as findingRow, F as FINDINGS_TABLE_HEADER, S as SEVERITIES } from './summary-BvJrpyvc.js';
import 'fs';
import 'os';
import 'http';
import 'https';
import './index-DPHC-cSm.js';
import 'net';
import 'tls';
import 'events';
import 'assert';
import 'util';
import 'node:assert';
import 'node:net';
import 'node:http';
import 'node:stream';
import 'node:buffer';
import 'node:util';
import 'node:querystring';
import 'node:events';
import 'node:diagnostics_channel';
import 'node:tls';
import 'node:zlib';
import 'node:perf_hooks';
import 'node:util/types';
import 'node:worker_threads';
import 'node:url';
import 'node:async_hooks';
import 'node:console';
import 'node:dns';
import 'string_decoder';

// The sticky pull request comment's body (upsert.ts writes it): the hidden marker line by which
// the comment is found again, the verdict and the gate's reasons, the counts by severity and the
// worst findings in a table, cut to stay within GitHub's limit on a comment's length.
/** GitHub's limit on an issue or pull request comment body, in characters. */
const COMMENT_BODY_LIMIT = 65_536;
/** Rows of the findings table, at most; the rest are counted. */
const COMMENT_TABLE_ROWS = 50;
/** Reasons listed in full; the rest are counted. */
const REASONS_SHOWN = 20;
const REASON_LIMIT = 500;
/** Kept free for the notes and the footer after the table. */
const TAIL_RESERVE = 1_500;
/** The hidden first line that marks this image's comment. */
function commentMarker(image) {
    // An image reference holds no `>`; strip any so the marker cannot be closed early.
    return `<!-- container-ship:scan image=${image.trim().replace(/>/g, '')} -->`;
}
/**
 * The comment for one image: marker, verdict and reasons, counts by severity, the worst findings
 * in a table, what was left out and what was ignored. Never longer than `budget` characters
 * (UTF-16 code units, which are never fewer than the characters GitHub counts): rows are cut, and
 * the comment says so.
 */
function commentBody(input, budget = COMMENT_BODY_LIMIT) {
    const head = headOf(input);
    const limit = Math.min(budget, COMMENT_BODY_LIMIT);
    const wanted = input.rows.slice(0, COMMENT_TABLE_ROWS);
    const table = [];
    if (wanted.length > 0) {
        let size = length(head) + length(FINDINGS_TABLE_HEADER) + TAIL_RESERVE;
        for (const row of wanted) {
            const line = findingRow(row, input.dockerfile);
            if (size + line.length + 1 > limit)
                break;
            table.push(line);
            size += line.length + 1;
        }
    }
    const cut = wanted.length - table.length;
    const tail = tailOf(input, table.length, cut);
    const parts = [...head];
    if (table.length > 0)
        parts.push('### Worst findings', '', ...FINDINGS_TABLE_HEADER, ...table, '');
    const body = [...parts, ...tail].join('\n');
    if (body.length <= limit)
        return body;
    // Only an absurd input gets here (reasons or an image name tens of kilobytes long).
    const minimal = [
        commentMarker(input.image),
        verdictLine(input),
        '',
        `The scan results do not fit in a comment (GitHub takes ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters): the step summary${input.runUrl ? ` of ${link('the run', input.runUrl)}` : ''} has them.`,
        ''
    ].join('\n');
    return minimal.length <= limit ? minimal : minimal.slice(0, limit);
}
function headOf(input) {
    const lines = [commentMarker(input.image), `## Container Ship scan: ${code(clip(input.image))}`, ''];
    if (input.comparison)
        lines.push(input.comparison, '');
    lines.push(verdictLine(input));
    if (input.deployment)
        lines.push('', input.deployment);
    if (!input.passed && input.reasons.length > 0) {
        lines.push('');
        for (const reason of input.reasons.slice(0, REASONS_SHOWN))
            lines.push(`- ${text(clip(reason, REASON_LIMIT))}`);
        const more = input.reasons.length - REASONS_SHOWN;
        if (more > 0)
            lines.push(`- and ${more} more (see the step summary)`);
    }
    lines.push('', countsTable(input.counts), '');
    if (input.ignored > 0) {
        lines.push(`${input.ignored} ${input.ignored === 1 ? 'finding was' : 'findings were'} ignored (\`ignore-unfixed\` or the ignore file) and ${input.ignored === 1 ? 'does' : 'do'} not count.`, '');
    }
    return lines;
}
function verdictLine(input) {
    return input.passed
        ? ':white_check_mark: **Passed**: no finding fails the gate.'
        : ':x: **Failed**: the gate stops the push.';
}
function countsTable(counts) {
    const order = [...SEVERITIES].reverse();
    return [
        `| ${order.join(' | ')} |`,
        `| ${order.map(() => '---:').join(' | ')} |`,
        `| ${order.map((severity) => String(counts[severity] ?? 0)).join(' | ')} |`
    ].join('\n');
}
function tailOf(input, shown, cut) {
    const lines = [];
    const total = input.rows.length;
    if (total === 0)
        lines.push('No findings to report.', '');
    const notShown = total - shown;
    if (notShown > 0) {
        const where = input.runUrl ? `the step summary of ${link('the run', input.runUrl)}` : 'the step summary';
        const why = cut > 0
            ? ` (${cut} of them cut to keep this comment under GitHub's limit of ${COMMENT_BODY_LIMIT.toLocaleString('en-US')} characters)`
            : '';
        lines.push(`${notShown} more reported ${notShown === 1 ? 'finding is' : 'findings are'} not in this table${why}: ${where} lists them all.`, '');
    }
    if (input.runUrl && safeUrl(input.runUrl))
        lines.push(`<sub>${link('Workflow run', input.runUrl)}</sub>`, '');
    return lines;
}
function length(lines) {
    return lines.reduce((sum, line) => sum + line.length + 1, 0);
}

/**
 * Creates this image's comment on the pull request, or edits it in place when the token's identity
 * wrote it before. Never throws and never fails the run: see CommentOutcome.
 */
async function upsertComment(options) {
    const { token, context, comment } = options;
    const number = context.pullRequestNumber;
    if (!options.enabled)
        return skip('pr-comment is false', false);
    if (number === undefined)
        return skip('this run is not for a pull request', false);
    if (!token)
        return skip('github-token is empty', false);
    const [owner, repo, ...extra] = (context.repository ?? '').split('/');
    if (!owner || !repo || extra.length > 0)
        return skip('GITHUB_REPOSITORY is not set', false);
    const baseUrl = apiBaseUrl(options.apiUrl);
    // GitHub does not echo tokens, but a message must not carry one even if it did. (A value this
    // short is no token: masking it would garble every message.)
    const scrub = (message) => (token.length < 4 ? message : message.split(token).join('***'));
    let step = 'reading who the token is';
    try {
        const octokit = restClient({ token, baseUrl, timeoutMs: options.timeoutMs });
        const author = await whoAmI(octokit);
        const marker = commentMarker(comment.image);
        step = `listing the comments of pull request #${number}`;
        let existing;
        for await (const page of octokit.paginate.iterator(octokit.rest.issues.listComments, {
            owner,
            repo,
            issue_number: number,
            per_page: 100
        })) {
            existing = page.data.find((item) => ours(item, author) && startsWith(item, marker));
            if (existing)
                break;
        }
        const body = commentBody(comment);
        if (existing) {
            step = `updating comment ${existing.id} on pull request #${number}`;
            const { data } = await octokit.rest.issues.updateComment({ owner, repo, comment_id: existing.id, body });
            return { status: 'updated', commentId: Number(data.id), url: data.html_url };
        }
        step = `commenting on pull request #${number}`;
        const { data } = await octokit.rest.issues.createComment({ owner, repo, issue_number: number, body });
        return { status: 'created', commentId: Number(data.id), url: data.html_url };
    }
    catch (error) {
        const status = statusOf(error);
        const detail = scrub(apiMessage(error));
        if (status === 403 || status === 404 || status === 410) {
            const hint = status === 403
                ? ' (pull requests from forks and from Dependabot get a read-only token; otherwise give the job `pull-requests: write`)'
                : '';
            return skip(`${step} was refused: ${status} ${detail}${hint}`, true);
        }
        return { status: 'failed', message: `${step} failed: ${status ? `${status} ` : ''}${detail}` };
    }
}
/** One line for the log, and whether it is a warning. */
function describeOutcome(image, outcome) {
    switch (outcome.status) {
        case 'created':
            return { warning: false, message: `Pull request comment for ${image} created: ${outcome.url}` };
        case 'updated':
            return { warning: false, message: `Pull request comment for ${image} updated: ${outcome.url}` };
        case 'skipped':
            return { warning: outcome.warning, message: `No pull request comment for ${image}: ${outcome.reason}` };
        case 'failed':
            return {
                warning: true,
                message: `The pull request comment for ${image} was not written: ${outcome.message}`
            };
    }
}
function ours(item, author) {
    if (!item.user)
        return false;
    return author.kind === 'user' ? item.user.login === author.login : item.user.type === 'Bot';
}
function startsWith(item, marker) {
    return (item.body ?? '').split('\n', 1)[0]?.trim() === marker;
}
function skip(reason, warning) {
    return { status: 'skipped', reason, warning };
}

export { describeOutcome, upsertComment };
