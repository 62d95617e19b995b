import { describe, expect, it } from '@jest/globals'
import { parseRolloutState } from '../../../../src/deploy/compose/recovery.js'

describe('parseRolloutState', () => {
  it('is undefined when no rollout was under way', () => {
    expect(parseRolloutState('')).toBeUndefined()
  })

  it('reads what the deploy step saves', () => {
    const state = {
      project: 'shop',
      service: 'web',
      old: ['a'.repeat(64)],
      phase: 'switching',
      switchCommand: { service: 'proxy', command: 'nginx -s reload', args: ['nginx', '-s', 'reload'] }
    }
    expect(parseRolloutState(JSON.stringify(state))).toEqual(state)
  })

  it.each([
    ['another phase', { project: 'shop', service: 'web', old: [], phase: 'done' }],
    ['no list of old containers', { project: 'shop', service: 'web', old: 'a', phase: 'scaling' }],
    ['no project', { service: 'web', old: [], phase: 'scaling' }],
    ['null', null],
    ['not JSON', '{"project":']
  ] as [string, unknown][])('refuses %s', (_name, state) => {
    const text = typeof state === 'string' ? state : JSON.stringify(state)
    expect(() => parseRolloutState(text)).toThrow('the saved rollout state is not one the main step writes')
  })
})
