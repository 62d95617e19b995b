import { describe, expect, it } from '@jest/globals'
import { readGitHubContext } from '../../../src/github/context.js'
import { releaseReferences } from '../../../src/release/release.js'
import { getInputs } from '../../../src/pipeline/inputs.js'
import {
  buildSpec,
  buildxArgs,
  classicArgs,
  provenanceAttrs,
  type BuildSpec
} from '../../../src/build/step.js'
import { planTags } from '../../../src/release/tags.js'
import { eventEnv } from '../../../__fixtures__/events.js'
import { buildTime, mergeLabels } from '../../../src/build/labels.js'
import { mkdtempSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'

const files = { iidFile: '/tmp/t/iid', metadataFile: '/tmp/t/metadata.json' }
const minimal: BuildSpec = {
  context: '.',
  file: 'Dockerfile',
  tags: ['ghcr.io/acme/web:1.2.3'],
  buildArgs: [],
  labels: [],
  annotations: [],
  secretIds: [],
  target: '',
  platforms: [],
  cacheFrom: [],
  cacheTo: [],
  pull: false,
  noCache: false,
  sbom: false,
  provenance: 'mode=min'
}
const full: BuildSpec = {
  context: 'app',
  file: 'app/Dockerfile.prod',
  tags: ['ghcr.io/acme/web:1.2.3', 'ghcr.io/acme/web:latest'],
  buildArgs: [{ key: 'NODE_ENV', value: 'production' }],
  labels: [{ key: 'org.opencontainers.image.version', value: '1.2.3' }],
  annotations: ['index:org.opencontainers.image.title=web'],
  secretIds: ['npm_token', 'sentry'],
  target: 'runtime',
  platforms: ['linux/arm64'],
  cacheFrom: ['type=registry,ref=ghcr.io/acme/web:cache'],
  cacheTo: ['type=registry,ref=ghcr.io/acme/web:cache,mode=max'],
  pull: true,
  noCache: true,
  sbom: true,
  provenance: 'mode=max'
}

describe('buildxArgs', () => {
  it('builds the minimal command, loading into the engine', () => {
    expect(buildxArgs(minimal, files)).toEqual([
      'buildx',
      'build',
      '--iidfile',
      '/tmp/t/iid',
      '--metadata-file',
      '/tmp/t/metadata.json',
      '--file',
      'Dockerfile',
      '--tag',
      'ghcr.io/acme/web:1.2.3',
      '--load',
      '.'
    ])
  })

  it('passes every build input, secrets by environment variable name only', () => {
    expect(buildxArgs(full, files)).toEqual([
      'buildx',
      'build',
      '--iidfile',
      '/tmp/t/iid',
      '--metadata-file',
      '/tmp/t/metadata.json',
      '--file',
      'app/Dockerfile.prod',
      '--tag',
      'ghcr.io/acme/web:1.2.3',
      '--tag',
      'ghcr.io/acme/web:latest',
      '--build-arg',
      'NODE_ENV=production',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--annotation',
      'index:org.opencontainers.image.title=web',
      '--secret',
      'id=npm_token,env=CONTAINER_SHIP_BUILD_SECRET_0',
      '--secret',
      'id=sentry,env=CONTAINER_SHIP_BUILD_SECRET_1',
      '--target',
      'runtime',
      '--platform',
      'linux/arm64',
      '--cache-from',
      'type=registry,ref=ghcr.io/acme/web:cache',
      '--cache-to',
      'type=registry,ref=ghcr.io/acme/web:cache,mode=max',
      '--pull',
      '--no-cache',
      '--load',
      'app'
    ])
  })

  it('builds into an OCI layout folder with the attestations asked for, no tags and no image ID file', () => {
    expect(buildxArgs(full, files, { kind: 'oci-layout', dir: '/tmp/t/layout' }, 'remote-1')).toEqual([
      'buildx',
      'build',
      '--builder',
      'remote-1',
      '--metadata-file',
      '/tmp/t/metadata.json',
      '--file',
      'app/Dockerfile.prod',
      '--build-arg',
      'NODE_ENV=production',
      '--label',
      'org.opencontainers.image.version=1.2.3',
      '--annotation',
      'index:org.opencontainers.image.title=web',
      '--secret',
      'id=npm_token,env=CONTAINER_SHIP_BUILD_SECRET_0',
      '--secret',
      'id=sentry,env=CONTAINER_SHIP_BUILD_SECRET_1',
      '--target',
      'runtime',
      '--platform',
      'linux/arm64',
      '--cache-from',
      'type=registry,ref=ghcr.io/acme/web:cache',
      '--cache-to',
      'type=registry,ref=ghcr.io/acme/web:cache,mode=max',
      '--pull',
      '--no-cache',
      '--provenance',
      'mode=max',
      '--sbom',
      'true',
      '--output',
      'type=oci,dest=/tmp/t/layout,tar=false,name=ghcr.io/acme/web:1.2.3',
      'app'
    ])
    const plain = buildxArgs({ ...minimal, provenance: 'false' }, files, { kind: 'oci-layout', dir: '/l' })
    expect(plain.slice(-7)).toEqual([
      '--provenance',
      'false',
      '--sbom',
      'false',
      '--output',
      'type=oci,dest=/l,tar=false,name=ghcr.io/acme/web:1.2.3',
      '.'
    ])
    expect(plain).not.toContain('--builder')
  })

  it('omits --file for a remote context that brings its own Dockerfile', () => {
    expect(
      buildxArgs({ ...minimal, file: '', context: 'https://github.com/acme/web.git' }, files)
    ).not.toContain('--file')
  })
})

describe('classicArgs', () => {
  it('builds with the subset the classic builder has', () => {
    const spec = {
      ...minimal,
      buildArgs: [{ key: 'A', value: 'b c' }],
      target: 'dev',
      cacheFrom: ['ghcr.io/acme/web:1.2.2'],
      pull: true
    }
    expect(classicArgs(spec, files)).toEqual([
      'build',
      '--iidfile',
      '/tmp/t/iid',
      '--file',
      'Dockerfile',
      '--tag',
      'ghcr.io/acme/web:1.2.3',
      '--build-arg',
      'A=b c',
      '--target',
      'dev',
      '--cache-from',
      'ghcr.io/acme/web:1.2.2',
      '--pull',
      '.'
    ])
  })
})

describe('buildSpec', () => {
  it('tags the image with every planned tag and labels it, user labels winning', () => {
    const cwd = mkdtempSync(path.join(os.tmpdir(), 'spec-'))
    writeFileSync(path.join(cwd, 'Dockerfile'), 'FROM scratch\n')
    const given: Record<string, string> = {
      image: 'ghcr.io/acme/web',
      labels: 'org.opencontainers.image.title=Web shop'
    }
    const inputs = getInputs((name) => given[name] ?? '', cwd)
    const github = readGitHubContext(eventEnv('tag-push'))
    const plan = planTags({ github, tagSha: true, tagLatest: 'auto', extraTags: [] })
    const release = { plan, references: releaseReferences(inputs.image, plan, inputs.tags.references) }
    const spec = buildSpec({ build: inputs.build, github }, release, new Date('2026-01-02T03:04:05Z'))
    expect(spec.tags).toEqual(
      ['1.2.3', '1.2', '1', 'latest', 'sha-0123456'].map((t) => `ghcr.io/acme/web:${t}`)
    )
    expect(Object.fromEntries(spec.labels.map((l) => [l.key, l.value]))).toEqual({
      'org.opencontainers.image.created': '2026-01-02T03:04:05.000Z',
      'org.opencontainers.image.source': 'https://github.com/acme/web',
      'org.opencontainers.image.url': 'https://github.com/acme/web',
      'org.opencontainers.image.title': 'Web shop',
      'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.version': '1.2.3'
    })
  })
})

describe('provenanceAttrs', () => {
  const github = (repositoryPrivate?: boolean) => ({ ...readGitHubContext({}), repositoryPrivate })
  it('takes the input as given', () => {
    expect(provenanceAttrs({ set: true, attest: true, attrs: 'mode=max' }, github(true))).toBe('mode=max')
    expect(provenanceAttrs({ set: true, attest: false, attrs: '' }, github(false))).toBe('false')
  })
  it('defaults as build-push-action: max on public repositories, min otherwise, with the run as builder', () => {
    const saved = { ...process.env }
    try {
      process.env.GITHUB_SERVER_URL = 'https://github.com'
      process.env.GITHUB_REPOSITORY = 'acme/web'
      process.env.GITHUB_RUN_ID = '42'
      const unset = { set: false, attest: true, attrs: '' }
      expect(provenanceAttrs(unset, github(false))).toMatch(
        /^mode=max,builder-id=https:\/\/github\.com\/acme\/web\/actions\/runs\/42/
      )
      expect(provenanceAttrs(unset, github(true))).toMatch(/^mode=min,/)
      expect(provenanceAttrs(unset, github(undefined))).toMatch(/^mode=min,/)
    } finally {
      process.env = saved
    }
  })
})

describe('labels', () => {
  it('takes SOURCE_DATE_EPOCH for the created time', () => {
    expect(buildTime({ SOURCE_DATE_EPOCH: '1700000000' }).toISOString()).toBe('2023-11-14T22:13:20.000Z')
    const now = new Date('2026-11-25T00:00:00Z')
    expect(buildTime({}, now)).toBe(now)
  })
  it('lets a user label replace an automatic one', () => {
    expect(
      mergeLabels(
        [
          { key: 'a', value: '1' },
          { key: 'b', value: '2' }
        ],
        [{ key: 'a', value: 'mine' }]
      )
    ).toEqual([
      { key: 'b', value: '2' },
      { key: 'a', value: 'mine' }
    ])
  })
})
