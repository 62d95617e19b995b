import { describe, expect, it } from '@jest/globals'
import {
  parseService,
  parseTask,
  type ServiceView,
  type TaskView
} from '../../../../src/deploy/swarm/service.js'
import { judge, taskErrors, taskHealth } from '../../../../src/deploy/swarm/verdict.js'
import { stackDeployArgs, taskRows } from '../../../../src/deploy/swarm/rollout.js'

const V1 = 'reg/app:1@sha256:' + '1'.repeat(64)
const V2 = 'reg/app:2@sha256:' + '2'.repeat(64)
const NAME = 'swarm-app_web'

function service(image: string, update?: ServiceView['update']): ServiceView {
  return {
    id: 's1',
    image,
    replicas: 2,
    healthcheck: true,
    taskTemplate: JSON.stringify({ ContainerSpec: { Image: image } }),
    ...(update ? { update } : {})
  }
}

function task(slot: number, image: string, state: string, extra: Partial<TaskView> = {}): TaskView {
  return {
    id: `t${slot}${state}`,
    slot,
    nodeId: `n${slot}`,
    node: `cs-engine-${slot}`,
    desiredState: state === 'running' || state === 'starting' ? 'running' : 'shutdown',
    state,
    error: '',
    message: '',
    image,
    containerId: `c${slot}`,
    timestamp: '2026-12-06T09:00:00Z',
    ...extra
  }
}

const before = {
  startedAt: '2026-12-06T08:00:00Z',
  taskTemplate: JSON.stringify({ ContainerSpec: { Image: V1 } })
}

describe('judge: where a Swarm update stands', () => {
  it('waits until the update this deploy started shows up', () => {
    const old = { state: 'completed' as const, startedAt: before.startedAt, message: '' }
    const verdict = judge(NAME, service(V2, old), [task(1, V1, 'running'), task(2, V1, 'running')], before)
    expect(verdict).toEqual({ kind: 'waiting', why: 'the update has not started yet' })
  })
  it('waits while updating, and is done once completed with every task on the new spec', () => {
    const updating = { state: 'updating' as const, startedAt: 'now', message: 'update in progress' }
    expect(judge(NAME, service(V2, updating), [], before)).toEqual({
      kind: 'waiting',
      why: 'update in progress'
    })
    const completed = { state: 'completed' as const, startedAt: 'now', message: 'update completed' }
    const tasks = [task(1, V2, 'running'), task(2, V2, 'running'), task(1, V1, 'shutdown')]
    const verdict = judge(NAME, service(V2, completed), tasks, before)
    expect(verdict.kind).toBe('done')
    expect(verdict.kind === 'done' && verdict.running.map((t) => t.id)).toEqual(['t1running', 't2running'])
  })
  it('fails after Swarm rolled back by itself, naming the task errors', () => {
    const rolledBack = {
      state: 'rollback_completed' as const,
      startedAt: 'now',
      message: 'rollback completed'
    }
    const tasks = [
      task(1, V1, 'running'),
      task(2, V1, 'running'),
      task(2, V2, 'failed', { error: 'task: non-zero exit (1)', timestamp: '2026-12-06T09:00:05Z' }),
      task(1, V2, 'shutdown', { error: 'task: non-zero exit (1)', timestamp: '2026-12-06T09:00:01Z' })
    ]
    expect(judge(NAME, service(V1, rolledBack), tasks, before)).toEqual({
      kind: 'failed',
      rolledBack: true,
      why: 'Swarm rolled the update back: task swarm-app_web.2 on cs-engine-2: task: non-zero exit (1)'
    })
  })
  it('waits through a rollback, and fails on a paused update', () => {
    const rollingBack = {
      state: 'rollback_started' as const,
      startedAt: 'now',
      message: 'update rolled back due to failure'
    }
    expect(judge(NAME, service(V1, rollingBack), [], before).kind).toBe('waiting')
    const paused = { state: 'paused' as const, startedAt: 'now', message: 'update paused due to failure' }
    expect(judge(NAME, service(V2, paused), [], before)).toEqual({
      kind: 'failed',
      rolledBack: false,
      why: 'Swarm paused the update: update paused due to failure'
    })
  })
  it('converges a first deploy (no UpdateStatus) on its tasks running', () => {
    const fresh = { startedAt: '' }
    expect(judge(NAME, service(V2), [task(1, V2, 'running'), task(2, V2, 'starting')], fresh)).toEqual({
      kind: 'waiting',
      why: '1 of 2 task(s) of the new spec running'
    })
    expect(judge(NAME, service(V2), [task(1, V2, 'running'), task(2, V2, 'running')], fresh).kind).toBe(
      'done'
    )
  })
  it('is done at once for a deploy that changed no task (same spec)', () => {
    const same = { startedAt: '', taskTemplate: JSON.stringify({ ContainerSpec: { Image: V2 } }) }
    expect(judge(NAME, service(V2), [task(1, V2, 'running'), task(2, V2, 'running')], same).kind).toBe('done')
  })
})

describe('tasks: errors, health and rows', () => {
  it('lists distinct errors newest first', () => {
    const tasks = [
      task(1, V2, 'failed', { error: 'a', timestamp: '1' }),
      task(2, V2, 'failed', { error: 'b', timestamp: '3' }),
      task(3, V2, 'failed', { error: 'a', timestamp: '2' })
    ]
    expect(taskErrors(NAME, tasks)).toEqual([
      'task swarm-app_web.2 on cs-engine-2: b',
      'task swarm-app_web.3 on cs-engine-3: a'
    ])
  })
  it('reads health from the state Swarm holds a task in until healthy', () => {
    expect(taskHealth({ state: 'running', error: '' }, true)).toBe('healthy')
    expect(taskHealth({ state: 'starting', error: '' }, true)).toBe('starting')
    expect(
      taskHealth({ state: 'failed', error: 'task: non-zero exit (1): dockerexec: unhealthy container' }, true)
    ).toBe('unhealthy')
    expect(taskHealth({ state: 'running', error: '' }, false)).toBe('none')
  })
  it('rows: the tasks meant to run and the failed ones since the deploy began', () => {
    const rows = taskRows(
      NAME,
      [
        task(1, V2, 'running'),
        task(2, V2, 'failed', { error: 'boom', timestamp: '2026-12-06T09:00:05Z' }),
        task(3, V1, 'shutdown', { error: 'old', timestamp: '2026-12-05T09:00:05Z' })
      ],
      true,
      '2026-12-06T08:59:00Z'
    )
    expect(rows).toEqual([
      { task: 'swarm-app_web.1', node: 'cs-engine-1', state: 'running', health: 'healthy', error: '' },
      { task: 'swarm-app_web.2', node: 'cs-engine-2', state: 'failed', health: '', error: 'boom' }
    ])
  })
})

describe('parsing what the manager prints', () => {
  it('reads a service and a task', () => {
    const view = parseService({
      ID: 'abc',
      Spec: {
        Mode: { Replicated: { Replicas: 3 } },
        TaskTemplate: { ContainerSpec: { Image: V2, Healthcheck: { Test: ['CMD', 'true'] } } }
      },
      UpdateStatus: { State: 'updating', StartedAt: 'x', Message: 'update in progress' }
    })
    expect(view).toMatchObject({
      id: 'abc',
      image: V2,
      replicas: 3,
      healthcheck: true,
      update: { state: 'updating', startedAt: 'x', message: 'update in progress' }
    })
    expect(parseService({ Spec: { Mode: { Global: {} } } })).toMatchObject({ image: '', healthcheck: false })
    const parsed = parseTask(
      {
        ID: 't',
        Slot: 2,
        NodeID: 'node2',
        DesiredState: 'running',
        Spec: { ContainerSpec: { Image: V2 } },
        Status: {
          State: 'running',
          Err: '',
          Message: 'started',
          Timestamp: 'ts',
          ContainerStatus: { ContainerID: 'cid' }
        }
      },
      new Map([['node2', 'cs-engine-2']])
    )
    expect(parsed).toEqual({
      id: 't',
      slot: 2,
      nodeId: 'node2',
      node: 'cs-engine-2',
      desiredState: 'running',
      state: 'running',
      error: '',
      message: 'started',
      image: V2,
      containerId: 'cid',
      timestamp: 'ts'
    })
  })
})

describe('stackDeployArgs', () => {
  it('sends credentials, resolves the image, returns at once, every file in order', () => {
    expect(stackDeployArgs(['/w/a.yml', '-', '/tmp/x/container-ship.yml'], 'swarm-app')).toEqual([
      'stack',
      'deploy',
      '--with-registry-auth',
      '--resolve-image',
      'always',
      '--detach=true',
      '-c',
      '/w/a.yml',
      '-c',
      '-',
      '-c',
      '/tmp/x/container-ship.yml',
      'swarm-app'
    ])
    expect(stackDeployArgs(['/w/a.yml'], 'swarm-app', false)).not.toContain('--detach=true')
  })
})
