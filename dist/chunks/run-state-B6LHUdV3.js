import { r as restClient, b as apiBaseUrl, s as statusOf, a as apiMessage } from './rest-client-BpBWRiiE.js';
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

// Whether the run that holds a deploy lock still exists, asked of GitHub's REST API:
// GET /repos/{owner}/{repo}/actions/runs/{run_id} (actions/get-workflow-run): its `status`, or
// 404 when the run was deleted. Only a run of this repository is asked about: a token of one
// repository gets 404 for another's private runs, which must not read as "gone". Loaded on
// demand from the deploy step (Octokit stays out of the main chunk).
/** What a refused question about a run needs: the token's permission to read runs. */
const RUN_READ_HINT = 'give the job `permissions: actions: read`, which github-token needs to ask whether the run holding the lock exists';
const REPOSITORY = /^([A-Za-z0-9_.-]+)\/([A-Za-z0-9_.-]+)$/;
/** The holder's run as GitHub reports it; `unknown` with the reason whenever it cannot tell. */
async function holderRunState(record, access) {
    if (!access.token)
        return { kind: 'unknown', why: 'github-token is empty' };
    if (!record.repository || !record.runId)
        return {
            kind: 'unknown',
            why: 'the lock does not name its run (taken by an older release of the action?)'
        };
    if (!/^\d{1,20}$/.test(record.runId))
        return { kind: 'unknown', why: 'the lock names no valid run ID' };
    const ours = REPOSITORY.exec(access.repository ?? '');
    if (!ours || record.repository.toLowerCase() !== (access.repository ?? '').toLowerCase()) {
        return {
            kind: 'unknown',
            why: `the lock was taken by a run of another repository (${record.repository.slice(0, 100)}), which this run's token cannot vouch for`
        };
    }
    const [, owner, repo] = ours;
    const scrub = (message) => access.token.length < 4 ? message : message.split(access.token).join('***');
    try {
        const octokit = restClient({
            token: access.token,
            baseUrl: apiBaseUrl(access.apiUrl),
            timeoutMs: access.timeoutMs
        });
        const { data } = await octokit.request('GET /repos/{owner}/{repo}/actions/runs/{run_id}', {
            owner,
            repo,
            run_id: Number(record.runId)
        });
        const status = data.status;
        if (typeof status !== 'string')
            return { kind: 'unknown', why: 'GitHub answered without a status' };
        return { kind: 'status', status };
    }
    catch (error) {
        const status = statusOf(error);
        if (status === 404)
            return { kind: 'not-found' };
        return {
            kind: 'unknown',
            why: `GET /repos/${owner}/${repo}/actions/runs/${record.runId} ${status ? `answered ${status}` : 'failed'}: ${scrub(apiMessage(error))}${status === 403 ? ` (${RUN_READ_HINT})` : ''}`
        };
    }
}

export { RUN_READ_HINT, holderRunState };
