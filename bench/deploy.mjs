// Benchmark: the seed's rollout against the action's, in one run, on the same stack (nginx in
// front of three `web` replicas with a HEALTHCHECK, scripts/deploy-stack.mjs), both against the
// test bed's engine as a remote host over ssh://, with the load generator sending requests
// through the proxy the whole time. Prints, per run and as medians: requests sent and failed,
// the rollout's duration from its start until no old container is left, and for the action how
// much of it was waiting for health. Needs the test bed (bash scripts/testbed.sh).
//
//   node bench/deploy.mjs [runs, default 3]
//
// The seed's sequence is the article's, word for word: `docker-compose -f <file> up -d --scale
// web=6; sleep 30; docker-compose -f <file> up -d --scale web=3`, with DOCKER_HOST set to the
// host, as its workflow runs it.
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { parseFileCommands, runAction } from '../scripts/local-runner.mjs'
import { proxyUrl, removeProject, stackFiles, startLoad } from '../scripts/deploy-stack.mjs'

const execFileAsync = promisify(execFile)
const runs = Number(process.argv[2] ?? 3)
const testbed = parseFileCommands(
  readFileSync(
    path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env'),
    'utf8'
  )
)
const tb = /** @type {Record<string, string>} */ (testbed)
const password = readFileSync(/** @type {string} */ (tb.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim()
const image = `${tb.TESTBED_REGISTRY}/bench/deploy-web`
const sshEnv = {
  ...process.env,
  DOCKER_HOST: /** @type {string} */ (tb.TESTBED_SSH_HOST),
  PATH: `${tb.TESTBED_SSH_PATH}:${process.env.PATH ?? ''}`
}
const versions = ['1.0.0', '2.0.0']
const workspace = mkdtempSync(path.join(os.tmpdir(), 'bench-deploy-'))

/**
 * @param {string} file
 * @param {string[]} args
 * @param {{ env?: NodeJS.ProcessEnv; cwd?: string }} [options]
 */
async function run(file, args, options = {}) {
  const { stdout } = await execFileAsync(file, args, { ...options, maxBuffer: 64 * 1024 * 1024 })
  return stdout.trim()
}

/** @param {string} version */
function writeStack(version) {
  const files = stackFiles({
    baseImage: /** @type {string} */ (tb.TESTBED_BASE_IMAGE),
    image,
    nginxImage: /** @type {string} */ (tb.TESTBED_NGINX_IMAGE),
    version
  })
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(workspace, name), content)
}

/** The images of both versions in the registry, as an earlier push job leaves them. */
async function prepareImages() {
  // A Docker config of the benchmark's own, so the login touches nothing of the user's.
  const env = { ...process.env, DOCKER_CONFIG: mkdtempSync(path.join(os.tmpdir(), 'bench-docker-config-')) }
  execFileSync(
    'docker',
    [
      'login',
      '--username',
      /** @type {string} */ (tb.TESTBED_REGISTRY_USER),
      '--password-stdin',
      /** @type {string} */ (tb.TESTBED_REGISTRY)
    ],
    { env, input: password, stdio: ['pipe', 'ignore', 'inherit'] }
  )
  for (const version of versions) {
    writeStack(version)
    await run('docker', ['build', '--quiet', '--tag', `${image}:${version}`, workspace], { env })
    await run('docker', ['push', '--quiet', `${image}:${version}`], { env })
  }
  rmSync(/** @type {string} */ (env.DOCKER_CONFIG), { recursive: true, force: true })
}

/** @param {string} project */
async function webImages(project) {
  const out = await run('docker', [
    'ps',
    '-a',
    '--filter',
    `label=com.docker.compose.project=${project}`,
    '--filter',
    'label=com.docker.compose.service=web',
    '--format',
    '{{.Image}}'
  ])
  return out.split('\n').filter(Boolean)
}

/**
 * Polls until no container of `project` runs the old version: the end of the rollout.
 * @param {string} project
 * @param {string} oldImage
 */
function watchOldGone(project, oldImage) {
  const started = Date.now()
  let goneAfter = Number.NaN
  let watching = true
  const loop = (async () => {
    while (watching) {
      if (!(await webImages(project)).includes(oldImage)) {
        goneAfter = (Date.now() - started) / 1000
        return
      }
      await new Promise((resolve) => setTimeout(resolve, 100))
    }
  })()
  return {
    stop: async () => {
      watching = false
      await loop
      return goneAfter
    }
  }
}

/** @param {string} project @param {string} version */
async function seedFirstDeploy(project, version) {
  writeStack(version)
  await run('docker-compose', ['-p', project, '-f', 'docker-compose.yml', 'up', '-d', '--scale', 'web=3'], {
    cwd: workspace,
    env: { ...sshEnv, APP_VERSION: version }
  })
  await waitHealthy(project, 3)
}

/** @param {string} project @param {number} count */
async function waitHealthy(project, count) {
  for (;;) {
    const out = await run('docker', [
      'ps',
      '--filter',
      `label=com.docker.compose.project=${project}`,
      '--filter',
      'label=com.docker.compose.service=web',
      '--filter',
      'health=healthy',
      '-q'
    ])
    if (out.split('\n').filter(Boolean).length >= count) return
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** The seed's rollout, word for word. @param {string} project */
async function seedRollout(project) {
  const env = { ...sshEnv, APP_VERSION: '2.0.0' }
  writeStack('2.0.0')
  await run('docker-compose', ['-p', project, '-f', 'docker-compose.yml', 'up', '-d', '--scale', 'web=6'], {
    cwd: workspace,
    env
  })
  await new Promise((resolve) => setTimeout(resolve, 30_000))
  await run('docker-compose', ['-p', project, '-f', 'docker-compose.yml', 'up', '-d', '--scale', 'web=3'], {
    cwd: workspace,
    env
  })
}

/** @param {string} project @param {string} version */
async function actionDeploy(project, version) {
  writeStack(version)
  const result = await runAction({
    workspace,
    event: {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_REF: `refs/tags/v${version}`,
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REPOSITORY: 'acme/web',
      GITHUB_RUN_ID: '1'
    },
    inputs: {
      steps: 'deploy',
      image,
      username: /** @type {string} */ (tb.TESTBED_REGISTRY_USER),
      password,
      'deploy-host': /** @type {string} */ (tb.TESTBED_SSH_HOST),
      'ssh-private-key': readFileSync(/** @type {string} */ (tb.TESTBED_SSH_KEY_FILE), 'utf8'),
      'ssh-known-hosts': readFileSync(/** @type {string} */ (tb.TESTBED_SSH_KNOWN_HOSTS_FILE), 'utf8'),
      'compose-project': project,
      service: 'web',
      replicas: '3',
      'switch-command': 'proxy: nginx -s reload'
    }
  })
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`)
  /** @type {Record<string, number>} */
  const phases = {}
  for (const match of result.summary.matchAll(/^\| ([a-z ]+) \| (\d+\.\d) \|$/gm))
    phases[/** @type {string} */ (match[1])] = Number(match[2])
  return phases
}

/**
 * One rollout under load: from 1.0.0 serving to 2.0.0.
 * @param {string} project
 * @param {() => Promise<Record<string, number> | void>} rollout
 */
async function measure(project, rollout) {
  const load = startLoad(await proxyUrl(project, sshEnv))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const gone = watchOldGone(project, `${image}:1.0.0`)
  const started = Date.now()
  const phases = (await rollout()) ?? {}
  const seconds = (Date.now() - started) / 1000
  const oldGoneAfter = await gone.stop()
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const report = await load.stop()
  return { report, seconds, oldGoneAfter, phases }
}

/** @param {number[]} values */
function median(values) {
  const sorted = [...values].sort((a, b) => a - b)
  return sorted[Math.floor(sorted.length / 2)] ?? Number.NaN
}

await prepareImages()
const results = {
  seed: /** @type {Awaited<ReturnType<typeof measure>>[]} */ ([]),
  action: /** @type {Awaited<ReturnType<typeof measure>>[]} */ ([])
}
for (let i = 1; i <= runs; i++) {
  const seedProject = `bench-seed-${i}`
  await removeProject(seedProject)
  await seedFirstDeploy(seedProject, '1.0.0')
  const seed = await measure(seedProject, () => seedRollout(seedProject))
  await removeProject(seedProject)
  results.seed.push(seed)

  const actionProject = `bench-action-${i}`
  await removeProject(actionProject)
  await actionDeploy(actionProject, '1.0.0')
  const action = await measure(actionProject, () => actionDeploy(actionProject, '2.0.0'))
  await removeProject(actionProject)
  results.action.push(action)

  console.log(
    `run ${i}: seed ${seed.report.failed} of ${seed.report.total} requests failed ${JSON.stringify(seed.report.failures)}, old gone after ${seed.oldGoneAfter.toFixed(1)} s, sequence ${seed.seconds.toFixed(1)} s | action ${action.report.failed} of ${action.report.total} failed, old gone after ${action.oldGoneAfter.toFixed(1)} s, step ${action.seconds.toFixed(1)} s, waiting for health ${(action.phases.healthy ?? Number.NaN).toFixed(1)} s (${JSON.stringify(action.phases)})`
  )
}
for (const [name, list] of Object.entries(results)) {
  const failed = list.map((r) => r.report.failed)
  const rate = list.map((r) => (100 * r.report.failed) / Math.max(1, r.report.total))
  console.log(
    `${name}: failed requests per run ${failed.join(', ')} (median ${median(rate).toFixed(1)} % of requests); old containers gone after a median ${median(list.map((r) => r.oldGoneAfter)).toFixed(1)} s` +
      (name === 'action'
        ? `, of which waiting for health ${median(list.map((r) => r.phases.healthy ?? Number.NaN)).toFixed(1)} s`
        : '')
  )
}
rmSync(workspace, { recursive: true, force: true })
