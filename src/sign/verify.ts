// Verifying, before a deploy, that the image is signed as the inputs say and, at
// scan-attestation, that a signed scan of this very digest passed the gate. The public key is
// cosign-public-key, else derived from cosign-key (`cosign public-key`, its password only in
// cosign's environment); keyless, the certificate must name the expected identity and issuer.
import * as core from '@actions/core'
import type { ImageName } from '../lib/image-name.js'
import { attestedVerdict } from './attestation.js'
import { cosignSaid, digestReference, registryFlags, runCosign, type CosignRun } from './cosign-run.js'
import type { SignInputs } from './inputs.js'
import { pemFile, withPrivateFolder, type PrivateFolder } from './private-folder.js'

type VerifyingInputs = Pick<
  SignInputs,
  'verifyWith' | 'tlog' | 'rekorUrl' | 'certificateIdentity' | 'certificateOidcIssuer'
>

/** How the signature is checked: against the public key file, or the keyless identity. */
export function trustArgs(inputs: VerifyingInputs, publicKeyFile: string | undefined): string[] {
  const who =
    inputs.verifyWith === 'key'
      ? ['--key', required(publicKeyFile)]
      : [
          '--certificate-identity-regexp',
          inputs.certificateIdentity,
          '--certificate-oidc-issuer',
          inputs.certificateOidcIssuer
        ]
  return [
    ...who,
    ...(inputs.rekorUrl ? ['--rekor-url', inputs.rekorUrl] : []),
    ...(inputs.tlog ? [] : ['--insecure-ignore-tlog=true'])
  ]
}

function required(file: string | undefined): string {
  if (!file) throw new Error('no public key to verify with')
  return file
}

export function verifyArgs(
  inputs: VerifyingInputs,
  publicKeyFile: string | undefined,
  image: ImageName,
  digest: string
): string[] {
  return [
    'verify',
    ...trustArgs(inputs, publicKeyFile),
    ...registryFlags(image),
    digestReference(image, digest)
  ]
}

export function verifyAttestationArgs(
  inputs: VerifyingInputs,
  publicKeyFile: string | undefined,
  image: ImageName,
  digest: string
): string[] {
  return [
    'verify-attestation',
    '--type',
    'vuln',
    ...trustArgs(inputs, publicKeyFile),
    ...registryFlags(image),
    digestReference(image, digest)
  ]
}

/** Verifies that `image@digest` is signed as the inputs say; throws saying what to do. */
export async function verifySignature(
  image: ImageName,
  digest: string,
  inputs: SignInputs,
  run: CosignRun
): Promise<void> {
  const reference = digestReference(image, digest)
  await withTrust(inputs, run, async (publicKeyFile) => {
    const result = await runCosign(
      run,
      verifyArgs(inputs, publicKeyFile, image, digest),
      {},
      { allowFailure: true }
    )
    if (result.exitCode !== 0) throw new Error(`${notSigned(reference, inputs)}${cosignSaid(result)}`)
  })
  core.info(`Verified the signature of ${reference} (${describeTrust(inputs)})`)
}

/**
 * Verifies the signed scan attestation of `image@digest` and that its verdict is passed (which
 * also verifies the signature of the attestation: cosign checks it before printing it).
 */
export async function verifyScanAttestation(
  image: ImageName,
  digest: string,
  inputs: SignInputs,
  run: CosignRun
): Promise<void> {
  const reference = digestReference(image, digest)
  await withTrust(inputs, run, async (publicKeyFile) => {
    const args = verifyAttestationArgs(inputs, publicKeyFile, image, digest)
    const result = await runCosign(run, args, {}, { allowFailure: true })
    if (result.exitCode !== 0) {
      throw new Error(
        `${reference} has no scan attestation signed ${inputs.verifyWith === 'key' ? 'with this key' : 'by the expected identity'}: attest it (sign on, with the scan step before push), or check ${trustInputs(inputs)}${cosignSaid(result)}`
      )
    }
    // stdout is untrusted: it decides pass or fail, and is never printed.
    const attested = attestedVerdict(result.stdout, digest)
    if (attested.verdict === 'none') {
      throw new Error(`${reference} cannot be deployed: ${attested.reason}`)
    }
    if (attested.verdict === 'failed') {
      throw new Error(
        `${reference} cannot be deployed: its signed scan attestation says the scan gate failed${attested.finishedOn ? ` (scan finished ${attested.finishedOn})` : ''}: fix the findings and build a new image`
      )
    }
  })
  core.info(`Verified the scan attestation of ${reference}: the scan gate passed`)
}

/** Verifies what the verify input asks for (nothing at none). */
export async function verifyImage(
  image: ImageName,
  digest: string,
  inputs: SignInputs,
  run: CosignRun
): Promise<void> {
  if (inputs.verify === 'none') return
  await verifySignature(image, digest, inputs, run)
  if (inputs.verify === 'scan-attestation') await verifyScanAttestation(image, digest, inputs, run)
}

/** Runs `work` with the public key file (key mode) in a private folder removed afterwards. */
async function withTrust(
  inputs: SignInputs,
  run: CosignRun,
  work: (publicKeyFile: string | undefined) => Promise<void>
): Promise<void> {
  if (inputs.verifyWith === 'keyless') return work(undefined)
  await withPrivateFolder(run.tempRoot, async (folder) => work(await publicKeyFile(inputs, run, folder)))
}

/** cosign-public-key as a file, else the public half of cosign-key. */
async function publicKeyFile(inputs: SignInputs, run: CosignRun, folder: PrivateFolder): Promise<string> {
  if (inputs.cosignPublicKey) return folder.write('cosign.pub', pemFile(inputs.cosignPublicKey))
  if (!inputs.cosignKey) throw new Error('cosign-public-key: is required to verify (or cosign-key)')
  const keyFile = folder.write('cosign.key', pemFile(inputs.cosignKey))
  const result = await runCosign(
    run,
    ['public-key', '--key', keyFile],
    { COSIGN_PASSWORD: inputs.cosignPassword },
    {
      allowFailure: true
    }
  )
  const pem = /-----BEGIN PUBLIC KEY-----[A-Za-z0-9+/=\s]+-----END PUBLIC KEY-----/.exec(result.stdout)?.[0]
  if (result.exitCode !== 0 || !pem) {
    throw new Error(
      `cosign could not read the public key of cosign-key: check cosign-password${cosignSaid(result)}`
    )
  }
  return folder.write('cosign.pub', pemFile(pem))
}

export function notSigned(reference: string, inputs: VerifyingInputs): string {
  if (inputs.verifyWith === 'key') {
    return `the image ${reference} is not signed with this key: sign it with sign: key, or check cosign-public-key (or cosign-key)`
  }
  return `the image ${reference} has no keyless signature by an identity matching ${inputs.certificateIdentity} from ${inputs.certificateOidcIssuer}: sign it with sign: keyless, or check certificate-identity and certificate-oidc-issuer`
}

function trustInputs(inputs: VerifyingInputs): string {
  return inputs.verifyWith === 'key'
    ? 'cosign-public-key (or cosign-key)'
    : 'certificate-identity and certificate-oidc-issuer'
}

function describeTrust(inputs: VerifyingInputs): string {
  const who =
    inputs.verifyWith === 'key' ? 'with the public key' : `keyless, identity ${inputs.certificateIdentity}`
  return `${who}, ${inputs.tlog ? 'in the transparency log' : 'transparency log not checked (cosign-tlog: false)'}`
}
