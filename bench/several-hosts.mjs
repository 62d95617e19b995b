// Benchmark: one release rolled out over many hosts in batches. The test bed's engines
// (scripts/engines-bed.sh) are raised to HOSTS (default 10), each an ssh:// deploy host in a
// network namespace of its own running the same Compose project (nginx in front of two `web`
// replicas with a HEALTHCHECK). The bundled action then deploys (steps: deploy, the images
// pushed beforehand) back and forth between two versions with several batch sizes, and prints
// for each: the batches, the main step's wall time, the slowest host's reach/pull/lock phases,
// the SSH connections each host accepted, and the engines' memory. Needs the test bed
// (bash scripts/testbed.sh); puts the engines back to the tests' three when it ends.
//
//   node bench/several-hosts.mjs [hosts, default 10]
import { execFile, execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { fileURLToPath } from 'node:url'
import { parseFileCommands, runAction } from '../scripts/local-runner.mjs'
import { removeProject, stackFiles } from '../scripts/deploy-stack.mjs'

const execFileAsync = promisify(execFile)
const hosts = Number(process.argv[2] ?? 10)
const root = path.dirname(path.dirname(fileURLToPath(import.meta.url)))
const stateDir = process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed'
const project = 'bench-fleet'
const versions = ['1.0.0', '2.0.0']
const workspace = mkdtempSync(path.join(os.tmpdir(), 'bench-fleet-'))

/** @returns {Record<string, string>} */
function readBed() {
  return /** @type {Record<string, string>} */ (
    parseFileCommands(readFileSync(path.join(stateDir, 'testbed.env'), 'utf8'))
  )
}

/** @param {number} count */
function engines(count) {
  execFileSync('bash', [path.join(root, 'scripts/engines-bed.sh')], {
    env: { ...process.env, TESTBED_ENGINE_COUNT: String(count) },
    stdio: ['ignore', 'ignore', 'inherit']
  })
}

/** @param {Record<string, string>} tb @param {number} n */
const engine = (tb, n) => ({
  socket: /** @type {string} */ (tb[`TESTBED_ENGINE_${n}_SOCKET`]),
  sshHost: /** @type {string} */ (tb[`TESTBED_ENGINE_${n}_SSH_HOST`]),
  sshLog: path.join(stateDir, 'engines', `engine-${n}`, 'sshd.log')
})

/** @param {Record<string, string>} tb @param {string} version */
function writeStack(tb, version) {
  const files = stackFiles({
    baseImage: /** @type {string} */ (tb.TESTBED_BASE_IMAGE),
    image: `${tb.TESTBED_REGISTRY}/bench/fleet-web`,
    nginxImage: /** @type {string} */ (tb.TESTBED_ENGINES_NGINX_IMAGE),
    version,
    proxyBind: '',
    proxyPort: 17090
  })
  for (const [name, content] of Object.entries(files)) writeFileSync(path.join(workspace, name), content)
}

/** Both versions' images in the registry, as an earlier push job leaves them. */
function pushImages(/** @type {Record<string, string>} */ tb, /** @type {string} */ password) {
  const env = { ...process.env, DOCKER_CONFIG: mkdtempSync(path.join(os.tmpdir(), 'bench-docker-config-')) }
  execFileSync(
    'docker',
    ['login', '--username', tb.TESTBED_REGISTRY_USER ?? '', '--password-stdin', tb.TESTBED_REGISTRY ?? ''],
    {
      env,
      input: password,
      stdio: ['pipe', 'ignore', 'inherit']
    }
  )
  for (const version of versions) {
    writeStack(tb, version)
    const image = `${tb.TESTBED_REGISTRY}/bench/fleet-web:${version}`
    execFileSync('docker', ['build', '--quiet', '--tag', image, workspace], { env, stdio: 'ignore' })
    execFileSync('docker', ['push', '--quiet', image], { env, stdio: 'ignore' })
  }
  rmSync(/** @type {string} */ (env.DOCKER_CONFIG), { recursive: true, force: true })
}

/** Accepted SSH connections per engine so far. @param {{ sshLog: string }[]} list */
function sshAccepted(list) {
  return list.map((e) => (readFileSync(e.sshLog, 'utf8').match(/Accepted publickey/g) ?? []).length)
}

/** The resident memory of every engine's dockerd and containerd, in MiB. */
async function enginesMemory() {
  const { stdout } = await execFileAsync('ps', ['-eo', 'rss=,args='])
  const kib = stdout
    .split('\n')
    .filter(
      (line) => /container-ship-engines|engines\/engine-\d+/.test(line) && /dockerd|containerd/.test(line)
    )
    .reduce((sum, line) => sum + Number(line.trim().split(/\s+/)[0] ?? 0), 0)
  return Math.round(kib / 1024)
}

/**
 * One deploy of `version` to the hosts, in batches of `batch`; its wall time and summary.
 * @param {Record<string, string>} tb @param {string} password @param {ReturnType<typeof engine>[]} list
 * @param {string} version @param {string} batch
 */
async function deploy(tb, password, list, version, batch) {
  writeStack(tb, version)
  const sshBefore = sshAccepted(list)
  const started = Date.now()
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
      image: `${tb.TESTBED_REGISTRY}/bench/fleet-web`,
      username: /** @type {string} */ (tb.TESTBED_REGISTRY_USER),
      password,
      'deploy-host': list.map((e) => e.sshHost).join('\n'),
      'ssh-private-key': readFileSync(/** @type {string} */ (tb.TESTBED_SSH_KEY_FILE), 'utf8'),
      'ssh-known-hosts': readFileSync(/** @type {string} */ (tb.TESTBED_ENGINES_KNOWN_HOSTS_FILE), 'utf8'),
      'compose-project': project,
      service: 'web',
      replicas: '2',
      'switch-command': 'proxy: nginx -s reload',
      'rollout-batch': batch
    }
  })
  const seconds = (Date.now() - started) / 1000
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`)
  const ssh = sshAccepted(list).map((count, index) => count - (sshBefore[index] ?? 0))
  /** The slowest host's seconds for a phase, from the summary's host rows. @param {string} phase */
  const slowest = (phase) =>
    Math.max(
      0,
      ...[...result.summary.matchAll(new RegExp(`${phase} (\\d+\\.\\d)`, 'g'))].map((m) => Number(m[1]))
    )
  const batches = [...result.log.matchAll(/^Batch \d+/gm)].length
  return { seconds, batches, pulled: slowest('image pulled'), lock: slowest('lock taken'), ssh }
}

async function main() {
  engines(hosts)
  const tb = readBed()
  const password = readFileSync(/** @type {string} */ (tb.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim()
  const all = Array.from({ length: hosts }, (_, index) => engine(tb, index + 1))
  try {
    console.log(`${hosts} engines up; dockerd + containerd resident memory: ${await enginesMemory()} MiB`)
    pushImages(tb, password)
    // The first deploy, not measured: every host gets the project.
    await deploy(tb, password, all, versions[0] ?? '', '100%')
    const plans = [
      { count: hosts, batch: '25%' },
      { count: hosts, batch: '1' },
      { count: hosts, batch: '100%' },
      { count: 4, batch: '1' }
    ]
    let current = 0
    console.log(
      '| hosts | rollout-batch | batches | wall time (s) | slowest pull (s) | slowest lock (s) | SSH connections per host |'
    )
    console.log('| ---: | --- | ---: | ---: | ---: | ---: | --- |')
    for (const plan of plans) {
      current = 1 - current
      const list = all.slice(0, plan.count)
      const outcome = await deploy(tb, password, list, versions[current] ?? '', plan.batch)
      console.log(
        `| ${plan.count} | ${plan.batch} | ${outcome.batches} | ${outcome.seconds.toFixed(1)} | ${outcome.pulled.toFixed(1)} | ${outcome.lock.toFixed(1)} | ${[...new Set(outcome.ssh)].join(', ')} |`
      )
      // The hosts left out of a smaller plan go to the same version, unmeasured.
      if (plan.count < hosts) await deploy(tb, password, all, versions[current] ?? '', '100%')
    }
  } finally {
    for (const e of all)
      await removeProject(project, { ...process.env, DOCKER_HOST: e.socket }).catch(() => undefined)
    rmSync(workspace, { recursive: true, force: true })
    engines(3)
  }
}

await main()
