// The deploy step with orchestrator: swarm, end to end on the test bed's three-engine swarm: the
// bundled action builds and pushes the web image, then `docker stack deploy`s the stack on the
// manager and follows Swarm's rolling update, while load goes through nginx in front of the
// service's tasks (published on engine 1's address). A good release goes out with no request
// failed and the digest pushed; one failing its healthcheck is rolled back by Swarm and the step
// fails naming the task errors; a secret fed by the env input is rotated without a failed request
// and its old version removed.
import { afterAll, beforeAll, describe, expect, it, jest } from '@jest/globals'
import { visibleText } from '../../support/harness.js'
import {
  manager,
  newSwarmStack,
  proxyAddress,
  runs,
  serviceStatus,
  serviceTasks,
  setUpSwarmBed,
  swarmRelease,
  swarmUnderLoad,
  tb,
  tearDownSwarmBed,
  waitForAnswer,
  type SwarmStack
} from '../../support/swarm-harness.js'

jest.setTimeout(600_000)

/** Everything a run wrote, without the lines that ask the runner to mask a value. */
const unmasked = (text: string): string =>
  text
    .split('\n')
    .filter((line) => !line.startsWith('::add-mask::'))
    .join('\n')

beforeAll(setUpSwarmBed)
afterAll(tearDownSwarmBed)

describe('a good release, then one failing its healthcheck', () => {
  let stack: SwarmStack
  let service: string

  beforeAll(() => {
    stack = newSwarmStack('good', 18080)
    service = `${stack.name}_web`
  })

  it('deploys the stack on the swarm, adding the update settings it lacks with a notice', async () => {
    const first = await swarmRelease(stack, '1.0.0')
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    expect(first.log).toContain(
      '::notice::compose-file: service web gets update_config.order: start-first, update_config.failure_action: rollback, rollback_config: parallelism 0, order start-first, failure_action pause from the action'
    )
    expect(first.log).not.toMatch(/runs without live-restore/)
    expect(first.outputs).toMatchObject({ deployed: 'true', 'previous-image': '' })
    const tasks = (await serviceTasks(service)).filter((task) => task.desired === 'Running')
    expect(tasks).toHaveLength(3)
    expect(first.outputs.containers?.split('\n')).toHaveLength(3)
    // Deployed by the digest pushed.
    expect(first.outputs.digest).toMatch(/^sha256:[0-9a-f]{64}$/)
    const status = await serviceStatus(service)
    expect(status.image).toBe(`${stack.image}:1.0.0@${first.outputs.digest}`)
    expect(tasks.every((task) => task.image === status.image)).toBe(true)
    await waitForAnswer(proxyAddress(stack), '1.0.0', 60)
    expect(visibleText(first.summary)).toContain('| Task | Node | State | Health | Error |')
  })

  it('rolls out v2 under load with no request failed', async () => {
    const { run, load, seconds } = await swarmUnderLoad(stack, () => swarmRelease(stack, '2.0.0'))
    console.log(
      `swarm v1 -> v2: ${load.total} requests, ${load.failed} failed in ${load.seconds} s (action ${seconds} s)`,
      load.failures,
      load.versions,
      run.summary.split('\n').filter((line) => line.startsWith('|'))
    )
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(load.failed).toBe(0)
    expect(load.total).toBeGreaterThan(100)
    expect(load.versions['1.0.0']).toBeGreaterThan(0)
    expect(load.versions['2.0.0']).toBeGreaterThan(0)
    expect(load.lastVersion).toBe('2.0.0')
    expect(run.outputs).toMatchObject({ deployed: 'true' })
    expect(run.outputs['previous-image']).toMatch(new RegExp(`^${stack.image}:1\\.0\\.0@sha256:`))
    const status = await serviceStatus(service)
    expect(status).toEqual({ image: `${stack.image}:2.0.0@${run.outputs.digest}`, update: 'completed' })
    expect(run.log).toContain(`Every task of ${service} runs ${run.outputs.digest}`)
    const tasks = (await serviceTasks(service)).filter((task) => task.desired === 'Running')
    expect(tasks.map((task) => task.image)).toEqual(Array(3).fill(status.image))
    // Tasks on more than one node: the swarm spread them.
    expect(new Set(tasks.map((task) => task.node)).size).toBeGreaterThan(1)
  })

  it('fails a release whose healthcheck fails, after Swarm rolled it back, with no request failed', async () => {
    const { run, load, seconds } = await swarmUnderLoad(stack, () =>
      swarmRelease(stack, '3.0.0', { behaviour: 'never-healthy' })
    )
    console.log(
      `swarm v2 -> failing v3: ${load.total} requests, ${load.failed} failed in ${load.seconds} s (action ${seconds} s)`,
      load.failures,
      load.versions
    )
    expect(run.exitCode).not.toBe(0)
    const error = run.log.split('\n').find((line) => line.startsWith('::error::')) ?? ''
    console.log(error)
    expect(error).toContain(`the update of ${service} failed: Swarm rolled the update back: task ${service}.`)
    expect(error).toMatch(/unhealthy|non-zero exit/)
    expect(run.outputs).toMatchObject({ deployed: 'false' })
    expect(load.failed).toBe(0)
    expect(load.versions['3.0.0']).toBeUndefined()
    expect(load.lastVersion).toBe('2.0.0')
    const status = await serviceStatus(service)
    expect(status.update).toBe('rollback_completed')
    expect(status.image).toMatch(new RegExp(`^${stack.image}:2\\.0\\.0@sha256:`))
    expect(run.summary).toContain('rolled back')
  })

  it('cancelled mid-update: the post step rolls Swarm back, no request failed', async () => {
    const { run, load } = await swarmUnderLoad(stack, () =>
      swarmRelease(stack, '4.0.0', { cancelWhen: (log) => log.includes(`${service}: update in progress`) })
    )
    console.log(
      `swarm cancelled v4: ${load.total} requests, ${load.failed} failed`,
      load.failures,
      load.versions
    )
    console.log(run.post.log.split('\n').filter((line) => /roll|Swarm/.test(line)))
    expect(run.cancelled).toBe(true)
    expect(run.post.log).toContain(
      `::warning::The deploy ended while Swarm was updating ${service} (updating): rolled it back (rollback_completed).`
    )
    expect(run.post.log).toMatch(/Released the deploy lock container-ship-lock-\S+/)
    const status = await serviceStatus(service)
    expect(status.update).toBe('rollback_completed')
    expect(status.image).toMatch(new RegExp(`^${stack.image}:2\\.0\\.0@sha256:`))
    const tasks = (await serviceTasks(service)).filter((task) => task.desired === 'Running')
    expect(tasks.map((task) => task.image)).toEqual(Array(3).fill(status.image))
    expect(load.failed).toBe(0)
    expect(load.lastVersion).toBe('2.0.0')
  })
})

describe('a secret fed by the env input', () => {
  let stack: SwarmStack
  let service: string

  beforeAll(() => {
    stack = newSwarmStack('secret', 18081)
    service = `${stack.name}_web`
  })

  const secrets = async (): Promise<string[]> =>
    (
      await manager([
        'secret',
        'ls',
        '--filter',
        `label=com.docker.stack.namespace=${stack.name}`,
        '--format',
        '{{.Name}}'
      ])
    )
      .split('\n')
      .filter(Boolean)
      .sort()

  it('is created as a content-hashed version, its value masked', async () => {
    const first = await swarmRelease(stack, '1.0.0', {
      secret: true,
      inputs: { env: 'API_TOKEN=first-token-a1' }
    })
    expect(first.log).not.toContain('::error::')
    expect(first.exitCode).toBe(0)
    expect(first.masks).toContain('first-token-a1')
    expect(unmasked(first.everything)).not.toContain('first-token-a1')
    const names = await secrets()
    expect(names).toHaveLength(1)
    expect(names[0]).toMatch(new RegExp(`^${stack.name}_token_[0-9a-f]{12}$`))
    await waitForAnswer(`${proxyAddress(stack)}/token`, 'first-token-a1', 60)
  })

  it('is rotated without a failed request, and the old version removed', async () => {
    const [old] = await secrets()
    const { run, load, seconds } = await swarmUnderLoad(stack, () =>
      swarmRelease(stack, '1.0.0', {
        secret: true,
        steps: 'deploy',
        inputs: { env: 'API_TOKEN=second-token-b2' }
      })
    )
    console.log(
      `swarm secret rotation: ${load.total} requests, ${load.failed} failed in ${load.seconds} s (action ${seconds} s)`,
      load.failures
    )
    expect(run.log).not.toContain('::error::')
    expect(run.exitCode).toBe(0)
    expect(load.failed).toBe(0)
    expect(load.total).toBeGreaterThan(100)
    const names = await secrets()
    expect(names).toHaveLength(1)
    expect(names[0]).not.toBe(old)
    expect(run.log).toContain(`Removed the secret ${old}, an older version`)
    const spec = await manager([
      'service',
      'inspect',
      '--format',
      '{{range .Spec.TaskTemplate.ContainerSpec.Secrets}}{{.SecretName}}{{end}}',
      service
    ])
    expect(spec).toBe(names[0])
    await waitForAnswer(`${proxyAddress(stack)}/token`, 'second-token-b2', 30)
    expect(unmasked(run.everything)).not.toContain('second-token-b2')
  })
})

it('refuses a worker as deploy-host (given by its old name docker-host) before anything is built', async () => {
  const stack = newSwarmStack('worker', 18082)
  const run = await swarmRelease(stack, '1.0.0', { inputs: { 'docker-host': tb.engines[1]?.socket ?? '' } })
  expect(run.exitCode).not.toBe(0)
  expect(run.log).toContain(
    '::error::orchestrator: swarm needs deploy-host to be a Swarm manager, and its engine is a worker'
  )
  expect(run.log).not.toContain('::group::Build')
  expect(await manager(['stack', 'ls', '--format', '{{.Name}}'])).not.toContain(stack.name)
})

it('fails a first deploy that never gets healthy at health-timeout, naming the task errors', async () => {
  const stack = newSwarmStack('first-unhealthy', 18083)
  const run = await swarmRelease(stack, '1.0.0', {
    behaviour: 'never-healthy',
    inputs: { 'health-timeout': '20' }
  })
  const error = run.log.split('\n').find((line) => line.startsWith('::error::')) ?? ''
  console.log(error)
  expect(run.exitCode).not.toBe(0)
  expect(error).toContain(
    `::error::the update of ${stack.name}_web did not complete within 20 s (health-timeout): 0 of 3 task(s) of the new spec running; task ${stack.name}_web.`
  )
  expect(error).toMatch(/unhealthy container/)
  expect(run.outputs).toMatchObject({ deployed: 'false', 'previous-image': '' })
})

it('leaves no secret in any run', () => {
  for (const run of runs) {
    expect(unmasked(run.everything)).not.toContain('first-token-a1')
    expect(unmasked(run.everything)).not.toContain('second-token-b2')
  }
})
