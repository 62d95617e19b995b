import { describe, expect, it } from '@jest/globals'
import {
  losesHealthchecksOnRestart,
  earliestSeconds,
  judgeEvent,
  judgeState,
  parseEngineEvent,
  type EngineEvent
} from '../../../../src/deploy/compose/health.js'
import type { ContainerState } from '../../../../src/deploy/compose/containers.js'

const ID = 'abcdef1234567890fedcba0987654321abcdef1234567890fedcba0987654321'
const ATTRIBUTES = {
  'com.docker.compose.config-hash': '3f1c0d2b8e',
  'com.docker.compose.container-number': '4',
  'com.docker.compose.project': 'proj',
  'com.docker.compose.service': 'web',
  image: 'localhost:5000/web:1.2.0',
  name: 'proj-web-4'
}

/** One line of `docker events --format '{{json .}}'` as Docker Engine 20.10 prints it. */
function eventLine(action: string, attributes: Record<string, string> = {}): string {
  const event = JSON.stringify({
    status: action,
    id: ID,
    from: 'localhost:5000/web:1.2.0',
    Type: 'container',
    Action: action,
    Actor: { ID, Attributes: { ...ATTRIBUTES, ...attributes } },
    scope: 'local',
    time: 1714557606
  })
  // timeNano is past what a double holds exactly, as the engine prints it.
  return event.replace(/}$/, ',"timeNano":1714557606812345678}')
}

describe('parseEngineEvent', () => {
  it('reads a health status event', () => {
    const line = `{"status":"health_status: healthy","id":"${ID}","from":"img","Type":"container","Action":"health_status: healthy","Actor":{"ID":"${ID}","Attributes":{"image":"img","name":"x"}},"scope":"local","time":1,"timeNano":1}`
    expect(parseEngineEvent(line)).toStrictEqual({ id: ID, action: 'health_status: healthy' })
  })

  it('reads the exit code of a die event as a number', () => {
    expect(parseEngineEvent(eventLine('die', { exitCode: '3' }))).toStrictEqual({
      id: ID,
      action: 'die',
      exitCode: 3
    })
  })

  it('has no exit code when the event carries none', () => {
    expect(parseEngineEvent(eventLine('start'))).toStrictEqual({ id: ID, action: 'start' })
  })

  it('reads an event without the deprecated status, id and from fields', () => {
    const line = JSON.stringify({
      Type: 'container',
      Action: 'oom',
      Actor: { ID, Attributes: ATTRIBUTES },
      scope: 'local',
      time: 1,
      timeNano: 1
    })
    expect(parseEngineEvent(line)).toStrictEqual({ id: ID, action: 'oom' })
  })

  it('falls back to id and status when there is no Actor and Action', () => {
    expect(parseEngineEvent(`{"status":"restart","id":"${ID}","from":"img","time":1}`)).toStrictEqual({
      id: ID,
      action: 'restart'
    })
  })

  it.each([
    ['garbage', 'Error response from daemon: client version 1.52 is too new'],
    ['an empty line', ''],
    ['a cut-off line', eventLine('die').slice(0, 40)],
    ['an event without an ID', '{"Type":"container","Action":"die","Actor":{"Attributes":{}}}'],
    ['an event without an action', `{"Type":"container","Actor":{"ID":"${ID}"}}`],
    ['an empty object', '{}']
  ])('ignores %s', (_name, line) => {
    expect(parseEngineEvent(line)).toBeUndefined()
  })
})

describe('judgeEvent', () => {
  const event = (action: string, exitCode?: number): EngineEvent => ({
    id: ID,
    action,
    ...(exitCode === undefined ? {} : { exitCode })
  })

  it.each([
    ['die with an exit code', event('die', 3), { kind: 'failed', reason: 'exited with code 3' }],
    ['die with exit code 0', event('die', 0), { kind: 'failed', reason: 'exited with code 0' }],
    ['die without an exit code', event('die'), { kind: 'failed', reason: 'exited with code unknown' }],
    ['oom', event('oom'), { kind: 'failed', reason: 'was killed for running out of memory' }],
    ['restart', event('restart'), { kind: 'failed', reason: 'restarted' }],
    ['destroy', event('destroy'), { kind: 'failed', reason: 'was removed' }],
    ['unhealthy', event('health_status: unhealthy'), { kind: 'failed', reason: 'became unhealthy' }],
    ['start', event('start'), { kind: 'waiting' }],
    ['health_status: starting', event('health_status: starting'), { kind: 'waiting' }],
    ['exec_start of the healthcheck', event('exec_start: /bin/sh -c curl -f localhost'), { kind: 'waiting' }]
  ])('%s', (_name, given, verdict) => {
    expect(judgeEvent(given, true)).toEqual(verdict)
    expect(judgeEvent(given, false)).toEqual(verdict)
  })

  it('takes healthy as ready only for a container with a healthcheck', () => {
    expect(judgeEvent(event('health_status: healthy'), true)).toEqual({ kind: 'ready' })
    expect(judgeEvent(event('health_status: healthy'), false)).toEqual({ kind: 'waiting' })
  })
})

describe('judgeState', () => {
  const state = (overrides: Partial<ContainerState>): ContainerState => ({
    id: ID,
    name: 'proj-web-4',
    image: 'localhost:5000/web:1.2.0',
    imageId: 'sha256:5b0e8a3c9c1f',
    created: '2024-05-01T10:00:01.123456789Z',
    running: true,
    status: 'running',
    exitCode: 0,
    restartCount: 0,
    networks: {},
    ...overrides
  })
  const health = (status: string): ContainerState['health'] => ({ status, log: [] })

  it.each([
    [
      'exited',
      state({ running: false, status: 'exited', exitCode: 1 }),
      { kind: 'failed', reason: 'is exited (exit code 1)' }
    ],
    [
      'dead',
      state({ running: false, status: 'dead', exitCode: 137 }),
      { kind: 'failed', reason: 'is dead (exit code 137)' }
    ],
    ['created, not started yet', state({ running: false, status: 'created' }), { kind: 'waiting' }],
    ['restarted once', state({ restartCount: 1 }), { kind: 'failed', reason: 'restarted' }],
    [
      'restarting',
      state({ status: 'restarting', restartCount: 3, health: health('starting') }),
      { kind: 'failed', reason: 'restarted' }
    ],
    ['unhealthy', state({ health: health('unhealthy') }), { kind: 'failed', reason: 'became unhealthy' }],
    ['healthy', state({ health: health('healthy') }), { kind: 'ready' }],
    ['starting', state({ health: health('starting') }), { kind: 'waiting' }],
    ['running without a healthcheck', state({}), { kind: 'waiting' }]
  ])('%s', (_name, given, verdict) => {
    expect(judgeState(given)).toEqual(verdict)
  })

  it('fails an exited container before looking at its health', () => {
    expect(
      judgeState(state({ running: false, status: 'exited', exitCode: 2, health: health('healthy') }))
    ).toEqual({
      kind: 'failed',
      reason: 'is exited (exit code 2)'
    })
  })
})

describe('earliestSeconds', () => {
  it('is the second before the earliest creation, rounded down', () => {
    // 2024-05-01T10:00:01Z is 1714557601 s.
    expect(
      earliestSeconds([
        { created: '2024-05-01T10:00:02.987654321Z' },
        { created: '2024-05-01T10:00:01.5Z' },
        { created: '2024-05-01T10:00:03Z' }
      ])
    ).toBe(1714557600)
  })

  it('reads an offset and ignores a time that does not parse', () => {
    expect(earliestSeconds([{ created: '' }, { created: '2024-05-01T12:00:01.999999999+02:00' }])).toBe(
      1714557600
    )
  })

  it('takes a whole second as it is, minus one', () => {
    expect(earliestSeconds([{ created: '2024-05-01T10:00:01Z' }])).toBe(1714557600)
  })
})

describe('losesHealthchecksOnRestart', () => {
  it.each([
    ['20.10.24+dfsg1', true], // Debian 12's docker.io
    ['20.10.7', true],
    ['22.06.0-beta.0', true],
    ['23.0.0', false], // moby/moby#41935
    ['28.5.1', false],
    ['', false], // not said: nothing is assumed
    ['dev', false]
  ])('%s: %s', (version, loses) => expect(losesHealthchecksOnRestart(version)).toBe(loses))
})
