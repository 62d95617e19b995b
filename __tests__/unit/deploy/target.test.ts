import { describe, expect, it } from '@jest/globals'
import { makeInputs } from '../../../__fixtures__/inputs.js'
import { composeVariables } from '../../../src/deploy/compose/plan.js'
import { unreachableReason } from '../../../src/deploy/target.js'

/** Inputs as getInputs parses them, for the image ghcr.io/acme/web. */
const inputsWith = (given: Record<string, string>) => makeInputs({ image: 'ghcr.io/acme/web', ...given })

/** How the docker CLI (20.10 and later) reports an ssh:// engine it cannot reach. */
const DIAL =
  'error during connect: Get "http://docker.example.com/v1.24/version": command [ssh -o ConnectTimeout=30 -T -l deploy -p 2222 -- 127.0.0.1 docker system dial-stdio] has exited with exit status 255, please make sure the URL is valid, and Docker 18.09 or later is installed on the remote host: stderr='

describe('unreachableReason', () => {
  it.each([
    ['a host key that is not known', 'Host key verification failed.\n', 'Host key verification failed.'],
    [
      'a key the host refuses, after a warning that is dropped',
      "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\r\nPermission denied (publickey).\r\n",
      'Permission denied (publickey).'
    ],
    [
      'nothing listening',
      'ssh: connect to host 127.0.0.1 port 2299: Connection refused\r\n',
      'ssh: connect to host 127.0.0.1 port 2299: Connection refused'
    ],
    [
      'a server certificate from another CA',
      'error during connect: Get "https://prod.example.com:2376/v1.24/version": x509: certificate signed by unknown authority\n',
      'error during connect: Get "https://prod.example.com:2376/v1.24/version": x509: certificate signed by unknown authority'
    ],
    [
      'a client certificate the engine refuses',
      'error during connect: Get "https://prod.example.com:2376/v1.24/version": remote error: tls: bad certificate\n',
      'error during connect: Get "https://prod.example.com:2376/v1.24/version": remote error: tls: bad certificate'
    ],
    [
      'no engine on the socket',
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?\n',
      'Cannot connect to the Docker daemon at unix:///var/run/docker.sock. Is the docker daemon running?'
    ]
  ])('%s', (_name, stderr, reason) => {
    expect(unreachableReason(stderr)).toBe(reason)
  })

  it("keeps the telling lines of ssh's long warning, not its advice", () => {
    const stderr = [
      `${DIAL}@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@`,
      '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
      '@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@',
      'IT IS POSSIBLE THAT SOMEONE IS DOING SOMETHING NASTY!',
      'Someone could be eavesdropping on you right now (man-in-the-middle attack)!',
      'It is also possible that a host key has just been changed.',
      'The fingerprint for the ED25519 key sent by the remote host is',
      'SHA256:p2QAMXNIC1TJYWeIOttrVc98/R1BUFWu3/LiyKgUfQM.',
      'Please contact your system administrator.',
      'Add correct host key in /home/runner/work/_temp/container-ship-remote-Ab12/known_hosts to get rid of this message.',
      'Offending ED25519 key in /home/runner/work/_temp/container-ship-remote-Ab12/known_hosts:1',
      'Host key for [127.0.0.1]:2222 has changed and you have requested strict checking.',
      'Host key verification failed.',
      ''
    ].join('\n')
    expect(unreachableReason(stderr)).toBe(
      [
        `${DIAL}@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@@`,
        '@    WARNING: REMOTE HOST IDENTIFICATION HAS CHANGED!     @',
        'Host key verification failed.'
      ].join('; ')
    )
  })

  it('keeps the last three telling lines', () => {
    const stderr = [
      'ssh: Could not resolve hostname old.example.com: Name or service not known',
      'ssh: connect to host 10.0.0.1 port 22: Connection timed out',
      'ssh: connect to host 10.0.0.2 port 22: No route to host',
      "Warning: Permanently added 'bastion' (ED25519) to the list of known hosts.",
      'Connection closed by remote host',
      ''
    ].join('\n')
    expect(unreachableReason(stderr)).toBe(
      'ssh: connect to host 10.0.0.1 port 22: Connection timed out; ssh: connect to host 10.0.0.2 port 22: No route to host; Connection closed by remote host'
    )
  })

  it('keeps the last three lines when none is telling', () => {
    expect(
      unreachableReason(
        'kex_exchange_identification: read: Connection reset by peer\nline b\nline c\n  line d  \n'
      )
    ).toBe('line b; line c; line d')
  })

  it.each([
    ['nothing', ''],
    ['blank lines', '\n  \n\r\n'],
    [
      'only the known-hosts warning',
      "Warning: Permanently added '[127.0.0.1]:2222' (ED25519) to the list of known hosts.\n"
    ]
  ])('says the docker CLI printed nothing for %s', (_name, stderr) => {
    expect(unreachableReason(stderr)).toBe('the docker CLI printed nothing')
  })
})

describe('composeVariables', () => {
  it('is the env input, then APP_VERSION (which the env input cannot set)', () => {
    const inputs = inputsWith({
      env: 'REGISTRY=ghcr.io/acme\nDATABASE_URL=postgres://db/shop?sslmode=disable\n'
    })
    expect(composeVariables(inputs, '1.4.0')).toEqual({
      REGISTRY: 'ghcr.io/acme',
      APP_VERSION: '1.4.0',
      DATABASE_URL: 'postgres://db/shop?sslmode=disable'
    })
  })

  it('takes the last of two env lines with the same key', () => {
    expect(composeVariables(inputsWith({ env: 'TIER=staging\nTIER=production' }), '2.0.0')).toEqual({
      TIER: 'production',
      APP_VERSION: '2.0.0'
    })
  })

  it('is APP_VERSION alone without an env input', () => {
    expect(composeVariables(inputsWith({}), 'sha-0123abc')).toEqual({ APP_VERSION: 'sha-0123abc' })
  })
})
