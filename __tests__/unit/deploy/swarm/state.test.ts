import { describe, expect, it } from '@jest/globals'
import { checkedSwarmState, saveSwarmState } from '../../../../src/deploy/swarm/state.js'
import { makeInputs } from '../../../../__fixtures__/inputs.js'

describe('the saved Swarm rollout, read back untrusted', () => {
  const saved = (): string => {
    let text = ''
    saveSwarmState({ saveState: (state) => (text = state) }, { stack: 'swarm-app', service: 'web' })
    return text
  }
  it('reads back what the main step saved, for the service input', () => {
    expect(checkedSwarmState(saved(), 'web')).toEqual({ stack: 'swarm-app', service: 'web' })
    expect(checkedSwarmState('', 'web')).toBeUndefined()
  })
  it('refuses another service, a bad stack, or another shape', () => {
    expect(() => checkedSwarmState(saved(), 'api')).toThrow(
      'it is of service "web", and the service input is "api"'
    )
    expect(() =>
      checkedSwarmState(JSON.stringify({ orchestrator: 'swarm', stack: '../x', service: 'web' }), 'web')
    ).toThrow('"../x" is not a stack name')
    expect(() =>
      checkedSwarmState('{"project":"p","service":"web","old":[],"phase":"scaling"}', 'web')
    ).toThrow('not one the main step writes for a Swarm rollout')
  })
})

describe('the orchestrator input', () => {
  it('is compose unless set, and swarm when asked', () => {
    expect(makeInputs({ image: 'ghcr.io/acme/web' }).deploy.orchestrator).toBe('compose')
    expect(makeInputs({ image: 'ghcr.io/acme/web', orchestrator: 'swarm' }).deploy.orchestrator).toBe('swarm')
  })
  it('refuses anything else, naming the input', () => {
    expect(() => makeInputs({ image: 'ghcr.io/acme/web', orchestrator: 'kubernetes' })).toThrow(
      'orchestrator: "kubernetes" is not one of compose, swarm'
    )
  })
  it('takes one deploy-host, a manager', () => {
    expect(() =>
      makeInputs({
        image: 'ghcr.io/acme/web',
        orchestrator: 'swarm',
        service: 'web',
        'deploy-host': 'unix:///run/a.sock\nunix:///run/b.sock'
      })
    ).toThrow('deploy-host: orchestrator swarm takes one host, a Swarm manager, not several')
  })
})

describe('the strategy chosen by the orchestrator input', () => {
  it('is Swarm for swarm, Compose blue-green otherwise', async () => {
    const { deployStrategy } = await import('../../../../src/deploy/target.js')
    const { swarmStack } = await import('../../../../src/deploy/swarm/strategy.js')
    const { composeBlueGreen } = await import('../../../../src/deploy/compose/blue-green.js')
    expect(deployStrategy({ orchestrator: 'swarm' })).toBe(swarmStack)
    expect(deployStrategy({ orchestrator: 'compose' })).toBe(composeBlueGreen)
  })
})
