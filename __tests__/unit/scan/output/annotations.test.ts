import { describe, expect, it } from '@jest/globals'
import { finding, testbedScan } from '../../../../__fixtures__/findings.js'
import { annotationsFor, countText, describeFinding } from '../../../../src/scan/output/annotations.js'

describe('annotationsFor', () => {
  it('puts what the base brought on FROM and what the RUN added on the RUN', () => {
    const { findings, layers } = testbedScan()
    const annotations = annotationsFor({ findings, layers, file: 'Dockerfile', threshold: 'HIGH' })
    expect(annotations.map(({ level, line, title }) => ({ level, line, title }))).toEqual([
      {
        level: 'error',
        line: 9,
        title: '2 CRITICAL findings introduced here (FROM container-ship-test/alpine39:base)'
      },
      {
        level: 'warning',
        line: 11,
        title: expect.stringMatching(/^4 MEDIUM findings introduced here \(RUN printf /)
      }
    ])
    expect(annotations[0]?.message).toBe(
      [
        'CVE-2019-14697 (CRITICAL) musl 1.1.20-r4, fixed in 1.1.20-r5',
        'CVE-2019-14697 (CRITICAL) musl-utils 1.1.20-r4, fixed in 1.1.20-r5'
      ].join('\n')
    )
  })

  it('makes a line an error when one finding on it is at or over the threshold', () => {
    const { findings, layers } = testbedScan()
    expect(
      annotationsFor({ findings, layers, file: 'Dockerfile', threshold: 'MEDIUM' }).map((a) => a.level)
    ).toEqual(['error', 'error'])
    expect(
      annotationsFor({ findings, layers, file: 'Dockerfile', threshold: 'none' }).map((a) => a.level)
    ).toEqual(['warning', 'warning'])
  })

  it('shows 10 annotations of a level at most, the last one counting the lines and findings left', () => {
    const byDiffId = new Map(
      Array.from({ length: 14 }, (_, i) => [
        `sha256:l${i}`,
        { line: i + 2, instruction: `RUN step ${i}`, base: false }
      ])
    )
    const findings = Array.from({ length: 14 }, (_, i) =>
      finding({
        id: `CVE-2026-${1000 + i}`,
        layerDiffId: `sha256:l${i}`,
        severity: i < 3 ? 'CRITICAL' : 'HIGH'
      })
    )
    const annotations = annotationsFor({
      findings,
      layers: { reliable: true, byDiffId },
      file: 'app/Dockerfile',
      threshold: 'HIGH'
    })
    expect(annotations).toHaveLength(10)
    expect(annotations.slice(0, 3).map((a) => a.line)).toEqual([2, 3, 4])
    expect(annotations[9]).toEqual({
      level: 'error',
      file: 'app/Dockerfile',
      line: 11,
      title: '5 more lines with findings',
      message:
        'GitHub shows 10 error annotations per step: 5 more findings on lines 11, 12, 13, 14, 15 are listed in the step summary.'
    })
  })

  it('puts everything on line 1, saying why, when the history and layers disagree', () => {
    const annotations = annotationsFor({
      findings: [finding({ layerDiffId: 'sha256:x' })],
      layers: {
        reliable: false,
        reason: 'the image history has 2 layer-making steps for 3 layers',
        byDiffId: new Map()
      },
      file: 'Dockerfile',
      threshold: 'HIGH'
    })
    expect(annotations).toHaveLength(1)
    expect(annotations[0]).toMatchObject({ level: 'error', line: 1, title: '1 HIGH finding introduced here' })
    expect(annotations[0]?.message).toBe(
      'Placed on line 1: the image history and its layers disagree (the image history has 2 layer-making steps for 3 layers).\nCVE-2026-0001 (HIGH) pkg 1.0, fixed in 1.1'
    )
  })

  it('names five findings per line and counts the rest', () => {
    const findings = Array.from({ length: 7 }, (_, i) =>
      finding({ id: `CVE-2026-000${i}`, layerDiffId: 'sha256:a' })
    )
    const [annotation] = annotationsFor({
      findings,
      layers: {
        reliable: true,
        byDiffId: new Map([['sha256:a', { line: 3, instruction: 'RUN x', base: false }]])
      },
      file: 'Dockerfile',
      threshold: 'CRITICAL'
    })
    expect(annotation?.message.split('\n')).toHaveLength(6)
    expect(annotation?.message).toMatch(/\nand 2 more \(see the step summary\)$/)
  })
})

describe('finding text', () => {
  it('counts by severity, worst first, and says when there is no fix', () => {
    expect(
      countText([
        finding({ severity: 'LOW' }),
        finding({ severity: 'CRITICAL' }),
        finding({ severity: 'LOW' })
      ])
    ).toBe('1 CRITICAL, 2 LOW findings')
    expect(describeFinding(finding({ fixedVersion: '' }))).toBe('CVE-2026-0001 (HIGH) pkg 1.0, no fix yet')
    expect(
      describeFinding(
        finding({ kind: 'secret', id: 'aws-access-key-id', pkgName: '', pkgVersion: '', target: '/app/.env' })
      )
    ).toBe('aws-access-key-id (HIGH) in /app/.env')
  })
})
