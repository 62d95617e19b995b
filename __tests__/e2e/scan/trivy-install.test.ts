// Installing Trivy when `trivy` is not on PATH: the bundled action downloads the `trivy-version`
// release from `trivy-releases` (here a mirror on loopback with the layout of Trivy's GitHub
// releases), checks the archive, extracts it into the tool cache (RUNNER_TOOL_CACHE, which the
// runner always sets and @actions/tool-cache requires) and runs it; a later run takes it from the
// tool cache without downloading. The default version's archives must match the sha256 the action
// pins for them; a stand-in cannot, so the installs that succeed here are of a version without a
// pin, checked against the release's checksums file with a warning. An archive that does not
// match its pin or the checksums file, or that the file does not list, is refused: never run,
// never cached.
//
// The archive holds a stand-in `trivy`, a shell script, instead of the real Trivy: the real
// binary is 223 MB (docs/test-bed.md), too big to pack, hash and serve in every test, and
// what is under test is the install, not the scanner (scan/scan.test.ts runs the real Trivy). The
// stand-in appends its arguments to a log file the test reads, one per line with a blank line
// after each run, and writes a real, clean Trivy report (testbed-busybox.json, the test bed's
// scan of busybox:latest, the very image these runs build) to the path after `--output`.
import { execFileSync } from 'node:child_process'
import { createHash } from 'node:crypto'
import {
  chmodSync,
  existsSync,
  mkdirSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  statSync,
  writeFileSync
} from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { DEFAULT_TRIVY_VERSION } from '../../../src/scan/inputs.js'
import { releaseFiles } from '../../../src/scan/trivy/install.js'
import { TRIVY_ARCHIVE_SHA256 } from '../../../src/scan/trivy/pins.js'
import {
  REPO_ROOT,
  runAction,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryTags, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

/** A version the action pins no sha256 for: its archives are checked against the checksums file. */
const VERSION = '0.73.0'
const REPORT_FIXTURE = path.join(REPO_ROOT, '__fixtures__/trivy/reports/testbed-busybox.json')

let tb: Testbed
const servers: http.Server[] = []

beforeAll(() => {
  tb = testbed()
})

afterAll(async () => {
  await Promise.all(servers.map((server) => new Promise((resolve) => server.close(resolve))))
})

/** The folder holding `program` on this process's PATH. */
function dirOf(program: string): string {
  for (const dir of (process.env.PATH ?? '').split(path.delimiter)) {
    if (dir && existsSync(path.join(dir, program))) return dir
  }
  throw new Error(`${program} is not on PATH`)
}

/**
 * A PATH without any trivy: the folders of docker and node, and of tar and gzip, which
 * @actions/tool-cache runs to extract the archive (all of them /usr/bin on the test bed).
 */
function pathWithoutTrivy(): string {
  const dirs = [...new Set([dirOf('docker'), path.dirname(process.execPath), dirOf('tar'), dirOf('gzip')])]
  for (const dir of dirs) {
    if (existsSync(path.join(dir, 'trivy')))
      throw new Error(`${dir} holds a trivy: the test needs a PATH without`)
  }
  return dirs.join(path.delimiter)
}

/** Trivy's release archive for this machine, holding the stand-in that logs to `log`. */
function releaseArchive(log: string, marker = 'genuine'): Buffer {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'trivy-release-'))
  const content = path.join(dir, 'content')
  mkdirSync(content)
  const standIn = [
    '#!/bin/sh',
    `# Stand-in for Trivy (${marker}), made by __tests__/e2e/trivy-install.test.ts.`,
    `printf '%s\\n' "$@" '' >> '${log}'`,
    'out=',
    'previous=',
    'for arg in "$@"; do',
    '  if [ "$previous" = --output ]; then out=$arg; fi',
    '  previous=$arg',
    'done',
    `if [ -z "$out" ]; then echo 'stand-in trivy: no --output' >&2; exit 2; fi`,
    `cp '${REPORT_FIXTURE}' "$out"`,
    ''
  ].join('\n')
  writeFileSync(path.join(content, 'trivy'), standIn)
  chmodSync(path.join(content, 'trivy'), 0o755)
  // What else Trivy's archives hold, so that the whole folder is cached, not only the binary.
  writeFileSync(path.join(content, 'LICENSE'), 'Apache License 2.0 (stand-in)\n')
  writeFileSync(path.join(content, 'README.md'), '# Trivy (stand-in)\n')
  const archive = path.join(dir, 'archive.tar.gz')
  execFileSync('tar', ['-czf', archive, '-C', content, 'trivy', 'LICENSE', 'README.md'])
  return readFileSync(archive)
}

const sha256 = (data: Buffer | string): string => createHash('sha256').update(data).digest('hex')

/** `sha256sum` output for the given files. */
const checksums = (files: Record<string, Buffer>): string =>
  Object.entries(files)
    .map(([name, data]) => `${sha256(data)}  ${name}\n`)
    .join('')

interface Mirror {
  url: string
  /** Every request path, in order. */
  requests: string[]
}

/** A release mirror on loopback serving `files` (path -> content); anything else is 404. */
async function mirror(files: Record<string, Buffer | string>): Promise<Mirror> {
  const requests: string[] = []
  const server = http.createServer((req, res) => {
    requests.push(`${req.method} ${req.url}`)
    const body = files[req.url ?? '']
    if (req.method !== 'GET' || body === undefined) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found')
      return
    }
    res.writeHead(200, {
      'content-type': 'application/octet-stream',
      'content-length': Buffer.byteLength(body)
    })
    res.end(body)
  })
  servers.push(server)
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests }
}

/** The paths of this machine's archive and the checksums file under a mirror. */
function releasePaths(version = VERSION): { archive: string; archiveName: string; checksums: string } {
  const files = releaseFiles(version, 'http://mirror')
  const pathOf = (url: string): string => new URL(url).pathname
  return {
    archive: pathOf(files.archiveUrl),
    archiveName: files.archiveName,
    checksums: pathOf(files.checksumsUrl)
  }
}

function installRun(options: {
  mirror: Mirror
  /** RUNNER_TOOL_CACHE; undefined leaves it unset. */
  toolCache: string | undefined
  repository: { image: string }
  steps: string
  version?: string
}): Promise<ActionRun> {
  return runAction({
    inputs: {
      image: options.repository.image,
      username: tb.username,
      password: tb.password,
      steps: options.steps,
      'trivy-version': options.version ?? VERSION,
      'trivy-releases': options.mirror.url
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\n` }),
    env: {
      PATH: pathWithoutTrivy(),
      // A current DB (the fixture's, NextUpdate 2100): the action has no DB to download first, so
      // the stand-in is run for the scan only (trivy/db-download.ts).
      TRIVY_CACHE_DIR: tb.trivyCache,
      // Empty stands for unset: the runner emulation sets one by default, as the runner does.
      RUNNER_TOOL_CACHE: options.toolCache ?? ''
    }
  })
}

/** Each run the stand-in logged: its arguments. */
function standInRuns(log: string): string[][] {
  return readFileSync(log, 'utf8')
    .split('\n\n')
    .filter((run) => run !== '')
    .map((run) => run.split('\n'))
}

/** Every file under `dir`, relative to it. */
function filesUnder(dir: string): string[] {
  if (!existsSync(dir)) return []
  return readdirSync(dir, { recursive: true, withFileTypes: true })
    .filter((entry) => !entry.isDirectory())
    .map((entry) => path.relative(dir, path.join(entry.parentPath, entry.name)))
    .sort()
}

describe('a verified archive from the mirror', () => {
  const paths = releasePaths()
  const arch = os.arch()
  let log: string
  let archive: Buffer
  let releases: Mirror
  let toolCache: string
  let first: ActionRun
  let second: ActionRun

  beforeAll(async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'trivy-install-'))
    log = path.join(work, 'stand-in.log')
    archive = releaseArchive(log)
    // The real checksums file lists every archive of the release; a second one keeps it honest.
    const other = releaseFiles(VERSION, 'http://mirror', 'darwin', 'arm64').archiveName
    releases = await mirror({
      [paths.archive]: archive,
      [paths.checksums]: checksums({ [other]: Buffer.from('another archive'), [paths.archiveName]: archive })
    })
    toolCache = mkdtempSync(path.join(os.tmpdir(), 'tool-cache-'))
    const repository = uniqueRepository(tb, 'trivy-install')
    first = await installRun({ mirror: releases, toolCache, repository, steps: 'build,scan' })
    second = await installRun({ mirror: releases, toolCache, repository, steps: 'build,scan' })
  })

  it('downloads the checksums file and the archive once, and runs the stand-in it holds', () => {
    expect(first.log).not.toMatch(/::error/)
    expect(first.exitCode).toBe(0)
    expect(first.log).toContain(`Downloading Trivy ${VERSION} from ${releases.url}${paths.archive}`)
    // Checked against the checksums file only, and the run says so.
    expect(first.log).toContain(
      `::warning::Trivy ${VERSION} has no sha256 pinned in this action for ${paths.archiveName}: it is checked only against the checksums file from the same place (${releases.url}${paths.checksums}), which shows that it arrived whole, not that it is Trivy's.`
    )
    const cached = path.join(toolCache, 'trivy', VERSION, arch, 'trivy')
    expect(first.log).toContain(`Trivy: ${cached} (download)`)
    expect(releases.requests.slice(0, 2)).toEqual([`GET ${paths.checksums}`, `GET ${paths.archive}`])
  })

  it('passes the scan arguments to the stand-in, which writes the report the action reads', () => {
    const [args] = standInRuns(log)
    const reportFile = first.outputs['report-file'] ?? ''
    expect(reportFile).toMatch(/container-ship-scan-\w+\/trivy\.json$/)
    const after = (flag: string): string | undefined => args?.[args.indexOf(flag) + 1]
    expect(args?.[0]).toBe('image')
    expect(after('--format')).toBe('json')
    expect(after('--output')).toBe(reportFile)
    expect(args).toEqual(expect.arrayContaining(['--exit-code', '0', '--image-src', 'docker', '--quiet']))
    expect(args).not.toContain('--skip-db-update')
    // The image scanned is the one built: the last argument is one of its references.
    expect(first.outputs.tags?.split('\n')).toContain(args?.[args.length - 1])
    expect(readFileSync(reportFile, 'utf8')).toBe(readFileSync(REPORT_FIXTURE, 'utf8'))
    expect(first.outputs['scan-result']).toBe('passed')
    expect(JSON.parse(first.outputs.findings ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 0,
      HIGH: 0,
      CRITICAL: 0
    })
  })

  it('keeps the whole release folder in the tool cache, the stand-in executable', () => {
    expect(filesUnder(toolCache)).toEqual([
      path.join('trivy', VERSION, `${arch}.complete`),
      path.join('trivy', VERSION, arch, 'LICENSE'),
      path.join('trivy', VERSION, arch, 'README.md'),
      path.join('trivy', VERSION, arch, 'trivy')
    ])
    expect(statSync(path.join(toolCache, 'trivy', VERSION, arch, 'trivy')).mode & 0o111).toBe(0o111)
  })

  it('removes the downloaded archive, the checksums file and the unpacked folder from the runner temp folder', () => {
    // What is left is the scan's own folder: the tool cache holds the only copy of Trivy.
    const files = filesUnder(first.runnerTemp)
    const left = files.map((file) => readFileSync(path.join(first.runnerTemp, file)))
    expect(left.map((data) => sha256(data))).not.toContain(sha256(archive))
    expect(left.filter((data) => data.includes(paths.archiveName))).toEqual([])
    expect(files.filter((file) => path.basename(file) === 'trivy')).toEqual([])
  })

  it('takes it from the tool cache in a second run, without downloading again', () => {
    expect(second.log).not.toMatch(/::error/)
    expect(second.exitCode).toBe(0)
    expect(second.log).toContain(
      `Trivy: ${path.join(toolCache, 'trivy', VERSION, arch, 'trivy')} (tool cache)`
    )
    expect(second.log).not.toContain('Downloading Trivy')
    expect(releases.requests).toEqual([`GET ${paths.checksums}`, `GET ${paths.archive}`])
    expect(standInRuns(log)).toHaveLength(2)
    expect(second.outputs['scan-result']).toBe('passed')
  })
})

/** Runs build,scan,push of `version` against the mirror; returns the run, the cache and the stand-in's log. */
async function refusedRun(
  version: string,
  files: (archive: Buffer, genuine: Buffer) => Record<string, Buffer | string>
): Promise<{ result: ActionRun; toolCache: string; log: string; releases: Mirror; repository: string }> {
  const work = mkdtempSync(path.join(os.tmpdir(), 'trivy-install-'))
  const log = path.join(work, 'stand-in.log')
  const archive = releaseArchive(log, 'tampered')
  const genuine = releaseArchive(path.join(work, 'genuine.log'))
  const releases = await mirror(files(archive, genuine))
  const toolCache = mkdtempSync(path.join(os.tmpdir(), 'tool-cache-'))
  const repository = uniqueRepository(tb, 'trivy-refused')
  // push is in steps, so that "nothing is pushed" is the action's decision, not the steps'.
  const result = await installRun({
    mirror: releases,
    toolCache,
    repository,
    steps: 'build,scan,push',
    version
  })
  return { result, toolCache, log, releases, repository: repository.repository }
}

/** Refused with `message`: the stand-in never ran, nothing cached, pushed or left in the runner temp folder. */
async function expectRefused(run: Awaited<ReturnType<typeof refusedRun>>, message: RegExp): Promise<void> {
  expect(run.result.exitCode).toBe(1)
  expect(run.result.log).toMatch(message)
  expect(run.result.outputs['scan-result']).toBe('skipped')
  expect(existsSync(run.log)).toBe(false)
  expect(filesUnder(run.toolCache)).toEqual([])
  expect(await registryTags(tb, run.repository)).toEqual([])
  expect(run.result.outputs['pushed-tags'] ?? '').toBe('')
  // Neither download is left behind in the runner temp folder.
  const left = filesUnder(run.result.runnerTemp).filter((file) => !file.startsWith('container-ship-'))
  expect(left).toEqual([])
}

const escaped = (text: string): string => text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')

describe('an archive the checksums file does not vouch for', () => {
  const paths = releasePaths()

  it('refuses an archive whose sha256 is not the one listed, naming the version and the archive', async () => {
    const run = await refusedRun(VERSION, (archive, genuine) => ({
      [paths.archive]: archive,
      [paths.checksums]: checksums({ [paths.archiveName]: genuine })
    }))
    await expectRefused(
      run,
      new RegExp(
        `::error::the Trivy ${VERSION.replace(/\./g, '\\.')} archive ${paths.archiveName.replace(/\./g, '\\.')} does not match the release's checksums file \\(sha256 [0-9a-f]{64}, expected [0-9a-f]{64}\\): refusing to run it`
      )
    )
  })

  it('refuses an archive the checksums file does not list', async () => {
    const other = releaseFiles(VERSION, 'http://mirror', 'darwin', 'arm64').archiveName
    const run = await refusedRun(VERSION, (archive) => ({
      [paths.archive]: archive,
      [paths.checksums]: checksums({ [other]: archive })
    }))
    await expectRefused(
      run,
      new RegExp(
        `::error::the checksums file of Trivy ${VERSION.replace(/\./g, '\\.')} \\(${run.releases.url}${paths.checksums}\\) does not list ${paths.archiveName.replace(/\./g, '\\.')}: refusing to run it`
      )
    )
    // An archive nothing vouches for is not even downloaded.
    expect(run.releases.requests).toEqual([`GET ${paths.checksums}`])
  })
})

describe('the default version, whose archives the action pins', () => {
  const paths = releasePaths(DEFAULT_TRIVY_VERSION)

  it('refuses a replaced archive even with a checksums file that lists it, never fetching that file', async () => {
    // What a compromised release or mirror serves: another archive, and a checksums file made for it.
    const run = await refusedRun(DEFAULT_TRIVY_VERSION, (archive) => ({
      [paths.archive]: archive,
      [paths.checksums]: checksums({ [paths.archiveName]: archive })
    }))
    const pin = TRIVY_ARCHIVE_SHA256[paths.archiveName] ?? ''
    expect(pin).toMatch(/^[0-9a-f]{64}$/)
    await expectRefused(
      run,
      new RegExp(
        `::error::the Trivy ${escaped(DEFAULT_TRIVY_VERSION)} archive ${escaped(paths.archiveName)} does not match the sha256 this action pins for it \\(sha256 [0-9a-f]{64}, expected ${pin}\\): refusing to run it`
      )
    )
    expect(run.releases.requests).toEqual([`GET ${paths.archive}`])
    expect(run.result.log).not.toContain('::warning::Trivy')
  })
})

describe('a runner without RUNNER_TOOL_CACHE', () => {
  // The runner always sets it and @actions/tool-cache asserts it (its find, before any download).
  it('fails closed, saying which variable is missing, before downloading anything', async () => {
    const work = mkdtempSync(path.join(os.tmpdir(), 'trivy-install-'))
    const log = path.join(work, 'stand-in.log')
    const archive = releaseArchive(log)
    const paths = releasePaths()
    const releases = await mirror({
      [paths.archive]: archive,
      [paths.checksums]: checksums({ [paths.archiveName]: archive })
    })
    const repository = uniqueRepository(tb, 'trivy-no-tool-cache')
    const result = await installRun({
      mirror: releases,
      toolCache: undefined,
      repository,
      steps: 'build,scan,push'
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('::error::Expected RUNNER_TOOL_CACHE to be defined')
    expect(result.outputs['scan-result']).toBe('skipped')
    expect(releases.requests).toEqual([])
    expect(existsSync(log)).toBe(false)
    expect(await registryTags(tb, repository.repository)).toEqual([])
  })
})
