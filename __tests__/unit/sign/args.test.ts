import { describe, expect, it } from '@jest/globals'
import { parseImageName } from '../../../src/lib/image-name.js'
import { cosignEnv, digestReference, registryFlags } from '../../../src/sign/cosign-run.js'
import { attestArgs, signArgs } from '../../../src/sign/sign.js'
import { verifyArgs, verifyAttestationArgs } from '../../../src/sign/verify.js'

const DIGEST = `sha256:${'ab'.repeat(32)}`
const local = parseImageName('127.0.0.1:5000/e2e/web')
const ghcr = parseImageName('ghcr.io/acme/web')
const key = { sign: 'key', tlog: true, fulcioUrl: '', rekorUrl: '' } as const
const keyless = {
  sign: 'keyless',
  tlog: true,
  fulcioUrl: 'https://fulcio.example',
  rekorUrl: 'https://rekor.example'
} as const

describe('signing arguments', () => {
  it('signs by digest with the key file, never a tag', () => {
    expect(signArgs(key, { kind: 'key', keyFile: '/tmp/k/cosign.key' }, ghcr, DIGEST)).toEqual([
      'sign',
      '--yes',
      '--key',
      '/tmp/k/cosign.key',
      `ghcr.io/acme/web@${DIGEST}`
    ])
    expect(() => signArgs(key, { kind: 'key', keyFile: 'k' }, ghcr, 'latest')).toThrow(
      'is not a sha256 image digest'
    )
    expect(() => digestReference(ghcr, `sha256:${'AB'.repeat(32)}`)).toThrow()
  })

  it('skips the transparency log and allows http for a loopback registry only', () => {
    expect(signArgs({ ...key, tlog: false }, { kind: 'key', keyFile: 'k' }, local, DIGEST)).toEqual([
      'sign',
      '--yes',
      '--key',
      'k',
      '--tlog-upload=false',
      '--allow-http-registry',
      `127.0.0.1:5000/e2e/web@${DIGEST}`
    ])
    expect(registryFlags(ghcr)).toEqual([])
    expect(registryFlags(parseImageName('localhost:5000/x'))).toEqual(['--allow-http-registry'])
  })

  it('signs keyless with the token file and the given Fulcio and Rekor', () => {
    expect(signArgs(keyless, { kind: 'keyless', tokenFile: '/tmp/k/identity-token' }, ghcr, DIGEST)).toEqual([
      'sign',
      '--yes',
      '--identity-token',
      '/tmp/k/identity-token',
      '--fulcio-url',
      'https://fulcio.example',
      '--rekor-url',
      'https://rekor.example',
      `ghcr.io/acme/web@${DIGEST}`
    ])
  })

  it('attests the scan as a vuln predicate from a file', () => {
    expect(
      attestArgs({ ...key, tlog: false }, { kind: 'key', keyFile: 'k' }, '/tmp/k/p.json', local, DIGEST)
    ).toEqual([
      'attest',
      '--yes',
      '--key',
      'k',
      '--tlog-upload=false',
      '--type',
      'vuln',
      '--predicate',
      '/tmp/k/p.json',
      '--allow-http-registry',
      `127.0.0.1:5000/e2e/web@${DIGEST}`
    ])
  })
})

describe('verifying arguments', () => {
  const byKey = {
    verifyWith: 'key',
    tlog: false,
    rekorUrl: '',
    certificateIdentity: '',
    certificateOidcIssuer: ''
  } as const
  it('verifies with the public key, without the log when told', () => {
    expect(verifyArgs(byKey, '/tmp/k/cosign.pub', local, DIGEST)).toEqual([
      'verify',
      '--key',
      '/tmp/k/cosign.pub',
      '--insecure-ignore-tlog=true',
      '--allow-http-registry',
      `127.0.0.1:5000/e2e/web@${DIGEST}`
    ])
    expect(verifyAttestationArgs({ ...byKey, tlog: true }, 'pub', ghcr, DIGEST)).toEqual([
      'verify-attestation',
      '--type',
      'vuln',
      '--key',
      'pub',
      `ghcr.io/acme/web@${DIGEST}`
    ])
  })

  it('verifies keyless by identity and issuer', () => {
    const inputs = {
      verifyWith: 'keyless',
      tlog: true,
      rekorUrl: '',
      certificateIdentity: '^https://github\\.com/acme/web/',
      certificateOidcIssuer: 'https://token.actions.githubusercontent.com'
    } as const
    expect(verifyArgs(inputs, undefined, ghcr, DIGEST)).toEqual([
      'verify',
      '--certificate-identity-regexp',
      '^https://github\\.com/acme/web/',
      '--certificate-oidc-issuer',
      'https://token.actions.githubusercontent.com',
      `ghcr.io/acme/web@${DIGEST}`
    ])
  })
})

describe('cosignEnv', () => {
  it("points cosign at the run's Docker config and keeps the runner's signing variables from it", () => {
    const env = cosignEnv(
      {
        cosign: 'cosign',
        dockerConfig: '/tmp/container-ship-docker-abc123',
        tempRoot: '/tmp',
        env: {
          PATH: '/bin',
          DOCKER_CONFIG: '/home/u/.docker',
          COSIGN_PASSWORD: 'from-runner',
          ACTIONS_ID_TOKEN_REQUEST_TOKEN: 't',
          ACTIONS_ID_TOKEN_REQUEST_URL: 'u'
        }
      },
      { COSIGN_PASSWORD: 'given' }
    )
    expect(env).toEqual({
      PATH: '/bin',
      DOCKER_CONFIG: '/tmp/container-ship-docker-abc123',
      COSIGN_PASSWORD: 'given'
    })
  })
})
