// Getting cosign when the one on PATH will not do: a cosign that is not v2 is passed over with a
// warning, and v2.6.5 is downloaded from the release layout (here a mirror on loopback), checked
// against the sha256 pinned for it, and cached (RUNNER_TOOL_CACHE); the next call takes it from
// the cache without downloading. The mirror serves the test bed's cosign (built from source, so
// its bytes are not the release's): against the real pins it is refused and never cached; with
// the pins a test passes for it, it installs. Not exercised: the real release download (no
// network here).
import { createHash } from 'node:crypto'
import { chmodSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs'
import http from 'node:http'
import type { AddressInfo } from 'node:net'
import os from 'node:os'
import path from 'node:path'
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { cosignAsset, COSIGN_VERSION, findCosign } from '../../../src/sign/cosign.js'

jest.setTimeout(120_000)

const COSIGN = process.env.COSIGN ?? '/var/cache/container-ship/tools/cosign-v2.6.5/cosign'
const saved = { cache: process.env.RUNNER_TOOL_CACHE, temp: process.env.RUNNER_TEMP }
let root: string
let server: http.Server
let releases: string
const requests: string[] = []
let v3Dir: string

beforeAll(async () => {
  root = mkdtempSync(path.join(os.tmpdir(), 'cosign-install-e2e-'))
  process.env.RUNNER_TOOL_CACHE = path.join(root, 'tool-cache')
  process.env.RUNNER_TEMP = path.join(root, 'runner-temp')
  const binary = readFileSync(COSIGN)
  server = http.createServer((req, res) => {
    requests.push(req.url ?? '')
    if (req.url === `/v${COSIGN_VERSION}/${cosignAsset()}`) res.writeHead(200).end(binary)
    else res.writeHead(404).end()
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  releases = `http://127.0.0.1:${(server.address() as AddressInfo).port}`
  // A cosign v3 on PATH (a stand-in that only tells its version).
  v3Dir = mkdtempSync(path.join(root, 'v3-'))
  writeFileSync(path.join(v3Dir, 'cosign'), '#!/bin/sh\necho \'{"gitVersion": "v3.0.2"}\'\n')
  chmodSync(path.join(v3Dir, 'cosign'), 0o755)
})

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve))
  for (const [name, value] of [
    ['RUNNER_TOOL_CACHE', saved.cache],
    ['RUNNER_TEMP', saved.temp]
  ] as const) {
    if (value === undefined) delete process.env[name]
    else process.env[name] = value
  }
  rmSync(root, { recursive: true, force: true })
})

describe('findCosign without a cosign v2 on PATH', () => {
  it('refuses a binary that does not match the pinned sha256, and caches nothing', async () => {
    await expect(findCosign({ searchPath: v3Dir, releases })).rejects.toThrow(
      `the cosign ${COSIGN_VERSION} binary ${cosignAsset()} does not match the sha256 this action pins for it`
    )
    expect(requests).toEqual([`/v${COSIGN_VERSION}/${cosignAsset()}`])
    expect(existsSync(path.join(process.env.RUNNER_TOOL_CACHE as string, 'cosign'))).toBe(false)
  })

  it('installs the one that matches into the tool cache, then takes it from there', async () => {
    const sum = createHash('sha256').update(readFileSync(COSIGN)).digest('hex')
    const pins = { [cosignAsset()]: sum }
    const installed = await findCosign({ searchPath: v3Dir, releases, pins })
    expect(installed.source).toBe('download')
    expect(
      installed.path.startsWith(path.join(process.env.RUNNER_TOOL_CACHE as string, 'cosign', COSIGN_VERSION))
    ).toBe(true)
    expect(createHash('sha256').update(readFileSync(installed.path)).digest('hex')).toBe(sum)
    const again = await findCosign({ searchPath: v3Dir, releases, pins })
    expect(again).toEqual({ path: installed.path, source: 'tool cache' })
    expect(requests).toHaveLength(2)
  })
})
