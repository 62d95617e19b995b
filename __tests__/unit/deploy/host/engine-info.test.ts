import { describe, expect, it } from '@jest/globals'
import { engineInfo, parseEngineInfo } from '../../../../src/deploy/host/engine-info.js'
import type { DockerCli } from '../../../../src/docker/cli.js'

describe('parseEngineInfo', () => {
  it('reads live-restore and the swarm role from one line', () => {
    expect(parseEngineInfo('true "active" true\n')).toEqual({
      liveRestore: true,
      swarm: { member: true, manager: true }
    })
    expect(parseEngineInfo('false "active" false')).toEqual({
      liveRestore: false,
      swarm: { member: true, manager: false }
    })
    expect(parseEngineInfo('false "inactive" false')).toEqual({
      liveRestore: false,
      swarm: { member: false, manager: false }
    })
  })

  it('an engine that says nothing (or something else) is no swarm member, live-restore unknown', () => {
    for (const said of ['', 'null null null', 'yes "pending" true']) {
      const info = parseEngineInfo(said)
      expect(info.liveRestore).toBeUndefined()
      expect(info.swarm.member).toBe(false)
      expect(info.swarm.manager).toBe(false)
    }
  })
})

describe('engineInfo', () => {
  it('asks each connection once, and a failed docker info reads as saying nothing', async () => {
    const calls: string[][] = []
    const fake = (exitCode: number) =>
      ({
        run: async (args: string[]) => {
          calls.push(args)
          return { exitCode, stdout: 'true "active" true', stderr: 'denied' }
        }
      }) as unknown as DockerCli
    const one = fake(0)
    const [a, b] = await Promise.all([engineInfo(one), engineInfo(one)])
    expect(a).toBe(b)
    expect(a.swarm.manager).toBe(true)
    expect(calls).toHaveLength(1)
    const failing = await engineInfo(fake(1))
    expect(failing).toEqual({ liveRestore: undefined, swarm: { member: false, manager: false } })
    expect(calls).toHaveLength(2)
  })
})
