// Benchmark: a two-platform (linux/amd64, linux/arm64) build, scan and push, the action against
// the way a docker/build-push-action + aquasecurity/trivy-action workflow does the same: one
// `docker buildx build --push` of both platforms under the same five tags, then `trivy image
// --platform P` of the pushed image once per platform. Same builder (the test bed's BuildKit,
// driver "remote", arm64 through qemu), same registry, same Trivy and offline DB, same provenance
// (mode=min, as buildx adds by default), alternating runs, every run a fresh layer on both
// platforms (a new STAMP). Prints each run, the medians and the ratio. Needs the test bed (bash
// scripts/testbed.sh) and dist/ (npm run bundle).
//
//   node bench/multi-platform.mjs [runs, default 5] [MB of fresh layer per platform, default 4]
//
// The action does more in that time than the workflow: it scans before pushing (the workflow can
// only scan what it pushed, as a multi-platform image cannot be loaded into the engine), checks
// the index digest it pushed against the one built, and exports the layout to disk first.
//
// Measured on this project's 2-core machine (Node 24.22.3, registry 2.8 on loopback, medians):
//
//   fresh layer per platform   runs   raw      action   ratio
//   4 MB                       7      0.97 s   1.05 s   1.08
//   64 MB                      5      4.28 s   4.87 s   1.14
//
// Where the action's time goes at 64 MB (one run with timestamps): the build into the layout
// 3.8 s (BuildKit writes the layout to disk; its build with --push took 3.6 s), both platforms'
// scans side by side 0.3 s (the workflow's two remote scans 0.25 s each), the push of 128 MB
// 0.4 s (BuildKit's own push streams from its store while it exports), and about 0.25 s that do
// not grow with the image: Node starting twice (main and post step), the login, the release plan
// and `docker buildx inspect`. Earlier versions of the action: 1.29 and 1.18 (one buildx call
// more before the build, manifests put one at a time, each blob read twice, platforms scanned
// one after the other).
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseFileCommands, runAction } from '../scripts/local-runner.mjs'

const runs = Number(process.argv[2] ?? 5)
const payloadMb = Number(process.argv[3] ?? 4)
const testbed = parseFileCommands(
  readFileSync(
    path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env'),
    'utf8'
  )
)
const registry = /** @type {string} */ (testbed.TESTBED_REGISTRY)
const builder = /** @type {string} */ (testbed.TESTBED_BUILDER)
const trivy = /** @type {string} */ (testbed.TESTBED_TRIVY)
const trivyCache = /** @type {string} */ (testbed.TESTBED_TRIVY_CACHE)
const alpine = /** @type {string} */ (testbed.TESTBED_ALPINE39_IMAGE)
const username = /** @type {string} */ (testbed.TESTBED_REGISTRY_USER)
const password = readFileSync(/** @type {string} */ (testbed.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim()
const PLATFORMS = ['linux/amd64', 'linux/arm64']
const TAGS = ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']

const workspace = mkdtempSync(path.join(os.tmpdir(), 'bench-mp-'))
// The workflow's docker config: logged in, and the test bed's builders (buildx keeps them beside it).
const config = mkdtempSync(path.join(os.tmpdir(), 'bench-mp-config-'))
process.on('exit', () => {
  rmSync(workspace, { recursive: true, force: true })
  rmSync(config, { recursive: true, force: true })
})
writeFileSync(
  path.join(workspace, 'Dockerfile'),
  `FROM ${alpine}\nARG STAMP\nRUN echo "$STAMP" > /stamp && head -c ${payloadMb * 1000000} /dev/urandom > /payload\n`
)
const suffix = Date.now().toString(36)
const rawRepository = `${registry}/bench/mp-raw-${suffix}`
const actionRepository = `${registry}/bench/mp-action-${suffix}`
// buildx finds its plugin and builders beside the config: linked from the user's.
for (const shared of ['cli-plugins', 'buildx']) {
  symlinkSync(path.join(os.homedir(), '.docker', shared), path.join(config, shared))
}
const dockerEnv = { ...process.env, DOCKER_CONFIG: config }
execFileSync('docker', ['login', '--username', username, '--password-stdin', registry], {
  input: password,
  env: dockerEnv,
  stdio: ['pipe', 'ignore', 'inherit']
})

/**
 * The workflow's way: buildx build --push, then Trivy on each platform of the pushed image.
 * @param {string} stamp
 */
function raw(stamp) {
  execFileSync(
    'docker',
    [
      'buildx',
      'build',
      '--builder',
      builder,
      '--platform',
      PLATFORMS.join(','),
      '--provenance',
      'mode=min',
      '--build-arg',
      `STAMP=${stamp}`,
      ...TAGS.flatMap((tag) => ['--tag', `${rawRepository}:${tag}`]),
      '--push',
      workspace
    ],
    { env: dockerEnv, stdio: 'ignore' }
  )
  for (const platform of PLATFORMS) {
    execFileSync(
      trivy,
      [
        'image',
        '--platform',
        platform,
        '--image-src',
        'remote',
        '--insecure',
        '--cache-dir',
        trivyCache,
        '--skip-db-update',
        '--skip-java-db-update',
        '--scanners',
        'vuln,secret',
        '--format',
        'json',
        '--output',
        path.join(workspace, `raw-${platform.replace('/', '-')}.json`),
        '--quiet',
        `${rawRepository}:1.2.3`
      ],
      { env: { ...process.env, TRIVY_USERNAME: username, TRIVY_PASSWORD: password }, stdio: 'ignore' }
    )
  }
}

/** @param {string} stamp */
async function action(stamp) {
  const run = await runAction({
    workspace,
    event: {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: 'refs/tags/v1.2.3',
      GITHUB_REF_NAME: 'v1.2.3',
      GITHUB_REF_TYPE: 'tag',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REPOSITORY: 'acme/web'
    },
    env: { PATH: `${path.dirname(trivy)}:${process.env.PATH ?? ''}`, TRIVY_CACHE_DIR: trivyCache },
    inputs: {
      image: actionRepository,
      username,
      password,
      steps: 'build,scan,push',
      builder,
      platforms: PLATFORMS.join(','),
      provenance: 'mode=min',
      'build-args': `STAMP=${stamp}`,
      'tag-latest': 'true',
      'skip-db-update': 'true',
      'severity-threshold': 'none',
      'pr-comment': 'false',
      'db-cache': 'false'
    }
  })
  if (run.exitCode !== 0) throw new Error(`the action failed:\n${run.log.slice(-3000)}`)
}

/** @param {number[]} values */
const median = (values) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? Number.NaN
/** @type {Record<'raw' | 'action', number[]>} */
const timings = { raw: [], action: [] }
// One run of each first, not timed: the builder's base images and Trivy's first start.
raw('warm-up')
await action('warm-up')
for (let round = 0; round < runs; round++) {
  /** @type {('raw' | 'action')[]} */
  const order = round % 2 === 0 ? ['raw', 'action'] : ['action', 'raw']
  for (const side of order) {
    const stamp = `${side}-${round}-${Date.now()}`
    const start = performance.now()
    if (side === 'raw') raw(stamp)
    else await action(stamp)
    const seconds = (performance.now() - start) / 1000
    timings[side].push(seconds)
    console.log(`run ${round + 1} ${side.padEnd(6)} ${seconds.toFixed(2)} s`)
  }
}
const rawMedian = median(timings.raw)
const actionMedian = median(timings.action)
console.log(`median raw    ${rawMedian.toFixed(2)} s (buildx build --push + trivy image per platform)`)
console.log(`median action ${actionMedian.toFixed(2)} s (build to OCI layout, scan each platform, push)`)
console.log(`ratio action / raw ${(actionMedian / rawMedian).toFixed(2)}`)
