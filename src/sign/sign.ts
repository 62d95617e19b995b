// Signing an image and attesting its scan with cosign, by digest. With a key, the private key is
// written into the private folder and its password reaches cosign only as COSIGN_PASSWORD; keyless,
// the job's OIDC token goes into that folder and cosign reads it from there (--identity-token
// takes a path), so no secret is ever in an argument list.
import * as core from '@actions/core'
import type { ImageName } from '../lib/image-name.js'
import { sigstoreIdentityToken } from './identity-token.js'
import type { SignInputs } from './inputs.js'
import { vulnPredicate, type ScanInvocation, type ScanRecord } from './predicate.js'
import { pemFile, withPrivateFolder, type PrivateFolder } from './private-folder.js'
import { cosignSaid, digestReference, registryFlags, runCosign, type CosignRun } from './cosign-run.js'

/** What signs: the key file (and its password), or the identity token file (keyless). */
export type Signer = { kind: 'key'; keyFile: string } | { kind: 'keyless'; tokenFile: string }

type SigningInputs = Pick<SignInputs, 'sign' | 'tlog' | 'fulcioUrl' | 'rekorUrl'>

/** The arguments that say who signs and where the signature is recorded. */
export function signerArgs(inputs: SigningInputs, signer: Signer): string[] {
  const who =
    signer.kind === 'key'
      ? ['--key', signer.keyFile]
      : [
          '--identity-token',
          signer.tokenFile,
          ...(inputs.fulcioUrl ? ['--fulcio-url', inputs.fulcioUrl] : [])
        ]
  return [
    '--yes',
    ...who,
    ...(inputs.rekorUrl ? ['--rekor-url', inputs.rekorUrl] : []),
    ...(inputs.tlog ? [] : ['--tlog-upload=false'])
  ]
}

export function signArgs(inputs: SigningInputs, signer: Signer, image: ImageName, digest: string): string[] {
  return ['sign', ...signerArgs(inputs, signer), ...registryFlags(image), digestReference(image, digest)]
}

export function attestArgs(
  inputs: SigningInputs,
  signer: Signer,
  predicateFile: string,
  image: ImageName,
  digest: string
): string[] {
  return [
    'attest',
    ...signerArgs(inputs, signer),
    '--type',
    'vuln',
    '--predicate',
    predicateFile,
    ...registryFlags(image),
    digestReference(image, digest)
  ]
}

/** Signs `image@digest` as the inputs say (sign must not be off). */
export async function signImage(
  image: ImageName,
  digest: string,
  inputs: SignInputs,
  run: CosignRun
): Promise<void> {
  const reference = digestReference(image, digest)
  await withSigner(inputs, run, async (signer, env) => {
    const result = await runCosign(run, signArgs(inputs, signer, image, digest), env, { allowFailure: true })
    if (result.exitCode !== 0) throw new Error(signFailure('sign', reference, inputs, result))
  })
  core.info(`Signed ${reference} (${describeSigning(inputs)})`)
}

/** Attests the scan of `image@digest`: its verdict and Trivy's reports, signed like the image. */
export async function attestScan(
  image: ImageName,
  digest: string,
  scan: ScanRecord,
  invocation: ScanInvocation,
  inputs: SignInputs,
  run: CosignRun
): Promise<void> {
  const reference = digestReference(image, digest)
  const predicate = JSON.stringify(vulnPredicate(scan, invocation))
  await withSigner(inputs, run, async (signer, env, folder) => {
    const predicateFile = folder.write('scan-predicate.json', predicate)
    const args = attestArgs(inputs, signer, predicateFile, image, digest)
    const result = await runCosign(run, args, env, { allowFailure: true })
    if (result.exitCode !== 0) throw new Error(signFailure('attest', reference, inputs, result))
  })
  core.info(`Attested the scan of ${reference}: ${scan.verdict.gate} (${describeSigning(inputs)})`)
}

/**
 * Lays out what signs in a private folder (removed afterwards) and runs `work` with it and the
 * environment cosign needs for it.
 */
async function withSigner(
  inputs: SignInputs,
  run: CosignRun,
  work: (signer: Signer, env: Record<string, string>, folder: PrivateFolder) => Promise<void>
): Promise<void> {
  if (inputs.sign === 'off') throw new Error('signing is off (sign: false)')
  // Before the folder: a job without id-token permission fails with nothing written. The token
  // comes through the action's own environment (where the runner puts the request URL).
  const token = inputs.sign === 'keyless' ? await sigstoreIdentityToken() : undefined
  await withPrivateFolder(run.tempRoot, async (folder) => {
    if (token !== undefined) {
      await work({ kind: 'keyless', tokenFile: folder.write('identity-token', token) }, {}, folder)
    } else {
      const keyFile = folder.write('cosign.key', pemFile(inputs.cosignKey))
      // Always set, even empty: cosign would otherwise ask on a terminal there is none of.
      await work({ kind: 'key', keyFile }, { COSIGN_PASSWORD: inputs.cosignPassword }, folder)
    }
  })
}

function describeSigning(inputs: SigningInputs): string {
  const how =
    inputs.sign === 'key' ? 'with cosign-key' : `keyless, through ${inputs.fulcioUrl || 'the public Fulcio'}`
  const log = inputs.tlog
    ? `recorded in ${inputs.rekorUrl || 'the public Rekor'}`
    : 'not recorded in a transparency log'
  return `${how}, ${log}`
}

/** Why cosign did not sign, and what to do. */
function signFailure(
  verb: 'sign' | 'attest',
  reference: string,
  inputs: SigningInputs,
  result: { stdout: string; stderr: string; exitCode: number }
): string {
  const what = verb === 'sign' ? 'signed' : 'attested'
  const said = cosignSaid(result)
  // What cosign gave as its error, not its progress lines ("Retrieving signed certificate...").
  const lines = `${result.stdout}\n${result.stderr}`.split('\n')
  const errors = lines.filter((line) => /^(?:Error\b|error during command execution)/.test(line.trim()))
  const output = (errors.length > 0 ? errors : lines).join('\n')
  if (inputs.sign === 'keyless' && /fulcio|signing cert/i.test(output)) {
    return `keyless signing of ${reference} failed: Fulcio (${inputs.fulcioUrl || 'the public Sigstore instance'}) gave no signing certificate; nothing was ${what}${said}`
  }
  if (inputs.sign === 'key' && /decrypt|password|passphrase/i.test(output)) {
    return `cosign could not open cosign-key: check cosign-password; nothing was ${what}${said}`
  }
  if (inputs.tlog && /rekor|tlog|transparency/i.test(output)) {
    return `cosign could not record the ${verb === 'sign' ? 'signature' : 'attestation'} of ${reference} in the transparency log (${inputs.rekorUrl || 'the public Rekor'}): nothing was ${what}; for a private registry without Rekor set cosign-tlog: false${said}`
  }
  return `cosign ${verb} ${reference} failed (exit code ${result.exitCode}): nothing was ${what}${said}`
}
