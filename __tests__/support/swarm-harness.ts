// What the Swarm deploy tests share: a stack per test on the test bed's swarm (scripts/
// engines-bed.sh: engine 1 its manager), released through the bundled action with orchestrator:
// swarm, nginx in front of the rolled service's tasks (published in mode host on engine 1's
// address, re-resolving `tasks.<service>` every second), load sent to it from the root namespace,
// and independent views of what the manager runs.
import { execFile } from 'node:child_process'
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { eventEnv } from '../../__fixtures__/events.js'
import { startLoad, webDockerfile, type LoadReport, type WebBehaviour } from '../../scripts/deploy-stack.mjs'
import { runAction, testbed, type ActionRun, type Testbed } from './harness.js'
import { uniqueRepository } from './registry-helpers.js'

const execFileAsync = promisify(execFile)

export let tb: Testbed
let scratch: string
/** A docker config with the registry's credentials, for the views of the swarm. */
let dockerConfig: string
export const runs: ActionRun[] = []
const stacks: string[] = []

export function setUpSwarmBed(): void {
  tb = testbed()
  if (tb.engines.length < 3) throw new Error('testbed.env has no engines: scripts/engines-bed.sh did not run')
  scratch = mkdtempSync(path.join(os.tmpdir(), 'swarm-e2e-'))
  dockerConfig = path.join(scratch, 'docker-config')
  mkdirSync(dockerConfig, { mode: 0o700 })
  const auth = Buffer.from(`${tb.username}:${tb.password}`).toString('base64')
  writeFileSync(
    path.join(dockerConfig, 'config.json'),
    JSON.stringify({ auths: { [tb.registry]: { auth } } }),
    {
      mode: 0o600
    }
  )
}

/** Every stack a test made is removed, with its secrets and configs. */
export async function tearDownSwarmBed(): Promise<void> {
  for (const stack of stacks) await manager(['stack', 'rm', stack]).catch(() => undefined)
}

/** The docker CLI on the swarm manager. */
export async function manager(args: string[]): Promise<string> {
  const { stdout } = await execFileAsync('docker', ['-H', tb.swarmManagerSocket, ...args], {
    env: { ...process.env, DOCKER_CONFIG: dockerConfig },
    maxBuffer: 16 * 1024 * 1024
  })
  return stdout.trim()
}

export interface SwarmStack {
  /** The stack's name: `swarm-<name>-<unique>`. */
  name: string
  image: string
  workspace: string
  /** The proxy's port on engine 1's address (18000-18999). */
  port: number
}

export function newSwarmStack(name: string, port: number): SwarmStack {
  const { image } = uniqueRepository(tb, `swarm-${name}`)
  const stack = `swarm-${name}-${Date.now().toString(36)}`
  stacks.push(stack)
  return { name: stack, image, workspace: mkdtempSync(path.join(scratch, `${name}-`)), port }
}

/** The proxy's address, in engine 1's namespace. */
export function proxyAddress(stack: SwarmStack): string {
  return `http://${tb.engines[0]?.address ?? '10.213.0.11'}:${stack.port}`
}

/**
 * nginx in front of the tasks: Docker's DNS asked again every second for `tasks.<service>` (the
 * upstream in a variable makes nginx resolve at request time), and a request that finds a task
 * gone tried on the next one.
 */
export function swarmNginxConf(service: string): string {
  return `worker_processes 1;
error_log /dev/stderr warn;
pid /run/nginx.pid;
events { worker_connections 1024; }
http {
  access_log off;
  resolver 127.0.0.11 valid=1s ipv6=off;
  server {
    listen 80;
    location / {
      set $up tasks.${service};
      proxy_pass http://$up:8080;
      proxy_next_upstream error timeout;
      proxy_connect_timeout 2s;
    }
  }
}
`
}

export interface SwarmReleaseOptions {
  behaviour?: WebBehaviour
  /** update_config lines of the web service (the action adds what they lack). */
  updateConfig?: string
  /** The web service's secret `token` from the variable API_TOKEN, served at /token. */
  secret?: boolean
  steps?: string
  inputs?: Record<string, string>
  cancelWhen?: (log: string) => boolean
}

/** The web service's Dockerfile; with a secret, it copies /run/secrets/token to /www/token first. */
function dockerfile(version: string, options: SwarmReleaseOptions): string {
  const text = webDockerfile({ baseImage: tb.baseImage, version, behaviour: options.behaviour ?? 'healthy' })
  if (!options.secret) return text
  return text.replace(
    /^CMD .*$/m,
    'CMD ["sh", "-c", "cat /run/secrets/token > /www/token; exec httpd -f -p 8080 -h /www"]'
  )
}

export function swarmComposeFile(stack: SwarmStack, options: SwarmReleaseOptions): string {
  const update = options.updateConfig ?? '        parallelism: 1\n        monitor: 2s'
  return `services:
  web:
    image: ${stack.image}:\${APP_VERSION}
    stop_grace_period: 3s
    networks: [app]
${options.secret ? '    secrets: [token]\n' : ''}    deploy:
      endpoint_mode: dnsrr
      replicas: 3
      update_config:
${update}
  proxy:
    image: ${tb.enginesNginxImage}
    networks: [app]
    configs:
      - source: nginx
        target: /etc/nginx/nginx.conf
    ports:
      - target: 80
        published: ${stack.port}
        protocol: tcp
        mode: host
    stop_signal: SIGQUIT
    deploy:
      endpoint_mode: dnsrr
      placement:
        constraints: [node.labels.container-ship.testbed.engine == 1]
networks:
  app:
    driver: overlay
configs:
  nginx:
    file: ./nginx.conf
${options.secret ? 'secrets:\n  token:\n    environment: API_TOKEN\n' : ''}`
}

/** One release of the stack: the workspace rewritten for `version`, the action run on a tag push. */
export async function swarmRelease(
  stack: SwarmStack,
  version: string,
  options: SwarmReleaseOptions = {}
): Promise<ActionRun> {
  const files = {
    Dockerfile: dockerfile(version, options),
    'docker-compose.yml': swarmComposeFile(stack, options),
    'nginx.conf': swarmNginxConf(`${stack.name}_web`)
  }
  for (const [name, content] of Object.entries(files))
    writeFileSync(path.join(stack.workspace, name), content)
  const result = await runAction({
    workspace: stack.workspace,
    event: eventEnv('tag-push', { GITHUB_REF: `refs/tags/v${version}`, GITHUB_REF_NAME: `v${version}` }),
    env: {},
    ...(options.cancelWhen ? { cancelWhen: options.cancelWhen } : {}),
    inputs: {
      steps: options.steps ?? 'build,push,deploy',
      image: stack.image,
      username: tb.username,
      password: tb.password,
      'docker-host': tb.swarmManagerSocket,
      orchestrator: 'swarm',
      'compose-project': stack.name,
      service: 'web',
      'health-timeout': '120',
      ...options.inputs
    }
  })
  runs.push(result)
  return result
}

export interface SwarmTask {
  name: string
  node: string
  desired: string
  state: string
  image: string
  error: string
}

/** The service's tasks as `docker service ps` shows them (an independent view). */
export async function serviceTasks(service: string): Promise<SwarmTask[]> {
  const out = await manager(['service', 'ps', '--no-trunc', '--format', '{{json .}}', service])
  return out
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, string>)
    .map((task) => ({
      name: task.Name ?? '',
      node: task.Node ?? '',
      desired: task.DesiredState ?? '',
      state: task.CurrentState ?? '',
      image: task.Image ?? '',
      error: task.Error ?? ''
    }))
}

/** The service's spec image and UpdateStatus state. */
export async function serviceStatus(service: string): Promise<{ image: string; update: string }> {
  const out = await manager([
    'service',
    'inspect',
    '--format',
    '{{.Spec.TaskTemplate.ContainerSpec.Image}} {{if .UpdateStatus}}{{.UpdateStatus.State}}{{end}}',
    service
  ])
  const [image = '', update = ''] = out.split(' ')
  return { image, update }
}

/** GETs `url` until it answers 200 with `body` (trimmed), for at most `seconds`. */
export async function waitForAnswer(url: string, body: string, seconds: number): Promise<void> {
  const deadline = Date.now() + seconds * 1000
  let last = ''
  while (Date.now() < deadline) {
    try {
      const answer = await fetch(url, { signal: AbortSignal.timeout(2000) })
      last = `${answer.status} ${(await answer.text()).trim()}`
      if (answer.status === 200 && last === `200 ${body}`) return
    } catch (error) {
      last = String(error)
    }
    await new Promise((resolve) => setTimeout(resolve, 500))
  }
  throw new Error(`${url} did not answer ${body} within ${seconds} s (last: ${last})`)
}

/** Runs `during` with the load generator sending requests to the proxy. */
export async function swarmUnderLoad(
  stack: SwarmStack,
  during: () => Promise<ActionRun>
): Promise<{ run: ActionRun; load: LoadReport; seconds: number }> {
  const load = startLoad(proxyAddress(stack))
  await new Promise((resolve) => setTimeout(resolve, 1000))
  const started = Date.now()
  const run = await during()
  const seconds = (Date.now() - started) / 1000
  // Requests the proxy still had in flight when the step ended are counted too.
  await new Promise((resolve) => setTimeout(resolve, 2000))
  return { run, load: await load.stop(), seconds }
}
