// The test bed's extra engines (scripts/engines-bed.sh): three dockerds, each in a network
// namespace of its own, reached on their sockets and as ssh:// hosts, joined as a Docker Swarm,
// pulling from the test bed's registry, publishing ports at their namespaces' addresses. Checked
// with the real CLIs so the tests of deploys to several hosts and to a swarm can rely on them.
import { execFile, spawn } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, rmSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { promisify } from 'node:util'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { testbed, type Testbed, type TestbedEngine } from '../../support/harness.js'

jest.setTimeout(180_000)

const execFileAsync = promisify(execFile)

interface Outcome {
  code: number
  stdout: string
  stderr: string
}

/** Runs a program to its end without throwing: its exit code and output. */
async function run(file: string, args: string[], env: Record<string, string> = {}): Promise<Outcome> {
  try {
    const { stdout, stderr } = await execFileAsync(file, args, {
      env: { ...process.env, ...env },
      timeout: 90_000
    })
    return { code: 0, stdout, stderr }
  } catch (error) {
    const failed = error as { code?: number | string; stdout?: string; stderr?: string }
    return {
      code: typeof failed.code === 'number' ? failed.code : 1,
      stdout: failed.stdout ?? '',
      stderr: failed.stderr ?? String(error)
    }
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms))

/** Calls `attempt` until it returns a value, every 500 ms for at most `seconds`; the last error otherwise. */
async function eventually<T>(
  seconds: number,
  attempt: () => Promise<T | undefined>,
  what: string
): Promise<T> {
  const deadline = Date.now() + seconds * 1000
  let last = ''
  for (;;) {
    try {
      const value = await attempt()
      if (value !== undefined) return value
    } catch (error) {
      last = String(error)
    }
    if (Date.now() > deadline) throw new Error(`${what} within ${seconds} s${last ? `: ${last}` : ''}`)
    await sleep(500)
  }
}

let tb: Testbed
let scratch: string
/** A docker config with the registry's credentials only. */
let dockerConfig: string
const unique = `${process.pid.toString(36)}${Date.now().toString(36)}`
/** Commands that undo what the tests made, run in reverse order by afterAll. */
const cleanups: Array<() => Promise<unknown>> = []

beforeAll(() => {
  tb = testbed()
  scratch = mkdtempSync(path.join(os.tmpdir(), 'engines-'))
  dockerConfig = path.join(scratch, 'docker-config')
  mkdirSync(dockerConfig, { mode: 0o700 })
  const auth = Buffer.from(`${tb.username}:${tb.password}`).toString('base64')
  writeFileSync(
    path.join(dockerConfig, 'config.json'),
    JSON.stringify({ auths: { [tb.enginesRegistry]: { auth } } }),
    {
      mode: 0o600
    }
  )
})

afterAll(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup()
  rmSync(scratch, { recursive: true, force: true })
})

/** The docker CLI on an engine's socket, with the registry's credentials. */
function onEngine(engine: TestbedEngine | string, args: string[]): Promise<Outcome> {
  const socket = typeof engine === 'string' ? engine : engine.socket
  return run('docker', ['-H', socket, ...args], { DOCKER_CONFIG: dockerConfig })
}

/** The docker CLI's environment for an engine's ssh:// host: the engines' `ssh` wrapper first on PATH. */
function sshEnv(engine: TestbedEngine): Record<string, string> {
  return { PATH: `${tb.enginesSshPath}:${process.env.PATH ?? ''}`, DOCKER_HOST: engine.sshHost }
}

async function engineId(engine: TestbedEngine): Promise<string> {
  const info = await onEngine(engine, ['info', '--format', '{{.ID}}'])
  expect(info).toMatchObject({ code: 0, stderr: '' })
  return info.stdout.trim()
}

describe('the engines', () => {
  it('are three, each answering on its own socket under its own hostname', async () => {
    expect(tb.engines.map((engine) => engine.address)).toEqual(['10.213.0.11', '10.213.0.12', '10.213.0.13'])
    for (const [index, engine] of tb.engines.entries()) {
      expect(engine.socket).toBe(`unix:///run/container-ship-engines/engine-${index + 1}/docker.sock`)
      expect(engine.hostname).toBe(`cs-engine-${index + 1}`)
      const version = await onEngine(engine, ['version', '--format', '{{.Server.Version}}'])
      expect(version).toMatchObject({ code: 0, stdout: expect.stringMatching(/^20\.10\.\d+/) })
      const name = await onEngine(engine, ['info', '--format', '{{.Name}}'])
      expect(name.stdout.trim()).toBe(engine.hostname)
    }
  })

  it('are each reached over ssh:// as that engine, and are three engines besides the main one', async () => {
    const knownHosts = readFileSync(tb.enginesKnownHostsFile, 'utf8')
    expect(knownHosts).toMatch(
      /^10\.213\.0\.11 ssh-ed25519 \S+\n10\.213\.0\.12 ssh-ed25519 \S+\n10\.213\.0\.13 ssh-ed25519 \S+\n$/
    )
    expect(
      new Set(
        knownHosts
          .trim()
          .split('\n')
          .map((line) => line.split(' ')[2])
      ).size
    ).toBe(3)
    const ids: string[] = []
    for (const engine of tb.engines) {
      expect(engine.sshHost).toBe(`ssh://deploy@${engine.address}:22`)
      const id = await engineId(engine)
      const overSsh = await run('docker', ['info', '--format', '{{.ID}}'], sshEnv(engine))
      expect(overSsh).toMatchObject({ code: 0, stderr: '', stdout: `${id}\n` })
      ids.push(id)
    }
    const main = await run('docker', ['info', '--format', '{{.ID}}'])
    expect(main.code).toBe(0)
    expect(new Set([...ids, main.stdout.trim()]).size).toBe(4)
  })

  it("forward a local socket to the host's /var/run/docker.sock over ssh, as the action does", async () => {
    for (const engine of tb.engines) {
      const socket = path.join(scratch, `${engine.hostname}.sock`)
      const tunnel = spawn(
        '/usr/bin/ssh',
        [
          '-F',
          tb.enginesSshConfigFile,
          '-N',
          '-o',
          'ExitOnForwardFailure=yes',
          '-L',
          `${socket}:/var/run/docker.sock`,
          engine.address
        ],
        { stdio: ['ignore', 'ignore', 'pipe'] }
      )
      let stderr = ''
      tunnel.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()))
      try {
        await eventually(10, async () => (existsSync(socket) ? true : undefined), `ssh -L ${socket}`).catch(
          (error: unknown) => {
            throw new Error(`${String(error)}; ssh said: ${stderr}`)
          }
        )
        const info = await run('docker', ['-H', `unix://${socket}`, 'info', '--format', '{{.ID}} {{.Name}}'])
        expect(info).toMatchObject({ code: 0, stdout: `${await engineId(engine)} ${engine.hostname}\n` })
      } finally {
        tunnel.kill()
      }
    }
  })
})

describe('the swarm', () => {
  it('has the three engines as Ready nodes, engine 1 its leader', async () => {
    expect(tb.swarmManagerSocket).toBe(tb.engines[0]?.socket)
    expect(tb.swarmManagerAddress).toBe('10.213.0.11')
    const nodes = await onEngine(tb.swarmManagerSocket, [
      'node',
      'ls',
      '--format',
      '{{.Hostname}} {{.Status}} {{.Availability}} {{.ManagerStatus}}'
    ])
    expect(nodes.code).toBe(0)
    expect(
      nodes.stdout
        .trim()
        .split('\n')
        .map((line) => line.trim())
        .sort()
    ).toEqual(['cs-engine-1 Ready Active Leader', 'cs-engine-2 Ready Active', 'cs-engine-3 Ready Active'])
    for (const [index, engine] of tb.engines.entries()) {
      const label = await onEngine(tb.swarmManagerSocket, [
        'node',
        'inspect',
        '--format',
        '{{index .Spec.Labels "container-ship.testbed.engine"}}',
        engine.hostname
      ])
      expect(label).toMatchObject({ code: 0, stdout: `${index + 1}\n` })
    }
  })

  it('spreads a dnsrr service over the nodes; tasks.<name> resolves to its 3 tasks, which answer over the overlay', async () => {
    const network = `engines-net-${unique}`
    const service = `engines-svc-${unique}`
    const manager = tb.swarmManagerSocket
    const created = await onEngine(manager, [
      'network',
      'create',
      '--driver',
      'overlay',
      '--attachable',
      network
    ])
    expect(created).toMatchObject({ code: 0 })
    // A swarm network with attachments is only marked for removal: gone once the tasks are.
    cleanups.push(() =>
      eventually(
        60,
        async () => {
          await onEngine(manager, ['network', 'rm', network])
          return (await onEngine(manager, ['network', 'inspect', network])).code !== 0 ? true : undefined
        },
        `network rm ${network}`
      )
    )
    const serviceCreated = await onEngine(manager, [
      'service',
      'create',
      '--detach',
      '--with-registry-auth',
      '--name',
      service,
      '--network',
      network,
      '--endpoint-mode',
      'dnsrr',
      '--replicas',
      '3',
      '--replicas-max-per-node',
      '1',
      // httpd as PID 1 ignores SIGTERM: killed after the grace period.
      '--stop-grace-period',
      '1s',
      tb.enginesBaseImage,
      'sh',
      '-c',
      'mkdir -p /www && echo "task $(hostname)" >/www/index.html && exec httpd -f -p 8080 -h /www'
    ])
    expect(serviceCreated).toMatchObject({ code: 0 })
    cleanups.push(async () => {
      await onEngine(manager, ['service', 'rm', service])
      for (const engine of tb.engines) {
        await eventually(
          60,
          async () => {
            const left = await onEngine(engine, [
              'ps',
              '-aq',
              '--filter',
              `label=com.docker.swarm.service.name=${service}`
            ])
            return left.code === 0 && left.stdout.trim() === '' ? true : undefined
          },
          `the tasks of ${service} gone from ${engine.hostname}`
        )
      }
    })

    const nodes = await eventually(
      90,
      async () => {
        const ps = await onEngine(manager, [
          'service',
          'ps',
          service,
          '--filter',
          'desired-state=running',
          '--format',
          '{{.Node}} {{.CurrentState}}'
        ])
        const lines = ps.stdout.trim().split('\n')
        return lines.length === 3 && lines.every((line) => / Running /.test(line))
          ? lines.map((line) => line.split(' ')[0]).sort()
          : undefined
      },
      `3 running tasks of ${service}`
    )
    expect(nodes).toEqual(['cs-engine-1', 'cs-engine-2', 'cs-engine-3'])

    // From a container on the overlay, on the manager: the embedded DNS server (127.0.0.11).
    const addresses = await eventually(
      30,
      async () => {
        const lookup = await onEngine(manager, [
          'run',
          '--rm',
          '--network',
          network,
          tb.enginesBaseImage,
          'nslookup',
          `tasks.${service}`
        ])
        // busybox's nslookup: "Address: A" (older ones: "Address 1: A NAME"); the server's has ":53".
        const found = [...lookup.stdout.matchAll(/^Address(?: \d+)?:\s*(\d+\.\d+\.\d+\.\d+)(?:\s|$)/gm)]
          .map((match) => match[1] as string)
          .filter((address) => address !== '127.0.0.11')
        return new Set(found).size === 3 ? [...new Set(found)] : undefined
      },
      `tasks.${service} resolving to 3 addresses`
    )
    // Inside the swarm's pool (engines-bed.sh: --default-addr-pool 10.213.128.0/17).
    for (const address of addresses) {
      expect(address).toMatch(/^10\.213\.\d+\.\d+$/)
      expect(Number(address.split('.')[2])).toBeGreaterThanOrEqual(128)
    }

    // busybox-static's wget crashes in these containers; nc speaks HTTP/1.0 well enough.
    const script = addresses
      .map((address) => `printf 'GET / HTTP/1.0\\r\\n\\r\\n' | nc -w 5 ${address} 8080`)
      .join('; ')
    const answers = await onEngine(manager, [
      'run',
      '--rm',
      '--network',
      network,
      tb.enginesBaseImage,
      'sh',
      '-c',
      script
    ])
    expect(answers.code).toBe(0)
    const tasks = [...answers.stdout.matchAll(/^task (\S+)$/gm)].map((match) => match[1])
    expect(new Set(tasks).size).toBe(3)
  })
})

describe('the registry', () => {
  it('gives each engine an image pushed from the main engine, under the same name', async () => {
    expect(tb.enginesRegistry).toBe(tb.registry)
    const image = `${tb.enginesRegistry}/e2e/engines-pull-${unique}:latest`
    const root = path.join(scratch, 'pull-rootfs')
    mkdirSync(root)
    writeFileSync(path.join(root, 'id'), `${unique}\n`)
    const imported = await run('sh', ['-c', 'tar -C "$1" -c . | docker import - "$2"', 'sh', root, image])
    expect(imported).toMatchObject({ code: 0 })
    cleanups.push(() => run('docker', ['image', 'rm', image]))
    const pushed = await run('docker', ['push', image], { DOCKER_CONFIG: dockerConfig })
    expect(pushed).toMatchObject({ code: 0 })
    const id = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', image])).stdout.trim()
    for (const engine of tb.engines) {
      const pulled = await onEngine(engine, ['pull', image])
      expect(pulled).toMatchObject({ code: 0 })
      cleanups.push(() => onEngine(engine, ['image', 'rm', image]))
      const there = await onEngine(engine, ['image', 'inspect', '--format', '{{.Id}}', image])
      expect(there.stdout.trim()).toBe(id)
    }
    // The bed's own images are there already, also under the main engine's names.
    for (const [registryName, mainName] of [
      [tb.enginesBaseImage, tb.baseImage],
      [tb.enginesNginxImage, tb.nginxImage]
    ] as const) {
      expect(registryName).toBe(`${tb.enginesRegistry}/${mainName}`)
      const mainId = (await run('docker', ['image', 'inspect', '--format', '{{.Id}}', mainName])).stdout
      for (const engine of tb.engines) {
        for (const name of [registryName, mainName]) {
          const there = await onEngine(engine, ['image', 'inspect', '--format', '{{.Id}}', name])
          expect(there).toMatchObject({ code: 0, stdout: mainId })
        }
      }
    }
  })
})

describe('a port published on engine 2', () => {
  it("answers from the root namespace at engine 2's address, and not at engine 1's", async () => {
    const engine = tb.engines[1] as TestbedEngine
    const name = `engines-httpd-${unique}`
    const started = await onEngine(engine, [
      'run',
      '-d',
      '--name',
      name,
      '-p',
      '8080',
      tb.enginesBaseImage,
      'sh',
      '-c',
      `mkdir -p /www && echo ${unique} >/www/index.html && exec httpd -f -p 8080 -h /www`
    ])
    expect(started).toMatchObject({ code: 0 })
    cleanups.push(() => onEngine(engine, ['rm', '-f', name]))
    const port = await onEngine(engine, ['port', name, '8080/tcp'])
    const published = /^0\.0\.0\.0:(\d+)$/m.exec(port.stdout)?.[1]
    expect(published).toMatch(/^\d+$/)
    const page = await eventually(
      20,
      async () => {
        const response = await fetch(`http://${engine.address}:${published}/`)
        return response.ok ? await response.text() : undefined
      },
      `httpd on ${engine.address}:${published}`
    )
    expect(page).toBe(`${unique}\n`)
    await expect(fetch(`http://${tb.engines[0]?.address}:${published}/`)).rejects.toThrow()
  })
})
