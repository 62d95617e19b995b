import { describe, expect, it } from '@jest/globals'
import type { DockerCli } from '../../../../src/docker/cli.js'
import type { RunResult } from '../../../../src/program/program.js'
import { interruptedSwarmRollout, recoverSwarmRollout } from '../../../../src/deploy/swarm/recovery.js'
import { deploySection } from '../../../../src/deploy/summary.js'
import type { DeployResult } from '../../../../src/deploy/result.js'

/** A docker CLI answering `service inspect` with the states given in turn, recording every call. */
function fakeDocker(states: string[]): { docker: DockerCli; calls: string[][] } {
  const calls: string[][] = []
  const answer = (stdout: string, exitCode = 0): RunResult => ({ stdout, stderr: '', exitCode }) as RunResult
  const docker = {
    run: (args: string[]) => {
      calls.push(args)
      if (args[0] === 'service' && args[1] === 'inspect') {
        const state = states.length > 1 ? states.shift() : states[0]
        return Promise.resolve(
          answer(
            JSON.stringify({
              ID: 's',
              Spec: {},
              ...(state ? { UpdateStatus: { State: state, StartedAt: 't' } } : {})
            })
          )
        )
      }
      return Promise.resolve(answer(''))
    }
  } as unknown as DockerCli
  return { docker, calls }
}

const quiet = { info: () => undefined, warning: () => undefined }

describe('the post step after a Swarm rollout the main step did not finish', () => {
  it('rolls back an update still going and waits for the rollback', async () => {
    const { docker, calls } = fakeDocker(['updating', 'rollback_started', 'rollback_completed'])
    const warnings: string[] = []
    const what = await recoverSwarmRollout(docker, { stack: 'swarm-app', service: 'web' }, 30, {
      info: () => undefined,
      warning: (message) => warnings.push(message)
    })
    expect(calls).toContainEqual(['service', 'rollback', '--detach=true', 'swarm-app_web'])
    expect(what).toBe(
      'The deploy ended while Swarm was updating swarm-app_web (updating): rolled it back (rollback_completed).'
    )
    expect(warnings).toEqual([what])
  })
  it('leaves an update Swarm finished alone', async () => {
    const { docker, calls } = fakeDocker(['completed'])
    const what = await recoverSwarmRollout(docker, { stack: 'swarm-app', service: 'web' }, 30, quiet)
    expect(what).toContain('which Swarm had finished (completed): nothing to do')
    expect(calls.some((args) => args.includes('rollback'))).toBe(false)
  })
  it('reads the saved state against the service input', () => {
    const saved = JSON.stringify({ orchestrator: 'swarm', stack: 'swarm-app', service: 'web' })
    const input = (name: string): string => ({ service: 'web', 'health-timeout': '60' })[name] ?? ''
    expect(interruptedSwarmRollout(saved, input)?.service).toBe('swarm-app_web')
    expect(interruptedSwarmRollout('', input)).toBeUndefined()
  })
})

describe('the summary of a Swarm rollout', () => {
  it('has a row per task, its cells plain text', () => {
    const result: DeployResult = {
      deployed: false,
      previousImage: 'r/app:1',
      containers: [],
      failures: [],
      host: 'unix:///m.sock',
      project: 'swarm-app',
      service: 'web',
      image: 'r/app:2',
      timeline: [],
      hosts: [],
      rolledBack: true,
      tasks: [
        { task: 'swarm-app_web.1', node: 'cs-engine-1', state: 'running', health: 'healthy', error: '' },
        {
          task: 'swarm-app_web.2',
          node: 'cs-engine-2',
          state: 'failed',
          health: 'unhealthy',
          error: 'a | <b>'
        }
      ]
    }
    expect(deploySection(result)).toContain(
      [
        '| Task | Node | State | Health | Error |',
        '| --- | --- | --- | --- | --- |',
        '| swarm-app_web.1 | cs-engine-1 | running | healthy |   |',
        '| swarm-app_web.2 | cs-engine-2 | failed | unhealthy | a \\| &lt;b&gt; |'
      ].join('\n')
    )
  })
})
