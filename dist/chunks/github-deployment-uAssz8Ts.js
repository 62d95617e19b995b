import { a as apiMessage, s as statusOf, r as restClient, b as apiBaseUrl } from './rest-client-BpBWRiiE.js';
import { l as link, t as text, s as safeUrl } from './markdown-BQzPEqmq.js';
import { e as environmentPage } from './environment-page-BgPAVXFW.js';
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

// A deploy made visible on GitHub: a deployment for the commit in the named environment, and its
// statuses (in_progress, then success or failure) carrying the environment's URL and the run's
// URL. GitHub's REST API (2022-11-28): POST /repos/{owner}/{repo}/deployments and
// POST /repos/{owner}/{repo}/deployments/{id}/statuses. A success status is sent with
// auto_inactive, so GitHub marks the environment's earlier deployments inactive.
// Reporting never blocks or changes a deploy: every failure here (a token without
// `deployments: write` answers 403 "Resource not accessible by integration") becomes a warning.
/** GitHub's description fields hold at most 140 characters. */
const DESCRIPTION_MAX = 140;
const PERMISSION_HINT = 'give the job `permissions: deployments: write`';
/** Creates the deployment; undefined (with a warning) when GitHub did not create one. */
async function startDeployment(api, options) {
    const [owner, repo] = splitRepository(options.repository);
    if (!owner || !repo || !options.sha) {
        options.warn('GitHub deployment not created: the repository or commit of this run is unknown.');
        return undefined;
    }
    try {
        const { status, data } = await api.request('POST /repos/{owner}/{repo}/deployments', {
            owner,
            repo,
            ref: options.sha,
            environment: options.environment,
            // The action runs inside the checks; waiting for them, or merging the default branch in, is not its job.
            auto_merge: false,
            required_contexts: [],
            description: truncate(`container-ship deploy of ${options.sha.slice(0, 12)}`)
        });
        const id = data?.id;
        // 202: GitHub merged the default branch into the ref instead of creating a deployment.
        if (status !== 201 || !isDeploymentId(id)) {
            options.warn(`GitHub deployment not created (HTTP ${status}): ${apiMessage({ response: { data } })}`);
            return undefined;
        }
        const production = data.production_environment === true;
        return { owner, repo, id, production };
    }
    catch (error) {
        options.warn(`GitHub deployment not created: ${explain(error)}`);
        return undefined;
    }
}
/** Adds a status to the deployment; false (with a warning) when GitHub refused it. */
async function reportDeploymentStatus(api, deployment, state, options) {
    try {
        await api.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
            owner: deployment.owner,
            repo: deployment.repo,
            deployment_id: deployment.id,
            state,
            ...(options.environmentUrl ? { environment_url: options.environmentUrl } : {}),
            ...(options.logUrl ? { log_url: options.logUrl } : {}),
            ...(options.description ? { description: truncate(options.description) } : {}),
            // Only a success supersedes the environment's earlier deployments.
            auto_inactive: state === 'success'
        });
        return true;
    }
    catch (error) {
        options.warn(`GitHub deployment ${deployment.id} not marked ${state}: ${explain(error)}`);
        return false;
    }
}
/** How many of the environment's latest deployments deactivateEarlier looks at (a request each). */
const EARLIER_CHECKED = 10;
/**
 * The environment's earlier deployments still marked success, marked inactive: what GitHub's
 * auto_inactive does itself, except for production environments ("all prior non-transient,
 * non-production environment deployments ... will become inactive", REST docs, Inactive
 * deployments). Only the latest EARLIER_CHECKED are looked at: each success here leaves one
 * active, so older ones are inactive already. Returns how many were marked; never throws.
 */
async function deactivateEarlier(api, deployment, environment, warn) {
    const { owner, repo } = deployment;
    let marked = 0;
    try {
        const { data } = await api.request('GET /repos/{owner}/{repo}/deployments', {
            owner,
            repo,
            environment,
            per_page: EARLIER_CHECKED
        });
        const earlier = (Array.isArray(data) ? data : [])
            .map((item) => item?.id)
            .filter((id) => isDeploymentId(id) && id < deployment.id);
        for (const id of earlier) {
            const { data: statuses } = await api.request('GET /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', { owner, repo, deployment_id: id, per_page: 1 });
            const latest = Array.isArray(statuses)
                ? statuses[0]?.state
                : undefined;
            if (latest !== 'success')
                continue;
            await api.request('POST /repos/{owner}/{repo}/deployments/{deployment_id}/statuses', {
                owner,
                repo,
                deployment_id: id,
                state: 'inactive',
                description: truncate(`Replaced by deployment ${deployment.id}`),
                auto_inactive: false
            });
            marked++;
        }
    }
    catch (error) {
        warn(`earlier deployments to ${environment} not marked inactive: ${explain(error)}`);
    }
    return marked;
}
function isDeploymentId(id) {
    return typeof id === 'number' && Number.isSafeInteger(id) && id > 0;
}
function splitRepository(repository) {
    const parts = repository.split('/');
    return parts.length === 2 ? [parts[0] || undefined, parts[1] || undefined] : [undefined, undefined];
}
/** GitHub's message, with what to do about a missing permission; never the request (it has the token). */
function explain(error) {
    const status = statusOf(error);
    const message = apiMessage(error);
    if (status === 403 || status === 404)
        return `${message} (HTTP ${status}; ${PERMISSION_HINT})`;
    return status === undefined ? message : `${message} (HTTP ${status})`;
}
function truncate(text) {
    return text.length <= DESCRIPTION_MAX ? text : `${text.slice(0, DESCRIPTION_MAX - 1)}…`;
}

// The deploy shown on GitHub, as the environment input asks: a GitHub deployment of the commit in
// that environment, in_progress while the step runs, then success (with environment-url; the
// environment's earlier deployments become inactive) or failure. Saved for the post step from its
// creation until its last status, so that a cancelled run's post step marks it failed
// (github-deployment-post.ts). Reporting never changes the deploy: a token without
// `deployments: write` is a warning (github/deployments.ts). The deploy step imports this module
// on demand: it loads Octokit (rest-client.ts), which runs without environment never need.
/** Creates the deployment and marks it in_progress; undefined (with a warning) when GitHub did not. */
async function showOnGitHub(options) {
    const { environment, log } = options;
    const warn = (message) => log.warning(`environment: ${message}`);
    if (!options.token) {
        warn('no GitHub deployment is created: github-token is empty');
        return undefined;
    }
    const api = restClient({ token: options.token, baseUrl: apiBaseUrl() });
    const deployment = await startDeployment(api, {
        repository: options.repository ?? '',
        sha: options.sha,
        environment,
        warn
    });
    if (!deployment)
        return undefined;
    options.save(JSON.stringify(deployment));
    log.info(`GitHub deployment ${deployment.id} of ${options.sha.slice(0, 12)} to ${environment}`);
    const logUrl = options.logUrl;
    await reportDeploymentStatus(api, deployment, 'in_progress', { logUrl, description: 'Deploying', warn });
    return {
        id: deployment.id,
        environment,
        finish: async (outcome, description) => {
            const environmentUrl = outcome === 'success' ? options.environmentUrl || undefined : undefined;
            const sent = await reportDeploymentStatus(api, deployment, outcome, {
                environmentUrl,
                logUrl,
                description,
                warn
            });
            // Given its last status, or refused it: the post step has nothing left to say either way.
            options.save('');
            if (sent)
                log.info(`GitHub deployment ${deployment.id} to ${environment}: ${outcome}`);
            if (sent && outcome === 'success' && deployment.production) {
                const marked = await deactivateEarlier(api, deployment, environment, warn);
                if (marked > 0)
                    log.info(`Marked ${marked} earlier deployment(s) to ${environment} inactive`);
            }
        }
    };
}
/** The deploy's line in the sticky pull request comment: where it went, and how it ended. */
function deploymentCommentLine(deployment, outcome, rolledBack) {
    const name = link(text(deployment.environment), environmentPage(deployment.environment));
    if (outcome === 'success') {
        const where = deployment.url && safeUrl(deployment.url) ? `: ${link(text(deployment.url), deployment.url)}` : '';
        return `:rocket: Deployed to ${name} (deployment ${deployment.id})${where}.`;
    }
    return `:x: The deploy to ${name} failed (deployment ${deployment.id})${rolledBack ? ' and was rolled back: the release before keeps serving' : ''}.`;
}
/**
 * The scan's sticky comment written again with the deploy's line, on a pull request run that
 * deploys (deploy-on-untrusted-events): reviewers see where the pull request went. Never fails.
 */
async function linkFromPullRequestComment(options) {
    const { describeOutcome, upsertComment } = await import('./upsert-DXDnatBe.js');
    const outcome = await upsertComment({
        enabled: true,
        token: options.token,
        context: options.context,
        comment: { ...options.comment, deployment: options.line }
    });
    const { warning, message } = describeOutcome(options.comment.image, outcome);
    if (warning)
        options.log.warning(message);
    else
        options.log.info(message);
}

export { deploymentCommentLine, linkFromPullRequestComment, showOnGitHub };
