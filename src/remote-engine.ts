// What it takes to reach the deploy host's engine, laid out in a private folder under the runner's
// temp folder (never the workspace), files 0600, removed by the post step:
// - tcp://: the CA, client certificate and key, as DOCKER_CERT_PATH expects them;
// - ssh://: the private key, the known hosts (always verified: StrictHostKeyChecking yes) and an
//   ssh config with one multiplexed connection (ControlMaster) that every docker and compose
//   call reuses, so sshd's MaxStartups is never hit (Compose opens many connections: compose
//   #10117). The docker CLI runs the `ssh` on PATH and takes no key option of its own, so the
//   engine's PATH starts with a folder whose `ssh` runs the real one with this config.
// - unix://: nothing.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs'
import path from 'node:path'
import type { Engine } from './docker-cli.js'
import type { DockerHost } from './docker-host.js'
import type { DeployInputs } from './inputs.js'

export interface RemoteAccess {
  engine: Engine
  /** The private folder; the post step removes it. */
  dir: string
  /** For ssh://: the Host name of the ssh config, to end the shared connection in post. */
  sshHost?: string
  /** For ssh://, when `dir` is too deep for a socket path: the folder of the control socket. */
  controlDir?: string
}

// A Unix socket path holds at most 107 bytes (Linux sun_path), and ssh first binds the control
// socket under a name 17 characters longer than ControlPath. One connection per config, so the
// path needs no %C.
const MAX_CONTROL_PATH = 107 - 17

/**
 * Where the control socket goes: in the access folder when its path is short enough, else in a
 * private folder of its own under /tmp (RUNNER_TEMP can be deep on self-hosted runners).
 */
export function controlSocket(
  dir: string,
  makeShortDir = () => mkdtempSync('/tmp/cs-ssh-')
): {
  path: string
  dir?: string
} {
  const inDir = path.join(dir, 'cm')
  if (Buffer.byteLength(inDir) <= MAX_CONTROL_PATH) return { path: inDir }
  const short = makeShortDir()
  chmodSync(short, 0o700)
  return { path: path.join(short, 'cm'), dir: short }
}

/** The ssh client config for one host: its key, its known hosts, one shared connection. */
export function sshConfig(
  host: Extract<DockerHost, { scheme: 'ssh' }>,
  dir: string,
  controlPath = path.join(dir, 'cm')
): string {
  const bare = bareHost(host.host)
  const lines = [
    `Host ${bare}`,
    `  HostName ${bare}`,
    ...(host.port === undefined ? [] : [`  Port ${host.port}`]),
    ...(host.user === undefined ? [] : [`  User ${host.user}`]),
    `  IdentityFile ${path.join(dir, 'id_key')}`,
    '  IdentitiesOnly yes',
    `  UserKnownHostsFile ${path.join(dir, 'known_hosts')}`,
    '  GlobalKnownHostsFile /dev/null',
    '  StrictHostKeyChecking yes',
    '  BatchMode yes',
    '  ConnectTimeout 20',
    '  ServerAliveInterval 15',
    '  ControlMaster auto',
    `  ControlPath ${controlPath}`,
    '  ControlPersist 120',
    ''
  ]
  return lines.join('\n')
}

/** The docker CLI passes the host to ssh without IPv6 brackets. */
function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '')
}

/** The `ssh` the docker CLI finds first on PATH: the real one, with this folder's config. */
export function sshWrapper(realSsh: string, config: string): string {
  return `#!/bin/sh\nexec ${shellQuote(realSsh)} -F ${shellQuote(config)} "$@"\n`
}

/**
 * Lays out what the host needs and returns the engine to talk to. The text inputs were checked
 * by getInputs (PEM blocks, known hosts present).
 */
export function prepareRemoteAccess(
  host: DockerHost,
  inputs: Pick<DeployInputs, 'sshPrivateKey' | 'sshKnownHosts' | 'tlsCa' | 'tlsCert' | 'tlsKey'>,
  tempRoot: string,
  realSsh = '/usr/bin/ssh'
): RemoteAccess {
  const dir = mkdtempSync(path.join(tempRoot, 'container-ship-remote-'))
  chmodSync(dir, 0o700)
  let controlDir: string | undefined
  try {
    if (host.scheme === 'tcp') {
      writePrivate(path.join(dir, 'ca.pem'), inputs.tlsCa)
      writePrivate(path.join(dir, 'cert.pem'), inputs.tlsCert)
      writePrivate(path.join(dir, 'key.pem'), inputs.tlsKey)
      return { engine: { kind: 'remote', host: host.url, tlsDir: dir }, dir }
    }
    if (host.scheme === 'ssh') {
      // ssh refuses a key without a final newline ("invalid format").
      writePrivate(path.join(dir, 'id_key'), withFinalNewline(inputs.sshPrivateKey))
      writePrivate(path.join(dir, 'known_hosts'), withFinalNewline(inputs.sshKnownHosts))
      const config = path.join(dir, 'ssh_config')
      const socket = controlSocket(dir)
      controlDir = socket.dir
      writePrivate(config, sshConfig(host, dir, socket.path))
      const bin = path.join(dir, 'bin')
      mkdirSync(bin, { mode: 0o700 })
      writeFileSync(path.join(bin, 'ssh'), sshWrapper(realSsh, config), { mode: 0o700 })
      return {
        engine: { kind: 'remote', host: host.url, pathPrefix: bin },
        dir,
        sshHost: bareHost(host.host),
        ...(controlDir ? { controlDir } : {})
      }
    }
    return { engine: { kind: 'remote', host: host.url }, dir }
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    if (controlDir) rmSync(controlDir, { recursive: true, force: true })
    throw error
  }
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 })
}

function withFinalNewline(text: string): string {
  const normalized = text.replace(/\r\n/g, '\n')
  return normalized.endsWith('\n') ? normalized : `${normalized}\n`
}

/** Single quotes for a path in the wrapper script (paths here are ours, under RUNNER_TEMP). */
function shellQuote(text: string): string {
  return `'${text.replace(/'/g, `'\\''`)}'`
}
