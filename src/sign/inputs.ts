// The signing inputs, shared by the push step (which signs) and the deploy step (which verifies):
// how to sign (a cosign key pair, or keyless with the workflow's OIDC identity), what to verify
// before a deploy, and where Sigstore's services are. Everything is checked up front, each
// problem naming its input; a key is never quoted.
import { checkPem, parseBoolean, parseChoice, type InputFields, type InputScope } from '../inputs/fields.js'

export const SIGN_CHOICES = ['false', 'key', 'keyless', 'true'] as const
export const VERIFY_CHOICES = ['none', 'signature', 'scan-attestation'] as const

/** How images are signed: not at all, with the cosign-key pair, or keyless (Fulcio). */
export type SignMode = 'off' | 'key' | 'keyless'
export type VerifyLevel = (typeof VERIFY_CHOICES)[number]

/** The issuer of GitHub Actions' OIDC tokens, what keyless signatures made in Actions carry. */
export const GITHUB_ACTIONS_ISSUER = 'https://token.actions.githubusercontent.com'

/** The signing inputs, with every default resolved. */
export interface SignInputs {
  sign: SignMode
  /** What the deploy checks; scan-attestation includes the signature. */
  verify: VerifyLevel
  /** How a signature is verified: the public key (given or derived from cosign-key), or keyless. */
  verifyWith: 'key' | 'keyless'
  /** PEM of the encrypted cosign private key; '' when none. */
  cosignKey: string
  cosignPassword: string
  /** PEM public key; '' when none (then derived from cosignKey when there is one). */
  cosignPublicKey: string
  /** Upload to (sign) and require (verify) the Rekor transparency log. */
  tlog: boolean
  /** '' for the public Sigstore instance. */
  fulcioUrl: string
  rekorUrl: string
  /** Keyless: the RE2 regular expression the certificate's identity must match. */
  certificateIdentity: string
  certificateOidcIssuer: string
}

/** Whole values: the private key, its password, and the public key (masked as asked). */
export const SIGN_SECRET_INPUTS = {
  whole: ['cosign-key', 'cosign-password', 'cosign-public-key'],
  values: []
} as const

/** The inputs readSignInputs reads, all declared in action.yml. */
export const SIGN_INPUT_NAMES = [
  'sign',
  'cosign-key',
  'cosign-password',
  'cosign-public-key',
  'verify',
  'cosign-tlog',
  'fulcio-url',
  'rekor-url',
  'certificate-identity',
  'certificate-oidc-issuer'
] as const

/** The PEM blocks cosign reads as a private key (`cosign generate-key-pair`, `import-key-pair`). */
const COSIGN_PRIVATE_KEY =
  /-----BEGIN ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----[\s\S]+-----END ENCRYPTED (?:SIGSTORE|COSIGN) PRIVATE KEY-----/

/**
 * Reads and checks the signing inputs. `env` gives the workflow's identity (GITHUB_WORKFLOW_REF)
 * for the default certificate-identity, and whether the job may ask for an OIDC token.
 */
export function readSignInputs(
  fields: InputFields,
  scope: InputScope,
  env: NodeJS.ProcessEnv = process.env
): SignInputs {
  const { read } = fields
  const cosignKey = read('cosign-key')
  const cosignPassword = read('cosign-password')
  const cosignPublicKey = read('cosign-public-key')
  if (cosignKey && !COSIGN_PRIVATE_KEY.test(cosignKey)) {
    fields.problem(
      'cosign-key: is not a cosign private key: PEM text with an -----BEGIN ENCRYPTED SIGSTORE PRIVATE KEY----- (or ENCRYPTED COSIGN PRIVATE KEY) block, as cosign generate-key-pair writes it (cosign import-key-pair converts other keys)'
    )
  }
  checkPem(fields, 'cosign-public-key', cosignPublicKey, 'PUBLIC KEY')

  const chosen = fields.field('sign', (raw) => parseChoice(raw, SIGN_CHOICES), 'false')
  const sign: SignMode =
    chosen === 'false' ? 'off' : chosen === 'true' ? (cosignKey ? 'key' : 'keyless') : chosen
  if (sign === 'key' && !cosignKey) {
    fields.problem(
      'cosign-key: is required for sign: key (the private key cosign generate-key-pair wrote, from a secret); or use sign: keyless to sign with the workflow identity'
    )
  }
  const verify = fields.field(
    'verify',
    (raw): VerifyLevel => (raw ? parseChoice(raw, VERIFY_CHOICES) : sign === 'off' ? 'none' : 'signature'),
    'none'
  )
  const tlog = fields.field('cosign-tlog', parseBoolean, true)
  const fulcioUrl = fields.field('fulcio-url', parseServiceUrl, '')
  const rekorUrl = fields.field('rekor-url', parseServiceUrl, '')
  const givenIdentity = fields.field('certificate-identity', parseIdentityPattern, '')
  const certificateOidcIssuer =
    fields.field('certificate-oidc-issuer', parseServiceUrl, '') || GITHUB_ACTIONS_ISSUER

  // What this run signs with is what it verifies; else a key when there is one, else keyless.
  const verifyWith =
    sign === 'keyless' ? 'keyless' : sign === 'key' || cosignPublicKey || cosignKey ? 'key' : 'keyless'
  const certificateIdentity = givenIdentity || workflowIdentityPattern(env)
  if (verify !== 'none' && verifyWith === 'keyless') {
    if (sign !== 'keyless' && !givenIdentity) {
      fields.problem(
        `verify: ${verify} needs something to verify with: cosign-public-key (or cosign-key) for images signed with a key, or certificate-identity (with certificate-oidc-issuer) for keyless signatures`
      )
    } else if (!certificateIdentity) {
      fields.problem(
        'certificate-identity: is required to verify keyless signatures here (GITHUB_WORKFLOW_REF, which gives the default, is not set)'
      )
    }
  }
  // A Fulcio certificate is valid for minutes; only the log's timestamp shows a keyless signature
  // was made within them, so without the log it could never be verified later.
  if (!tlog && (sign === 'keyless' || (verify !== 'none' && verifyWith === 'keyless'))) {
    fields.problem(
      'cosign-tlog: keyless signatures need the transparency log (cosign-tlog: true): their certificate is valid for minutes, and only the log proves when they were made; sign with cosign-key for a registry without Rekor'
    )
  }
  if (sign === 'keyless' && scope.steps.includes('push') && !env.ACTIONS_ID_TOKEN_REQUEST_URL) {
    fields.problem(
      'sign: keyless signing needs the job to be allowed an OIDC token: add `permissions: id-token: write` to the job (or use sign: key with cosign-key)'
    )
  }
  if (
    verify === 'scan-attestation' &&
    sign !== 'off' &&
    scope.steps.includes('push') &&
    !scope.steps.includes('scan')
  ) {
    fields.problem(
      'verify: scan-attestation needs the scan step in steps when this run signs: the attestation is the scan verdict (or verify: signature)'
    )
  }
  return {
    sign,
    verify,
    verifyWith,
    cosignKey,
    cosignPassword,
    cosignPublicKey,
    tlog,
    fulcioUrl,
    rekorUrl,
    certificateIdentity,
    certificateOidcIssuer
  }
}

/** An https URL (plain http only to loopback, for a test or a local stand-in); '' stays ''. */
function parseServiceUrl(raw: string): string {
  if (!raw) return ''
  let url: URL
  try {
    url = new URL(raw)
  } catch {
    throw new Error(`"${raw}" is not a URL`)
  }
  const loopback = /^(?:127\.\d{1,3}\.\d{1,3}\.\d{1,3}|localhost|\[::1\])$/.test(url.hostname)
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw new Error(`"${raw}" is not an https URL (plain http only to loopback)`)
  }
  return raw.replace(/\/+$/, '')
}

/** A regular expression cosign can take (RE2; checked here as JavaScript reads it). */
function parseIdentityPattern(raw: string): string {
  if (!raw) return ''
  try {
    new RegExp(raw)
  } catch {
    throw new Error(`"${raw}" is not a regular expression`)
  }
  return raw
}

/**
 * The identity every workflow of this repository signs with, as Fulcio writes it into the
 * certificate (`https://github.com/OWNER/REPO/.github/workflows/x.yml@refs/heads/main`):
 * `^https://github\.com/OWNER/REPO/`, from GITHUB_WORKFLOW_REF (`OWNER/REPO/.github/...@ref`).
 */
export function workflowIdentityPattern(env: NodeJS.ProcessEnv): string {
  const match = /^([^/@\s]+)\/([^/@\s]+)\//.exec(env.GITHUB_WORKFLOW_REF ?? '')
  if (!match) return ''
  const server = (env.GITHUB_SERVER_URL || 'https://github.com').replace(/\/+$/, '')
  return `^${escapeRegExp(`${server}/${match[1]}/${match[2]}/`)}`
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')
}
