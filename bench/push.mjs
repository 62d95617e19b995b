// Benchmark: a tag push of a one-layer image (login, build, push of 5 tags, logout), the action
// against the same raw docker commands in the same order, on the same image, alternating runs.
// Every run is a fresh build (a new `created` label). Prints each run, the medians and the ratio.
// Needs the test bed (bash scripts/testbed.sh).
//
//   node bench/push.mjs [runs, default 7] [latency in ms, default 0]
//
// With a latency, both talk to the registry through a loopback proxy that holds every request
// that long before passing it on, as a registry some distance away answers (the test bed's
// registry on loopback answers in well under a millisecond, which no real registry does).
import { execFileSync, spawn } from 'node:child_process'
import http from 'node:http'
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { performance } from 'node:perf_hooks'
import { parseFileCommands, runAction } from '../scripts/local-runner.mjs'

const runs = Number(process.argv[2] ?? 7)
const latencyMs = Number(process.argv[3] ?? 0)
const testbed = parseFileCommands(
  readFileSync(
    path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env'),
    'utf8'
  )
)
const upstream = /** @type {string} */ (testbed.TESTBED_REGISTRY)
const registry = latencyMs > 0 ? await latencyProxy(upstream, latencyMs) : upstream
const username = /** @type {string} */ (testbed.TESTBED_REGISTRY_USER)
const password = readFileSync(/** @type {string} */ (testbed.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim()
const workspace = mkdtempSync(path.join(os.tmpdir(), 'bench-'))
// One layer of its own, new in every run (STAMP), on the test bed's busybox base.
writeFileSync(
  path.join(workspace, 'Dockerfile'),
  'FROM busybox:latest\nARG STAMP\nRUN echo "$STAMP" > /stamp && head -c 4000000 /dev/urandom > /payload\n'
)
const buildx = (() => {
  try {
    execFileSync('docker', ['buildx', 'version'], { stdio: 'ignore' })
    return true
  } catch {
    return false
  }
})()
const eventPath = path.join(workspace, 'event.json')
writeFileSync(eventPath, JSON.stringify({ ref: 'refs/tags/v1.2.3' }))
const TAGS = ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']

/** @param {number} i */
async function viaAction(i) {
  const image = `${registry}/bench/action-${i}`
  const start = performance.now()
  const result = await runAction({
    inputs: {
      image,
      username,
      password,
      steps: 'build,push',
      'build-args': `STAMP=action-${i}-${Date.now()}`
    },
    event: {
      GITHUB_EVENT_NAME: 'push',
      GITHUB_EVENT_PATH: eventPath,
      GITHUB_REF: 'refs/tags/v1.2.3',
      GITHUB_SHA: '0123456789abcdef0123456789abcdef01234567',
      GITHUB_REPOSITORY: 'bench/app'
    },
    workspace
  })
  const ms = performance.now() - start
  if (result.exitCode !== 0) throw new Error(`the action failed:\n${result.log}`)
  return ms
}

/** @param {number} i */
async function viaRawCommands(i) {
  const image = `${registry}/bench/raw-${i}`
  const config = mkdtempSync(path.join(os.tmpdir(), 'bench-docker-'))
  const env = { ...process.env, DOCKER_CONFIG: config }
  if (buildx) {
    execFileSync('ln', [
      '-s',
      path.join(os.homedir(), '.docker', 'cli-plugins'),
      path.join(config, 'cli-plugins')
    ])
  }
  // Asynchronous: the latency proxy answers the engine from this very process.
  /** @param {string[]} args @param {string} [input] @returns {Promise<void>} */
  const docker = (args, input) =>
    new Promise((resolve, reject) => {
      const child = spawn('docker', args, { env, stdio: ['pipe', 'ignore', 'pipe'] })
      let stderr = ''
      child.stderr.on('data', (chunk) => (stderr += chunk))
      child.on('close', (code) =>
        code === 0 ? resolve() : reject(new Error(`docker ${args[0]}: ${stderr}`))
      )
      child.stdin.end(input ?? '')
    })
  const start = performance.now()
  await docker(['login', '--username', username, '--password-stdin', registry], password)
  const tagArgs = TAGS.flatMap((tag) => ['--tag', `${image}:${tag}`])
  const label = [
    '--label',
    `org.opencontainers.image.created=${new Date().toISOString()}`,
    '--build-arg',
    `STAMP=raw-${i}-${Date.now()}`
  ]
  if (buildx) await docker(['buildx', 'build', '--load', ...tagArgs, ...label, workspace])
  else await docker(['build', ...tagArgs, ...label, workspace])
  for (const tag of TAGS) await docker(['push', `${image}:${tag}`])
  await docker(['logout', registry])
  const ms = performance.now() - start
  rmSync(config, { recursive: true, force: true })
  return ms
}

/**
 * A proxy on loopback in front of `target` that delays every request by `ms`.
 * @param {string} target  host:port
 * @param {number} ms
 * @returns {Promise<string>} the proxy's host:port
 */
function latencyProxy(target, ms) {
  const [host, port] = target.split(':')
  const server = http.createServer((req, res) => {
    setTimeout(() => {
      const upstreamRequest = http.request(
        { host, port: Number(port), method: req.method, path: req.url, headers: req.headers },
        (upstreamResponse) => {
          res.writeHead(upstreamResponse.statusCode ?? 502, upstreamResponse.headers)
          upstreamResponse.pipe(res)
        }
      )
      upstreamRequest.on('error', () => res.writeHead(502).end())
      req.pipe(upstreamRequest)
    }, ms)
  })
  return new Promise((resolve) => {
    server.listen(0, '127.0.0.1', () => {
      server.unref()
      resolve(`127.0.0.1:${/** @type {import('node:net').AddressInfo} */ (server.address()).port}`)
    })
  })
}

/** @param {number[]} values */
const median = (values) => {
  const sorted = [...values].sort((a, b) => a - b)
  const mid = Math.floor(sorted.length / 2)
  const at = (/** @type {number} */ index) => sorted[index] ?? 0
  return sorted.length % 2 ? at(mid) : (at(mid - 1) + at(mid)) / 2
}

/** @type {number[]} */
const action = []
/** @type {number[]} */
const raw = []
// One warm-up of each, not counted: the first build fills the layer cache.
await viaAction(-1)
await viaRawCommands(-1)
for (let i = 0; i < runs; i++) {
  const rawMs = await viaRawCommands(i)
  const actionMs = await viaAction(i)
  raw.push(rawMs)
  action.push(actionMs)
  console.log(`run ${i + 1}: raw ${(rawMs / 1000).toFixed(2)} s, action ${(actionMs / 1000).toFixed(2)} s`)
}
const ratio = median(action) / median(raw)
console.log(`builder: ${buildx ? 'buildx' : 'classic'}; ${runs} runs each; registry latency ${latencyMs} ms`)
console.log(`median raw docker commands: ${(median(raw) / 1000).toFixed(2)} s`)
console.log(`median action:              ${(median(action) / 1000).toFixed(2)} s`)
console.log(`ratio action / raw:         ${ratio.toFixed(2)} (target 0.80 or less)`)
rmSync(workspace, { recursive: true, force: true })
