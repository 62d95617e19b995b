// Unit tests of the production image's scan and its cache (src/scan/compare/production-scan.ts),
// with a stand-in `trivy` that writes a fixture report and counts its runs; the real Trivy on a
// registry's image is exercised end to end (__tests__/e2e/scan/compare.test.ts).
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import { parseCompareTo } from '../../../../src/scan/compare/compare-to.js'
import {
  productionCacheRoot,
  scanProduction,
  type ProductionScanSetup
} from '../../../../src/scan/compare/production-scan.js'
import { privateTrivyFiles } from '../../../../src/scan/trivy/scan-image.js'

const REPORT = path.resolve(
  path.dirname(fileURLToPath(import.meta.url)),
  '../../../../__fixtures__/trivy/reports/alpine-39.json'
)
const DIGEST = `sha256:${'c3'.repeat(32)}`

/** A folder with a stand-in trivy, its run log and a DB metadata file; and the setup using them. */
function bed(): { setup: ProductionScanSetup; runs: () => string[]; dir: string } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'production-scan-'))
  const log = path.join(dir, 'runs.log')
  const trivy = path.join(dir, 'trivy')
  // Copies the fixture report to the --output path and logs its arguments and DOCKER_CONFIG.
  writeFileSync(
    trivy,
    `#!/bin/sh\nprintf '%s DOCKER_CONFIG=%s\\n' "$*" "$DOCKER_CONFIG" >>'${log}'\nwhile [ $# -gt 0 ]; do [ "$1" = --output ] && cp '${REPORT}' "$2"; shift; done\n`
  )
  chmodSync(trivy, 0o755)
  const cacheDir = path.join(dir, 'trivy-cache')
  mkdirSync(path.join(cacheDir, 'db'), { recursive: true })
  writeFileSync(
    path.join(cacheDir, 'db', 'metadata.json'),
    JSON.stringify({ Version: 2, UpdatedAt: '2026-12-06T00:00:00Z' })
  )
  const workDir = path.join(dir, 'work')
  mkdirSync(workDir)
  const trivyDir = path.join(workDir, 'trivy')
  mkdirSync(trivyDir)
  const setup: ProductionScanSetup = {
    trivy,
    env: { PATH: process.env.PATH ?? '/usr/bin:/bin' },
    dockerConfig: path.join(dir, 'docker-config'),
    cacheDir,
    files: privateTrivyFiles(trivyDir),
    workDir,
    inputs: { scanners: ['vuln', 'secret'], dbRepositories: [], skipDbUpdate: false },
    trivyVersion: '0.74.0',
    registries: () => Promise.reject(new Error('no registry is asked when the digest is given')),
    cacheRoot: path.join(dir, 'cache'),
    actionsCache: false
  }
  const runs = (): string[] => {
    try {
      return readFileSync(log, 'utf8').trim().split('\n')
    } catch {
      return []
    }
  }
  return { setup, runs, dir }
}

const target = (text: string) => {
  const parsed = parseCompareTo(text)
  if (parsed.kind !== 'image') throw new Error('not an image')
  return parsed
}

describe('scanProduction', () => {
  it("scans the registry's image by digest with the run's Docker config, then takes it from the cache", async () => {
    const { setup, runs } = bed()
    const first = await scanProduction(target(`127.0.0.1:5000/web:prod@${DIGEST}`), setup)
    expect(first).toMatchObject({ reference: `127.0.0.1:5000/web@${DIGEST}`, digest: DIGEST, cached: false })
    expect(first.findings.length).toBeGreaterThan(0)
    expect(runs()).toHaveLength(1)
    // Loopback: plain http, as the engine treats it; never the engine's copy of the image.
    expect(runs()[0]).toContain(`--skip-db-update`)
    expect(runs()[0]).toContain(`--insecure --image-src remote 127.0.0.1:5000/web@${DIGEST}`)
    expect(runs()[0]).toContain(`DOCKER_CONFIG=${setup.dockerConfig}`)

    const second = await scanProduction(target(`127.0.0.1:5000/web@${DIGEST}`), setup)
    expect(second).toMatchObject({ cached: true })
    expect(second.findings).toEqual(first.findings)
    expect(runs()).toHaveLength(1)
  })

  it('scans again for another Trivy, another DB or other scanners', async () => {
    const { setup, runs } = bed()
    const image = target(`ghcr.io/acme/web@${DIGEST}`)
    await scanProduction(image, setup)
    await scanProduction(image, { ...setup, trivyVersion: '0.75.0' })
    await scanProduction(image, { ...setup, inputs: { ...setup.inputs, scanners: ['vuln'] } })
    writeFileSync(
      path.join(setup.cacheDir, 'db', 'metadata.json'),
      JSON.stringify({ Version: 2, UpdatedAt: '2026-12-07T00:00:00Z' })
    )
    await scanProduction(image, setup)
    expect(runs()).toHaveLength(4)
    // Not a loopback registry: TLS as usual.
    expect(runs()[0]).not.toContain('--insecure')
    expect(readdirSync(setup.cacheRoot)).toHaveLength(4)
  })

  it('scans again when the cached report does not parse', async () => {
    const { setup, runs } = bed()
    const image = target(`ghcr.io/acme/web@${DIGEST}`)
    await scanProduction(image, setup)
    const [file] = readdirSync(setup.cacheRoot)
    writeFileSync(path.join(setup.cacheRoot, file as string), '{"SchemaVersion": "no"')
    const again = await scanProduction(image, setup)
    expect(again.cached).toBe(false)
    expect(runs()).toHaveLength(2)
  })

  it('resolves a tag through the registry', async () => {
    const { setup } = bed()
    const asked: string[] = []
    const registries = (registry: string) =>
      Promise.resolve({
        getManifest: (repository: string, reference: string) => {
          asked.push(`${registry} ${repository} ${reference}`)
          return Promise.resolve({ digest: DIGEST, body: Buffer.from(''), mediaType: '' })
        }
      }) as unknown as ReturnType<ProductionScanSetup['registries']>
    const scanned = await scanProduction(target('ghcr.io/acme/web:production'), { ...setup, registries })
    expect(asked).toEqual(['ghcr.io acme/web production'])
    expect(scanned.reference).toBe(`ghcr.io/acme/web@${DIGEST}`)
  })
})

describe('productionCacheRoot', () => {
  it("is under the runner's tool cache, else its temp folder", () => {
    expect(productionCacheRoot({ RUNNER_TOOL_CACHE: '/opt/hostedtoolcache' }, '/tmp/t')).toBe(
      '/opt/hostedtoolcache/container-ship/production-scans'
    )
    expect(productionCacheRoot({}, '/tmp/t')).toBe('/tmp/t/container-ship-production-scans')
  })
})
