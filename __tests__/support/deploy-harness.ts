// What the deploy tests share: the test bed's engine reached as a remote host (ssh://, tcp://
// with TLS, unix://), a stack per test (scripts/deploy-stack.mjs) released through the bundled
// action as the runner runs it, and independent views of what the engine runs.
import { execFile, execFileSync, spawn } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  openSync,
  readdirSync,
  readFileSync,
  writeFileSync
} from 'node:fs'
import net from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { eventEnv } from '../../__fixtures__/events.js'
import {
  proxyUrl,
  removeProject,
  sampleHealthy,
  stackFiles,
  startLoad,
  type LoadReport,
  type WebBehaviour
} from '../../scripts/deploy-stack.mjs'
import { runAction, testbed, type ActionRun, type Testbed } from './harness.js'
import { uniqueRepository } from './registry-helpers.js'

const execFileAsync = promisify(execFile)

export type HostKind = 'ssh' | 'tls' | 'unix'
export type ComposeKind = 'v2' | 'v1'

export let tb: Testbed
let scratch: string
/** Every run, for the secret checks. */
export const runs: ActionRun[] = []
const projects: string[] = []

/** Call in beforeAll: the test bed, a scratch folder. */
export function setUpDeployBed(): void {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'deploy-e2e-'))
}

/** Call in afterAll: every project a test made is removed. */
export async function tearDownDeployBed(): Promise<void> {
  for (const project of projects) await removeProject(project)
}

/**
 * A PATH whose `docker` runs `shell` first (a shell snippet seeing the arguments as $1...) and
 * is the real docker otherwise: a runner or a host that differs in one answer.
 */
function pathWithDocker(name: string, shell: string): string {
  const bin = path.join(scratch, name)
  mkdirSync(bin, { recursive: true })
  const real = execFileSync('sh', ['-c', 'command -v docker'], { encoding: 'utf8' }).trim()
  writeFileSync(path.join(bin, 'docker'), `#!/bin/sh\n${shell}\nexec ${real} "$@"\n`)
  chmodSync(path.join(bin, 'docker'), 0o755)
  return `${bin}:${process.env.PATH ?? ''}`
}

/** A `docker` whose engine says it runs without live-restore (everything else is the real one). */
export function pathWithoutLiveRestore(): string {
  return pathWithDocker(
    'no-live-restore',
    // The engine's answer to the deploy step's one docker info (src/deploy/host/engine-info.ts).
    `if [ "$1" = info ]; then case "$3" in *LiveRestoreEnabled*) echo 'false "inactive" false'; exit 0;; esac; fi`
  )
}

/** A `docker` that has no Compose plugin, as on a runner with only docker-compose v1. */
export function pathWithoutComposePlugin(): string {
  return pathWithDocker(
    'no-compose-plugin',
    `if [ "$1" = compose ]; then echo "docker: 'compose' is not a docker command." >&2; exit 1; fi`
  )
}

/** The docker CLI against the test bed's engine, or the one `env` names (DOCKER_HOST). */
export async function docker(args: string[], env?: NodeJS.ProcessEnv): Promise<string> {
  const { stdout } = await execFileAsync('docker', args, env ? { env } : {})
  return stdout.trim()
}

/** The inputs that reach the test bed's engine as a remote host. */
export function hostInputs(kind: HostKind): Record<string, string> {
  if (kind === 'unix') return { 'docker-host': 'unix:///var/run/docker.sock' }
  if (kind === 'ssh') {
    return {
      'docker-host': tb.sshHost,
      'ssh-private-key': readFileSync(tb.sshKeyFile, 'utf8'),
      'ssh-known-hosts': readFileSync(tb.sshKnownHostsFile, 'utf8')
    }
  }
  return {
    'docker-host': tb.tlsHost,
    'tls-ca': readFileSync(path.join(tb.tlsDir, 'ca.pem'), 'utf8'),
    'tls-cert': readFileSync(path.join(tb.tlsDir, 'cert.pem'), 'utf8'),
    'tls-key': readFileSync(path.join(tb.tlsDir, 'key.pem'), 'utf8')
  }
}

export interface Stack {
  project: string
  image: string
  workspace: string
  host: HostKind
  compose: ComposeKind
}

export function newStack(name: string, host: HostKind, compose: ComposeKind): Stack {
  const { image } = uniqueRepository(tb, name)
  const project = `e2e-${name}-${Date.now().toString(36)}`
  projects.push(project)
  return { project, image, workspace: mkdtempSync(path.join(scratch, `${name}-`)), host, compose }
}

export interface ReleaseOptions {
  behaviour?: WebBehaviour
  /** false: the image has no HEALTHCHECK. */
  healthcheck?: boolean
  steps?: string
  inputs?: Record<string, string>
  /** More files for the workspace (e.g. a compose override). */
  files?: Record<string, string>
  /** How nginx finds `web`: once at start or reload (the seed's), or again every second. */
  proxy?: 'resolve-once' | 'resolver'
  /** The proxy's port on 127.0.0.1; engine-chosen without one. */
  proxyPort?: number
  /** Where the proxy is published: 127.0.0.1 by default, '' for every address of the host. */
  proxyBind?: string
  /** The proxy's image, when the hosts know another than the test bed's engine. */
  nginxImage?: string
  /** The web service gets a `marker` volume (see unhealthy-where-marked). */
  marker?: boolean
  /** The runner's PATH (a docker wrapper first, say). */
  path?: string
  /** More variables of the runner's environment. */
  env?: Record<string, string>
  /** The event's variables instead of a tag push of the version. */
  event?: Record<string, string>
  /** Cancel the run as the runner does once the main step's log satisfies this. */
  cancelWhen?: (log: string) => boolean
  /** A fault to cause once the main step's log satisfies `when`. */
  meanwhile?: { when: (log: string) => boolean; then: () => void }
}

/** One release of the stack: the workspace rewritten for `version`, the action run on a tag push. */
export async function release(
  stack: Stack,
  version: string,
  options: ReleaseOptions = {}
): Promise<ActionRun> {
  const files = stackFiles({
    baseImage: tb.baseImage,
    image: stack.image,
    nginxImage: options.nginxImage ?? tb.nginxImage,
    version,
    behaviour: options.behaviour ?? 'healthy',
    healthcheck: options.healthcheck ?? true,
    proxy: options.proxy ?? 'resolve-once',
    ...(options.proxyPort ? { proxyPort: options.proxyPort } : {}),
    ...(options.proxyBind !== undefined ? { proxyBind: options.proxyBind } : {}),
    ...(options.marker ? { marker: true } : {})
  })
  for (const [name, content] of Object.entries({ ...files, ...options.files }))
    writeFileSync(path.join(stack.workspace, name), content)
  const result = await runAction({
    workspace: stack.workspace,
    event:
      options.event ??
      eventEnv('tag-push', { GITHUB_REF: `refs/tags/v${version}`, GITHUB_REF_NAME: `v${version}` }),
    env: {
      ...(options.path
        ? { PATH: options.path }
        : stack.compose === 'v1'
          ? { PATH: pathWithoutComposePlugin() }
          : {}),
      ...options.env
    },
    ...(options.cancelWhen ? { cancelWhen: options.cancelWhen } : {}),
    ...(options.meanwhile ? { meanwhile: options.meanwhile } : {}),
    inputs: {
      steps: options.steps ?? 'build,push,deploy',
      image: stack.image,
      username: tb.username,
      password: tb.password,
      ...hostInputs(stack.host),
      'compose-project': stack.project,
      service: 'web',
      replicas: '3',
      'switch-command': 'proxy: nginx -s reload',
      'health-timeout': '60',
      ...options.inputs
    }
  })
  runs.push(result)
  return result
}

export interface Observed {
  id: string
  /** The reference the container was created from, without a digest. */
  image: string
  /** The digest the reference pinned ('' when it had none). */
  digest: string
  running: boolean
  health: string
}

/** The service's containers as the engine lists them (an independent view, not the action's). */
export async function serviceContainers(
  project: string,
  service = 'web',
  env?: NodeJS.ProcessEnv
): Promise<Observed[]> {
  const ids = (
    await docker(
      [
        'ps',
        '-aq',
        '--no-trunc',
        '--filter',
        `label=com.docker.compose.project=${project}`,
        '--filter',
        `label=com.docker.compose.service=${service}`
      ],
      env
    )
  )
    .split('\n')
    .filter(Boolean)
  if (ids.length === 0) return []
  const inspected = JSON.parse(await docker(['container', 'inspect', ...ids], env)) as {
    Id: string
    Config: { Image: string }
    State: { Running: boolean; Health?: { Status: string } }
  }[]
  return inspected.map((entry) => ({
    id: entry.Id,
    // The action deploys `repo:version@sha256:...`: the tag here, the digest beside it.
    image: entry.Config.Image.replace(/@sha256:[0-9a-f]{64}$/, ''),
    digest: /@(sha256:[0-9a-f]{64})$/.exec(entry.Config.Image)?.[1] ?? '',
    running: entry.State.Running,
    health: entry.State.Health?.Status ?? 'none'
  }))
}

/** Runs `during` with the load generator and the healthy-count sampler going. */
export async function underLoad(
  stack: Stack,
  during: () => Promise<ActionRun>
): Promise<{ run: ActionRun; load: LoadReport; healthy: { min: number; max: number } }> {
  const load = startLoad(await proxyUrl(stack.project))
  const healthy = sampleHealthy(stack.project, 'web')
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const run = await during()
  // Requests the proxy still had in flight when the step ended are counted too.
  await new Promise((resolve) => setTimeout(resolve, 1000))
  return { run, load: await load.stop(), healthy: await healthy.stop() }
}

export function lockExists(project: string): Promise<boolean> {
  return docker(['ps', '-aq', '--filter', `name=^container-ship-lock-${project}$`]).then((out) => out !== '')
}

export function acceptedSshConnections(): number {
  const log = readFileSync(path.join(path.dirname(tb.sshKeyFile), 'sshd.log'), 'utf8')
  return (log.match(/Accepted publickey for deploy/g) ?? []).length
}

/** The processes whose command line names `text` (e.g. a leftover ssh control master). */
export function processesNaming(text: string): string[] {
  const found: string[] = []
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const cmdline = readFileSync(`/proc/${pid}/cmdline`, 'utf8').replace(/\0/g, ' ')
      if (cmdline.includes(text)) found.push(`${pid}: ${cmdline}`)
    } catch {
      // Gone meanwhile.
    }
  }
  return found
}

export async function waitFor(check: () => Promise<boolean>, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('timed out waiting')
    await new Promise((resolve) => setTimeout(resolve, 200))
  }
}

/** When a restart of the engine happened (Date.now() times). */
export interface EngineRestart {
  /** SIGTERM sent. */
  stopping: number
  /** The old dockerd gone. */
  stopped: number
  /** The new one answering `docker version`. */
  answering: number
}

/**
 * Restarts the test bed's dockerd as an upgrade or a crash-and-restart does: SIGTERM, then the
 * same command line again (flags included, so live-restore stays as the test bed set it).
 */
export async function restartEngine(): Promise<EngineRestart> {
  // The engine on /var/run/docker.sock by its pid file (dockerd's default, /var/run/docker.pid):
  // the test bed's other engines (scripts/engines-bed.sh) are dockerds too, with pid files of
  // their own, and pids are no guide to which started first (they wrap around at pid_max).
  const pid = Number(readFileSync('/var/run/docker.pid', 'utf8').trim())
  const argv0 = existsSync(`/proc/${pid}`) ? readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0')[0] : ''
  if (!pid || argv0 !== '/usr/sbin/dockerd')
    throw new Error(`no dockerd runs as /var/run/docker.pid says (${pid})`)
  const argv = readFileSync(`/proc/${pid}/cmdline`, 'utf8').split('\0').filter(Boolean)
  const stopping = Date.now()
  process.kill(pid, 'SIGTERM')
  while (existsSync(`/proc/${pid}`)) await new Promise((resolve) => setTimeout(resolve, 50))
  const stopped = Date.now()
  const log = openSync(path.join(scratch, 'dockerd-restarted.log'), 'a')
  // In a session of its own, through setsid's fork, as testbed.sh starts it: no child of the
  // test process is left to keep Jest from exiting.
  await new Promise<void>((resolve, reject) => {
    const starter = spawn('setsid', ['--fork', ...argv], { stdio: ['ignore', log, log] })
    starter.on('error', reject)
    starter.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`setsid exited with ${code}`))))
  })
  closeSync(log)
  for (;;) {
    const answered = await execFileAsync('docker', ['version', '--format', '{{.Server.Version}}']).then(
      () => true,
      () => false
    )
    if (answered) break
    if (Date.now() - stopped > 60_000) throw new Error('dockerd did not answer within 60 s of its restart')
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
  return { stopping, stopped, answering: Date.now() }
}

/** Whether the engine keeps containers running through its own restart. */
export async function engineLiveRestores(): Promise<boolean> {
  return (await docker(['info', '--format', '{{json .LiveRestoreEnabled}}'])) === 'true'
}

/** A free port on 127.0.0.1 below the kernel's ephemeral range (32768 and up here). */
export async function freeLowPort(): Promise<number> {
  for (;;) {
    const port = 20_000 + Math.floor(Math.random() * 10_000)
    const free = await new Promise<boolean>((resolve) => {
      const server = net.createServer()
      server.once('error', () => resolve(false))
      server.listen(port, '127.0.0.1', () => server.close(() => resolve(true)))
    })
    if (free) return port
  }
}
