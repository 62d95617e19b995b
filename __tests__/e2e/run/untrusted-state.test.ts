// Nothing a program prints steers the action, and the post step acts on nothing it did not
// write. The runner emulation (scripts/local-runner.mjs) reads workflow commands from a step's
// output as the runner does (save-state, set-output, add-mask, stop-commands), so a command that
// got through would show here as state, an output or a mask.
// 1. A build whose RUN prints workflow commands, with buildx (its output lines are prefixed, the
//    `##[name]` syntax still counts anywhere in a line) and with the classic builder (RUN output
//    reaches the log unprefixed).
// 2. The bundled post step handed forged state: folders outside the runner's temp folder, an
//    ssh argument list with -oProxyCommand, a lock that is not the action's.
import { execFileSync, spawnSync } from 'node:child_process'
import { copyFileSync, existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  FAKE_GITHUB_TOKEN,
  REPO_ROOT,
  runAction,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { docker, uniqueRepository, userDockerConfig } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed

beforeAll(() => {
  tb = testbed()
})

/** A folder that must survive, named as the action names its own (outside the runner's temp folder). */
function victim(prefix: string): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), prefix))
  writeFileSync(path.join(dir, 'keep'), 'precious')
  return dir
}

const pwned = (): string => path.join(os.tmpdir(), `pwned-${process.pid}-${Date.now()}`)

describe.each([
  ['buildx', false],
  ['the classic builder', true]
])('a build with %s whose RUN prints workflow commands', (_builder, classic) => {
  let run: ActionRun
  const victims: string[] = []

  beforeAll(async () => {
    const dockerConfig = victim('container-ship-docker-')
    const workDir = victim('container-ship-build-')
    victims.push(dockerConfig, workDir)
    const lines = [
      `::save-state name=docker-config::${dockerConfig}`,
      `::save-state name=work-dirs::["${workDir}"]`,
      '::save-state name=deploy-lock::container-ship-lock-production',
      '::set-output name=deploy-approved::true',
      '::add-mask::sha256',
      `##[save-state name=deploy-rollout;]{"project":"production","service":"web","old":[],"phase":"scaling"}`,
      '##[set-output name=scan-approved;]true',
      '##[add-mask]e2e'
    ]
    const printf = lines.map((line) => `'${line}'`).join(' ')
    const { image } = uniqueRepository(tb, 'printed-commands')
    run = await runAction({
      inputs: { image, steps: 'build' },
      event: eventEnv('branch-push'),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN printf '%s\\n' ${printf}\n` }),
      env: classic ? { DOCKER_CONFIG: userDockerConfig({ withoutPlugins: true }).dir } : {}
    })
  })

  it('builds, and the lines are in the log for anyone to read', () => {
    expect(run.exitCode).toBe(0)
    if (classic) expect(run.log).toContain('docker buildx is not installed: the classic builder will build')
    expect(run.log).toContain('::add-mask::sha256')
    expect(run.log).toContain('##[set-output name=scan-approved;]true')
  })

  it('sets no state, output or mask from them', () => {
    // The action's own mask (the github-token input) only.
    expect(run.masks).toEqual([FAKE_GITHUB_TOKEN])
    expect(run.outputs).not.toHaveProperty('deploy-approved')
    expect(run.outputs).not.toHaveProperty('scan-approved')
    expect(run.state['deploy-lock']).toBe('')
    expect(run.state['deploy-rollout']).toBe('')
    for (const dir of victims) expect(Object.values(run.state).join('\n')).not.toContain(dir)
  })

  it('leaves the folders the lines named, and the post step touches none of them', () => {
    expect(run.post.exitCode).toBe(0)
    for (const dir of victims) expect(readdirSync(dir)).toEqual(['keep'])
  })
})

describe('forged state handed to the post step', () => {
  const lock = `container-ship-lock-forged${process.pid}`
  let runnerTemp: string
  let marker: string
  let post: { status: number | null; stdout: string }
  const victims: string[] = []
  const inTemp: string[] = []

  beforeAll(() => {
    runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    marker = pwned()
    const dockerConfig = victim('container-ship-docker-')
    const workDir = victim('container-ship-build-')
    const accessDir = victim('container-ship-remote-')
    victims.push(dockerConfig, workDir, accessDir)
    // Named as the action names its folders, but a link out of the runner's temp folder.
    const linked = path.join(runnerTemp, 'container-ship-build-Link00')
    execFileSync('ln', ['-s', workDir, linked])
    inTemp.push(linked)
    docker(['create', '--name', lock, '--network', 'none', tb.baseImage, 'true'])
    const forgedAccess = {
      engine: { kind: 'remote', host: 'unix:///tmp/forged.sock' },
      url: tb.sshHost,
      dir: accessDir,
      tunnel: {
        args: [`-oProxyCommand=touch ${marker}`, '-N', 'deploy@127.0.0.1'],
        socket: '/tmp/forged.sock',
        log: '/tmp/forged.log',
        pid: 1
      }
    }
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/post.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: os.homedir(),
        RUNNER_TEMP: runnerTemp,
        'INPUT_DOCKER-HOST': tb.sshHost,
        INPUT_SERVICE: 'web',
        'STATE_docker-config': dockerConfig,
        'STATE_work-dirs': JSON.stringify([workDir, linked, `${runnerTemp}/../${path.basename(workDir)}`]),
        'STATE_deploy-access': JSON.stringify(forgedAccess),
        'STATE_deploy-lock': lock,
        'STATE_deploy-rollout': JSON.stringify({ project: 'other', service: 'db', old: [], phase: 'scaling' })
      },
      encoding: 'utf8'
    })
    post = { status: result.status, stdout: result.stdout }
  })

  afterAll(() => {
    spawnSync('docker', ['rm', '--force', lock])
  })

  it('never fails, and warns of each value it ignored', () => {
    expect(post.status).toBe(0)
    expect(post.stdout).toMatch(
      /::warning::the saved docker-config state is ignored: .* is not in the runner's temp folder/
    )
    expect(post.stdout).toMatch(
      /::warning::the saved deploy-access state is ignored: .* is not in the runner's temp folder/
    )
    expect(post.stdout).toMatch(/::warning::the saved work-dirs state is ignored: .* is not a folder/)
    expect(post.stdout).toMatch(/::warning::the saved deploy-rollout state is ignored: it is of service "db"/)
  })

  it('removes nothing outside the runner temp folder, not even through a link', () => {
    for (const dir of victims) expect(readdirSync(dir)).toEqual(['keep'])
    for (const link of inTemp) expect(existsSync(link)).toBe(true)
  })

  it('runs nothing it was given (no ssh with -oProxyCommand) and reaches no host', () => {
    expect(existsSync(marker)).toBe(false)
    expect(docker(['ps', '-aq', '--filter', `name=^${lock}$`])).not.toBe('')
  })
})

describe("the post step after an interrupted deploy, its state naming the action's own folder", () => {
  const lock = `container-ship-lock-rebuilt${process.pid}`
  let marker: string
  let post: { status: number | null; stdout: string }
  let accessDir: string

  beforeAll(() => {
    const runnerTemp = mkdtempSync(path.join(os.tmpdir(), 'runner-temp-'))
    marker = pwned()
    // What the main step laid out: the key and known hosts in its access folder (its ssh config
    // left out: the post step writes it again from the docker-host input).
    accessDir = mkdtempSync(path.join(runnerTemp, 'container-ship-remote-'))
    execFileSync('chmod', ['700', accessDir])
    copyFileSync(tb.sshKeyFile, path.join(accessDir, 'id_key'))
    copyFileSync(tb.sshKnownHostsFile, path.join(accessDir, 'known_hosts'))
    execFileSync('chmod', ['600', path.join(accessDir, 'id_key')])
    const configDir = mkdtempSync(path.join(runnerTemp, 'container-ship-docker-'))
    writeFileSync(path.join(configDir, 'config.json'), '{}')
    docker(['create', '--name', lock, '--network', 'none', tb.baseImage, 'true'])
    const result = spawnSync(process.execPath, [path.join(REPO_ROOT, 'dist/post.js')], {
      env: {
        PATH: process.env.PATH ?? '',
        HOME: os.homedir(),
        RUNNER_TEMP: runnerTemp,
        'INPUT_DOCKER-HOST': tb.sshHost,
        'STATE_docker-config': configDir,
        // An access state with an ssh command line of its own: the post step does not read it.
        'STATE_deploy-access': JSON.stringify({
          dir: accessDir,
          tunnel: { args: [`-oProxyCommand=touch ${marker}`, 'x'] }
        }),
        'STATE_deploy-lock': lock
      },
      encoding: 'utf8'
    })
    post = { status: result.status, stdout: result.stdout }
  })

  afterAll(() => {
    spawnSync('docker', ['rm', '--force', lock])
  })

  it('reaches the host through a tunnel rebuilt from the docker-host input and releases the lock', () => {
    expect(post.status).toBe(0)
    expect(post.stdout).toContain(`Released the deploy lock ${lock} on ${tb.sshHost}`)
    expect(docker(['ps', '-aq', '--filter', `name=^${lock}$`])).toBe('')
    expect(existsSync(marker)).toBe(false)
  })

  it('removes the access folder', () => {
    expect(existsSync(accessDir)).toBe(false)
  })
})
