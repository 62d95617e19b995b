import { describe, expect, it } from '@jest/globals'
import { stdoutCommands } from '../../../scripts/local-runner.mjs'
import {
  looksLikeCommand,
  neutralize,
  printUntrusted,
  UntrustedOutput
} from '../../../src/program/untrusted-output.js'

const HOSTILE = [
  '::save-state name=work-dirs::["/etc"]',
  '   ::set-output name=digest::sha256:forged',
  '::add-mask::sha256',
  'step 3: ##[set-output name=image;]forged',
  'progress\r::save-state name=deploy-lock::container-ship-lock-x',
  '::SAVE-STATE name=docker-config::/home'
]

describe('looksLikeCommand', () => {
  it('finds both command syntaxes the runner reads, after blanks, in any case, after a carriage return', () => {
    for (const line of HOSTILE) expect(looksLikeCommand(line)).toBe(true)
  })

  it('leaves ordinary lines alone', () => {
    for (const line of [
      '#5 [2/3] RUN apk add curl',
      'a::b::c',
      'std::string and ::',
      '##[ without a close',
      ''
    ])
      expect(looksLikeCommand(line)).toBe(false)
  })
})

describe('neutralize', () => {
  it('keeps the text and wraps each run of command lines in one pause', () => {
    const text = 'before\n::save-state name=a::1\n::set-output name=b::2\nbetween\n##[add-mask]x\nafter\n'
    expect(neutralize(text, 'tok')).toBe(
      [
        'before',
        '::stop-commands::tok',
        '::save-state name=a::1',
        '::set-output name=b::2',
        '::tok::',
        'between',
        '::stop-commands::tok',
        '##[add-mask]x',
        '::tok::',
        'after',
        ''
      ].join('\n')
    )
  })

  it('closes a pause on a line of its own at the end of the text', () => {
    expect(neutralize('::save-state name=a::1\n', 'tok')).toBe(
      '::stop-commands::tok\n::save-state name=a::1\n::tok::\n'
    )
    expect(neutralize('::save-state name=a::1', 'tok')).toBe(
      '::stop-commands::tok\n::save-state name=a::1\n::tok::\n'
    )
  })

  it('returns text without commands unchanged', () => {
    expect(neutralize('plain\nlines\n', 'tok')).toBe('plain\nlines\n')
  })
})

describe('what the runner takes from neutralized output', () => {
  const hostile = `${HOSTILE.join('\n')}\n`

  it('takes every command from the raw text (the attack is real)', () => {
    const taken = stdoutCommands(hostile)
    expect(taken.state).toMatchObject({ 'work-dirs': '["/etc"]', 'deploy-lock': 'container-ship-lock-x' })
    expect(taken.outputs).toMatchObject({ digest: 'sha256:forged', image: 'forged' })
    expect(taken.masks).toEqual(['sha256'])
  })

  it("takes nothing once neutralized, and the action's own commands after it still count", () => {
    let log = ''
    printUntrusted(hostile, (text) => (log += text))
    log += '::set-output name=ours::yes\n'
    expect(stdoutCommands(log)).toEqual({ outputs: { ours: 'yes' }, state: {}, masks: [] })
  })

  it('holds in a stream cut anywhere, the pieces written one by one', () => {
    for (let size = 1; size <= 7; size++) {
      let log = ''
      const stream = new UntrustedOutput((text) => (log += text))
      for (let at = 0; at < hostile.length; at += size) stream.take(hostile.slice(at, at + size))
      stream.take('::save-state name=tail::no')
      stream.flush()
      expect(stdoutCommands(log)).toEqual({ outputs: {}, state: {}, masks: [] })
      expect(log.replace(/^(::stop-commands::cs[0-9a-f]{32}|::cs[0-9a-f]{32}::)\n/gm, '')).toBe(
        `${hostile}::save-state name=tail::no\n`
      )
    }
  })

  it('writes through as a Writable (how @actions/exec hands it output)', async () => {
    let log = ''
    const stream = new UntrustedOutput((text) => (log += text))
    await new Promise<void>((resolve) =>
      stream.write(Buffer.from('[command]/usr/bin/docker ##[x]y\n'), () => resolve())
    )
    expect(log).toMatch(
      /^::stop-commands::cs[0-9a-f]{32}\n\[command\]\/usr\/bin\/docker ##\[x\]y\n::cs[0-9a-f]{32}::\n$/
    )
  })
})
