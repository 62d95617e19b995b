// The end-to-end tests' view of the world: the runner emulation (scripts/local-runner.mjs, shared
// with the demo), the test bed scripts/testbed.sh set up, and throwaway workspaces.
import { existsSync, mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { eventEnv } from '../../__fixtures__/events.js'
import { parseFileCommands, runAction, type ActionRun } from '../../scripts/local-runner.mjs'

export {
  FAKE_GITHUB_TOKEN,
  REPO_ROOT,
  inputEnv,
  parseFileCommands,
  runAction,
  visibleText
} from '../../scripts/local-runner.mjs'
export type { ActionRun, RunSpec } from '../../scripts/local-runner.mjs'

/** One of the test bed's extra engines (scripts/engines-bed.sh), in a network namespace of its own. */
export interface TestbedEngine {
  /** Its socket: unix:///run/container-ship-engines/engine-N/docker.sock. */
  socket: string
  /** Its namespace's address on the test bed's bridge, 10.213.0.1N: ports it publishes answer there. */
  address: string
  /**
   * ssh://deploy@10.213.0.1N:22: an sshd in that namespace, where /var/run/docker.sock is this
   * engine's (the bed's key; host keys in enginesKnownHostsFile).
   */
  sshHost: string
  /** Its hostname, cs-engine-N: `docker info` Name and its swarm node's hostname. */
  hostname: string
}

export interface Testbed {
  registry: string
  username: string
  password: string
  baseImage: string
  trivy: string
  /** Trivy's --cache-dir with the offline fixture DB (scan with --skip-db-update). */
  trivyCache: string
  /** An offline image Trivy reads as Alpine 3.9.4 with a vulnerable musl. */
  alpine39Image: string
  /** An offline image Trivy reads as Debian 10.1: bash with an unfixed LOW, libidn2-0 with a fixed CRITICAL. */
  debian10Image: string
  /** The local engine as a remote SSH host: ssh://deploy@127.0.0.1:2222 (its own sshd, default MaxStartups). */
  sshHost: string
  /** The ed25519 private key of `deploy` (0600). */
  sshKeyFile: string
  /** A known_hosts file with the test bed sshd's host key, as `[127.0.0.1]:2222 ssh-ed25519 ...`. */
  sshKnownHostsFile: string
  /** An ssh client config naming the key and known_hosts for 127.0.0.1 (StrictHostKeyChecking yes). */
  sshConfigFile: string
  /** A folder with an `ssh` that runs ssh -F sshConfigFile: put it first on PATH for the docker CLI. */
  sshPath: string
  /** The local engine over TLS TCP: tcp://127.0.0.1:2376, a client certificate required. */
  tlsHost: string
  /** DOCKER_CERT_PATH for tlsHost: ca.pem, cert.pem, key.pem. */
  tlsDir: string
  /** Debian's docker-compose (Compose v1). */
  composeV1: string
  /** Its version, e.g. 1.29.2. */
  composeV1Version: string
  /** nginx-light on Debian bookworm, made offline; CMD nginx -g 'daemon off;'. */
  nginxImage: string
  /** The buildx builder (driver "remote") on the test bed's buildkitd: linux/amd64 and linux/arm64 (qemu). */
  builder: string
  /** That buildkitd's address, unix:///run/container-ship-buildkit/buildkitd.sock. */
  buildkitAddr: string
  /** The registry without auth that buildkitd mirrors docker.io to (plain http): 127.0.0.1:5001. */
  mirror: string
  /** cosign v2, built from the Go module proxy. */
  cosign: string
  /** Syft, built static from the Go module proxy. */
  syft: string
  /**
   * Three more engines, each in a network namespace of its own (scripts/engines-bed.sh), joined as
   * a swarm: engines[0] its manager, the others workers. Their nodes carry the label
   * container-ship.testbed.engine=N. Services need `endpoint_mode: dnsrr` and ports published in
   * `mode: host` (no IPVS here: no VIP, no routing mesh). Empty when testbed.env has no engines.
   */
  engines: TestbedEngine[]
  /** A known_hosts file with the engines' host keys, as `10.213.0.1N ssh-ed25519 ...`. */
  enginesKnownHostsFile: string
  /** An ssh client config for the engines' addresses: sshKeyFile, enginesKnownHostsFile, StrictHostKeyChecking yes. */
  enginesSshConfigFile: string
  /** A folder with an `ssh` that runs ssh -F enginesSshConfigFile: put it first on PATH for the docker CLI. */
  enginesSshPath: string
  /** The registry as the engines reach it: the same 127.0.0.1:5000 (forwarded into each namespace), same credentials. */
  enginesRegistry: string
  /** busybox in that registry, already pulled on every engine (and tagged there as baseImage too): 127.0.0.1:5000/busybox:latest. */
  enginesBaseImage: string
  /** The nginx image in that registry, already pulled on every engine (and tagged there as nginxImage too). */
  enginesNginxImage: string
  /** The swarm manager's socket (engines[0].socket). */
  swarmManagerSocket: string
  /** The swarm manager's address, which workers join at port 2377. */
  swarmManagerAddress: string
}

/** The test bed scripts/testbed.sh set up; fails (never skips) when it is not there. */
export function testbed(): Testbed {
  const envFile = path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env')
  if (!existsSync(envFile)) {
    throw new Error(
      `${envFile} is missing: run "bash scripts/testbed.sh" as root first (it starts dockerd and the registry)`
    )
  }
  const values = parseFileCommands(readFileSync(envFile, 'utf8'))
  return {
    registry: values.TESTBED_REGISTRY as string,
    username: values.TESTBED_REGISTRY_USER as string,
    password: readFileSync(values.TESTBED_REGISTRY_PASSWORD_FILE as string, 'utf8').trim(),
    baseImage: values.TESTBED_BASE_IMAGE as string,
    trivy: values.TESTBED_TRIVY as string,
    trivyCache: values.TESTBED_TRIVY_CACHE as string,
    alpine39Image: values.TESTBED_ALPINE39_IMAGE as string,
    debian10Image: values.TESTBED_DEBIAN10_IMAGE as string,
    sshHost: values.TESTBED_SSH_HOST as string,
    sshKeyFile: values.TESTBED_SSH_KEY_FILE as string,
    sshKnownHostsFile: values.TESTBED_SSH_KNOWN_HOSTS_FILE as string,
    sshConfigFile: values.TESTBED_SSH_CONFIG_FILE as string,
    sshPath: values.TESTBED_SSH_PATH as string,
    tlsHost: values.TESTBED_TLS_HOST as string,
    tlsDir: values.TESTBED_TLS_DIR as string,
    composeV1: values.TESTBED_COMPOSE_V1 as string,
    composeV1Version: values.TESTBED_COMPOSE_V1_VERSION as string,
    nginxImage: values.TESTBED_NGINX_IMAGE as string,
    builder: values.TESTBED_BUILDER as string,
    buildkitAddr: values.TESTBED_BUILDKIT_ADDR as string,
    mirror: values.TESTBED_MIRROR as string,
    cosign: values.TESTBED_COSIGN as string,
    syft: values.TESTBED_SYFT as string,
    engines: Array.from({ length: Number(values.TESTBED_ENGINES ?? '0') }, (_, index) => ({
      socket: values[`TESTBED_ENGINE_${index + 1}_SOCKET`] as string,
      address: values[`TESTBED_ENGINE_${index + 1}_ADDRESS`] as string,
      sshHost: values[`TESTBED_ENGINE_${index + 1}_SSH_HOST`] as string,
      hostname: values[`TESTBED_ENGINE_${index + 1}_HOSTNAME`] as string
    })),
    enginesKnownHostsFile: values.TESTBED_ENGINES_KNOWN_HOSTS_FILE as string,
    enginesSshConfigFile: values.TESTBED_ENGINES_SSH_CONFIG_FILE as string,
    enginesSshPath: values.TESTBED_ENGINES_SSH_PATH as string,
    enginesRegistry: values.TESTBED_ENGINES_REGISTRY as string,
    enginesBaseImage: values.TESTBED_ENGINES_BASE_IMAGE as string,
    enginesNginxImage: values.TESTBED_ENGINES_NGINX_IMAGE as string,
    swarmManagerSocket: values.TESTBED_SWARM_MANAGER_SOCKET as string,
    swarmManagerAddress: values.TESTBED_SWARM_MANAGER_ADDRESS as string
  }
}

/** A workspace folder holding the given files (path -> content). */
export function workspaceWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'workspace-'))
  for (const [name, content] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true })
    writeFileSync(path.join(dir, name), content)
  }
  return dir
}

/**
 * What a run that scans needs on the test bed: Trivy on PATH and its offline fixture DB as the
 * cache folder (the DB cannot be downloaded here), with skip-db-update.
 */
export function scanSetup(tb: Testbed): { env: Record<string, string>; inputs: Record<string, string> } {
  return {
    env: { PATH: `${path.dirname(tb.trivy)}:${process.env.PATH ?? ''}`, TRIVY_CACHE_DIR: tb.trivyCache },
    inputs: { 'skip-db-update': 'true' }
  }
}

/**
 * A tag push that builds `FROM baseImage`, scans it with the test bed's Trivy and pushes it to a
 * repository of its own, with `env` on top of the scan setup (a fault's PATH or RUNNER_TEMP).
 */
export async function scanAndPush(
  tb: Testbed,
  name: string,
  options: { baseImage: string; env?: Record<string, string> }
): Promise<{ run: ActionRun; repository: string }> {
  const repository = `e2e/${name}-${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`
  const setup = scanSetup(tb)
  const run = await runAction({
    inputs: {
      image: `${tb.registry}/${repository}`,
      username: tb.username,
      password: tb.password,
      steps: 'build,scan,push',
      ...setup.inputs
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith({ Dockerfile: `FROM ${options.baseImage}\n` }),
    env: { ...setup.env, ...options.env }
  })
  return { run, repository }
}
