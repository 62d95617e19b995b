// What it takes to reach the deploy host's engine, laid out in a private folder under the runner's
// temp folder (never the workspace), files 0600, removed by the post step:
// - tcp://: the CA, client certificate and key, as DOCKER_CERT_PATH expects them;
// - ssh://: the private key, the known hosts (always verified: StrictHostKeyChecking yes) and an
//   ssh config; one SSH connection forwards a local socket to the host's Docker socket, and
//   every docker and compose call goes through that socket. Forwarded connections are channels
//   of that one connection, so neither sshd's MaxStartups (new connections: Compose opens many,
//   compose #10117) nor its MaxSessions (10 sessions per connection, which a control master
//   running `docker system dial-stdio` per API connection exceeds under Compose v1) is ever hit,
//   and the host needs no docker CLI, only its socket;
// - unix://: nothing.
import { spawn } from 'node:child_process'
import {
  chmodSync,
  closeSync,
  existsSync,
  mkdtempSync,
  openSync,
  readFileSync,
  rmSync,
  writeFileSync
} from 'node:fs'
import path from 'node:path'
import { programEnv, type Engine } from '../../docker/cli.js'
import type { DockerHost } from './docker-host.js'
import type { DeployInputs } from '../inputs.js'
import { definedOnly } from '../../program/program.js'

/** The Docker socket the tunnel reaches on the host: the engine's default. */
export const REMOTE_DOCKER_SOCKET = '/var/run/docker.sock'

export interface SshTunnel {
  /** The ssh arguments (after the program) that open the tunnel. */
  args: string[]
  /** The local end of the tunnel. */
  socket: string
  /** What ssh printed (its errors), in the access folder. */
  log: string
  /** Set once the tunnel runs. */
  pid?: number
}

export interface RemoteAccess {
  engine: Engine
  /** The host as the user named it, for messages. */
  url: string
  /** The private folder; the post step removes it. */
  dir: string
  /** For ssh://: the tunnel to the host's Docker socket. */
  tunnel?: SshTunnel
  /** For ssh://, when `dir` is too deep for a socket path: the folder of the local socket. */
  socketDir?: string
}

// A Unix socket path holds at most 107 bytes (Linux sun_path); ssh binds a temporary name up to
// 17 characters longer first.
const MAX_SOCKET_PATH = 107 - 17

/**
 * Where the tunnel's local socket goes: in the access folder when its path is short enough,
 * else in a private folder of its own under /tmp (RUNNER_TEMP can be deep on self-hosted runners).
 */
export function localSocket(
  dir: string,
  makeShortDir = () => mkdtempSync('/tmp/cs-ssh-')
): { path: string; dir?: string } {
  const inDir = path.join(dir, 'docker.sock')
  if (Buffer.byteLength(inDir) <= MAX_SOCKET_PATH) return { path: inDir }
  const short = makeShortDir()
  chmodSync(short, 0o700)
  return { path: path.join(short, 'docker.sock'), dir: short }
}

/** The ssh client config for one host: its key, its known hosts, nothing from the user's. */
export function sshConfig(host: Extract<DockerHost, { scheme: 'ssh' }>, dir: string): string {
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
    '  ServerAliveCountMax 4',
    '  ExitOnForwardFailure yes',
    '  ControlMaster no',
    '  ControlPath none',
    ''
  ]
  return lines.join('\n')
}

/** ssh's arguments for the tunnel: no command, no terminal, the local socket to the host's. */
export function tunnelArgs(
  config: string,
  host: Extract<DockerHost, { scheme: 'ssh' }>,
  socket: string
): string[] {
  return ['-F', config, '-N', '-T', '-L', `${socket}:${REMOTE_DOCKER_SOCKET}`, bareHost(host.host)]
}

/** ssh takes the host without IPv6 brackets. */
function bareHost(host: string): string {
  return host.replace(/^\[|\]$/g, '')
}

/**
 * Lays out what the host needs and returns the engine to talk to (for ssh://, once the tunnel
 * is open: see openTunnel). The text inputs were checked by getInputs (PEM blocks, known hosts
 * present).
 */
export function prepareRemoteAccess(
  host: DockerHost,
  inputs: Pick<DeployInputs, 'sshPrivateKey' | 'sshKnownHosts' | 'tlsCa' | 'tlsCert' | 'tlsKey'>,
  tempRoot: string
): RemoteAccess {
  const dir = mkdtempSync(path.join(tempRoot, 'container-ship-remote-'))
  chmodSync(dir, 0o700)
  let socketDir: string | undefined
  try {
    if (host.scheme === 'tcp') {
      writePrivate(path.join(dir, 'ca.pem'), inputs.tlsCa)
      writePrivate(path.join(dir, 'cert.pem'), inputs.tlsCert)
      writePrivate(path.join(dir, 'key.pem'), inputs.tlsKey)
    }
    if (host.scheme === 'ssh') {
      // ssh refuses a key without a final newline ("invalid format").
      writePrivate(path.join(dir, 'id_key'), withFinalNewline(inputs.sshPrivateKey))
      writePrivate(path.join(dir, 'known_hosts'), withFinalNewline(inputs.sshKnownHosts))
      writeSshConfig(host, dir)
      socketDir = localSocket(dir).dir
    }
    return accessIn(host, dir, socketDir)
  } catch (error) {
    rmSync(dir, { recursive: true, force: true })
    if (socketDir) rmSync(socketDir, { recursive: true, force: true })
    throw error
  }
}

/**
 * The access to `host` laid out in `dir` (and, for a deep `dir`, the socket's own `socketDir`),
 * derived from them alone: the post step rebuilds it so, never reading a command from state.
 */
export function accessIn(host: DockerHost, dir: string, socketDir?: string): RemoteAccess {
  if (host.scheme === 'tcp') {
    return { engine: { kind: 'remote', host: host.url, tlsDir: dir }, url: host.url, dir }
  }
  if (host.scheme === 'ssh') {
    const socket = path.join(socketDir ?? dir, 'docker.sock')
    return {
      engine: { kind: 'remote', host: `unix://${socket}` },
      url: host.url,
      dir,
      tunnel: {
        args: tunnelArgs(path.join(dir, 'ssh_config'), host, socket),
        socket,
        log: path.join(dir, 'ssh.log')
      },
      ...(socketDir ? { socketDir } : {})
    }
  }
  return { engine: { kind: 'remote', host: host.url }, url: host.url, dir }
}

/** Writes the access folder's ssh config for `host` (the post step writes it again before use). */
export function writeSshConfig(host: Extract<DockerHost, { scheme: 'ssh' }>, dir: string): void {
  writePrivate(path.join(dir, 'ssh_config'), sshConfig(host, dir))
}

/** What the main step saves for the post step: where the files are and the tunnel's PID. */
export interface SavedAccess {
  dir: string
  socketDir?: string
  tunnelPid?: number
}

export function savedAccess(access: RemoteAccess): SavedAccess {
  return {
    dir: access.dir,
    ...(access.socketDir ? { socketDir: access.socketDir } : {}),
    ...(access.tunnel?.pid ? { tunnelPid: access.tunnel.pid } : {})
  }
}

/**
 * Starts the ssh tunnel and waits until its local socket exists. Fails with what ssh said (host
 * key, authentication, connection) when it exits first. The tunnel outlives no step: the main
 * step closes it, and the post step closes it when the main step could not.
 */
export async function openTunnel(access: RemoteAccess, realSsh: string, timeoutMs = 30_000): Promise<number> {
  const tunnel = access.tunnel
  if (!tunnel) throw new Error('no ssh tunnel to open')
  // A tunnel's ssh that was killed leaves its socket file, on which a new one could not listen.
  rmSync(tunnel.socket, { force: true })
  const log = openSync(tunnel.log, 'w', 0o600)
  // The same scrubbed environment as every other program: no INPUT_* (the key among them).
  const child = spawn(realSsh, tunnel.args, {
    detached: true,
    stdio: ['ignore', 'ignore', log],
    env: definedOnly(programEnv())
  })
  closeSync(log)
  let exited: number | null | undefined
  child.on('exit', (code) => (exited = code))
  child.on('error', () => (exited = -1))
  child.unref()
  const deadline = Date.now() + timeoutMs
  while (!existsSync(tunnel.socket)) {
    if (exited !== undefined) {
      throw new Error(sshComplaint(tunnel.log) || `ssh exited with ${exited}`)
    }
    if (Date.now() > deadline) {
      closeTunnel({ ...tunnel, pid: child.pid })
      throw new Error(`ssh did not open its tunnel in ${timeoutMs / 1000} s`)
    }
    await new Promise((resolve) => setTimeout(resolve, 25))
  }
  tunnel.pid = child.pid
  return child.pid as number
}

/** What ssh printed, without its "Warning: Permanently added" chatter. */
export function sshComplaint(log: string): string {
  let text = ''
  try {
    text = readFileSync(log, 'utf8')
  } catch {
    return ''
  }
  return text
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !/^Warning: Permanently added/i.test(line))
    .slice(-3)
    .join('; ')
}

/** Whether the tunnel's ssh still runs (its PID is that ssh, not a process that reused it). */
export function tunnelAlive(tunnel: Pick<SshTunnel, 'pid' | 'socket'>): boolean {
  if (!tunnel.pid) return false
  try {
    return readFileSync(`/proc/${tunnel.pid}/cmdline`, 'utf8').includes(tunnel.socket)
  } catch {
    return false
  }
}

/**
 * Ends the tunnel's ssh, checking first that the process is still that ssh (a PID saved for the
 * post step may belong to another process by then).
 */
export function closeTunnel(tunnel: Pick<SshTunnel, 'pid' | 'socket'>): boolean {
  if (!tunnel.pid) return false
  try {
    const cmdline = readFileSync(`/proc/${tunnel.pid}/cmdline`, 'utf8')
    if (!cmdline.includes(tunnel.socket)) return false
  } catch {
    // No /proc (not Linux) or the process is gone: only a gone process is safe to skip.
    if (existsSync('/proc/self')) return false
  }
  try {
    process.kill(tunnel.pid, 'SIGTERM')
    return true
  } catch {
    return false
  }
}

function writePrivate(file: string, text: string): void {
  writeFileSync(file, text, { mode: 0o600 })
}

function withFinalNewline(text: string): string {
  const normalized = text.replace(/\r\n/g, '\n')
  return normalized.endsWith('\n') ? normalized : `${normalized}\n`
}
