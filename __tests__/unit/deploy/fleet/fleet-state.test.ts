import { describe, expect, it } from '@jest/globals'
import { checkedFleetState } from '../../../../src/deploy/fleet/fleet-state.js'

describe('checkedFleetState: the post step trusts no saved fleet state it cannot check', () => {
  it('reads what the main step writes', () => {
    const saved = JSON.stringify({ previous: { 0: 'reg/app:1.0.0', 2: '' }, finished: [0] })
    expect(checkedFleetState(saved, 3)).toEqual({ previous: { 0: 'reg/app:1.0.0', 2: '' }, finished: [0] })
    expect(checkedFleetState('', 3)).toBeUndefined()
  })
  it.each([
    ['not JSON', 'it is not what the main step writes'],
    ['{"previous":{},"finished":{}}', 'it is not what the main step writes'],
    ['{"previous":{"3":"a"},"finished":[]}', '"3" is not a deploy-host line with an image'],
    ['{"previous":{"-1":"a"},"finished":[]}', '"-1" is not a deploy-host line with an image'],
    ['{"previous":{"01":"a"},"finished":[]}', '"01" is not a deploy-host line with an image'],
    ['{"previous":{"0":"a b"},"finished":[]}', '"0" is not a deploy-host line with an image'],
    ['{"previous":{},"finished":[5]}', '5 is not a deploy-host line'],
    ['{"previous":{},"finished":["0"]}', '"0" is not a deploy-host line']
  ])('refuses %s', (text, why) => {
    expect(() => checkedFleetState(text, 3)).toThrow(`the saved deploy-finished state is ignored: ${why}`)
  })
})
