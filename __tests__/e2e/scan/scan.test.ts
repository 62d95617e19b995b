// The scan step with the real Trivy and its offline fixture DB (scripts/testbed.sh), on images
// built from the test bed's Alpine 3.9.4 image: its musl has CVE-2019-14697 (CRITICAL), and the
// Dockerfile's RUN adds openssl's libraries with CVE-2019-1549 and CVE-2019-1551 (MEDIUM).
import {
  chmodSync,
  existsSync,
  mkdtempSync,
  readdirSync,
  readFileSync,
  symlinkSync,
  writeFileSync
} from 'node:fs'
import { execFileSync } from 'node:child_process'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  visibleText,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryTags, uniqueRepository } from '../../support/registry-helpers.js'
import { ACTIONS_BOT, startStandInGitHub, type StandInGitHub } from '../../support/stand-in-github.js'

jest.setTimeout(300_000)

let tb: Testbed

/** Line 1 FROM, line 2 ENV, line 3 RUN (adds openssl), line 4 COPY. */
const vulnerable = (tb: Testbed): string =>
  [
    `FROM ${tb.alpine39Image}`,
    'ENV APP_HOME=/app',
    "RUN printf '%s\\n' 'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' 'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' >>/lib/apk/db/installed",
    'COPY Dockerfile /app/Dockerfile',
    ''
  ].join('\n')

function scanRun(
  repository: { image: string },
  files: Record<string, string>,
  inputs: Record<string, string> = {},
  env: Record<string, string> = {}
): Promise<ActionRun> {
  const setup = scanSetup(tb)
  return runAction({
    inputs: {
      image: repository.image,
      username: tb.username,
      password: tb.password,
      steps: 'build,scan,push',
      ...setup.inputs,
      ...inputs
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith(files),
    env: { ...setup.env, ...env }
  })
}

beforeAll(() => {
  tb = testbed()
})

interface LoggedAnnotation {
  level: string
  file?: string
  line?: number
  title?: string
  message: string
}

/** The file annotations of a log, as the runner reads `::error file=...,line=...::message`. */
function annotationsIn(log: string): LoggedAnnotation[] {
  const unescape = (text: string, property: boolean): string => {
    let out = text.replace(/%0D/g, '\r').replace(/%0A/g, '\n')
    if (property) out = out.replace(/%3A/g, ':').replace(/%2C/g, ',')
    return out.replace(/%25/g, '%')
  }
  return log.split('\n').flatMap((line) => {
    const match = /^::(error|warning|notice) ([^:]+)::(.*)$/.exec(line)
    if (!match) return []
    const properties = Object.fromEntries(
      (match[2] as string).split(',').map((pair) => {
        const [key, ...value] = pair.split('=')
        return [key, unescape(value.join('='), true)]
      })
    )
    return [
      {
        level: match[1] as string,
        file: properties.file,
        line: properties.line === undefined ? undefined : Number(properties.line),
        title: properties.title,
        message: unescape(match[3] as string, false)
      }
    ]
  })
}

describe('a vulnerable image at the default threshold HIGH', () => {
  let result: ActionRun
  let repository: ReturnType<typeof uniqueRepository>

  beforeAll(async () => {
    repository = uniqueRepository(tb, 'vulnerable')
    result = await scanRun(repository, { Dockerfile: vulnerable(tb) })
  })

  it('fails the gate, says why, and pushes nothing', async () => {
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain(
      '::error::The scan gate failed: 2 CRITICAL findings at or above the threshold HIGH. Nothing is pushed or deployed.'
    )
    expect(await registryTags(tb, repository.repository)).toEqual([])
  })

  it("says that trivy-action's exit-code: 0, moved over, is not read: the gate still fails", async () => {
    // The runner passes every `with:` key as INPUT_<NAME>, declared or not (it only warns); the
    // local runner takes declared inputs only, so these two come as the runner would set them.
    const moved = await scanRun(
      uniqueRepository(tb, 'exit-code'),
      { Dockerfile: vulnerable(tb) },
      {},
      { 'INPUT_EXIT-CODE': '0', INPUT_SEVERITY: 'CRITICAL,HIGH' }
    )
    expect(moved.exitCode).toBe(1)
    expect(moved.log).toContain(
      '::warning::exit-code is an input of aquasecurity/trivy-action, not of this action, and is not read: the gate is severity-threshold (default HIGH) and max-findings; for a report without a gate, severity-threshold: none'
    )
    expect(moved.log).toContain('::warning::severity is an input of aquasecurity/trivy-action')
    expect(moved.log).toContain(
      '::error::The scan gate failed: 2 CRITICAL findings at or above the threshold HIGH.'
    )
  })

  it('sets the scan outputs anyway', () => {
    expect(result.outputs['scan-result']).toBe('failed')
    expect(JSON.parse(result.outputs.findings ?? '')).toEqual({
      UNKNOWN: 0,
      LOW: 0,
      MEDIUM: 4,
      HIGH: 0,
      CRITICAL: 2
    })
    expect(result.outputs['report-file']).toMatch(/container-ship-scan-\w+\/trivy\.json$/)
    expect(result.outputs['image-id']).toMatch(/^sha256:/)
    expect(result.outputs.digest).toBe('')
  })

  it('annotates the FROM line with what the base brought and the RUN line with what it added', () => {
    const [base, run, ...rest] = annotationsIn(result.log)
    expect(rest).toEqual([])
    expect(base).toEqual({
      level: 'error',
      file: 'Dockerfile',
      line: 1,
      title: `2 CRITICAL findings introduced here (FROM ${tb.alpine39Image})`,
      message: [
        'CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5',
        'CVE-2019-14697 (CRITICAL) musl-utils 1.1.20-r4, fixed in 1.1.20-r5'
      ].join('\n')
    })
    expect(run).toMatchObject({ level: 'warning', file: 'Dockerfile', line: 3 })
    expect(run?.title).toMatch(/^4 MEDIUM findings introduced here \(RUN printf /)
    expect(run?.message.split('\n')).toEqual([
      'CVE-2019-1549 (MEDIUM) libcrypto1.1 1.1.1b-r1, fixed in 1.1.1d-r0',
      'CVE-2019-1549 (MEDIUM) libssl1.1 1.1.1b-r1, fixed in 1.1.1d-r0',
      'CVE-2019-1551 (MEDIUM) libcrypto1.1 1.1.1b-r1, fixed in 1.1.1d-r2',
      'CVE-2019-1551 (MEDIUM) libssl1.1 1.1.1b-r1, fixed in 1.1.1d-r2'
    ])
  })

  it('lists the findings with their Dockerfile lines in the summary', () => {
    expect(result.summary).toContain('| Scan | failed: 2 CRITICAL findings at or above the threshold HIGH |')
    expect(result.summary).toContain('| Findings | 2 CRITICAL, 4 MEDIUM |')
    expect(result.summary).toMatch(
      /\| CRITICAL \| \[`CVE-2019-14697`\]\(https:\/\/.*\) \| `musl` \| `1\.1\.20-r4` \| `1\.1\.20-r5` \| `Dockerfile:1` \|/
    )
    expect(result.summary).toMatch(
      /\| MEDIUM \| .*CVE-2019-1549.* \| `libssl1\.1` \| `1\.1\.1b-r1` \| .* \| `Dockerfile:3` \|/
    )
  })
})

describe('a RUN that installs a vulnerable package on a base with findings of its own', () => {
  it('errs on the RUN line and warns on the FROM line', async () => {
    // A base whose musl was patched (1.1.20-r5) and which carries openssl's libraries (MEDIUM);
    // the Dockerfile's RUN then installs musl 1.1.20-r3 (CRITICAL), a version no layer before had,
    // so Trivy credits it to that RUN's layer.
    const baseContext = workspaceWith({
      Dockerfile: [
        `FROM ${tb.alpine39Image}`,
        "RUN sed -i 's/^V:1.1.20-r4$/V:1.1.20-r5/' /lib/apk/db/installed && printf '%s\\n' 'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' 'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' >>/lib/apk/db/installed",
        ''
      ].join('\n')
    })
    const base = 'container-ship-test/e2e-patched-base:latest'
    execFileSync('docker', ['build', '-q', '-t', base, baseContext], { stdio: 'ignore' })
    const result = await scanRun(uniqueRepository(tb, 'installs'), {
      Dockerfile: [
        `FROM ${base}`,
        'ENV APP_HOME=/app',
        "RUN sed -i 's/^V:1.1.20-r5$/V:1.1.20-r3/' /lib/apk/db/installed",
        ''
      ].join('\n')
    })
    expect(result.exitCode).toBe(1)
    const annotations = annotationsIn(result.log)
    expect(annotations.map((a) => [a.level, a.line, a.title])).toEqual([
      [
        'error',
        3,
        "2 CRITICAL findings introduced here (RUN sed -i 's/^V:1.1.20-r5$/V:1.1.20-r3/' /lib/apk/db/installed)"
      ],
      ['warning', 1, `4 MEDIUM findings introduced here (FROM ${base})`]
    ])
    expect(annotations[0]?.message).toContain('CVE-2019-14697 (CRITICAL) musl 1.1.20-r3, fixed in 1.1.20-r5')
  })
})

describe('SARIF for code scanning', () => {
  it('is written where sarif-file says, with the findings on their Dockerfile lines', async () => {
    const result = await scanRun(
      uniqueRepository(tb, 'sarif'),
      { Dockerfile: vulnerable(tb) },
      {
        'sarif-file': 'reports/trivy.sarif',
        'severity-threshold': 'none'
      }
    )
    expect(result.exitCode).toBe(0)
    const file = result.outputs['sarif-file'] as string
    expect(file).toBe(path.join(result.workspace, 'reports/trivy.sarif'))
    const log = JSON.parse(readFileSync(file, 'utf8')) as {
      version: string
      runs: {
        tool: { driver: { name: string; version?: string } }
        results: {
          ruleId: string
          level: string
          locations: {
            physicalLocation: { artifactLocation: { uri: string }; region: { startLine: number } }
          }[]
        }[]
      }[]
    }
    expect(log.version).toBe('2.1.0')
    expect(log.runs[0]?.tool.driver).toMatchObject({ name: 'Trivy', version: '0.74.0' })
    const placed = log.runs[0]?.results.map((r) => [
      r.ruleId,
      r.level,
      r.locations[0]?.physicalLocation.artifactLocation.uri,
      r.locations[0]?.physicalLocation.region.startLine
    ])
    expect(placed).toContainEqual(['CVE-2019-14697', 'error', 'Dockerfile', 1])
    expect(placed).toContainEqual(['CVE-2019-1549', 'warning', 'Dockerfile', 3])
    expect(placed).toHaveLength(6)
  })
})

describe('a sarif-file through a link', () => {
  /** A run whose workspace has the Dockerfile and what `link` makes in it; refused before the build. */
  async function linkedRun(name: string, sarifFile: string, link: (workspace: string) => void) {
    const repository = uniqueRepository(tb, name)
    const workspace = workspaceWith({ Dockerfile: vulnerable(tb) })
    link(workspace)
    const setup = scanSetup(tb)
    const run = await runAction({
      inputs: {
        image: repository.image,
        username: tb.username,
        password: tb.password,
        steps: 'build,scan,push',
        'sarif-file': sarifFile,
        ...setup.inputs
      },
      event: eventEnv('tag-push'),
      workspace,
      env: setup.env
    })
    expect(run.exitCode).toBe(1)
    expect(run.log).not.toMatch(/docker (buildx )?build/)
    expect(run.outputs['sarif-file']).toBe('')
    expect(await registryTags(tb, repository.repository)).toEqual([])
    return { run, workspace }
  }

  it('is refused when a folder on the way links outside the workspace, and nothing is written there', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const { run, workspace } = await linkedRun('sarif-folder-link', 'reports/scan.sarif', (workspace) =>
      symlinkSync(outside, path.join(workspace, 'reports'))
    )
    expect(run.log).toContain(
      `::error::Invalid input: sarif-file: "reports/scan.sarif" cannot be written: ${path.join(workspace, 'reports')} is a symbolic link (to ${outside}): files are never written through a link`
    )
    expect(readdirSync(outside)).toEqual([])
  })

  it('is refused when it is itself a link to a file outside, which stays as it was', async () => {
    const outside = mkdtempSync(path.join(os.tmpdir(), 'outside-'))
    const target = path.join(outside, 'authorized_keys')
    writeFileSync(target, 'ssh-ed25519 AAAA keep-me\n')
    const { run, workspace } = await linkedRun('sarif-file-link', 'scan.sarif', (workspace) =>
      symlinkSync(target, path.join(workspace, 'scan.sarif'))
    )
    expect(run.log).toContain(
      `::error::Invalid input: sarif-file: "scan.sarif" cannot be written: ${path.join(workspace, 'scan.sarif')} is a symbolic link (to ${target})`
    )
    expect(readFileSync(target, 'utf8')).toBe('ssh-ed25519 AAAA keep-me\n')
    expect(readdirSync(outside)).toEqual(['authorized_keys'])
  })
})

describe('the same image with its CRITICAL CVE in .trivyignore', () => {
  it('passes at HIGH, is pushed, and shows only what still counts', async () => {
    const repository = uniqueRepository(tb, 'ignored')
    const result = await scanRun(repository, {
      Dockerfile: vulnerable(tb),
      '.trivyignore': '# accepted until musl is upgraded\nCVE-2019-14697 exp:2099-01-01\n'
    })
    expect(result.log).not.toMatch(/::error/)
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(JSON.parse(result.outputs.findings ?? '')).toMatchObject({ CRITICAL: 0, MEDIUM: 4 })
    expect(result.summary).toContain('| Findings | 4 MEDIUM (2 ignored) |')
    expect(annotationsIn(result.log).map((a) => [a.level, a.line])).toEqual([['warning', 3]])
    expect((await registryTags(tb, repository.repository)).sort()).toEqual([
      '1',
      '1.2',
      '1.2.3',
      'latest',
      'sha-0123456'
    ])
  })
})

describe('threshold none with a budget', () => {
  it('fails only by the budget', async () => {
    const result = await scanRun(
      uniqueRepository(tb, 'budget'),
      { Dockerfile: vulnerable(tb) },
      {
        'severity-threshold': 'none',
        'max-findings': 'critical=2,medium=3'
      }
    )
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('::error::The scan gate failed: MEDIUM: 4 findings over the budget of 3.')
    // With no threshold no line is an error: both are warnings.
    expect(annotationsIn(result.log).map((a) => [a.level, a.line])).toEqual([
      ['warning', 1],
      ['warning', 3]
    ])
  })
})

describe('an image with nothing to find', () => {
  it('passes and is pushed', async () => {
    const repository = uniqueRepository(tb, 'clean')
    const result = await scanRun(repository, { Dockerfile: `FROM ${tb.baseImage}\nRUN echo clean > /c\n` })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['scan-result']).toBe('passed')
    expect(result.summary).toContain('Nothing to report.')
    expect(await registryTags(tb, repository.repository)).toContain('1.2.3')
  })
})

describe('a named ignore file that is missing', () => {
  it('is refused before anything is built, naming the input', async () => {
    const repository = uniqueRepository(tb, 'noignore')
    const result = await scanRun(
      repository,
      { Dockerfile: vulnerable(tb) },
      { 'ignore-file': 'security/.trivyignore.yaml' }
    )
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain(
      '::error::Invalid input: ignore-file: "security/.trivyignore.yaml" does not exist'
    )
    expect(result.log).not.toContain('docker buildx build')
    expect(result.outputs['image-id']).toBe('')
    expect(await registryTags(tb, repository.repository)).toEqual([])
  })
})

describe('a scan that cannot run', () => {
  it('fails closed on a report cut short, and pushes nothing', async () => {
    // A trivy first on PATH that writes half a report and exits 0, as one killed mid-write would
    // leave it: the action must not read that as "nothing found".
    const bin = mkdtempSync(path.join(os.tmpdir(), 'truncating-trivy-'))
    writeFileSync(
      path.join(bin, 'trivy'),
      '#!/bin/sh\nwhile [ "$1" != --output ]; do shift; done\nprintf \'{"SchemaVersion": 2, "Results": [{"Target": "x", "Vulnerabilities": [\' > "$2"\n'
    )
    chmodSync(path.join(bin, 'trivy'), 0o755)
    const repository = uniqueRepository(tb, 'truncated')
    const result = await scanRun(
      repository,
      { Dockerfile: vulnerable(tb) },
      {},
      {
        PATH: `${bin}:${scanSetup(tb).env.PATH}`
      }
    )
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/::error::The scan cannot be judged: .*truncated/)
    expect(result.outputs['scan-result']).toBe('skipped')
    expect(await registryTags(tb, repository.repository)).toEqual([])
  })

  it('fails closed when Trivy has no DB, and pushes nothing', async () => {
    const repository = uniqueRepository(tb, 'nodb')
    const emptyCache = mkdtempSync(path.join(os.tmpdir(), 'trivy-empty-'))
    const result = await scanRun(
      repository,
      { Dockerfile: vulnerable(tb) },
      {},
      { TRIVY_CACHE_DIR: emptyCache }
    )
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/::error::`.*trivy image .*` failed with exit code 1/)
    expect(result.outputs['scan-result']).toBe('skipped')
    expect(await registryTags(tb, repository.repository)).toEqual([])
    expect(existsSync(emptyCache)).toBe(true)
  })
})

describe('the sticky pull request comment, through the whole action', () => {
  const WRITE = 'ghs_e2eWriteToken0123456789abcdefABCDEF01'
  const READ_ONLY = 'ghs_e2eReadOnlyToken0123456789abcdefABCD'
  let github: StandInGitHub

  beforeAll(async () => {
    github = await startStandInGitHub({
      tokens: {
        [WRITE]: { kind: 'installation', login: ACTIONS_BOT.login, write: true },
        [READ_ONLY]: { kind: 'installation', login: ACTIONS_BOT.login, write: false }
      },
      pullRequests: [42]
    })
    image = uniqueRepository(tb, 'pr').image
  })

  afterAll(() => github.close())

  // One image: the comment is one per image, found again by its marker.
  let image: string

  function prRun(token: string, dockerfile: string): Promise<ActionRun> {
    const setup = scanSetup(tb)
    return runAction({
      inputs: {
        image,
        steps: 'build,scan,push',
        'github-token': token,
        ...setup.inputs
      },
      event: eventEnv('pull-request', {
        GITHUB_API_URL: github.apiUrl,
        GITHUB_SERVER_URL: github.serverUrl,
        GITHUB_REPOSITORY: github.repository
      }),
      workspace: workspaceWith({ Dockerfile: dockerfile }),
      env: setup.env
    })
  }

  it('is created once and updated in place by the next run, the verdict in it', async () => {
    const first = await prRun(WRITE, vulnerable(tb))
    expect(first.exitCode).toBe(1)
    expect(github.comments(42)).toHaveLength(1)
    const body = github.comments(42)[0]?.body ?? ''
    expect(body).toContain('CVE-2019-14697')
    // Worst first: the CRITICAL rows before the MEDIUM ones.
    expect(body.indexOf('CVE-2019-14697')).toBeLessThan(body.indexOf('CVE-2019-1549'))
    const second = await prRun(WRITE, `FROM ${tb.baseImage}\nRUN echo fixed > /f\n`)
    expect(second.exitCode).toBe(0)
    const comments = github.comments(42)
    expect(comments).toHaveLength(1)
    expect(comments[0]?.body).not.toContain('CVE-2019-14697')
    expect(github.requests.filter((r) => r.method === 'PATCH')).toHaveLength(1)
    expect(visibleText(first.everything + second.everything)).not.toContain(WRITE)
  })

  it('only warns with a read-only token, as fork pull requests get', async () => {
    const result = await prRun(READ_ONLY, `FROM ${tb.baseImage}\nRUN echo fork > /f\n`)
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(/::warning::.*Resource not accessible by integration/)
    expect(visibleText(result.log)).not.toContain(READ_ONLY)
  })
})
