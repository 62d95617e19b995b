import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parse } from 'yaml'
import { InputFields } from '../../../src/inputs/fields.js'
import { planMasks } from '../../../src/inputs/secrets.js'
import {
  GITHUB_ACTIONS_ISSUER,
  readSignInputs,
  SIGN_INPUT_NAMES,
  SIGN_SECRET_INPUTS,
  workflowIdentityPattern,
  type SignInputs
} from '../../../src/sign/inputs.js'

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..')

// Shaped as cosign writes them; the bodies are not keys.
const PRIVATE_KEY =
  '-----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED SIGSTORE PRIVATE KEY-----\n'
const OLD_PRIVATE_KEY =
  '-----BEGIN ENCRYPTED COSIGN PRIVATE KEY-----\neyJrZGYiOnsibmFtZSI6InNjcnlwdCJ9fQ==\n-----END ENCRYPTED COSIGN PRIVATE KEY-----'
const PUBLIC_KEY =
  '-----BEGIN PUBLIC KEY-----\nMFkwEwYHKoZIzj0CAQYIKoZIzj0DAQcDQgAE\n-----END PUBLIC KEY-----\n'
const WORKFLOW_ENV = {
  GITHUB_WORKFLOW_REF: 'acme/web.app/.github/workflows/release.yml@refs/heads/main',
  ACTIONS_ID_TOKEN_REQUEST_URL: 'https://token.example/x?api-version=2.0'
}

function read(
  inputs: Record<string, string>,
  options: { steps?: string[]; env?: NodeJS.ProcessEnv } = {}
): { sign: SignInputs; problems: string[] } {
  const fields = new InputFields((name) => inputs[name] ?? '', root)
  const sign = readSignInputs(
    fields,
    { steps: options.steps ?? ['build', 'scan', 'push', 'deploy'] },
    options.env ?? WORKFLOW_ENV
  )
  return { sign, problems: fields.problems }
}

describe('readSignInputs', () => {
  it('signs nothing and verifies nothing by default', () => {
    const { sign, problems } = read({})
    expect(problems).toEqual([])
    expect(sign).toMatchObject({
      sign: 'off',
      verify: 'none',
      tlog: true,
      certificateOidcIssuer: GITHUB_ACTIONS_ISSUER
    })
  })

  it('reads sign: true as key with cosign-key, keyless without', () => {
    expect(read({ sign: 'true', 'cosign-key': PRIVATE_KEY }).sign).toMatchObject({
      sign: 'key',
      verify: 'signature',
      verifyWith: 'key'
    })
    expect(read({ sign: 'true' }).sign).toMatchObject({
      sign: 'keyless',
      verify: 'signature',
      verifyWith: 'keyless'
    })
    expect(read({ sign: 'key', 'cosign-key': OLD_PRIVATE_KEY }).problems).toEqual([])
  })

  it('refuses key mode without cosign-key, naming the input', () => {
    expect(read({ sign: 'key' }).problems).toEqual([
      expect.stringMatching(/^cosign-key: is required for sign: key/)
    ])
  })

  it('refuses a cosign-key that is not a cosign private key, without quoting it', () => {
    const secret = '-----BEGIN OPENSSH PRIVATE KEY-----\nc2VjcmV0LWJvZHk=\n-----END OPENSSH PRIVATE KEY-----'
    const { problems } = read({ sign: 'key', 'cosign-key': secret })
    expect(problems).toEqual([expect.stringMatching(/^cosign-key: is not a cosign private key/)])
    expect(problems.join('\n')).not.toContain('c2VjcmV0LWJvZHk')
    expect(read({ 'cosign-public-key': 'not a key at all' }).problems).toEqual([
      expect.stringMatching(/^cosign-public-key: is not PEM text with a PUBLIC KEY block/)
    ])
  })

  it('refuses verify: signature with nothing to verify with', () => {
    expect(read({ verify: 'signature' }).problems).toEqual([
      'verify: signature needs something to verify with: cosign-public-key (or cosign-key) for images signed with a key, or certificate-identity (with certificate-oidc-issuer) for keyless signatures'
    ])
    expect(read({ verify: 'signature', 'cosign-public-key': PUBLIC_KEY }).sign).toMatchObject({
      verifyWith: 'key'
    })
    expect(
      read({ verify: 'scan-attestation', 'certificate-identity': '^https://github\\.com/acme/' }).problems
    ).toEqual([])
  })

  it('takes the default certificate identity from the workflow ref', () => {
    expect(read({ sign: 'keyless' }).sign.certificateIdentity).toBe('^https://github\\.com/acme/web\\.app/')
    expect(
      workflowIdentityPattern({
        GITHUB_SERVER_URL: 'https://ghe.example/',
        GITHUB_WORKFLOW_REF: 'o/r/.github/workflows/a.yml@v1'
      })
    ).toBe('^https://ghe\\.example/o/r/')
    expect(read({ sign: 'keyless' }, { env: { ACTIONS_ID_TOKEN_REQUEST_URL: 'x' } }).problems).toEqual([
      expect.stringMatching(/^certificate-identity: is required to verify keyless signatures/)
    ])
  })

  it('says to add id-token: write when keyless signing cannot get a token', () => {
    const { problems } = read(
      { sign: 'keyless' },
      { env: { GITHUB_WORKFLOW_REF: WORKFLOW_ENV.GITHUB_WORKFLOW_REF } }
    )
    expect(problems).toEqual([expect.stringContaining('add `permissions: id-token: write` to the job')])
    // A run that does not push signs nothing, so it needs no token.
    expect(
      read({ sign: 'keyless' }, { steps: ['deploy'], env: { GITHUB_WORKFLOW_REF: 'o/r/x@y' } }).problems
    ).toEqual([])
  })

  it('checks the choices, the booleans and the URLs', () => {
    expect(read({ sign: 'maybe', verify: 'all', 'cosign-tlog': 'no' }).problems).toEqual([
      'sign: "maybe" is not one of false, key, keyless, true',
      'verify: "all" is not one of none, signature, scan-attestation',
      'cosign-tlog: "no" is not a boolean (true or false)'
    ])
    expect(
      read({ 'fulcio-url': 'http://fulcio.example', 'rekor-url': 'nope', 'certificate-identity': '(' })
        .problems
    ).toEqual([
      'fulcio-url: "http://fulcio.example" is not an https URL (plain http only to loopback)',
      'rekor-url: "nope" is not a URL',
      'certificate-identity: "(" is not a regular expression'
    ])
    expect(
      read({
        sign: 'key',
        'cosign-key': PRIVATE_KEY,
        'cosign-tlog': 'false',
        'fulcio-url': 'http://127.0.0.1:5555/'
      }).sign
    ).toMatchObject({
      tlog: false,
      fulcioUrl: 'http://127.0.0.1:5555'
    })
  })

  it('refuses keyless signing or verifying without the transparency log', () => {
    const refusal = expect.stringMatching(/^cosign-tlog: keyless signatures need the transparency log/)
    expect(read({ sign: 'keyless', 'cosign-tlog': 'false' }).problems).toEqual([refusal])
    expect(
      read({
        verify: 'signature',
        'certificate-identity': '^https://github\\.com/acme/',
        'cosign-tlog': 'false'
      }).problems
    ).toEqual([refusal])
  })

  it('refuses scan-attestation when the run signs without scanning', () => {
    expect(
      read(
        { sign: 'key', 'cosign-key': PRIVATE_KEY, verify: 'scan-attestation' },
        { steps: ['build', 'push', 'deploy'] }
      ).problems
    ).toEqual([expect.stringMatching(/^verify: scan-attestation needs the scan step/)])
  })

  it('masks the keys whole and line by line, and the password', () => {
    const values: Record<string, string> = {
      'cosign-key': PRIVATE_KEY,
      'cosign-password': 'hunter22',
      'cosign-public-key': PUBLIC_KEY
    }
    const masked = planMasks((name) => values[name] ?? '', SIGN_SECRET_INPUTS).masked
    expect(masked).toEqual(expect.arrayContaining([PRIVATE_KEY, 'hunter22', PUBLIC_KEY]))
    // The runner masks the log line by line: each line of a key is a mask of its own.
    for (const line of [...PRIVATE_KEY.split('\n'), ...PUBLIC_KEY.split('\n')].filter((l) => l.length >= 4))
      expect(masked).toContain(line)
  })

  it('reads only inputs action.yml declares, with their defaults there', () => {
    const action = parse(readFileSync(path.join(root, 'action.yml'), 'utf8')) as {
      inputs: Record<string, { default?: string }>
    }
    for (const name of SIGN_INPUT_NAMES) expect([name, name in action.inputs]).toEqual([name, true])
    expect(action.inputs['sign']?.default).toBe('false')
    expect(action.inputs['cosign-tlog']?.default).toBe('true')
    expect(action.inputs['certificate-oidc-issuer']?.default).toBe(GITHUB_ACTIONS_ISSUER)
  })
})
