// Shell injection attempts in the free-text inputs, run for real: every program gets an argument
// array, so a value is only ever a value. Each attempt would create a marker file if any shell
// ran it; none may exist afterwards, and the values must arrive literally where they go.
import { execFileSync } from 'node:child_process'
import { existsSync, mkdtempSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { beforeAll, describe, expect, it, jest } from '@jest/globals'
import { eventEnv } from '../../../__fixtures__/events.js'
import { runAction, testbed, workspaceWith, type Testbed } from '../../support/harness.js'
import { uniqueRepository } from '../../support/registry-helpers.js'

jest.setTimeout(300_000)

let tb: Testbed
let markers: string

beforeAll(() => {
  tb = testbed()
  markers = mkdtempSync(path.join(os.tmpdir(), 'injection-'))
})

/** Ways a shell would run `touch <marker>`, for a marker of its own per attempt. */
function attempts(name: string): string[] {
  const marker = (n: number): string => path.join(markers, `${name}-${n}`)
  return [
    `$(touch ${marker(1)})`,
    `\`touch ${marker(2)}\``,
    `x; touch ${marker(3)}`,
    `x && touch ${marker(4)}`,
    `x | touch ${marker(5)}`
  ]
}

describe('injection attempts', () => {
  it('in build args, labels, env, tags and the compose inputs run nothing', async () => {
    const { image } = uniqueRepository(tb, 'injection')
    const label = attempts('label')
    const buildArg = attempts('arg')
    const run = await runAction({
      inputs: {
        image,
        steps: 'build',
        'build-args': buildArg.map((value, i) => `ARG${i}=${value}`).join('\n'),
        labels: label.map((value, i) => `label${i}=${value}`).join('\n'),
        tags: 'edge'
      },
      event: eventEnv('tag-push'),
      workspace: workspaceWith({
        Dockerfile: `FROM ${tb.baseImage}\n${buildArg.map((_, i) => `ARG ARG${i}\nRUN echo "$ARG${i}" > /arg${i}`).join('\n')}\n`
      })
    })
    expect(run.exitCode).toBe(0)
    const labels = JSON.parse(
      execFileSync('docker', ['image', 'inspect', '--format', '{{json .Config.Labels}}', `${image}:1.2.3`], {
        encoding: 'utf8'
      })
    ) as Record<string, string>
    label.forEach((value, i) => expect(labels[`label${i}`]).toBe(value))
    // The build args reach RUN as values (the RUN's own shell only echoes them, quoted).
    buildArg.forEach((value, i) =>
      expect(
        execFileSync('docker', ['run', '--rm', `${image}:1.2.3`, 'cat', `/arg${i}`], {
          encoding: 'utf8'
        }).trim()
      ).toBe(value)
    )

    // Inputs that validation refuses: nothing runs at all.
    for (const [input, value] of [
      ['tags', attempts('tag')[2] as string],
      ['image', `${image}${attempts('image')[2] as string}`],
      ['compose-project', attempts('project')[0] as string],
      ['service', attempts('service')[2] as string],
      ['deploy-host', `ssh://deploy@127.0.0.1:2222/${attempts('host')[0] as string}`],
      ['env', `X=${attempts('env')[0] as string}\n$(touch ${path.join(markers, 'env-key')})=1`]
    ] as [string, string][]) {
      const refused = await runAction({
        inputs: { image, steps: 'build', [input]: value },
        event: eventEnv('tag-push'),
        workspace: workspaceWith({ Dockerfile: `FROM ${tb.baseImage}\n` })
      })
      if (input === 'env') {
        expect(refused.log).toMatch(/::error::Invalid input: env: line 2: /)
      } else {
        expect(refused.exitCode).toBe(1)
        expect(refused.log).toMatch(new RegExp(`::error::Invalid input: ${input}: `))
      }
    }
    for (const name of ['label', 'arg', 'tag', 'image', 'project', 'service', 'host', 'env'])
      for (let n = 1; n <= 5; n++) expect(existsSync(path.join(markers, `${name}-${n}`))).toBe(false)
    expect(existsSync(path.join(markers, 'env-key'))).toBe(false)
  })
})
