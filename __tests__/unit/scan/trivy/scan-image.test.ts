import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { describe, expect, it } from '@jest/globals'
import {
  parseTrivyVersion,
  privateTrivyFiles,
  trivyArgs,
  trivyEnv,
  TRIVY_PASSING_THROUGH
} from '../../../../src/scan/trivy/scan-image.js'
import {
  dbCacheKey,
  dbCacheKeyPrefix,
  restoredDbProblem,
  trivyCacheDir
} from '../../../../src/scan/trivy/db-cache.js'

const files = {
  workDir: '/tmp/r/trivy-x',
  config: '/tmp/r/trivy-x/trivy.yaml',
  secretConfig: '/tmp/r/trivy-x/trivy-secret.yaml',
  ignoreFile: '/tmp/r/trivy-x/trivyignore',
  moduleDir: '/tmp/r/trivy-x/modules'
}
const run = {
  image: { engine: 'ghcr.io/acme/web:1.2.3' },
  reportFile: '/tmp/r/trivy.json',
  cacheDir: '/srv/trivy',
  files
}

/** The value that follows a flag. */
function valueOf(args: string[], flag: string): string | undefined {
  const at = args.indexOf(flag)
  return at < 0 ? undefined : args[at + 1]
}

describe('trivyArgs', () => {
  it('asks for everything, as JSON, and leaves the verdict to the gate', () => {
    const args = trivyArgs({ scanners: ['vuln', 'secret'], dbRepositories: [], skipDbUpdate: false }, run)
    expect(args[0]).toBe('image')
    expect(args.at(-1)).toBe('ghcr.io/acme/web:1.2.3')
    expect(valueOf(args, '--format')).toBe('json')
    expect(valueOf(args, '--output')).toBe('/tmp/r/trivy.json')
    expect(valueOf(args, '--scanners')).toBe('vuln,secret')
    expect(valueOf(args, '--exit-code')).toBe('0')
    expect(valueOf(args, '--image-src')).toBe('docker')
    // Every severity and package type by name: no variable or file of Trivy's can narrow them.
    expect(valueOf(args, '--severity')).toBe('UNKNOWN,LOW,MEDIUM,HIGH,CRITICAL')
    expect(valueOf(args, '--pkg-types')).toBe('os,library')
    for (const flag of ['--ignore-unfixed', '--vex', '--skip-files', '--skip-dirs', '--server'])
      expect(args).not.toContain(flag)
  })

  it("names the action's own empty files for everything Trivy would read from its folder or home", () => {
    const args = trivyArgs({ scanners: ['vuln'], dbRepositories: [], skipDbUpdate: false }, run)
    expect(valueOf(args, '--config')).toBe(files.config)
    expect(valueOf(args, '--secret-config')).toBe(files.secretConfig)
    expect(valueOf(args, '--ignorefile')).toBe(files.ignoreFile)
    expect(valueOf(args, '--module-dir')).toBe(files.moduleDir)
    expect(valueOf(args, '--cache-dir')).toBe('/srv/trivy')
    expect(valueOf(args, '--cache-backend')).toBe('memory')
  })

  it('uses the cached DB or a mirror when asked', () => {
    const args = trivyArgs(
      {
        scanners: ['vuln'],
        dbRepositories: ['mirror.example.com/trivy-db:2', 'ghcr.io/aquasecurity/trivy-db:2'],
        skipDbUpdate: true
      },
      run
    )
    expect(args.slice(-8)).toEqual([
      '--quiet',
      '--skip-db-update',
      '--skip-java-db-update',
      '--db-repository',
      'mirror.example.com/trivy-db:2,ghcr.io/aquasecurity/trivy-db:2',
      '--image-src',
      'docker',
      'ghcr.io/acme/web:1.2.3'
    ])
  })

  it('reads an image from an OCI layout folder, never from the engine or a registry', () => {
    const args = trivyArgs(
      { scanners: ['vuln'], dbRepositories: [], skipDbUpdate: false },
      { ...run, image: { layout: '/tmp/b/layout-linux-arm64' } }
    )
    expect(args.slice(-2)).toEqual(['--input', '/tmp/b/layout-linux-arm64'])
    expect(args).not.toContain('--image-src')
    expect(args).not.toContain('ghcr.io/acme/web:1.2.3')
  })
})

describe('trivyArgs for the production image', () => {
  it('reads it from its registry by reference, over plain http only when asked (a loopback registry)', () => {
    const remote = (insecure: boolean): string[] =>
      trivyArgs(
        { scanners: ['vuln'], dbRepositories: [], skipDbUpdate: false },
        { ...run, image: { remote: 'ghcr.io/acme/web@sha256:abc', insecure } },
        { vulnerabilityDb: true }
      )
    expect(remote(false).slice(-3)).toEqual(['--image-src', 'remote', 'ghcr.io/acme/web@sha256:abc'])
    expect(remote(false)).not.toContain('--insecure')
    expect(remote(true).slice(-4)).toEqual([
      '--insecure',
      '--image-src',
      'remote',
      'ghcr.io/acme/web@sha256:abc'
    ])
    expect(remote(true)).toContain('--skip-db-update')
  })
})

describe('privateTrivyFiles', () => {
  it('lays out files that set nothing and an empty module folder in the given folder', () => {
    const dir = mkdtempSync(path.join(os.tmpdir(), 'trivy-files-'))
    const laid = privateTrivyFiles(dir)
    for (const file of [laid.config, laid.secretConfig, laid.ignoreFile]) expect(path.dirname(file)).toBe(dir)
    expect(readFileSync(laid.config, 'utf8')).toBe('{}\n')
    expect(readFileSync(laid.secretConfig, 'utf8')).toBe('{}\n')
    expect(readFileSync(laid.ignoreFile, 'utf8')).toBe('')
    expect(readdirSync(laid.moduleDir)).toEqual([])
    expect(laid.workDir).toBe(dir)
  })
})

describe('trivyEnv', () => {
  it('drops every TRIVY_ variable but those saying where the DB is and how to fetch it', () => {
    const { env, dropped } = trivyEnv({
      PATH: '/usr/bin',
      TRIVY_SEVERITY: 'LOW',
      TRIVY_IGNORE_UNFIXED: 'true',
      TRIVY_SKIP_FILES: '/usr/lib/**',
      TRIVY_SERVER: 'http://127.0.0.1:4954',
      TRIVY_NON_SSL: '1',
      trivy_config: 'x.yaml',
      TRIVY_CACHE_DIR: '/srv/trivy',
      TRIVY_USERNAME: 'u',
      TRIVY_PASSWORD: 'p'
    })
    expect(env).toEqual({
      PATH: '/usr/bin',
      TRIVY_CACHE_DIR: '/srv/trivy',
      TRIVY_USERNAME: 'u',
      TRIVY_PASSWORD: 'p'
    })
    expect(dropped).toEqual([
      'TRIVY_IGNORE_UNFIXED',
      'TRIVY_NON_SSL',
      'TRIVY_SERVER',
      'TRIVY_SEVERITY',
      'TRIVY_SKIP_FILES',
      'trivy_config'
    ])
  })

  it('passes through nothing that filters findings', () => {
    for (const name of TRIVY_PASSING_THROUGH)
      expect(name).toMatch(/^TRIVY_(CACHE_DIR|USERNAME|PASSWORD|REGISTRY_TOKEN|TIMEOUT)$/)
  })
})

describe('parseTrivyVersion', () => {
  it('reads the version trivy --version prints', () => {
    expect(parseTrivyVersion('Version: 0.74.0\nVulnerability DB:\n  Version: 2\n')).toBe('0.74.0')
    expect(parseTrivyVersion('Version: dev\n')).toBe('dev')
    expect(parseTrivyVersion('oops')).toBeUndefined()
  })
})

describe('the DB cache key', () => {
  const source = { trivyVersion: '0.74.0', dbRepositories: [] }
  it('changes once a day, per runner OS', () => {
    const day1 = dbCacheKey(source, new Date('2026-11-25T23:59:59Z'), 'linux')
    expect(day1).toMatch(/^container-ship-trivy-db-v2-linux-trivy0\.74\.0-[0-9a-f]{12}-2026-11-25$/)
    expect(dbCacheKey(source, new Date('2026-11-26T00:00:00Z'), 'linux')).toBe(day1.replace('-25', '-26'))
    expect(dbCacheKey(source, new Date('2026-11-25T00:00:00Z'), 'darwin')).not.toBe(day1)
  })

  it('names the Trivy version and the DB repositories', () => {
    const day = new Date('2026-11-25T12:00:00Z')
    const base = dbCacheKey(source, day, 'linux')
    expect(dbCacheKey({ ...source, trivyVersion: '0.75.0' }, day, 'linux')).not.toBe(base)
    const mirrored = dbCacheKey(
      { ...source, dbRepositories: ['mirror.example.com/trivy-db:2'] },
      day,
      'linux'
    )
    expect(mirrored).not.toBe(base)
    expect(dbCacheKey({ ...source, dbRepositories: ['mirror.example.com/trivy-db:2'] }, day, 'linux')).toBe(
      mirrored
    )
  })

  it("finds an earlier day's entry by the key without its day, and only one of the same source", () => {
    const prefix = dbCacheKeyPrefix(source, 'linux')
    for (const day of ['2026-11-24T08:00:00Z', '2026-11-25T23:59:59Z'])
      expect(dbCacheKey(source, new Date(day), 'linux').startsWith(prefix)).toBe(true)
    const other = { ...source, dbRepositories: ['mirror.example.com/trivy-db:2'] }
    expect(dbCacheKey(other, new Date('2026-11-24T08:00:00Z'), 'linux').startsWith(prefix)).toBe(false)
    expect(prefix.endsWith('-')).toBe(true)
  })

  it('caches the db folder of the cache directory Trivy uses', () => {
    expect(trivyCacheDir({ TRIVY_CACHE_DIR: '/srv/trivy' })).toBe('/srv/trivy')
    expect(trivyCacheDir({ XDG_CACHE_HOME: '/x' })).toBe('/x/trivy')
  })
})

describe('restoredDbProblem', () => {
  const now = new Date('2026-12-05T12:00:00Z')
  function dbWith(metadata: string | undefined): string {
    const dir = path.join(mkdtempSync(path.join(os.tmpdir(), 'restored-')), 'db')
    mkdirSync(dir)
    if (metadata !== undefined) writeFileSync(path.join(dir, 'metadata.json'), metadata)
    return dir
  }
  const metadata = (updatedAt: string, version = 2): string =>
    JSON.stringify({ Version: version, NextUpdate: '2000-01-01T00:00:00Z', UpdatedAt: updatedAt })

  it('accepts a DB of schema 2 updated within two days', () => {
    expect(restoredDbProblem(dbWith(metadata('2026-12-05T06:00:00Z')), now)).toBeUndefined()
    expect(restoredDbProblem(dbWith(metadata('2026-12-03T12:00:01Z')), now)).toBeUndefined()
  })

  it('refuses one older than two days, from the future, of another schema, or without readable metadata', () => {
    expect(restoredDbProblem(dbWith(metadata('2026-12-03T11:59:59Z')), now)).toMatch(/more than two days ago/)
    expect(restoredDbProblem(dbWith(metadata('2030-01-01T00:00:00Z')), now)).toMatch(/in the future/)
    expect(restoredDbProblem(dbWith(metadata('2026-12-03T11:59:59Z')), now, 72 * 3_600_000)).toBeUndefined()
    expect(restoredDbProblem(dbWith(metadata('2026-12-04T06:00:00Z')), now, 24 * 3_600_000)).toMatch(
      /more than 24h ago/
    )
    expect(restoredDbProblem(dbWith(metadata('2026-12-05T06:00:00Z', 1)), now)).toMatch(/schema is 1/)
    expect(restoredDbProblem(dbWith(JSON.stringify({ Version: 2 })), now)).toMatch(/no UpdatedAt/)
    expect(restoredDbProblem(dbWith('{not json'), now)).toMatch(/cannot be read/)
    const missing = dbWith(undefined)
    expect(existsSync(path.join(missing, 'metadata.json'))).toBe(false)
    expect(restoredDbProblem(missing, now)).toMatch(/cannot be read/)
  })
})
