// Which Dockerfile line made each layer of the built image, so a finding Trivy reports on a layer
// (its `Layer.DiffID`) can be shown on the instruction that introduced it. The image's history
// lists one entry per build step, base image first; entries with `empty_layer` made no layer,
// and the others line up one to one with the image's DiffIDs. Walking both from the end, each
// layer-making history entry is matched to the stage's instruction that made it (by kind, and by
// its command or destination); what is left belongs to the stage's base: an earlier stage, whose
// instructions are matched the same way, or an image, whose layers all go to the FROM line.

export interface DockerfileInstruction {
  /** 1-based line where the instruction starts. */
  line: number
  /** Upper-case keyword: FROM, RUN, COPY, ... */
  keyword: string
  /** Everything after the keyword, continuation lines joined, heredoc bodies left out. */
  args: string
}

export interface DockerfileStage {
  from: DockerfileInstruction
  /** The image or stage it builds on. */
  base: string
  name?: string
  instructions: DockerfileInstruction[]
}

export interface Dockerfile {
  stages: DockerfileStage[]
}

/** The history and layers of the image as Trivy reports them (`Metadata`). */
export interface ImageLayers {
  diffIds: string[]
  history: { createdBy: string; emptyLayer: boolean }[]
}

export interface LayerSource {
  line: number
  /** The instruction as written, shortened, for messages. */
  instruction: string
  /** True when the layer came with the base image (it goes to the FROM line). */
  base: boolean
}

export interface LayerMap {
  /** False when history and layers disagree: then nothing can be placed on a line. */
  reliable: boolean
  /** Why the mapping is not reliable. */
  reason?: string
  byDiffId: Map<string, LayerSource>
}

/**
 * Splits a Dockerfile into stages and instructions, as BuildKit's parser reads it: the `escape`
 * parser directive, `#` comment lines (also inside continuations), continuation lines, and
 * heredocs (`RUN <<EOF` up to the line `EOF`).
 */
export function parseDockerfile(text: string): Dockerfile {
  const lines = text.split(/\r?\n/)
  const escape = escapeCharacter(lines)
  const stages: DockerfileStage[] = []
  for (let index = 0; index < lines.length; index++) {
    const first = (lines[index] as string).trim()
    if (first === '' || first.startsWith('#')) continue
    const start = index
    let joined = first
    let continues = joined.endsWith(escape)
    while (continues && index + 1 < lines.length) {
      if (joined.endsWith(escape)) joined = joined.slice(0, -1)
      index++
      const next = (lines[index] as string).trim()
      // A comment line inside a continuation is dropped and the continuation goes on.
      if (next.startsWith('#')) continue
      joined += ` ${next}`
      continues = next.endsWith(escape)
    }
    for (const terminator of heredocTerminators(joined)) {
      while (index + 1 < lines.length && (lines[index + 1] as string).replace(/^\t+/, '') !== terminator)
        index++
      index++
    }
    const match = /^(\S+)\s*([\s\S]*)$/.exec(joined)
    if (!match) continue
    const instruction = {
      line: start + 1,
      keyword: (match[1] as string).toUpperCase(),
      args: squash(match[2] as string)
    }
    if (instruction.keyword === 'FROM') {
      const words = instruction.args.split(' ').filter((word) => !word.startsWith('--'))
      const name = words[1]?.toLowerCase() === 'as' ? words[2] : undefined
      stages.push({ from: instruction, base: words[0] ?? '', name, instructions: [] })
    } else {
      stages[stages.length - 1]?.instructions.push(instruction)
    }
  }
  return { stages }
}

/** The stage that was built: the named target, else the last one. */
export function builtStage(dockerfile: Dockerfile, target?: string): DockerfileStage | undefined {
  if (target) return dockerfile.stages.find((stage) => stage.name?.toLowerCase() === target.toLowerCase())
  return dockerfile.stages[dockerfile.stages.length - 1]
}

/** Maps each layer of the image to the Dockerfile line that made it. */
export function mapLayers(dockerfile: Dockerfile, image: ImageLayers, target?: string): LayerMap {
  const byDiffId = new Map<string, LayerSource>()
  const made = image.history.filter((entry) => !entry.emptyLayer)
  if (made.length !== image.diffIds.length) {
    return {
      reliable: false,
      reason: `the image history has ${made.length} layer-making steps for ${image.diffIds.length} layers`,
      byDiffId
    }
  }
  const built = builtStage(dockerfile, target)
  if (!built)
    return { reliable: false, reason: `the Dockerfile has no stage ${target ?? ''}`.trim(), byDiffId }
  let stage = built
  let candidates = layerMaking(stage)
  for (let layer = made.length - 1; layer >= 0; layer--) {
    const step = describeStep((made[layer] as ImageLayers['history'][number]).createdBy)
    let found = findFromEnd(candidates, step)
    // Not among this stage's instructions: the layer is its base's, another stage's or an image's.
    for (let earlier = stageNamed(dockerfile, stage); found === undefined && earlier;) {
      stage = earlier
      candidates = layerMaking(stage)
      found = findFromEnd(candidates, step)
      earlier = stageNamed(dockerfile, stage)
    }
    if (found === undefined) {
      // The base image's layers, this one and all before it: they go to the FROM line.
      const from = `FROM ${stage.from.args}`
      for (let rest = layer; rest >= 0; rest--) {
        byDiffId.set(image.diffIds[rest] as string, {
          line: stage.from.line,
          instruction: shorten(from),
          base: true
        })
      }
      break
    }
    const instruction = candidates[found] as DockerfileInstruction
    byDiffId.set(image.diffIds[layer] as string, {
      line: instruction.line,
      instruction: shorten(`${instruction.keyword} ${instruction.args}`),
      base: false
    })
    candidates = candidates.slice(0, found)
  }
  return { reliable: true, byDiffId }
}

interface Step {
  kind: 'RUN' | 'COPY' | 'WORKDIR' | 'OTHER'
  /** The command of a RUN, the destination of a COPY or ADD, the path of a WORKDIR. */
  text: string
}

/**
 * What a history entry's `created_by` says was done. BuildKit writes the instruction and
 * ` # buildkit` (`RUN /bin/sh -c make # buildkit`, `COPY app /app # buildkit`); the classic
 * builder writes `/bin/sh -c #(nop) COPY file:<sha> in /dst` for metadata and copies, and the
 * bare shell command (after `|N ARG=value` for build args) for a RUN.
 */
export function describeStep(createdBy: string): Step {
  const text = squash(createdBy.replace(/\s*# buildkit$/, ''))
  const nop = /^\/bin\/sh -c #\(nop\)\s*(\S+)\s*(.*)$/.exec(text)
  if (nop) {
    const keyword = (nop[1] as string).toUpperCase()
    const rest = nop[2] as string
    if (keyword === 'COPY' || keyword === 'ADD')
      return { kind: 'COPY', text: / in (\S+)\s*$/.exec(rest)?.[1] ?? '' }
    if (keyword === 'WORKDIR') return { kind: 'WORKDIR', text: rest }
    return { kind: 'OTHER', text: rest }
  }
  const buildkit = /^(RUN|COPY|ADD|WORKDIR)\s+(.*)$/.exec(text)
  if (buildkit) {
    const keyword = buildkit[1] as string
    const rest = buildkit[2] as string
    if (keyword === 'RUN') return { kind: 'RUN', text: withoutBuildArgs(rest) }
    if (keyword === 'WORKDIR') return { kind: 'WORKDIR', text: rest }
    return { kind: 'COPY', text: lastWord(rest) }
  }
  if (/^[A-Z]+\s/.test(text) && !text.startsWith('/')) return { kind: 'OTHER', text }
  return { kind: 'RUN', text: withoutBuildArgs(text) }
}

/** The instructions of a stage that can make a layer, in order. */
function layerMaking(stage: DockerfileStage): DockerfileInstruction[] {
  return stage.instructions.filter((instruction) =>
    ['RUN', 'COPY', 'ADD', 'WORKDIR'].includes(instruction.keyword)
  )
}

/** The index of the last candidate that made this step, or undefined. */
function findFromEnd(candidates: DockerfileInstruction[], step: Step): number | undefined {
  for (let index = candidates.length - 1; index >= 0; index--) {
    if (makes(candidates[index] as DockerfileInstruction, step)) return index
  }
  return undefined
}

function makes(instruction: DockerfileInstruction, step: Step): boolean {
  const args = withoutFlags(instruction.args)
  switch (instruction.keyword) {
    case 'RUN': {
      if (step.kind !== 'RUN') return false
      const command = runCommand(args)
      return command !== '' && step.text.endsWith(command)
    }
    case 'COPY':
    case 'ADD':
      return step.kind === 'COPY' && sameDestination(copyDestination(args), step.text)
    case 'WORKDIR':
      return step.kind === 'WORKDIR' && step.text === args
    default:
      return false
  }
}

/** The earlier stage a stage builds on, when its FROM names one. */
function stageNamed(dockerfile: Dockerfile, stage: DockerfileStage): DockerfileStage | undefined {
  const index = dockerfile.stages.indexOf(stage)
  const base = stage.base.toLowerCase()
  return dockerfile.stages
    .slice(0, index)
    .reverse()
    .find(
      (earlier, position) => earlier.name?.toLowerCase() === base || String(index - 1 - position) === base
    )
}

/** A RUN's command as the history shows it: exec form joined by spaces, shell form as written. */
function runCommand(args: string): string {
  if (args.startsWith('[')) {
    try {
      const parts = JSON.parse(args) as unknown
      if (Array.isArray(parts)) return squash(parts.map(String).join(' '))
    } catch {
      // Not JSON after all: the shell form.
    }
  }
  return args.replace(/<<-?(["']?)(\w+)\1/g, '').trim()
}

function copyDestination(args: string): string {
  if (args.startsWith('[')) {
    try {
      const parts = JSON.parse(args) as unknown
      if (Array.isArray(parts)) return String(parts[parts.length - 1] ?? '')
    } catch {
      // Not JSON: the plain form.
    }
  }
  return lastWord(args)
}

/** Destinations compare without a trailing slash (`/app/` and `/app`). */
function sameDestination(a: string, b: string): boolean {
  const trim = (path: string) => (path.length > 1 ? path.replace(/\/+$/, '') : path)
  return a !== '' && trim(a) === trim(b)
}

function withoutFlags(args: string): string {
  return args.replace(/^(?:--\S+\s*)+/, '')
}

/** `|2 A=1 B=2 /bin/sh -c cmd` -> `/bin/sh -c cmd`: the build args the classic builder and BuildKit prefix. */
function withoutBuildArgs(command: string): string {
  const match = /^\|(\d+)\s+(.*)$/.exec(command)
  if (!match) return command
  const words = (match[2] as string).split(' ')
  return words.slice(Number(match[1])).join(' ')
}

function lastWord(text: string): string {
  const words = text.trim().split(' ')
  return words[words.length - 1] ?? ''
}

function squash(text: string): string {
  return text.replace(/\s+/g, ' ').trim()
}

function shorten(text: string): string {
  return text.length > 80 ? `${text.slice(0, 77)}...` : text
}

/** The escape character of the `# escape=` parser directive, `\` by default. */
function escapeCharacter(lines: string[]): string {
  for (const line of lines) {
    const directive = /^#\s*(\w+)\s*=\s*(\S+)\s*$/.exec(line.trim())
    if (!directive) break
    if ((directive[1] as string).toLowerCase() === 'escape') return directive[2] as string
  }
  return '\\'
}

/** The terminators of the heredocs an instruction opens, in order. */
function heredocTerminators(instruction: string): string[] {
  if (!/^(RUN|COPY|ADD)\s/i.test(instruction)) return []
  return [...instruction.matchAll(/<<-?(["']?)(\w+)\1/g)].map((match) => match[2] as string)
}
