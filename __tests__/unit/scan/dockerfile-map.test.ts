import { readFileSync } from 'node:fs'
import path from 'node:path'
import { describe, expect, it, test } from '@jest/globals'
import {
  describeStep,
  mapLayers,
  parseDockerfile,
  type ImageLayers
} from '../../../src/scan/dockerfile-map.js'

const REPORTS = path.join(
  path.dirname(new URL(import.meta.url).pathname),
  '../../../__fixtures__/trivy/reports'
)

/** Layers named by their position, and a history of [created_by, empty_layer] pairs. */
function image(history: [string, boolean][]): ImageLayers {
  const made = history.filter(([, empty]) => !empty).length
  return {
    diffIds: Array.from({ length: made }, (_, index) => `sha256:layer${index}`),
    history: history.map(([createdBy, emptyLayer]) => ({ createdBy, emptyLayer }))
  }
}

function lines(map: ReturnType<typeof mapLayers>): number[] {
  return [...map.byDiffId.entries()]
    .sort(([a], [b]) => a.localeCompare(b, 'en', { numeric: true }))
    .map(([, source]) => source.line)
}

describe('parseDockerfile', () => {
  it('reads stages, continuations, comments inside them, heredocs and the escape directive', () => {
    const dockerfile = parseDockerfile(
      [
        '# escape=`',
        '# a comment',
        'FROM --platform=linux/amd64 golang:1.22 AS build',
        'RUN go build `',
        '  # a comment inside the continuation',
        '  -o /app ./...',
        'RUN <<EOF',
        'echo from a heredoc',
        'EOF',
        'from scratch',
        'COPY --from=build /app /app',
        ''
      ].join('\n')
    )
    expect(dockerfile.stages.map((stage) => [stage.from.line, stage.base, stage.name])).toEqual([
      [3, 'golang:1.22', 'build'],
      [10, 'scratch', undefined]
    ])
    expect(dockerfile.stages[0]?.instructions).toEqual([
      { line: 4, keyword: 'RUN', args: 'go build -o /app ./...' },
      { line: 7, keyword: 'RUN', args: '<<EOF' }
    ])
    expect(dockerfile.stages[1]?.instructions).toEqual([
      { line: 11, keyword: 'COPY', args: '--from=build /app /app' }
    ])
  })
})

describe('describeStep', () => {
  test.each([
    ['RUN /bin/sh -c apk add openssl # buildkit', 'RUN', '/bin/sh -c apk add openssl'],
    [
      'RUN |1 VARIANT=one /bin/sh -c echo "$VARIANT" > /v # buildkit',
      'RUN',
      '/bin/sh -c echo "$VARIANT" > /v'
    ],
    ['COPY installed /lib/apk/db/installed # buildkit', 'COPY', '/lib/apk/db/installed'],
    ['ADD https://example.com/a.tgz /opt/ # buildkit', 'COPY', '/opt/'],
    ['WORKDIR /app', 'WORKDIR', '/app'],
    ['ENV A=b', 'OTHER', 'ENV A=b'],
    ['/bin/sh -c #(nop) COPY file:4e7f in /tmp/install.sh ', 'COPY', '/tmp/install.sh'],
    ['/bin/sh -c #(nop) ADD file:bc81 in / ', 'COPY', '/'],
    ['/bin/sh -c #(nop)  CMD ["bash"]', 'OTHER', '["bash"]'],
    ['/bin/sh -c #(nop) WORKDIR /srv', 'WORKDIR', '/srv'],
    [
      '|1 DEBIAN_FRONTEND=noninteractive /bin/sh -c chmod +x /tmp/i.sh',
      'RUN',
      '/bin/sh -c chmod +x /tmp/i.sh'
    ],
    ['/bin/sh -c apt-get update', 'RUN', '/bin/sh -c apt-get update']
  ])('%s', (createdBy, kind, text) => {
    expect(describeStep(createdBy)).toEqual({ kind, text })
  })
})

describe('mapLayers', () => {
  it("places Trivy's fluentd report (classic builder) on the instructions that made its layers", () => {
    // The fluentd-gems golden of Trivy's integration tests: a Debian base, then COPY, COPY, RUN
    // (installing gems), COPY, COPY. Its Dockerfile is not published; this one matches its history.
    const report = JSON.parse(readFileSync(path.join(REPORTS, 'fluentd-gems.json'), 'utf8')) as {
      Metadata: {
        DiffIDs: string[]
        ImageConfig: { history: { created_by: string; empty_layer?: boolean }[] }
      }
    }
    const dockerfile = parseDockerfile(
      [
        'FROM debian:10.2',
        'ARG DEBIAN_FRONTEND=noninteractive',
        'COPY install.sh /tmp/install.sh',
        'COPY Gemfile /Gemfile',
        'RUN chmod +x /tmp/install.sh && \\',
        '    /bin/bash -l -c /tmp/install.sh && \\',
        '    rm /tmp/*',
        'COPY fluent.conf /etc/fluent/fluent.conf',
        'COPY run.sh /run.sh',
        'EXPOSE 80',
        'ENV LD_PRELOAD=/usr/lib/x86_64-linux-gnu/libjemalloc.so.2',
        'CMD ["/run.sh"]'
      ].join('\n')
    )
    const map = mapLayers(dockerfile, {
      diffIds: report.Metadata.DiffIDs,
      history: report.Metadata.ImageConfig.history.map((entry) => ({
        createdBy: entry.created_by,
        emptyLayer: entry.empty_layer ?? false
      }))
    })
    expect(map.reliable).toBe(true)
    expect(report.Metadata.DiffIDs.map((id) => map.byDiffId.get(id)?.line)).toEqual([1, 3, 4, 5, 8, 9])
    // libidn2 (Debian) came with the base; activesupport (a gem) with the RUN on line 5.
    expect(
      map.byDiffId.get('sha256:831c5620387fb9efec59fc82a42b948546c6be601e3ab34a87108ecf852aa15f')
    ).toEqual({
      line: 1,
      instruction: 'FROM debian:10.2',
      base: true
    })
    expect(
      map.byDiffId.get('sha256:75e43d55939745950bc3f8fad56c5834617c4339f0f54755e69a0dd5372624e9')?.line
    ).toBe(5)
  })

  test.each(['testbed-buildkit.json', 'testbed-classic.json'])(
    'places the layers of a real %s on the test bed Dockerfile',
    (file) => {
      // Made on the test bed from testbed.Dockerfile by buildx and by the classic builder.
      const report = JSON.parse(readFileSync(path.join(REPORTS, file), 'utf8')) as {
        Metadata: {
          DiffIDs: string[]
          ImageConfig: { history: { created_by?: string; empty_layer?: boolean }[] }
        }
      }
      const dockerfile = parseDockerfile(readFileSync(path.join(REPORTS, 'testbed.Dockerfile'), 'utf8'))
      const map = mapLayers(dockerfile, {
        diffIds: report.Metadata.DiffIDs,
        history: report.Metadata.ImageConfig.history.map((entry) => ({
          createdBy: entry.created_by ?? '',
          emptyLayer: entry.empty_layer ?? false
        }))
      })
      // The base on its FROM line, then RUN, COPY and COPY --from of the final stage.
      expect(report.Metadata.DiffIDs.map((id) => map.byDiffId.get(id)?.line)).toEqual([9, 11, 13, 14])
    }
  )

  it('follows BuildKit history through build args, mounts, exec form and a WORKDIR', () => {
    const dockerfile = parseDockerfile(
      [
        'FROM alpine:3.9',
        'ARG VARIANT=one',
        'WORKDIR /app',
        'RUN --mount=type=secret,id=token echo "$VARIANT" > /v',
        'RUN ["sh", "-c", "apk add openssl"]',
        'LABEL team=web',
        'COPY app/ /app/'
      ].join('\n')
    )
    const layers = image([
      ['/bin/sh -c #(nop) ADD file:aaa in / ', false],
      ['/bin/sh -c #(nop)  CMD ["/bin/sh"]', true],
      ['ARG VARIANT=one', true],
      ['WORKDIR /app', false],
      ['RUN |1 VARIANT=one /bin/sh -c echo "$VARIANT" > /v # buildkit', false],
      ['RUN |1 VARIANT=one sh -c apk add openssl # buildkit', false],
      ['LABEL team=web', true],
      ['COPY app/ /app/ # buildkit', false]
    ])
    expect(lines(mapLayers(dockerfile, layers))).toEqual([1, 3, 4, 5, 7])
  })

  it('follows a stage built on an earlier stage, and COPY --from is a layer of the final stage', () => {
    const dockerfile = parseDockerfile(
      [
        'FROM alpine:3.9 AS base',
        'RUN apk add openssl',
        'FROM golang:1.22 AS build',
        'RUN go build -o /out/app .',
        'FROM base',
        'COPY --from=build /out/app /usr/local/bin/app',
        'RUN chmod +x /usr/local/bin/app'
      ].join('\n')
    )
    const layers = image([
      ['/bin/sh -c #(nop) ADD file:aaa in / ', false],
      ['RUN /bin/sh -c apk add openssl # buildkit', false],
      ['COPY /out/app /usr/local/bin/app # buildkit', false],
      ['RUN /bin/sh -c chmod +x /usr/local/bin/app # buildkit', false]
    ])
    const map = mapLayers(dockerfile, layers)
    expect(lines(map)).toEqual([1, 2, 6, 7])
    expect(map.byDiffId.get('sha256:layer0')?.instruction).toBe('FROM alpine:3.9 AS base')
  })

  it('maps the stage named by target, not the last one', () => {
    const dockerfile = parseDockerfile(
      ['FROM alpine AS test', 'RUN make test', 'FROM alpine', 'RUN make'].join('\n')
    )
    const layers = image([
      ['/bin/sh -c #(nop) ADD file:aaa in / ', false],
      ['RUN /bin/sh -c make test # buildkit', false]
    ])
    expect(lines(mapLayers(dockerfile, layers, 'test'))).toEqual([1, 2])
  })

  it('is not reliable when history and layers disagree', () => {
    const map = mapLayers(parseDockerfile('FROM alpine\nRUN true\n'), {
      diffIds: ['sha256:a', 'sha256:b', 'sha256:c'],
      history: [{ createdBy: 'RUN /bin/sh -c true # buildkit', emptyLayer: false }]
    })
    expect(map).toMatchObject({
      reliable: false,
      reason: 'the image history has 1 layer-making steps for 3 layers'
    })
    expect(map.byDiffId.size).toBe(0)
  })
})
