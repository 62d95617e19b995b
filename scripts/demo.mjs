// The demo pipeline: runs the bundled action through the runner emulation the end-to-end tests
// use, on examples/hello, against the test bed: build for linux/amd64 and linux/arm64 with the
// test bed's BuildKit builder into an OCI layout with provenance and SBOM attestations, scan each
// platform (Trivy with the offline DB), push the layout to the registry on 127.0.0.1:5000, sign
// its digest and attest the scan with a cosign key made for the demo, and deploy over ssh:// to
// the test bed's engine, with nginx in front, by digest, after verifying the signature and the
// attested verdict. It ships two releases: v$DEMO_VERSION (default 1.0.0), then v$DEMO_NEXT
// (default 1.1.0) while a load generator sends requests through nginx, and prints how many
// failed; then rolls back to v$DEMO_VERSION as a manual workflow_dispatch run would (steps: deploy,
// rollback: true), under the same load. Run it through scripts/demo.sh, which sets up the test
// bed first.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { proxyUrl, startLoad } from './deploy-stack.mjs'
import { parseFileCommands, REPO_ROOT, runAction } from './local-runner.mjs'

const first = process.env.DEMO_VERSION ?? '1.0.0'
const next = process.env.DEMO_NEXT ?? '1.1.0'
const testbed = /** @type {Record<string, string>} */ (
  parseFileCommands(
    readFileSync(
      path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env'),
      'utf8'
    )
  )
)
const registry = /** @type {string} */ (testbed.TESTBED_REGISTRY)
const image = `${registry}/demo/hello`
const project = 'container-ship-demo'
const workspace = path.join(REPO_ROOT, 'examples/hello')
// A cosign key pair for the demo, in a private temporary folder (a workflow gets its key from a secret).
const keyDir = mkdtempSync(path.join(os.tmpdir(), 'demo-cosign-'))
const cosignPassword = 'demo-only-password'
execFileSync(/** @type {string} */ (testbed.TESTBED_COSIGN), ['generate-key-pair'], {
  cwd: keyDir,
  env: { PATH: process.env.PATH, HOME: keyDir, COSIGN_PASSWORD: cosignPassword },
  stdio: 'ignore'
})
const cosignKey = readFileSync(path.join(keyDir, 'cosign.key'), 'utf8')
rmSync(keyDir, { recursive: true, force: true })
let sha = '0000000000000000000000000000000000000000'
try {
  sha = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {
  // Not a git checkout: the sha tag is made of zeros.
}

/**
 * One release: the whole pipeline on a push of tag v<version>; or, with `rollback`, a manual
 * (workflow_dispatch) run of the deploy alone back to the release before.
 * @param {string} version @param {{ rollback?: boolean }} [options]
 */
async function ship(version, options = {}) {
  const eventPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'demo-event-')), 'event.json')
  const repository = { full_name: 'local/hello', html_url: 'https://github.com/local/hello' }
  const ref = options.rollback ? 'refs/heads/main' : `refs/tags/v${version}`
  writeFileSync(eventPath, JSON.stringify({ ref, repository, ...(options.rollback ? { inputs: {} } : {}) }))
  return runAction({
    inputs: {
      ...(options.rollback ? { steps: 'deploy', rollback: 'true' } : {}),
      image,
      username: /** @type {string} */ (testbed.TESTBED_REGISTRY_USER),
      password: readFileSync(/** @type {string} */ (testbed.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim(),
      'build-args': `GREETING=Hello from Container Ship ${version}`,
      // Both platforms, arm64 through qemu, on the test bed's BuildKit (buildx driver "remote").
      builder: /** @type {string} */ (testbed.TESTBED_BUILDER),
      platforms: 'linux/amd64,linux/arm64',
      sbom: 'true',
      // Signed with the demo's key; no transparency log here (Rekor cannot be reached).
      sign: 'key',
      'cosign-key': cosignKey,
      'cosign-password': cosignPassword,
      'cosign-tlog': 'false',
      verify: 'scan-attestation',
      // The vulnerability DB cannot be downloaded here: the test bed built one offline.
      'skip-db-update': 'true',
      // The test bed's engine, reached as a remote host over SSH (its own sshd on 127.0.0.1:2222).
      'deploy-host': /** @type {string} */ (testbed.TESTBED_SSH_HOST),
      'ssh-private-key': readFileSync(/** @type {string} */ (testbed.TESTBED_SSH_KEY_FILE), 'utf8'),
      'ssh-known-hosts': readFileSync(/** @type {string} */ (testbed.TESTBED_SSH_KNOWN_HOSTS_FILE), 'utf8'),
      'compose-project': project,
      service: 'web',
      replicas: '3',
      'switch-command': 'proxy: nginx -s reload',
      env: `REGISTRY=${registry}\nNGINX_IMAGE=${testbed.TESTBED_NGINX_IMAGE}`
    },
    event: {
      GITHUB_EVENT_NAME: options.rollback ? 'workflow_dispatch' : 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: ref,
      GITHUB_SHA: sha,
      GITHUB_REPOSITORY: repository.full_name,
      GITHUB_SERVER_URL: 'https://github.com',
      GITHUB_RUN_ID: String(Date.now())
    },
    workspace,
    // Trivy and cosign as the test bed built them, and Trivy's offline DB as its cache folder.
    // cosign's own calls to the internet (Sigstore's TUF root) go to a closed loopback port.
    env: {
      PATH: [testbed.TESTBED_TRIVY, testbed.TESTBED_COSIGN]
        .map((tool) => path.dirname(/** @type {string} */ (tool)))
        .concat(process.env.PATH ?? '')
        .join(':'),
      TRIVY_CACHE_DIR: /** @type {string} */ (testbed.TESTBED_TRIVY_CACHE),
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9'
    }
  })
}

/** @param {string} title @param {Awaited<ReturnType<typeof ship>>} run */
function show(title, run) {
  console.log(`\n=== ${title}: main step (node dist/index.js) ===`)
  process.stdout.write(run.log)
  console.log(`=== ${title}: post step (node dist/post.js) ===`)
  process.stdout.write(run.post.log)
  console.log(`=== ${title}: outputs ===`)
  for (const [name, value] of Object.entries(run.outputs))
    console.log(`${name}: ${value.split('\n').join('\n    ')}`)
  console.log(`=== ${title}: step summary ===`)
  process.stdout.write(run.summary)
}

const firstRun = await ship(first)
show(`v${first}`, firstRun)
if (firstRun.exitCode !== 0) {
  process.exitCode = firstRun.exitCode
} else {
  const url = await proxyUrl(project)
  console.log(`\n=== ${url} serves: ${(await (await fetch(url)).text()).trim()} ===`)
  console.log(`=== shipping v${next} while 4 clients send requests through nginx ===`)
  const load = startLoad(url)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const nextRun = await ship(next)
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const report = await load.stop()
  show(`v${next}`, nextRun)
  console.log(`\n=== ${url} serves: ${(await (await fetch(url)).text()).trim()} ===`)
  console.log(
    `=== during the rollout: ${report.total} requests, ${report.failed} failed${report.failed ? ` ${JSON.stringify(report.failures)}` : ''}; answers ${JSON.stringify(report.versions)} ===`
  )
  process.exitCode = nextRun.exitCode || (report.failed > 0 ? 1 : 0)
  if (process.exitCode === 0) {
    // A manual rollback (steps: deploy, rollback: true): the release before, read from the host.
    console.log(`\n=== rolling back to the release before v${next}, while 4 clients send requests ===`)
    const backLoad = startLoad(url)
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const back = await ship(next, { rollback: true })
    await new Promise((resolve) => setTimeout(resolve, 1000))
    const backReport = await backLoad.stop()
    show('rollback', back)
    console.log(`\n=== ${url} serves: ${(await (await fetch(url)).text()).trim()} ===`)
    console.log(
      `=== during the rollback: ${backReport.total} requests, ${backReport.failed} failed${backReport.failed ? ` ${JSON.stringify(backReport.failures)}` : ''}; answers ${JSON.stringify(backReport.versions)} ===`
    )
    process.exitCode = back.exitCode || (backReport.failed > 0 ? 1 : 0)
  }
}
