// Signing and verifying with the real cosign v2.6.5 against the test bed's registry 2.8
// (htpasswd Basic auth, plain http on loopback), through src/sign/ as the push and deploy steps
// will call it: cosign found on PATH (a recording shim in front of the test bed's cosign), the
// run's private Docker config, the key and token files in a private folder under RUNNER_TEMP.
//
// Exercised: a key pair made by `cosign generate-key-pair`; sign by digest with
// --tlog-upload=false and verify with --insecure-ignore-tlog=true (with the public key given, and
// derived from the private key); an image pushed but not signed, and one signed with another key,
// refused; a scan attested (cosign's vuln predicate) and its passed verdict verified; a failed
// verdict refused; a passed attestation copied onto another image (cosign download/attach
// attestation: a good signature, another subject) refused; a wrong password; keyless signing up to Fulcio: the OIDC token asked of a
// loopback stand-in of the Actions token endpoint (audience sigstore, the bearer checked, 401
// otherwise), masked, handed to cosign as a 0600 file, and a loopback "Fulcio" answering 503.
// Not exercised: a real Fulcio or Rekor (no network here: keyless signing never gets a
// certificate, and nothing is ever uploaded to or checked in a transparency log), keyless
// verification, the download of the pinned cosign binary (release downloads are unreachable).
// cosign's own outbound calls (the Sigstore TUF root) go to a closed loopback proxy, so nothing
// leaves the machine.
import { execFileSync } from 'node:child_process'
import { chmodSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import {
  ID_TOKEN,
  REQUEST_TOKEN,
  startSigstoreStandIns,
  type SigstoreStandIns
} from '../../support/stand-in-sigstore.js'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { DockerCli, programEnv } from '../../../src/docker/cli.js'
import { createPrivateDockerConfig, removePrivateDockerConfig } from '../../../src/docker/config.js'
import { InputFields } from '../../../src/inputs/fields.js'
import { parseImageName, type ImageName } from '../../../src/lib/image-name.js'
import { findCosign } from '../../../src/sign/cosign.js'
import type { CosignRun } from '../../../src/sign/cosign-run.js'
import { readSignInputs, type SignInputs } from '../../../src/sign/inputs.js'
import type { ScanRecord } from '../../../src/sign/predicate.js'
import { attestScan, signImage } from '../../../src/sign/sign.js'
import { verifyImage, verifyScanAttestation, verifySignature } from '../../../src/sign/verify.js'
import { testbed, type Testbed } from '../../support/harness.js'
import { registryDigest, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

const PASSWORD = 'e2e-cosign-password'
const COSIGN = process.env.COSIGN ?? '/var/cache/container-ship/tools/cosign-v2.6.5/cosign'

let tb: Testbed
let root: string
let tempRoot: string
let dockerConfig: string
let shimLog: string
let run: CosignRun
const keys: Record<'main' | 'other', { key: string; pub: string }> = {
  main: { key: '', pub: '' },
  other: { key: '', pub: '' }
}
const pushed: string[] = []
const timings: Record<string, number> = {}

/** A cosign that records its arguments (and the identity token file it is given), then runs cosign. */
function writeShim(dir: string, log: string): void {
  const shim = path.join(dir, 'cosign')
  writeFileSync(
    shim,
    [
      '#!/bin/bash',
      `log=${JSON.stringify(log)}`,
      'printf "ARGS %s\\n" "$*" >> "$log"',
      'printf "PASSWORD_ENV %s\\n" "${COSIGN_PASSWORD+set}" >> "$log"',
      'prev=""',
      'for arg in "$@"; do',
      '  if [ "$prev" = "--identity-token" ]; then printf "TOKEN_FILE %s %s\\n" "$(stat -c %a "$arg")" "$(cat "$arg")" >> "$log"; fi',
      '  prev="$arg"',
      'done',
      `exec ${JSON.stringify(COSIGN)} "$@"`,
      ''
    ].join('\n')
  )
  chmodSync(shim, 0o755)
}

function generateKeyPair(dir: string): { key: string; pub: string } {
  execFileSync(COSIGN, ['generate-key-pair'], {
    cwd: dir,
    env: { PATH: process.env.PATH, HOME: dir, COSIGN_PASSWORD: PASSWORD },
    stdio: 'ignore'
  })
  return {
    key: readFileSync(path.join(dir, 'cosign.key'), 'utf8'),
    pub: readFileSync(path.join(dir, 'cosign.pub'), 'utf8')
  }
}

/** busybox pushed under a fresh repository with the run's Docker config; its name and digest. */
async function pushImage(
  name: string,
  options: { distinct?: boolean } = {}
): Promise<{ image: ImageName; digest: string }> {
  const { image, repository } = uniqueRepository(tb, name)
  const reference = `${image}:1`
  if (options.distinct) {
    // Another digest than busybox's: a label of its own (built offline from the local busybox).
    execFileSync('docker', ['build', '--quiet', '--tag', reference, '-'], {
      input: `FROM ${tb.baseImage}\nLABEL e2e.sign=${JSON.stringify(repository)}\n`,
      env: { ...process.env, DOCKER_BUILDKIT: '0' },
      stdio: ['pipe', 'ignore', 'ignore']
    })
  } else execFileSync('docker', ['tag', tb.baseImage, reference])
  pushed.push(reference)
  execFileSync('docker', ['--config', dockerConfig, 'push', '--quiet', reference], { stdio: 'ignore' })
  const digest = await registryDigest(tb, repository, '1')
  if (!digest) throw new Error(`${reference} is not in the registry`)
  return { image: parseImageName(image), digest }
}

function inputs(values: Record<string, string>, env: NodeJS.ProcessEnv = {}): SignInputs {
  const fields = new InputFields((name) => values[name] ?? '', root)
  const read = readSignInputs(fields, { steps: ['build', 'scan', 'push', 'deploy'] }, env)
  fields.check()
  return read
}

const byKey = (which: 'main' | 'other' = 'main', extra: Record<string, string> = {}): SignInputs =>
  inputs({
    sign: 'key',
    'cosign-key': keys[which].key,
    'cosign-password': PASSWORD,
    'cosign-tlog': 'false',
    ...extra
  })

const withPublicKey = (which: 'main' | 'other'): SignInputs =>
  inputs({ verify: 'signature', 'cosign-public-key': keys[which].pub, 'cosign-tlog': 'false' })

function scanOf(gate: 'passed' | 'failed'): ScanRecord {
  return {
    verdict: { gate, severityThreshold: 'HIGH', findings: { CRITICAL: gate === 'failed' ? 1 : 0, HIGH: 0 } },
    reports: { image: { SchemaVersion: 2, ArtifactName: 'busybox', Results: [] } },
    trivyVersion: '0.74.0',
    startedOn: new Date(Date.now() - 5000),
    finishedOn: new Date()
  }
}

const invocation = { uri: 'https://github.com/acme/web/actions/runs/1', eventId: '1-1', builderId: 'e2e' }

/** The sign folders left in RUNNER_TEMP (each is removed when its cosign run is done). */
const signFolders = () => readdirSync(tempRoot).filter((name) => name.startsWith('container-ship-sign-'))

async function timed<T>(name: string, work: () => Promise<T>): Promise<T> {
  const start = performance.now()
  try {
    return await work()
  } finally {
    timings[name] = Math.round(performance.now() - start)
  }
}

beforeAll(async () => {
  tb = testbed()
  root = mkdtempSync(path.join(os.tmpdir(), 'sign-e2e-'))
  tempRoot = mkdtempSync(path.join(os.tmpdir(), 'sign-e2e-runner-temp-'))
  // makeWorkDir saves the folders for the post step: into a state file here, not the log.
  process.env.GITHUB_STATE = path.join(root, 'state')
  writeFileSync(process.env.GITHUB_STATE, '')
  dockerConfig = createPrivateDockerConfig(tempRoot, [tb.registry])
  await new DockerCli(dockerConfig).login(tb.registry, tb.username, tb.password, 60)
  for (const which of ['main', 'other'] as const) {
    const dir = mkdtempSync(path.join(root, `keys-${which}-`))
    keys[which] = generateKeyPair(dir)
  }
  const shimDir = mkdtempSync(path.join(root, 'bin-'))
  shimLog = path.join(root, 'cosign-calls.log')
  writeShim(shimDir, shimLog)
  const cosign = await findCosign({ searchPath: shimDir })
  expect(cosign).toEqual({ path: path.join(shimDir, 'cosign'), source: 'PATH' })
  run = {
    cosign: cosign.path,
    dockerConfig,
    tempRoot,
    timeoutSeconds: 120,
    env: {
      ...programEnv(),
      // cosign's home (its TUF cache) in the test's folder; anything it would fetch from the
      // internet goes to a closed loopback port (Go never proxies loopback: registry and stand-ins).
      HOME: root,
      HTTPS_PROXY: 'http://127.0.0.1:9',
      HTTP_PROXY: 'http://127.0.0.1:9'
    }
  }
})

afterAll(() => {
  for (const reference of pushed) execFileSync('docker', ['rmi', '--force', reference], { stdio: 'ignore' })
  if (dockerConfig) removePrivateDockerConfig(dockerConfig)
  rmSync(root, { recursive: true, force: true })
  rmSync(tempRoot, { recursive: true, force: true })
  process.stdout.write(`sign e2e timings (ms): ${JSON.stringify(timings)}\n`)
})

describe('with a cosign key pair, no transparency log', () => {
  it('signs by digest and verifies with the public key, given or derived from the private key', async () => {
    const { image, digest } = await pushImage('sign-key')
    await timed('sign', () => signImage(image, digest, byKey(), run))
    await timed('verify (public key given)', () => verifySignature(image, digest, withPublicKey('main'), run))
    await timed('verify (derived from cosign-key)', () => verifySignature(image, digest, byKey(), run))
    await verifyImage(image, digest, { ...withPublicKey('main'), verify: 'none' }, run)
    expect(signFolders()).toEqual([])
    const calls = readFileSync(shimLog, 'utf8')
    expect(calls).toMatch(
      new RegExp(
        `ARGS sign --yes --key ${tempRoot}/container-ship-sign-\\w{6}/cosign.key --tlog-upload=false --allow-http-registry ${image.name}@${digest}\n`
      )
    )
    expect(calls).toContain(`ARGS verify --key `)
    expect(calls).toContain(`--insecure-ignore-tlog=true --allow-http-registry ${image.name}@${digest}\n`)
    // The password reached cosign only through its environment.
    expect(calls).not.toContain(PASSWORD)
    expect(calls).toContain('PASSWORD_ENV set')
  })

  it('refuses an image that was pushed but not signed', async () => {
    const { image, digest } = await pushImage('sign-unsigned')
    await expect(verifySignature(image, digest, withPublicKey('main'), run)).rejects.toThrow(
      `the image ${image.name}@${digest} is not signed with this key: sign it with sign: key, or check cosign-public-key`
    )
  })

  it('refuses an image signed with another key', async () => {
    const { image, digest } = await pushImage('sign-other-key')
    await signImage(image, digest, byKey('other'), run)
    await verifySignature(image, digest, withPublicKey('other'), run)
    await expect(verifySignature(image, digest, withPublicKey('main'), run)).rejects.toThrow(
      'is not signed with this key'
    )
  })

  it('says to check cosign-password when the key does not open, and signs nothing', async () => {
    const { image, digest } = await pushImage('sign-bad-password')
    await expect(
      signImage(image, digest, byKey('main', { 'cosign-password': 'not-it' }), run)
    ).rejects.toThrow('cosign could not open cosign-key: check cosign-password; nothing was signed')
    await expect(verifySignature(image, digest, withPublicKey('main'), run)).rejects.toThrow(
      'is not signed with this key'
    )
    expect(signFolders()).toEqual([])
  })
})

describe('the scan attestation', () => {
  it('verifies a passed verdict about this digest', async () => {
    const { image, digest } = await pushImage('sign-attest-passed')
    await signImage(image, digest, byKey(), run)
    await timed('attest', () => attestScan(image, digest, scanOf('passed'), invocation, byKey(), run))
    const verifying = { ...withPublicKey('main'), verify: 'scan-attestation' as const }
    await timed('verify-attestation', () => verifyScanAttestation(image, digest, verifying, run))
    await verifyImage(image, digest, verifying, run)
    expect(readFileSync(shimLog, 'utf8')).toMatch(
      /ARGS attest --yes --key \S+ --tlog-upload=false --type vuln --predicate \S+\/scan-predicate.json --allow-http-registry/
    )
    expect(signFolders()).toEqual([])
  })

  it('refuses a failed verdict, and an image with no attestation', async () => {
    const failed = await pushImage('sign-attest-failed')
    await signImage(failed.image, failed.digest, byKey(), run)
    await attestScan(failed.image, failed.digest, scanOf('failed'), invocation, byKey(), run)
    const verifying = { ...withPublicKey('main'), verify: 'scan-attestation' as const }
    await expect(verifyScanAttestation(failed.image, failed.digest, verifying, run)).rejects.toThrow(
      `${failed.image.name}@${failed.digest} cannot be deployed: its signed scan attestation says the scan gate failed`
    )
    const signedOnly = await pushImage('sign-attest-none')
    await signImage(signedOnly.image, signedOnly.digest, byKey(), run)
    await expect(verifyImage(signedOnly.image, signedOnly.digest, verifying, run)).rejects.toThrow(
      `${signedOnly.image.name}@${signedOnly.digest} has no scan attestation signed with this key`
    )
  })

  it('refuses an attestation signed with another key', async () => {
    const { image, digest } = await pushImage('sign-attest-other-key')
    await attestScan(image, digest, scanOf('passed'), invocation, byKey('other'), run)
    const verifying = { ...withPublicKey('main'), verify: 'scan-attestation' as const }
    await expect(verifyScanAttestation(image, digest, verifying, run)).rejects.toThrow(
      'has no scan attestation signed with this key'
    )
  })
})

describe('an attestation copied onto another image', () => {
  it('is refused: its subject is the other digest, though its signature is good (cosign refuses it first)', async () => {
    const source = await pushImage('sign-attest-source')
    await attestScan(source.image, source.digest, scanOf('passed'), invocation, byKey(), run)
    const target = await pushImage('sign-attest-copy', { distinct: true })
    expect(target.digest).not.toBe(source.digest)
    const cosign = (args: string[]): string =>
      execFileSync(COSIGN, args, { env: { ...run.env, DOCKER_CONFIG: dockerConfig }, encoding: 'utf8' })
    const envelope = cosign([
      'download',
      'attestation',
      '--allow-http-registry',
      `${source.image.name}@${source.digest}`
    ])
    const file = path.join(root, 'copied-attestation.json')
    writeFileSync(file, envelope.trim().split('\n')[0] as string)
    cosign([
      'attach',
      'attestation',
      '--attestation',
      file,
      '--allow-http-registry',
      `${target.image.name}@${target.digest}`
    ])
    const verifying = { ...withPublicKey('main'), verify: 'scan-attestation' as const }
    // cosign v2.6.5 itself matches the subject against the digest; attestation.ts checks it
    // again (unit tests: for a cosign that would not).
    await expect(verifyScanAttestation(target.image, target.digest, verifying, run)).rejects.toThrow(
      /has no scan attestation signed with this key: .*no matching subject digest found/s
    )
  })
})

describe('keyless, up to Fulcio', () => {
  let standIns: SigstoreStandIns
  let tokenRequests: SigstoreStandIns['tokenRequests']
  let fulcioRequests: string[]
  let tokenUrl: string
  let fulcioUrl: string
  const saved = {
    url: process.env.ACTIONS_ID_TOKEN_REQUEST_URL,
    token: process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
  }

  beforeAll(async () => {
    standIns = await startSigstoreStandIns()
    ;({ tokenRequests, fulcioRequests, tokenUrl, fulcioUrl } = standIns)
  })

  afterAll(async () => {
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = saved.url
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = saved.token
    if (saved.url === undefined) delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL
    if (saved.token === undefined) delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    await standIns.close()
  })

  it('asks for the token with audience sigstore, masks it, hands it to cosign as a file; Fulcio down: nothing signed', async () => {
    const { image, digest } = await pushImage('sign-keyless')
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = tokenUrl
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = REQUEST_TOKEN
    const signing = inputs(
      { sign: 'keyless', 'fulcio-url': fulcioUrl },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
        GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main'
      }
    )
    const written: string[] = []
    const spy = jest.spyOn(process.stdout, 'write').mockImplementation((chunk: string | Uint8Array) => {
      written.push(String(chunk))
      return true
    })
    let failure: Error | undefined
    try {
      await signImage(image, digest, signing, run)
    } catch (error) {
      failure = error as Error
    } finally {
      spy.mockRestore()
    }
    expect(tokenRequests).toEqual([
      {
        url: '/_apis/token?api-version=2.0&audience=sigstore',
        authorization: `Bearer ${REQUEST_TOKEN}`,
        status: 200
      }
    ])
    expect(written.join('')).toContain(`::add-mask::${ID_TOKEN}`)
    const calls = readFileSync(shimLog, 'utf8')
    expect(calls).toMatch(
      new RegExp(
        `ARGS sign --yes --identity-token ${tempRoot}/container-ship-sign-\\w{6}/identity-token --fulcio-url ${fulcioUrl} --allow-http-registry ${image.name}@${digest}\n`
      )
    )
    expect(calls).toContain(`TOKEN_FILE 600 ${ID_TOKEN}\n`)
    expect(fulcioRequests).toEqual(['POST /api/v1/signingCert'])
    expect(failure?.message).toMatch(
      new RegExp(
        `^keyless signing of ${image.name}@${digest} failed: Fulcio \\(${fulcioUrl}\\) gave no signing certificate; nothing was signed`
      )
    )
    expect(signFolders()).toEqual([])
    await expect(verifySignature(image, digest, withPublicKey('main'), run)).rejects.toThrow(
      'is not signed with this key'
    )
  })

  it('the stand-in answers 401 to a wrong bearer, as the real one does; the action says why', async () => {
    const { image, digest } = await pushImage('sign-keyless-401')
    process.env.ACTIONS_ID_TOKEN_REQUEST_URL = tokenUrl
    process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN = 'not-the-job-token'
    const signing = inputs(
      { sign: 'keyless', 'fulcio-url': fulcioUrl },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: tokenUrl,
        GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main'
      }
    )
    await expect(signImage(image, digest, signing, run)).rejects.toThrow(
      /^could not get the job's OIDC token for Sigstore: .*nothing was signed$/s
    )
    expect(tokenRequests.at(-1)).toMatchObject({ status: 401 })
    expect(fulcioRequests).toHaveLength(1)
  })

  it('says to add id-token: write when the job may not ask for a token', async () => {
    const { image, digest } = await pushImage('sign-keyless-no-permission')
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_URL
    delete process.env.ACTIONS_ID_TOKEN_REQUEST_TOKEN
    const signing = inputs(
      { sign: 'keyless' },
      {
        ACTIONS_ID_TOKEN_REQUEST_URL: 'x',
        GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/ci.yml@refs/heads/main'
      }
    )
    await expect(signImage(image, digest, signing, run)).rejects.toThrow(
      'add `permissions: id-token: write` to the job'
    )
    expect(existsSync(tempRoot) && signFolders()).toEqual([])
  })
})
