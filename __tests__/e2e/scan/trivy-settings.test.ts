// Trivy reads only what the action gives it (src/scan/trivy/scan-image.ts): the same vulnerable image is scanned
// once plainly and once with everything the scanned repository or an earlier step of the job
// could use to narrow Trivy's findings on its own: its config files in the workspace (the
// working folder Trivy would have had), TRIVY_* variables in the environment, and a module in
// ~/.trivy/modules. Both runs must find the same and fail the gate the same way. The image is
// the test bed's Alpine 3.9.4 (CVE-2019-14697 of musl and musl-utils, CRITICAL) with openssl's libraries added by
// a RUN (two MEDIUM) and a file holding an AWS access key (a secret finding).
import { existsSync, mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryTags, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let plain: ActionRun
let narrowed: ActionRun
let narrowedRepository: { image: string; repository: string }

const dockerfile = (tb: Testbed): string =>
  [
    `FROM ${tb.alpine39Image}`,
    "RUN printf '%s\\n' 'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' 'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' >>/lib/apk/db/installed",
    'COPY deploy.env /app/deploy.env',
    ''
  ].join('\n')

// An access key ID of the shape AWS documents for examples; Trivy's aws-access-key-id rule finds it.
const SECRET_FILE = 'AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLQ\n'

/** Everything a repository could put beside its Dockerfile to narrow Trivy's findings. */
const TRIVY_FILES = {
  'trivy.yaml': [
    'severity: [LOW]',
    'scan:',
    '  skip-dirs: [/lib, /app]',
    '  scanners: [misconfig]',
    'pkg:',
    '  types: [library]',
    'vulnerability:',
    '  ignore-unfixed: true',
    '  ignore-status: [fixed, affected, unknown]',
    'secret:',
    '  config: trivy-secret.yaml',
    ''
  ].join('\n'),
  'trivy-secret.yaml': 'disable-rules:\n  - aws-access-key-id\n',
  'trivy.yml': 'severity: [LOW]\n'
}

/** What an earlier step of the job (or the runner's environment) could set. */
const TRIVY_VARIABLES = {
  TRIVY_SEVERITY: 'LOW',
  TRIVY_IGNORE_UNFIXED: 'true',
  TRIVY_SKIP_DIRS: '/lib,/app',
  TRIVY_PKG_TYPES: 'library',
  TRIVY_CONFIG: 'trivy.yaml',
  TRIVY_SECRET_CONFIG: 'trivy-secret.yaml',
  TRIVY_IGNORE_STATUS: 'fixed,affected,unknown',
  TRIVY_SERVER: 'http://127.0.0.1:9'
}

/** A home folder with a module Trivy would load from ~/.trivy/modules (not a valid one). */
function homeWithModule(): string {
  const home = mkdtempSync(path.join(os.tmpdir(), 'home-'))
  mkdirSync(path.join(home, '.trivy', 'modules'), { recursive: true })
  writeFileSync(path.join(home, '.trivy', 'modules', 'rewrite-results.wasm'), 'not wasm')
  // The docker CLI's plugins (buildx) stay where the real home has them.
  const docker = path.join(os.homedir(), '.docker')
  if (existsSync(docker)) symlinkSync(docker, path.join(home, '.docker'))
  return home
}

function scanRun(repository: { image: string }, files: Record<string, string>, env: Record<string, string>) {
  const setup = scanSetup(tb)
  return runAction({
    inputs: {
      image: repository.image,
      username: tb.username,
      password: tb.password,
      steps: 'build,scan,push',
      ...setup.inputs
    },
    event: eventEnv('tag-push'),
    workspace: workspaceWith({ Dockerfile: dockerfile(tb), 'deploy.env': SECRET_FILE, ...files }),
    env: { ...setup.env, ...env }
  })
}

/** The findings of Trivy's report, as `ID package` lines, sorted. */
function reportedIds(run: ActionRun): string[] {
  const report = JSON.parse(readFileSync(run.outputs['report-file'] as string, 'utf8')) as {
    Results?: {
      Vulnerabilities?: { VulnerabilityID: string; PkgName: string }[]
      Secrets?: { RuleID: string }[]
    }[]
  }
  return (report.Results ?? [])
    .flatMap((result) => [
      ...(result.Vulnerabilities ?? []).map((v) => `${v.VulnerabilityID} ${v.PkgName}`),
      ...(result.Secrets ?? []).map((s) => `secret ${s.RuleID}`)
    ])
    .sort()
}

beforeAll(async () => {
  tb = testbed()
  plain = await scanRun(uniqueRepository(tb, 'trivy-plain'), {}, {})
  narrowedRepository = uniqueRepository(tb, 'trivy-narrowed')
  narrowed = await scanRun(narrowedRepository, TRIVY_FILES, { ...TRIVY_VARIABLES, HOME: homeWithModule() })
})

describe('a plain scan of the vulnerable image', () => {
  it('finds the two CRITICAL, the four MEDIUM and the secret (CRITICAL), and fails the gate', () => {
    expect(plain.exitCode).toBe(1)
    expect(plain.outputs['scan-result']).toBe('failed')
    expect(reportedIds(plain)).toEqual([
      'CVE-2019-14697 musl',
      'CVE-2019-14697 musl-utils',
      'CVE-2019-1549 libcrypto1.1',
      'CVE-2019-1549 libssl1.1',
      'CVE-2019-1551 libcrypto1.1',
      'CVE-2019-1551 libssl1.1',
      'secret aws-access-key-id'
    ])
  })
})

describe("the same image with Trivy's config files in the workspace, TRIVY_* variables and a module in ~/.trivy", () => {
  it('finds exactly the same, with the same counts, and fails the gate the same way', () => {
    expect(narrowed.exitCode).toBe(1)
    expect(narrowed.outputs['scan-result']).toBe('failed')
    expect(reportedIds(narrowed)).toEqual(reportedIds(plain))
    expect(narrowed.outputs.findings).toBe(plain.outputs.findings)
    expect(JSON.parse(narrowed.outputs.findings as string)).toMatchObject({ CRITICAL: 3, MEDIUM: 4 })
  })

  it('pushes nothing', async () => {
    expect(await registryTags(tb, narrowedRepository.repository)).toEqual([])
  })

  it('says which variables Trivy did not get, by name only', () => {
    expect(narrowed.log).toMatch(
      /::notice::Trivy does not get TRIVY_CONFIG, TRIVY_IGNORE_STATUS, TRIVY_IGNORE_UNFIXED, TRIVY_PKG_TYPES, TRIVY_SECRET_CONFIG, TRIVY_SERVER, TRIVY_SEVERITY, TRIVY_SKIP_DIRS from the environment/
    )
    expect(narrowed.log).not.toContain('fixed,affected,unknown')
    expect(plain.log).not.toContain('Trivy does not get')
  })

  it('runs Trivy in a folder of its own, with the settings the action names', () => {
    const command = narrowed.log.split('\n').find((line) => /^\[command\]\S*trivy image /.test(line)) ?? ''
    expect(command).toMatch(/ --config \S+\/trivy-\w+\/trivy\.yaml /)
    expect(command).toContain(' --severity UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL ')
    expect(command).not.toContain(narrowed.workspace)
  })
})
