import { describe, expect, it } from '@jest/globals'
import { DEFAULT_MONITOR, updateConfigPatch } from '../../../../src/deploy/swarm/update-config.js'

describe('updateConfigPatch: what the rolled service lacks for a lossless, self-undoing update', () => {
  it('adds everything to a service without deploy:', () => {
    const patch = updateConfigPatch(undefined)
    expect(patch.deploy).toEqual({
      update_config: { order: 'start-first', failure_action: 'rollback', monitor: DEFAULT_MONITOR },
      rollback_config: { parallelism: 0, order: 'start-first', failure_action: 'pause' }
    })
    expect(patch.added).toEqual([
      'update_config.order: start-first',
      'update_config.failure_action: rollback',
      `update_config.monitor: ${DEFAULT_MONITOR}`,
      'rollback_config: parallelism 0, order start-first, failure_action pause'
    ])
  })
  it('keeps the file own keys beside the added ones, and says what it changed', () => {
    const patch = updateConfigPatch({
      update_config: { parallelism: 2, order: 'stop-first', monitor: '3s' },
      rollback_config: { parallelism: 1 }
    })
    expect(patch.deploy).toEqual({
      update_config: { parallelism: 2, order: 'start-first', failure_action: 'rollback', monitor: '3s' }
    })
    expect(patch.added).toEqual([
      'update_config.order: start-first (was stop-first)',
      'update_config.failure_action: rollback'
    ])
  })
  it('adds nothing to a service that has it all', () => {
    const patch = updateConfigPatch({
      update_config: { order: 'start-first', failure_action: 'rollback', monitor: '5s' },
      rollback_config: { order: 'start-first' }
    })
    expect(patch).toEqual({ added: [] })
  })
  it('sets the replicas input', () => {
    const complete = {
      update_config: { order: 'start-first', failure_action: 'rollback', monitor: '5s' },
      rollback_config: {}
    }
    expect(updateConfigPatch(complete, 4)).toEqual({ deploy: { replicas: 4 }, added: [] })
  })
})
