// The bundled action against the real engine and the real registry of scripts/testbed.sh.
import { createHash } from 'node:crypto'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import path from 'node:path'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import {
  runAction,
  scanSetup,
  testbed,
  visibleText,
  workspaceWith,
  type ActionRun,
  type Testbed
} from '../../support/harness.js'
import {
  docker,
  imageExists,
  registryDigest,
  registryTags,
  uniqueRepository,
  userDockerConfig
} from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
/** Every run of this file, for the secret check at the end. */
const runs: ActionRun[] = []

const dockerfile = (tb: Testbed): string =>
  [
    `FROM ${tb.baseImage}`,
    'ARG VARIANT=one',
    'RUN echo "$VARIANT" > /variant',
    'CMD ["cat", "/variant"]',
    ''
  ].join('\n')

async function run(...args: Parameters<typeof runAction>): Promise<ActionRun> {
  const result = await runAction(...args)
  runs.push(result)
  return result
}

function credentials(tb: Testbed): Record<string, string> {
  return { username: tb.username, password: tb.password }
}

beforeAll(() => {
  tb = testbed()
  // Fail, never skip, when the engine is not there.
  expect(docker(['version', '--format', '{{.Server.Version}}'])).toMatch(/^\d+\./)
})

describe('a tag push', () => {
  let result: ActionRun
  let repository: string
  let image: string
  let user: ReturnType<typeof userDockerConfig>

  beforeAll(async () => {
    ;({ image, repository } = uniqueRepository(tb, 'release'))
    user = userDockerConfig()
    result = await run({
      inputs: { image, ...credentials(tb), steps: 'build,push', labels: 'com.example.team=web' },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) }),
      env: { DOCKER_CONFIG: user.dir }
    })
  })

  it('succeeds', () => {
    expect(result.log).not.toMatch(/::error::/)
    expect(result.exitCode).toBe(0)
    expect(result.log).toMatch(
      /Built sha256:[0-9a-f]{64} with buildx default \(docker driver\) \(build [\w-]+\/[\w-]+\/\w+\)/
    )
  })

  it('pushes every computed tag to the registry', async () => {
    expect((await registryTags(tb, repository)).sort()).toEqual([
      '1',
      '1.2',
      '1.2.3',
      'latest',
      'sha-0123456'
    ])
  })

  it('sets tags, version and image outputs', () => {
    expect(result.outputs.image).toBe(image)
    expect(result.outputs.version).toBe('1.2.3')
    expect(result.outputs.tags?.split('\n')).toEqual(
      ['1.2.3', '1.2', '1', 'latest', 'sha-0123456'].map((t) => `${image}:${t}`)
    )
  })

  it("sets digest to the registry's manifest digest of every tag", async () => {
    expect(result.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    for (const tag of ['1.2.3', '1.2', '1', 'latest', 'sha-0123456']) {
      expect(await registryDigest(tb, repository, tag)).toBe(result.outputs.digest)
    }
  })

  it('sets image-id to the local image', () => {
    expect(docker(['image', 'inspect', '--format', '{{.Id}}', `${image}:1.2.3`])).toBe(
      result.outputs['image-id']
    )
  })

  it('labels the image with OCI labels and the user labels', () => {
    const labels = JSON.parse(
      docker(['image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:1.2.3`])
    )
    expect(labels).toMatchObject({
      'org.opencontainers.image.version': '1.2.3',
      'org.opencontainers.image.revision': '0123456789abcdef0123456789abcdef01234567',
      'org.opencontainers.image.source': 'https://github.com/acme/web',
      'com.example.team': 'web'
    })
    expect(Date.parse(labels['org.opencontainers.image.created'])).not.toBeNaN()
  })

  it('reports scan and deploy as not run, and says so', () => {
    expect(result.outputs['scan-result']).toBe('skipped')
    expect(result.outputs.deployed).toBe('false')
    expect(result.outputs.findings).toBe('{}')
  })

  it('writes a step summary with the version and digest', () => {
    expect(result.summary).toContain('`1.2.3`')
    expect(result.summary).toContain(result.outputs.digest)
  })

  it('logs in to a private Docker config under RUNNER_TEMP that the main step removes at its end', () => {
    const configDir = /Removed the private Docker config (\S+)/.exec(result.log)?.[1] ?? ''
    expect(configDir.startsWith(result.runnerTemp + path.sep)).toBe(true)
    // The login lived only in that folder: removing it is the logout. Nothing is left for post.
    expect(existsSync(configDir)).toBe(false)
    expect(result.state['docker-config']).toBe('')
    expect(result.post.exitCode).toBe(0)
    expect(result.post.log).not.toContain('Removed the private Docker config')
    expect(readdirSync(result.runnerTemp)).toEqual([])
  })

  it("leaves the user's own Docker config untouched", () => {
    expect(readFileSync(path.join(user.dir, 'config.json'), 'utf8')).toBe(user.configJson)
  })

  it('writes nothing into the workspace', () => {
    expect(readdirSync(result.workspace)).toEqual(['Dockerfile'])
  })
})

describe('an older patch release', () => {
  it('does not move latest or the major alias back, and moves its own minor alias', async () => {
    const { image, repository } = uniqueRepository(tb, 'forward')
    const workspace = workspaceWith({ Dockerfile: dockerfile(tb) })
    const release = async (version: string): Promise<ActionRun> =>
      run({
        inputs: { image, ...credentials(tb), steps: 'build,push', 'build-args': `VARIANT=${version}` },
        event: eventEnv('tag-push', { GITHUB_REF: `refs/tags/v${version}`, GITHUB_REF_NAME: `v${version}` }),
        workspace
      })
    const newest = await release('2.0.0')
    const older = await release('1.5.0')
    const patch = await release('1.4.1')
    for (const r of [newest, older, patch]) expect(r.exitCode).toBe(0)
    expect(new Set([newest.outputs.digest, older.outputs.digest, patch.outputs.digest]).size).toBe(3)

    expect(await registryDigest(tb, repository, 'latest')).toBe(newest.outputs.digest)
    expect(await registryDigest(tb, repository, '2')).toBe(newest.outputs.digest)
    expect(await registryDigest(tb, repository, '1')).toBe(older.outputs.digest)
    expect(await registryDigest(tb, repository, '1.4')).toBe(patch.outputs.digest)
    expect(await registryDigest(tb, repository, '1.4.1')).toBe(patch.outputs.digest)
    expect(patch.outputs.tags?.split('\n')).toEqual([
      `${image}:1.4.1`,
      `${image}:1.4`,
      `${image}:sha-0123456`
    ])
    expect(patch.log).toContain(
      'Tag latest stays where it is: the registry already has 2.0.0, newer than 1.4.1.'
    )
    expect(patch.summary).toContain('`latest` was not moved')
  })
})

describe('full references in tags', () => {
  it('move latest and the major alias of another repository only forward, by its own tags', async () => {
    const { image } = uniqueRepository(tb, 'refs-image')
    const other = uniqueRepository(tb, 'refs-other')
    const workspace = workspaceWith({ Dockerfile: dockerfile(tb) })
    const newer = await run({
      inputs: { image: other.image, ...credentials(tb), steps: 'build,push', 'build-args': 'VARIANT=1.3.0' },
      event: eventEnv('tag-push', { GITHUB_REF: 'refs/tags/v1.3.0', GITHUB_REF_NAME: 'v1.3.0' }),
      workspace
    })
    expect(newer.exitCode).toBe(0)
    expect(await registryDigest(tb, other.repository, 'latest')).toBe(newer.outputs.digest)
    expect(await registryDigest(tb, other.repository, '1')).toBe(newer.outputs.digest)

    const older = await run({
      inputs: {
        image,
        ...credentials(tb),
        steps: 'build,push',
        'build-args': 'VARIANT=1.2.0',
        tags: [`${other.image}:latest`, `${other.image}:1`, `${other.image}:1.2`].join('\n')
      },
      event: eventEnv('tag-push', { GITHUB_REF: 'refs/tags/v1.2.0', GITHUB_REF_NAME: 'v1.2.0' }),
      workspace
    })
    expect(older.log).not.toMatch(/::error::/)
    expect(older.exitCode).toBe(0)
    expect(older.outputs.digest).not.toBe(newer.outputs.digest)

    // The registry already holds 1.3.0 in other: its latest and 1 stay on it.
    expect(await registryDigest(tb, other.repository, 'latest')).toBe(newer.outputs.digest)
    expect(await registryDigest(tb, other.repository, '1')).toBe(newer.outputs.digest)
    // No newer 1.2.z there: 1.2 moves to this release.
    expect(await registryDigest(tb, other.repository, '1.2')).toBe(older.outputs.digest)
    expect(await registryDigest(tb, other.repository, '1.3')).toBe(newer.outputs.digest)

    const thisRelease = ['1.2.0', '1.2', '1', 'latest', 'sha-0123456'].map((tag) => `${image}:${tag}`)
    expect(older.outputs.tags?.split('\n')).toEqual([...thisRelease, `${other.image}:1.2`])
    expect(older.outputs['pushed-tags']?.split('\n')).toEqual([...thisRelease, `${other.image}:1.2`])
    for (const tag of ['latest', '1']) {
      expect(older.log).toContain(
        `${other.image}:${tag} stays where it is: the registry already has 1.3.0, newer than 1.2.0.`
      )
      expect(older.summary).toContain(
        `- \`${other.image}:${tag}\` was not moved: the registry already has 1.3.0, newer than 1.2.0.`
      )
    }
  })
})

describe('a pull request', () => {
  it('builds the image but pushes nothing', async () => {
    const { image, repository } = uniqueRepository(tb, 'pr')
    const result = await run({
      inputs: { image, ...credentials(tb), ...scanSetup(tb).inputs },
      env: scanSetup(tb).env,
      event: eventEnv('pull-request'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) })
    })
    expect(result.exitCode).toBe(0)
    expect(result.outputs['image-id']).toMatch(/^sha256:/)
    expect(imageExists(`${image}:pr-42`)).toBe(true)
    expect(result.outputs.digest).toBe('')
    expect(await registryTags(tb, repository)).toEqual([])
    expect(result.log).toContain(
      '::notice::Nothing was pushed: push is auto and this is a pull request run (pull_request).'
    )
  })
})

describe('a build that fails', () => {
  it('fails with the end of the build log, still setting the outputs it knows and the summary', async () => {
    const { image, repository } = uniqueRepository(tb, 'broken')
    const result = await run({
      inputs: { image, ...credentials(tb), steps: 'build,scan,push' },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\nRUN echo compiling && exit 3\n` })
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(/::error::`docker buildx build .*` failed with exit code 1:/)
    expect(result.log).toMatch(/exit code: 3/)
    expect(result.outputs).toMatchObject({
      image,
      version: '1.2.3',
      'image-id': '',
      digest: '',
      'scan-result': 'skipped',
      deployed: 'false'
    })
    expect(result.outputs.tags?.split('\n')).toHaveLength(5)
    expect(result.summary).toContain('[!CAUTION]')
    expect(result.summary).toContain('failed with exit code 1')
    expect(await registryTags(tb, repository)).toEqual([])
    expect(result.post.exitCode).toBe(0)
    expect(readdirSync(result.runnerTemp)).toEqual([])
  })
})

describe('a Dockerfile in a subfolder, built to a target stage', () => {
  it('uses context, file and target', async () => {
    const { image } = uniqueRepository(tb, 'target')
    const result = await run({
      inputs: {
        image,
        steps: 'build',
        context: 'services/api',
        file: 'services/api/Dockerfile.multi',
        target: 'test'
      },
      event: eventEnv('workflow-dispatch'),
      workspace: workspaceWith({
        'services/api/Dockerfile.multi': [
          `FROM ${tb.baseImage} AS test`,
          'COPY marker.txt /stage',
          `FROM ${tb.baseImage} AS release`,
          'RUN echo release > /stage',
          ''
        ].join('\n'),
        'services/api/marker.txt': 'test stage from the subfolder context\n'
      })
    })
    expect(result.exitCode).toBe(0)
    expect(docker(['run', '--rm', `${image}:main`, 'cat', '/stage'])).toBe(
      'test stage from the subfolder context'
    )
    expect(result.outputs.version).toBe('sha-abcdefa')
  })
})

describe('wrong credentials', () => {
  it('fail clearly before anything is built or pushed, and the post step still cleans up', async () => {
    const { image, repository } = uniqueRepository(tb, 'badauth')
    const result = await run({
      inputs: { image, username: tb.username, password: 'not-the-password-9f8e7d', steps: 'build,push' },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) })
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toMatch(
      /::error::Login to 127\.0\.0\.1:5000 failed: 127\.0\.0\.1:5000 refused the credentials of container-ship \(401 unauthorized\)\. Check that username and password may push to 127\.0\.0\.1:5000/
    )
    expect(result.log).not.toContain('retrying in')
    expect(result.outputs['image-id']).toBe('')
    expect(imageExists(`${image}:1.2.3`)).toBe(false)
    expect(await registryTags(tb, repository)).toEqual([])
    expect(result.post.exitCode).toBe(0)
    expect(existsSync(result.state['docker-config'] as string)).toBe(false)
  })
})

describe('build secrets', () => {
  it('reach the build through buildx without showing up anywhere', async () => {
    const { image } = uniqueRepository(tb, 'secret')
    const secret = `s3cret-${Math.random().toString(36).slice(2)}`
    const result = await run({
      // no-cache: BuildKit's cache key leaves secrets out, so a cached RUN would keep an older value.
      inputs: { image, steps: 'build', secrets: `API_TOKEN=${secret}`, 'no-cache': 'true' },
      event: eventEnv('branch-push'),
      workspace: workspaceWith({
        Dockerfile: [
          `FROM ${tb.baseImage}`,
          'RUN --mount=type=secret,id=API_TOKEN sha256sum /run/secrets/API_TOKEN > /token.sha',
          ''
        ].join('\n')
      })
    })
    expect(result.exitCode).toBe(0)
    const inImage = docker(['run', '--rm', result.outputs['image-id'] as string, 'cat', '/token.sha'])
    expect(inImage.split(/\s+/)[0]).toBe(createHash('sha256').update(secret).digest('hex'))
    expect(result.log).toContain(`::add-mask::${secret}`)
    expect(visibleText(result.everything)).not.toContain(secret)
  })
})

describe('without buildx', () => {
  it('builds with the classic builder', async () => {
    const { image } = uniqueRepository(tb, 'classic')
    const user = userDockerConfig({ withoutPlugins: true })
    const result = await run({
      inputs: { image, steps: 'build', 'build-args': 'VARIANT=classic', target: '' },
      event: eventEnv('branch-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) }),
      env: { DOCKER_CONFIG: user.dir }
    })
    expect(result.exitCode).toBe(0)
    expect(result.log).toContain('docker buildx is not installed: the classic builder will build')
    expect(docker(['run', '--rm', `${image}:feature-Login-Form`])).toBe('classic')
  })

  it('fails clearly for inputs that need buildx, before building', async () => {
    const { image } = uniqueRepository(tb, 'classic-platforms')
    const user = userDockerConfig({ withoutPlugins: true })
    const result = await run({
      inputs: {
        image,
        ...credentials(tb),
        steps: 'build',
        platforms: 'linux/amd64',
        'cache-to': 'type=inline'
      },
      event: eventEnv('branch-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) }),
      env: { DOCKER_CONFIG: user.dir }
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('::error::platforms, cache-to need docker buildx, which is not installed')
    expect(imageExists(`${image}:feature-Login-Form`)).toBe(false)
  })
})

describe('bad input', () => {
  it('fails naming every bad input and touches nothing', async () => {
    const { image } = uniqueRepository(tb, 'bad')
    const result = await run({
      inputs: {
        image: `${image}:v1`,
        'tag-sha': 'yes',
        'severity-threshold': 'SEVERE',
        password: 'lonely-password-4c3b'
      },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: dockerfile(tb) })
    })
    expect(result.exitCode).toBe(1)
    expect(result.log).toContain('- image: ')
    expect(result.log).toContain('has a tag')
    expect(result.log).toContain('- tag-sha: "yes" is not a boolean')
    expect(result.log).toContain('- severity-threshold: "SEVERE" is not one of')
    expect(result.log).toContain('- username: is required when password is set')
    expect(result.state).toEqual({})
    expect(readdirSync(result.runnerTemp)).toEqual([])
    expect(result.log).not.toContain('[command]')
  })
})

// Last in the file: Jest runs a file's tests in order, so every run above is in `runs`.
describe('secrets', () => {
  it('appear in no log, output, state or summary of any run (the runner hides only ::add-mask:: lines)', () => {
    const secrets = [tb.password, 'not-the-password-9f8e7d', 'lonely-password-4c3b']
    expect(runs.length).toBeGreaterThanOrEqual(9)
    for (const result of runs) {
      for (const secret of secrets) expect(visibleText(result.everything)).not.toContain(secret)
    }
    // The masks were registered: the real password was handed to the runner to hide.
    expect(runs[0]?.log).toContain(`::add-mask::${tb.password}`)
  })
})
