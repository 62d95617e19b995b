// Every error a user can cause, produced from its cause, against docs/errors.md: each row of
// the table there (cause | message (beginning) | fix) has a case here and each case a row, the
// message produced contains the row's beginning, and every `code` span of the row's fix (the
// input or permission to set, the command to run) is in the message. So the document and the
// messages cannot drift apart. The GitHub API's refusals come from a stand-in on loopback that
// answers as GitHub documents for a token without the permission: 403 with a JSON message.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from '@jest/globals'
import { chooseBuilder } from '../../../src/build/builder.js'
import { refuseUntrustedDeploy } from '../../../src/deploy/inputs.js'
import { holderRunState } from '../../../src/deploy/retention/run-state.js'
import type { DockerCli } from '../../../src/docker/cli.js'
import { startDeployment } from '../../../src/github/deployments.js'
import { InputError } from '../../../src/inputs/fields.js'
import { foreignInputWarnings } from '../../../src/inputs/foreign.js'
import { renamedInputReader } from '../../../src/inputs/renamed.js'
import { getInputs } from '../../../src/pipeline/inputs.js'
import { RegistryError } from '../../../src/registry/http.js'
import { logIn } from '../../../src/registry/login.js'
import { withRefusalFix } from '../../../src/registry/refusal-hint.js'
import { describeOutcome, upsertComment } from '../../../src/scan/output/pr-comment/upsert.js'
import { fetchDb } from '../../../src/scan/trivy/db-download.js'
import { gateFailedMessage } from '../../../src/scan/gate.js'
import { sigstoreIdentityToken } from '../../../src/sign/identity-token.js'
import { notSigned } from '../../../src/sign/verify.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

interface Row {
  cause: string
  beginning: string
  fix: string
}

/** The table of docs/errors.md: the rows after the header, each split into its three cells. */
function documentedRows(): Row[] {
  const text = readFileSync(path.join(root, 'docs/errors.md'), 'utf8')
  const lines = text.split('\n').filter((line) => line.startsWith('| '))
  const header = lines[0] ?? ''
  expect(header.toLowerCase()).toMatch(/^\| cause \| message \(beginning\) \| fix \|$/)
  return lines.slice(1).map((line) => {
    const cells = line
      .slice(2, -2)
      .split(' | ')
      .map((cell) => cell.trim())
    expect(cells).toHaveLength(3)
    const [cause, beginning, fix] = cells as [string, string, string]
    return { cause, beginning: unquote(beginning), fix }
  })
}

/** A cell that is one code span, without its backticks (double ones when it holds a backtick). */
function unquote(cell: string): string {
  const match = /^(``?) ?(.*?) ?\1$/.exec(cell)
  return match ? (match[2] as string) : cell
}

/** The code spans of a cell, which the message must contain word for word. */
function codeSpans(cell: string): string[] {
  return [...cell.matchAll(/(``?) ?(.+?) ?\1/g)].map((match) => match[2] as string)
}

let workspace: string
let api: http.Server
let apiUrl: string

beforeAll(async () => {
  workspace = mkdtempSync(path.join(os.tmpdir(), 'causes-'))
  writeFileSync(path.join(workspace, 'Dockerfile'), 'FROM scratch\n')
  // GitHub's answer to a token that lacks the permission the request needs.
  api = http.createServer((_request, response) => {
    response.writeHead(403, { 'content-type': 'application/json' })
    response.end(JSON.stringify({ message: 'Resource not accessible by integration', status: '403' }))
  })
  await new Promise<void>((resolve) => api.listen(0, '127.0.0.1', resolve))
  apiUrl = `http://127.0.0.1:${(api.address() as AddressInfo).port}`
})

afterAll(async () => {
  await new Promise<void>((resolve) => api.close(() => resolve()))
})

/** The problems getInputs reports for these inputs (beside image), as one message. */
function inputProblem(given: Record<string, string>): string {
  try {
    getInputs((name) => ({ image: 'ghcr.io/acme/web', ...given })[name] ?? '', workspace)
  } catch (error) {
    if (error instanceof InputError) return error.message
    throw error
  }
  throw new Error(`no problem with ${JSON.stringify(given)}`)
}

/** What a promise rejects with, as a message. */
async function rejection(promise: Promise<unknown>): Promise<string> {
  try {
    await promise
  } catch (error) {
    return (error as Error).message
  }
  throw new Error('it did not fail')
}

/** A docker CLI with buildx or without, whose builder uses the given driver. */
function dockerWith(options: { buildx: boolean; driver?: string; inspectFails?: string }): DockerCli {
  return {
    hasBuildx: async () => options.buildx,
    run: async (args: string[]) => {
      if (args[0] === 'buildx' && (!options.buildx || options.inspectFails))
        return {
          exitCode: 1,
          stdout: '',
          stderr: options.inspectFails ?? "'buildx' is not a docker command."
        }
      if (args[0] === 'buildx')
        return { exitCode: 0, stdout: `Name: default\nDriver: ${options.driver}\n`, stderr: '' }
      return { exitCode: 0, stdout: '[]', stderr: '' }
    }
  } as unknown as DockerCli
}

const noBuilderInputs = {
  builder: '',
  secrets: [],
  platforms: [],
  cacheTo: [],
  cacheFrom: [],
  provenance: { set: false, attest: true, attrs: '' },
  sbom: false,
  annotations: []
}

const ssh = { 'deploy-host': 'ssh://deploy@prod.example.com', service: 'web' }

/** Each cause, as docs/errors.md names it, and how to produce its message. */
const CAUSES: Record<string, () => string | Promise<string>> = {
  'image not set': () => inputProblem({ image: '' }),
  'steps names a step that does not exist': () => inputProblem({ steps: 'build,test' }),
  'a true/false input with another value': () => inputProblem({ 'scan-annotations': 'yes' }),
  'severity-threshold not a severity': () => inputProblem({ 'severity-threshold': 'urgent' }),
  'a number over its bound': () => inputProblem({ replicas: '100000' }),
  'platforms not os/arch': () => inputProblem({ platforms: 'amd64' }),
  'a build secret line without =': () => inputProblem({ secrets: 'TOKEN' }),
  'annotations line not key=value': () => inputProblem({ annotations: 'org.opencontainers.image.title' }),
  'annotations of an unknown type': () =>
    inputProblem({ annotations: 'config:org.opencontainers.image.title=web' }),
  'password without username': () => inputProblem({ password: 'hunter2' }),
  'a named ignore-file that is missing': () => inputProblem({ 'ignore-file': 'missing.trivyignore' }),
  'deploy-host not a URL': () => inputProblem({ 'deploy-host': 'prod.example.com' }),
  'deploy-host and docker-host both set': () =>
    inputProblem({ 'deploy-host': 'unix:///a.sock', 'docker-host': 'unix:///b.sock', service: 'web' }),
  'an input of trivy-action or docker/* given to this action, e.g. exit-code (a warning)': () =>
    foreignInputWarnings({ 'INPUT_EXIT-CODE': '0' }).join('\n'),
  'docker-host used (a warning)': () =>
    renamedInputReader((name) => (name === 'docker-host' ? 'unix:///a.sock' : '')).warnings.join('\n'),
  'annotations: true or false (a warning)': () =>
    renamedInputReader((name) => (name === 'annotations' ? 'false' : '')).warnings.join('\n'),
  'ssh:// deploy-host without ssh-known-hosts': () => inputProblem(ssh),
  'tcp:// deploy-host without the TLS files': () =>
    inputProblem({ 'deploy-host': 'tcp://prod.example.com:2376', service: 'web' }),
  'deploy-host set, service not': () => inputProblem({ 'deploy-host': 'unix:///var/run/docker.sock' }),
  'orchestrator swarm with several hosts': () =>
    inputProblem({
      orchestrator: 'swarm',
      'deploy-host': 'unix:///a.sock\nunix:///b.sock',
      service: 'web'
    }),
  'rollback and version together': () =>
    inputProblem({
      steps: 'deploy',
      rollback: 'true',
      version: '1.2.3',
      'deploy-host': 'unix:///a.sock',
      service: 'web'
    }),
  'a deploy on a pull_request event': () => {
    const inputs = getInputs(
      (name) => ({ image: 'ghcr.io/acme/web', 'deploy-host': 'unix:///a.sock', service: 'web' })[name] ?? '',
      workspace
    )
    try {
      refuseUntrustedDeploy(inputs, 'pull_request')
    } catch (error) {
      return (error as Error).message
    }
    throw new Error('not refused')
  },
  'sign: keyless without the id-token permission (inputs)': () => inputProblem({ sign: 'keyless' }),
  'keyless signing without the id-token permission (at signing)': () => rejection(sigstoreIdentityToken({})),
  'verify without anything to verify with': () => inputProblem({ verify: 'signature' }),
  'no buildx, inputs that need it': () =>
    rejection(
      chooseBuilder(dockerWith({ buildx: false }), { ...noBuilderInputs, platforms: ['linux/arm64'] })
    ),
  'no buildx, annotations': () =>
    rejection(
      chooseBuilder(dockerWith({ buildx: false }), {
        ...noBuilderInputs,
        annotations: ['org.opencontainers.image.title=web']
      })
    ),
  'the docker driver, several platforms': () =>
    rejection(
      chooseBuilder(dockerWith({ buildx: true, driver: 'docker' }), {
        ...noBuilderInputs,
        platforms: ['linux/amd64', 'linux/arm64']
      })
    ),
  'builder names a builder that does not answer': () =>
    rejection(
      chooseBuilder(dockerWith({ buildx: true, inspectFails: 'ERROR: no builder "ci" found' }), {
        ...noBuilderInputs,
        builder: 'ci'
      })
    ),
  'ghcr.io refuses the push (401/403)': () =>
    withRefusalFix(
      'pushing ghcr.io/acme/web:1.2.3: denied',
      new RegistryError('denied', 403),
      'ghcr.io',
      'acme/web'
    ),
  'ghcr.io refuses the login': () =>
    rejection(
      logIn(
        {} as DockerCli,
        async () =>
          ({ checkCredentials: () => Promise.reject(new RegistryError('unauthorized', 401)) }) as never,
        {
          registry: 'ghcr.io',
          username: 'octocat',
          password: 'ghp_secret',
          registryTimeout: 600
        }
      )
    ),
  'Docker Hub refuses the push (401/403)': () =>
    withRefusalFix(
      'pushing docker.io/acme/web:1.2.3: denied',
      new RegistryError('denied', 401),
      'docker.io',
      'acme/web'
    ),
  'another registry refuses the push (401/403)': () =>
    withRefusalFix(
      'pushing registry.example.com/web:1.2.3: unauthorized',
      new RegistryError('unauthorized', 401),
      'registry.example.com',
      'web'
    ),
  'no permission to comment on the pull request': async () => {
    const outcome = await upsertComment({
      enabled: true,
      token: 'ghs_causes_test_token',
      context: { pullRequestNumber: 7, repository: 'acme/web' },
      apiUrl,
      comment: { image: 'ghcr.io/acme/web' } as never,
      timeoutMs: 5000
    })
    return describeOutcome('ghcr.io/acme/web', outcome).message
  },
  'no permission to create the GitHub deployment': async () => {
    const warnings: string[] = []
    await startDeployment(
      {
        request: async () => {
          throw Object.assign(new Error('Resource not accessible by integration'), {
            status: 403,
            response: { status: 403, data: { message: 'Resource not accessible by integration' } }
          })
        }
      },
      {
        repository: 'acme/web',
        sha: 'a'.repeat(40),
        environment: 'production',
        warn: (m) => warnings.push(m)
      }
    )
    return warnings.join('\n')
  },
  'no permission to ask whether the lock holder runs (break-stale-lock)': async () => {
    const state = await holderRunState(
      { repository: 'acme/web', runId: '42' },
      { token: 'ghs_causes_test_token', repository: 'acme/web', apiUrl, timeoutMs: 5000 }
    )
    return state.kind === 'unknown' ? state.why : JSON.stringify(state)
  },
  'the scan gate fails (findings at or above severity-threshold, or over max-findings)': () =>
    gateFailedMessage(['2 CRITICAL findings at or above the threshold HIGH']),
  'the Trivy DB cannot be downloaded': () =>
    rejection(
      fetchDb({
        sources: ['ghcr.io/aquasecurity/trivy-db:2'],
        cacheDir: mkdtempSync(path.join(os.tmpdir(), 'causes-db-')),
        maxAgeMs: 2 * 86_400_000,
        maxAgeText: '2d',
        download: async () => ({ exitCode: 1, output: 'dial tcp: lookup ghcr.io: no such host' }),
        sleep: async () => {},
        log: { info: () => {}, warning: () => {} }
      })
    ),
  'the image has no keyless signature by certificate-identity': () =>
    notSigned('ghcr.io/acme/web@sha256:' + 'a'.repeat(64), {
      verifyWith: 'keyless',
      tlog: true,
      rekorUrl: '',
      certificateIdentity: '^https://github\\.com/acme/web/',
      certificateOidcIssuer: 'https://token.actions.githubusercontent.com'
    }),
  'the image is not signed with the key': () =>
    notSigned('ghcr.io/acme/web@sha256:' + 'a'.repeat(64), {
      verifyWith: 'key',
      tlog: true,
      rekorUrl: '',
      certificateIdentity: '',
      certificateOidcIssuer: ''
    })
}

describe('docs/errors.md', () => {
  const rows = documentedRows()

  it('has a row for every cause tested here, and a test for every row', () => {
    expect(rows.map((row) => row.cause).sort()).toEqual(Object.keys(CAUSES).sort())
    expect(rows.length).toBeGreaterThanOrEqual(25)
  })

  it.each(rows.map((row) => [row.cause, row] as const))(
    '%s: the message says the cause and the fix',
    async (cause, row) => {
      const produce = CAUSES[cause]
      if (!produce) throw new Error(`no case for "${cause}"`)
      const message = await produce()
      expect(message).toContain(row.beginning)
      const spans = codeSpans(row.fix)
      // The fix names something to set or run: an input, a permission, a command.
      expect(spans.length).toBeGreaterThan(0)
      for (const span of spans) expect([cause, message]).toEqual([cause, expect.stringContaining(span)])
    }
  )
})
