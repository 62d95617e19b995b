// Property-based tests of the Dockerfile layer map (src/scan/dockerfile-map.ts): on any Dockerfile
// text and any image history, parseDockerfile, describeStep and mapLayers never throw and keep their
// documented promises (a layer is placed only on the line that made it, or the map says why it is not
// reliable); mapLayers also reads the real reports of __fixtures__/trivy/reports against their
// Dockerfile.
import { readFileSync } from 'node:fs'
import path from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from '@jest/globals'
import fc from 'fast-check'
import {
  describeStep,
  mapLayers,
  parseDockerfile,
  type ImageLayers
} from '../../../src/scan/dockerfile-map.js'
import { imageLayersOf, parseTrivyReport } from '../../../src/scan/trivy/report.js'
import { anyText } from '../../support/arbitraries.js'
import { tally } from '../../support/property-checks.js'

const REPORTS = path.join(path.dirname(fileURLToPath(import.meta.url)), '../../../__fixtures__/trivy/reports')

const dockerfileWord = fc.oneof(
  anyText.map((text) => text.slice(0, 30)),
  fc.constantFrom(
    '/app',
    '/app/',
    '.',
    'make',
    '--from=build',
    '--chown=1:1',
    'AS',
    'build',
    '<<EOF',
    '["sh","-c","x"]',
    '[',
    '\\',
    '`',
    '0'
  )
)
const instructionLine = fc.oneof(
  {
    arbitrary: fc
      .tuple(
        fc.constantFrom(
          'FROM',
          'from',
          'RUN',
          'run',
          'COPY',
          'ADD',
          'WORKDIR',
          'ENV',
          'ARG',
          'CMD',
          'USER',
          'LABEL'
        ),
        fc.array(dockerfileWord, { maxLength: 5 })
      )
      .map(([keyword, words]) => [keyword, ...words].join(' ')),
    weight: 6
  },
  {
    arbitrary: fc.constantFrom(
      '',
      '# comment',
      '# escape=`',
      '# escape=\\',
      'EOF',
      '\tEOF',
      '  \\',
      'FROM scratch AS base',
      'FROM base'
    ),
    weight: 2
  },
  { arbitrary: anyText, weight: 1 }
)
const dockerfileText = fc.oneof(
  fc.array(instructionLine, { maxLength: 14 }).map((lines) => lines.join('\n')),
  anyText
)

/** A history entry as BuildKit or the classic builder writes it, for one of the lines or any text. */
function historyEntry(lines: string[]): fc.Arbitrary<{ createdBy: string; emptyLayer: boolean }> {
  const line = lines.length > 0 ? fc.constantFrom(...lines) : fc.constant('RUN true')
  const args = line.map((text) => text.replace(/^\S+\s*/, ''))
  const lastWord = args.map((text) => text.split(' ').pop() ?? '')
  return fc.record({
    createdBy: fc.oneof(
      args.map((command) => `RUN /bin/sh -c ${command} # buildkit`),
      args.map((command) => `|2 A=1 B=2 /bin/sh -c ${command}`),
      args.map((command) => `/bin/sh -c ${command}`),
      lastWord.map((to) => `COPY src ${to} # buildkit`),
      lastWord.map((to) => `/bin/sh -c #(nop) COPY file:0123abcd in ${to} `),
      args.map((dir) => `/bin/sh -c #(nop) WORKDIR ${dir}`),
      args.map((dir) => `WORKDIR ${dir}`),
      fc.constantFrom('/bin/sh -c #(nop)  CMD ["sh"]', 'ENV A=1', '/bin/sh -c #(nop) ADD file:abc in / ', ''),
      anyText
    ),
    emptyLayer: fc.boolean()
  })
}

const layerCase = dockerfileText.chain((text) => {
  const lines = text.split(/\r?\n/)
  const made = (history: { emptyLayer: boolean }[]) => history.filter((entry) => !entry.emptyLayer).length
  return fc.array(historyEntry(lines), { maxLength: 12 }).chain((history) =>
    fc.record({
      text: fc.constant(text),
      history: fc.constant(history),
      diffIds: fc.oneof(
        { arbitrary: fc.constant(Array.from({ length: made(history) }, (_, i) => `sha256:${i}`)), weight: 4 },
        { arbitrary: fc.array(anyText, { maxLength: 12 }), weight: 1 }
      ),
      target: fc.oneof(
        { arbitrary: fc.constant(undefined), weight: 3 },
        { arbitrary: fc.oneof(fc.constantFrom('base', 'build', 'BUILD', '0'), anyText), weight: 1 }
      )
    })
  )
})

/** One instruction of a generated Dockerfile and the history entry each builder writes for it. */
interface Step {
  line: string
  buildkit: string
  classic: string
  emptyLayer: boolean
}
const word = fc.stringMatching(/^[a-z][a-z0-9._]{0,6}$/)
/** Destinations are never `/` alone: base image layers are `ADD file:... in /`. */
const destination = fc.stringMatching(/^\/[a-z][a-z0-9]{0,5}(?:\/[a-z0-9]{1,4})?\/?$/)
const keywordCase = (keyword: string) => fc.constantFrom(keyword, keyword.toLowerCase())
const step: fc.Arbitrary<Step> = fc.oneof(
  fc.tuple(keywordCase('RUN'), fc.array(word, { minLength: 1, maxLength: 3 })).map(([keyword, words]) => {
    const command = words.join(' ')
    return {
      line: `${keyword} ${command}`,
      buildkit: `RUN /bin/sh -c ${command} # buildkit`,
      classic: `|1 A=1 /bin/sh -c ${command}`,
      emptyLayer: false
    }
  }),
  fc
    .tuple(
      fc.constantFrom('COPY', 'ADD'),
      fc.constantFrom('', '--chown=1:1 ', '--from=s0 '),
      word,
      destination
    )
    .map(([keyword, flags, source, to]) => ({
      line: `${keyword} ${flags}${source} ${to}`,
      buildkit: `${keyword} ${source} ${to} # buildkit`,
      classic: `/bin/sh -c #(nop) ${keyword} file:0a1b2c in ${to} `,
      emptyLayer: false
    })),
  destination.map((directory) => ({
    line: `WORKDIR ${directory}`,
    buildkit: `WORKDIR ${directory}`,
    classic: `/bin/sh -c #(nop) WORKDIR ${directory}`,
    emptyLayer: false
  })),
  fc.tuple(fc.constantFrom('ENV', 'LABEL', 'ARG', 'USER', 'EXPOSE', 'CMD'), word).map(([keyword, value]) => ({
    line: `${keyword} ${value}`,
    buildkit: `${keyword} ${value}`,
    classic: `/bin/sh -c #(nop)  ${keyword} ${value}`,
    emptyLayer: true
  }))
)
/** Layers of a base image, whatever made them. */
const baseLayer = fc.oneof(
  fc.constant({ createdBy: '/bin/sh -c #(nop) ADD file:9f8e in / ', emptyLayer: false }),
  fc.constant({ createdBy: '/bin/sh -c #(nop)  CMD ["sh"]', emptyLayer: true }),
  fc.record({ createdBy: anyText, emptyLayer: fc.boolean() })
)

/**
 * A multi-stage Dockerfile (stage i named s<i>, built on an image or on the stage before), the
 * target built, and the history the image of that target has: the base image's layers, then
 * the layers of each stage it builds on. `expected` is the line each layer came from.
 */
const consistentCase = fc
  .record({
    stages: fc.array(
      fc.record({
        onPrevious: fc.boolean(),
        image: fc.constantFrom('alpine:3.20', 'golang:1.22', 'scratch'),
        steps: fc.array(step, { maxLength: 5 }),
        blankLines: fc.array(fc.constantFrom('', '# a comment', '  '), { maxLength: 2 })
      }),
      { minLength: 1, maxLength: 3 }
    ),
    baseLayers: fc.array(baseLayer, { maxLength: 3 }),
    classic: fc.boolean(),
    pick: fc.nat(),
    named: fc.boolean()
  })
  .map(({ stages, baseLayers, classic, pick, named }) => {
    const lines: string[] = []
    const fromLine: number[] = []
    const stepLines: number[][] = []
    stages.forEach((stage, index) => {
      lines.push(...stage.blankLines)
      const base = index > 0 && stage.onPrevious ? `s${index - 1}` : stage.image
      lines.push(`FROM ${base} AS s${index}`)
      fromLine.push(lines.length)
      stepLines.push(
        stage.steps.map((made) => {
          lines.push(made.line)
          return lines.length
        })
      )
    })
    const built = pick % stages.length
    const chain: number[] = [built]
    while (chain[0] !== 0 && (stages[chain[0] as number] as (typeof stages)[0]).onPrevious) {
      chain.unshift((chain[0] as number) - 1)
    }
    const root = chain[0] as number
    const history = baseLayers.map((layer) => ({ ...layer }))
    const expected: { line: number; base: boolean }[] = baseLayers
      .filter((layer) => !layer.emptyLayer)
      .map(() => ({ line: fromLine[root] as number, base: true }))
    for (const index of chain) {
      ;(stages[index] as (typeof stages)[0]).steps.forEach((made, position) => {
        history.push({ createdBy: classic ? made.classic : made.buildkit, emptyLayer: made.emptyLayer })
        if (!made.emptyLayer)
          expected.push({ line: (stepLines[index] as number[])[position] as number, base: false })
      })
    }
    return {
      text: lines.join('\n'),
      history,
      diffIds: expected.map((_, index) => `sha256:${index}`),
      expected,
      // The last stage is built when no target is named.
      target: named || built !== stages.length - 1 ? `S${built}` : undefined
    }
  })

describe('the Dockerfile layer map on arbitrary Dockerfiles and image histories', () => {
  it('parseDockerfile never throws and gives stages of instructions on lines of the file', () => {
    fc.assert(
      fc.property(dockerfileText, (text) => {
        const lineCount = text.split(/\r?\n/).length
        const { stages } = parseDockerfile(text)
        let previous = 0
        for (const stage of stages) {
          expect(stage.from.keyword).toBe('FROM')
          for (const instruction of [stage.from, ...stage.instructions]) {
            expect(instruction.line).toBeGreaterThan(previous)
            expect(instruction.line).toBeLessThanOrEqual(lineCount)
            expect(instruction.keyword).toMatch(/^\S+$/)
            expect(instruction.keyword).toBe(instruction.keyword.toUpperCase())
            previous = instruction.line
          }
        }
      }),
      { numRuns: 400 }
    )
  })

  it('describeStep never throws and says what kind of step it is', () => {
    fc.assert(
      fc.property(
        fc.oneof(
          anyText,
          historyEntry(['RUN make', 'COPY a /app', 'WORKDIR /w']).map((entry) => entry.createdBy)
        ),
        (createdBy) => {
          const step = describeStep(createdBy)
          expect(['RUN', 'COPY', 'WORKDIR', 'OTHER']).toContain(step.kind)
          expect(typeof step.text).toBe('string')
        }
      ),
      { numRuns: 400 }
    )
  })

  it('mapLayers never throws, places layers only on lines that made them, or says why not', () => {
    const runs = tally()
    fc.assert(
      fc.property(layerCase, ({ text, history, diffIds, target }) => {
        const dockerfile = parseDockerfile(text)
        const image: ImageLayers = { diffIds, history }
        const map = mapLayers(dockerfile, image, target)
        const made = history.filter((entry) => !entry.emptyLayer).length
        const instructions = dockerfile.stages.flatMap((stage) => [stage.from, ...stage.instructions])
        const fromLines = dockerfile.stages.map((stage) => stage.from.line)
        runs.add(map.reliable ? 'reliable' : 'unreliable')
        if (!map.reliable) {
          expect(map.byDiffId.size).toBe(0)
          expect(typeof map.reason).toBe('string')
          expect(map.reason).not.toBe('')
          return
        }
        expect(made).toBe(diffIds.length)
        expect(dockerfile.stages.length).toBeGreaterThan(0)
        for (const [diffId, source] of map.byDiffId) {
          expect(diffIds).toContain(diffId)
          expect(instructions.map((instruction) => instruction.line)).toContain(source.line)
          expect(source.instruction.length).toBeLessThanOrEqual(80)
          if (source.base) expect(fromLines).toContain(source.line)
          runs.add(source.base ? 'on a FROM line' : 'on an instruction')
        }
        // Every layer is placed (distinct layer ids: each on one line).
        if (new Set(diffIds).size === diffIds.length) expect(map.byDiffId.size).toBe(diffIds.length)
      }),
      { numRuns: 400 }
    )
    for (const what of ['reliable', 'unreliable', 'on a FROM line'])
      expect(runs.count(what)).toBeGreaterThan(10)
  })

  it("mapLayers places every layer on the line that made it, when the history is the Dockerfile's", () => {
    const runs = tally()
    fc.assert(
      fc.property(consistentCase, ({ text, history, diffIds, expected, target }) => {
        const map = mapLayers(parseDockerfile(text), { diffIds, history }, target)
        expect(map.reliable).toBe(true)
        const placed = diffIds.map((diffId) => {
          const source = map.byDiffId.get(diffId)
          return source && { line: source.line, base: source.base }
        })
        expect(placed).toEqual(expected)
        for (const { base } of expected) runs.add(base ? 'base' : 'instruction')
      }),
      { numRuns: 300 }
    )
    expect(runs.count('base')).toBeGreaterThan(50)
    expect(runs.count('instruction')).toBeGreaterThan(100)
  })

  it('mapLayers reads the layers of the real reports against their Dockerfile', () => {
    const dockerfile = parseDockerfile(readFileSync(path.join(REPORTS, 'testbed.Dockerfile'), 'utf8'))
    for (const name of ['testbed-buildkit.json', 'testbed-classic.json']) {
      const layers = imageLayersOf(parseTrivyReport(readFileSync(path.join(REPORTS, name), 'utf8')))
      const map = mapLayers(dockerfile, layers)
      expect(map.reliable).toBe(true)
      expect(map.byDiffId.size).toBe(layers.diffIds.length)
    }
  })
})
