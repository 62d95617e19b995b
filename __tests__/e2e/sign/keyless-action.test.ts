// Keyless signing through the bundled action, as a workflow with `permissions: id-token: write`
// runs it: the push step asks the loopback stand-in of the Actions OIDC token endpoint for a
// token (audience sigstore, the job's bearer), masks it and hands it to cosign, and cosign asks
// the loopback "Fulcio" for a certificate, which answers 503 (__tests__/support/stand-in-sigstore.ts).
// Exercised: the wiring from the sign input to cosign and the failure the user sees. Not
// exercised: a certificate, a Rekor entry, keyless verification (no Sigstore on the test bed).
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  testbed,
  visibleText,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import { registryDigest, uniqueRepository } from '../../support/registry-helpers.js'
import {
  ID_TOKEN,
  REQUEST_TOKEN,
  startSigstoreStandIns,
  type SigstoreStandIns
} from '../../support/stand-in-sigstore.js'

jest.setTimeout(300_000)

let tb: Testbed
let standIns: SigstoreStandIns

beforeAll(async () => {
  tb = testbed()
  standIns = await startSigstoreStandIns()
})

afterAll(() => standIns.close())

describe('sign: keyless with Fulcio unavailable', () => {
  let result: ActionRun
  let repository: string

  beforeAll(async () => {
    let image: string
    ;({ image, repository } = uniqueRepository(tb, 'keyless'))
    result = await runAction({
      inputs: {
        image,
        username: tb.username,
        password: tb.password,
        steps: 'build,push',
        sign: 'keyless',
        'fulcio-url': standIns.fulcioUrl,
        'rekor-url': standIns.fulcioUrl
      },
      event: eventEnv('tag-push', {
        GITHUB_WORKFLOW_REF: 'acme/web/.github/workflows/release.yml@refs/tags/v1.2.3'
      }),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo keyless > /k\n` }),
      env: {
        PATH: `${path.dirname(tb.cosign)}:${process.env.PATH ?? ''}`,
        ACTIONS_ID_TOKEN_REQUEST_URL: standIns.tokenUrl,
        ACTIONS_ID_TOKEN_REQUEST_TOKEN: REQUEST_TOKEN,
        // cosign's own calls to the internet (Sigstore's TUF root) go to a closed loopback port.
        HTTPS_PROXY: 'http://127.0.0.1:9',
        HTTP_PROXY: 'http://127.0.0.1:9'
      }
    })
  })

  it('asked for the token with audience sigstore and the job bearer, and masked it', () => {
    expect(standIns.tokenRequests).toEqual([
      {
        url: '/_apis/token?api-version=2.0&audience=sigstore',
        authorization: `Bearer ${REQUEST_TOKEN}`,
        status: 200
      }
    ])
    expect(result.masks).toContain(ID_TOKEN)
    expect(visibleText(result.log)).not.toContain(ID_TOKEN)
    expect(result.summary).not.toContain(ID_TOKEN)
  })

  it('fails the push step naming Fulcio, with the image pushed but not signed', async () => {
    expect(standIns.fulcioRequests).toEqual(['POST /api/v1/signingCert'])
    expect(result.exitCode).toBe(1)
    const digest = result.outputs.digest ?? ''
    expect(digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    expect(await registryDigest(tb, repository, '1.2.3')).toBe(digest)
    expect(result.log).toMatch(
      /::error::keyless signing of \S+ failed: Fulcio \(http:\/\/127\.0\.0\.1:\d+\) gave no signing certificate; nothing was signed/
    )
    expect(result.log).toContain(
      `The image was pushed (${digest}) but not signed: a deploy that verifies refuses it.`
    )
    // No signature was stored next to the image.
    expect(await registryDigest(tb, repository, `${digest.replace(':', '-')}.sig`)).toBeUndefined()
  })
})
