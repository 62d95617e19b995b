// The build cache in the registry (cache-to / cache-from type=registry), with the test bed's
// BuildKit builder: a second build, after the builder's own cache is emptied (a fresh runner's
// builder), takes its RUN steps from the registry instead of running them.
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type ActionRun, type Testbed } from '../../support/harness.js'
import { docker, registryTags, uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed

/** Each RUN says it ran (BuildKit prints a step's output as `#7 0.105 ran one`). */
const DOCKERFILE = [
  'FROM busybox:latest',
  'RUN echo ran one && echo one > /one',
  'RUN echo ran two && echo two > /two',
  'RUN echo ran three && echo three > /three',
  ''
].join('\n')

/** The RUN steps BuildKit ran rather than took from a cache: the ones whose output it printed. */
function runStepsExecuted(log: string): number {
  return new Set(log.match(/^#\d+ \d+\.\d+ ran (one|two|three)$/gm)?.map((line) => line.split(' ').pop()))
    .size
}

/** Empties the builder's own cache, as a fresh runner's builder would be. */
function freshBuilderState(): void {
  docker(['buildx', 'prune', '--builder', tb.builder, '--all', '--force'])
}

beforeAll(() => {
  tb = testbed()
})

describe('cache-to and cache-from type=registry', () => {
  let repository: string
  let image: string
  let cacheRef: string
  const build = (cache: Record<string, string>): Promise<ActionRun> =>
    runAction({
      inputs: {
        image,
        username: tb.username,
        password: tb.password,
        steps: 'build,push',
        builder: tb.builder,
        provenance: 'false',
        ...cache
      },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({ Dockerfile: DOCKERFILE })
    })

  beforeAll(() => {
    ;({ image, repository } = uniqueRepository(tb, 'cache'))
    cacheRef = `${image}-cache:buildcache`
  })

  it('runs every step from a fresh builder state without a cache, and exports one to the registry', async () => {
    freshBuilderState()
    const first = await build({ 'cache-to': `type=registry,ref=${cacheRef},mode=max` })
    expect(first.exitCode).toBe(0)
    expect(runStepsExecuted(first.log)).toBe(3)
    expect(await registryTags(tb, `${repository}-cache`)).toEqual(['buildcache'])
  })

  it('takes every step from the registry cache in a fresh builder state', async () => {
    freshBuilderState()
    const second = await build({ 'cache-from': `type=registry,ref=${cacheRef}` })
    expect(second.exitCode).toBe(0)
    console.log(`RUN steps executed with the registry cache: ${runStepsExecuted(second.log)} of 3`)
    expect(runStepsExecuted(second.log)).toBe(0)
  })

  it('runs them again from a fresh builder state without cache-from (the cache was the reason)', async () => {
    freshBuilderState()
    const third = await build({})
    expect(third.exitCode).toBe(0)
    expect(runStepsExecuted(third.log)).toBe(3)
  })
})
