// Keyless signing's identity: the job's OIDC token from GitHub Actions for the audience
// `sigstore`, which Fulcio exchanges for a short-lived certificate naming the workflow. The
// runner hands a job the means to ask for one only with `permissions: id-token: write`.
import * as core from '@actions/core'

export class MissingIdTokenPermissionError extends Error {
  constructor() {
    super(
      'keyless signing needs an OIDC token, and this job may not ask for one (ACTIONS_ID_TOKEN_REQUEST_URL is not set): add `permissions: id-token: write` to the job (or sign with sign: key and cosign-key)'
    )
    this.name = 'MissingIdTokenPermissionError'
  }
}

/** The job's token for Sigstore, masked before anything could print it. */
export async function sigstoreIdentityToken(env: NodeJS.ProcessEnv = process.env): Promise<string> {
  if (!env.ACTIONS_ID_TOKEN_REQUEST_URL || !env.ACTIONS_ID_TOKEN_REQUEST_TOKEN)
    throw new MissingIdTokenPermissionError()
  let token: string
  try {
    // Asks ACTIONS_ID_TOKEN_REQUEST_URL&audience=sigstore with the request token as bearer.
    token = await core.getIDToken('sigstore')
  } catch (error) {
    throw new Error(
      `could not get the job's OIDC token for Sigstore: ${(error as Error).message}; nothing was signed`
    )
  }
  // getIDToken masks it too; masking here keeps that true whatever @actions/core does.
  core.setSecret(token)
  if (!/^[\w-]+\.[\w-]+\.[\w-]*$/.test(token))
    throw new Error('the OIDC token GitHub Actions returned is not a JWT; nothing was signed')
  return token
}
