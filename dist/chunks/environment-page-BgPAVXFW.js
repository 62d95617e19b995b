// Where GitHub shows an environment's deployments: linked from the step summary and the pull
// request comment. No client here, so the main bundle can link without loading Octokit.
/** The environment's deployments page, or undefined outside a run (no GITHUB_REPOSITORY). */
function environmentPage(environment) {
    const server = (process.env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '');
    const repository = process.env.GITHUB_REPOSITORY;
    return repository ? `${server}/${repository}/deployments/${encodeURIComponent(environment)}` : undefined;
}

export { environmentPage as e };
