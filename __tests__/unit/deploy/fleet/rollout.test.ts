import { describe, expect, it } from '@jest/globals'
import { rollOutInBatches, type FleetHost } from '../../../../src/deploy/fleet/rollout.js'

/** Hosts that record what was done to them, in one shared order. */
function fleet(count: number, behaviour: { failOn?: number; unwellOn?: number; revertFails?: number } = {}) {
  const events: string[] = []
  const hosts: FleetHost[] = Array.from({ length: count }, (_, index) => ({
    index,
    url: `ssh://deploy@host-${index + 1}`,
    rollOut: async () => {
      events.push(`roll ${index}`)
      if (behaviour.failOn === index) throw new Error('web-2 is unhealthy')
    },
    checkServing: async () => {
      if (behaviour.unwellOn === index) throw new Error('its new container(s) web-1 stopped serving')
    },
    revert: async () => {
      events.push(`revert ${index}`)
      if (behaviour.revertFails === index) throw new Error('no image')
    }
  }))
  const log = {
    info: (m: string) => events.push(`info ${m}`),
    warning: (m: string) => events.push(`warning ${m}`)
  }
  const finished: number[] = []
  const options = (extra = {}) => ({
    batches: hosts.map((host) => [host.index]),
    batchWaitSeconds: 0,
    onFailure: 'rollback' as const,
    log,
    finished: (index: number) => finished.push(index),
    sleep: async () => undefined,
    ...extra
  })
  return { hosts, events, finished, options }
}

const rolls = (events: string[]) => events.filter((e) => /^(roll|revert) /.test(e))

describe('rollOutInBatches', () => {
  it('rolls every host, batch after batch, and reports each deployed', async () => {
    const { hosts, events, finished, options } = fleet(3)
    const { outcomes, error } = await rollOutInBatches(hosts, options())
    expect(error).toBeUndefined()
    expect(rolls(events)).toEqual(['roll 0', 'roll 1', 'roll 2'])
    expect(finished).toEqual([0, 1, 2])
    expect([...outcomes.values()]).toEqual(['deployed', 'deployed', 'deployed'])
  })

  it('stops at a failing host, rolls back the hosts that finished, leaves the rest untouched', async () => {
    const { hosts, events, options } = fleet(4, { failOn: 1 })
    const { outcomes, error } = await rollOutInBatches(hosts, options())
    expect(error?.message).toBe('ssh://deploy@host-2: web-2 is unhealthy')
    expect(rolls(events)).toEqual(['roll 0', 'roll 1', 'revert 0'])
    expect(Object.fromEntries(outcomes)).toEqual({
      0: 'reverted',
      1: 'failed',
      2: 'not reached',
      3: 'not reached'
    })
  })

  it('a failing canary touches no other host', async () => {
    const { hosts, events, options } = fleet(3, { failOn: 0 })
    const { error } = await rollOutInBatches(hosts, options({ batches: [[0], [1, 2]] }))
    expect(error?.message).toBe('ssh://deploy@host-1: web-2 is unhealthy')
    expect(rolls(events)).toEqual(['roll 0'])
  })

  it('with on-failure: stop, leaves the finished hosts on the new release and says so', async () => {
    const { hosts, events, options } = fleet(3, { failOn: 2 })
    const { outcomes, error } = await rollOutInBatches(hosts, options({ onFailure: 'stop' }))
    expect(error).toBeDefined()
    expect(rolls(events)).toEqual(['roll 0', 'roll 1', 'roll 2'])
    expect(Object.fromEntries(outcomes)).toEqual({ 0: 'deployed', 1: 'deployed', 2: 'failed' })
    expect(events).toContain(
      'warning on-failure: stop: ssh://deploy@host-1, ssh://deploy@host-2 stay on the new release; the other hosts run the one before'
    )
  })

  it('rolls the hosts of a batch side by side, and all of a failed batch that finished back', async () => {
    const { hosts, events, options } = fleet(4, { failOn: 3 })
    const { outcomes } = await rollOutInBatches(
      hosts,
      options({
        batches: [
          [0, 1],
          [2, 3]
        ]
      })
    )
    expect(rolls(events)).toEqual([
      'roll 0',
      'roll 1',
      'roll 2',
      'roll 3',
      'revert 0',
      'revert 1',
      'revert 2'
    ])
    expect(Object.fromEntries(outcomes)).toEqual({ 0: 'reverted', 1: 'reverted', 2: 'reverted', 3: 'failed' })
  })

  it('watches a batch for batch-wait; a host that stops serving then fails the rollout, and goes back too', async () => {
    const { hosts, events, options } = fleet(3, { unwellOn: 1 })
    const { outcomes, error } = await rollOutInBatches(
      hosts,
      options({ batchWaitSeconds: 5, onFailure: 'stop' })
    )
    expect(error?.message).toBe(
      'ssh://deploy@host-2 during batch-wait: its new container(s) web-1 stopped serving'
    )
    // host-1 passed its watch and stays (stop); host-2 finished but stopped serving: back it goes.
    expect(rolls(events)).toEqual(['roll 0', 'roll 1', 'revert 1'])
    expect(Object.fromEntries(outcomes)).toEqual({ 0: 'deployed', 1: 'reverted', 2: 'not reached' })
  })

  it('does not watch after the last batch', async () => {
    const { hosts, events, options } = fleet(1, { unwellOn: 0 })
    const { error } = await rollOutInBatches(hosts, options({ batchWaitSeconds: 5 }))
    expect(error).toBeUndefined()
    expect(events.some((e) => e.includes('batch-wait'))).toBe(false)
  })

  it('says which host could not be rolled back', async () => {
    const { hosts, events, options } = fleet(3, { failOn: 2, revertFails: 0 })
    const { outcomes } = await rollOutInBatches(hosts, options())
    expect(Object.fromEntries(outcomes)).toEqual({ 0: 'revert failed', 1: 'reverted', 2: 'failed' })
    expect(events).toContain('warning could not roll ssh://deploy@host-1 back: no image')
  })

  it("with one host, the error is the host's own, unprefixed", async () => {
    const { hosts, options } = fleet(1, { failOn: 0 })
    const { error } = await rollOutInBatches(hosts, options())
    expect(error?.message).toBe('web-2 is unhealthy')
  })
})
