// Reading what `cosign verify-attestation --type vuln` prints: one DSSE envelope (JSON) a line,
// whose payload (base64) is an in-toto statement. cosign has checked the signatures; everything
// else in the text is untrusted input: an attestation signed with the right key may still be about
// another image (a statement copied from one image to another keeps its signature), and any of
// it may be malformed. So every shape is checked, the only thing taken from it is the answer
// "does a statement about this digest carry a passed verdict", and none of it is ever printed.
import { VULN_PREDICATE_TYPE } from './predicate.js'

const IN_TOTO_PAYLOAD = 'application/vnd.in-toto+json'
const BASE64 = /^[A-Za-z0-9+/]*={0,2}$/
/** Beyond this, a line is not read (a Trivy report of a large image is a few MB). */
const MAX_LINE = 64 * 1024 * 1024

export type AttestedVerdict =
  | { verdict: 'passed' | 'failed'; finishedOn?: string }
  /** No statement about this digest with a readable verdict; `reason` is ours, never cosign's text. */
  | { verdict: 'none'; reason: string }

/**
 * The verdict of the scan attestations about `digest` (sha256:<hex>) in cosign's output. When
 * there are several (a re-run attests again), the one whose scan finished last decides; on a tie
 * or without times, a failed one wins.
 */
export function attestedVerdict(stdout: string, digest: string): AttestedVerdict {
  const hex = /^sha256:([0-9a-f]{64})$/.exec(digest)?.[1]
  if (!hex) throw new Error('the image digest is not sha256:<64 hex digits>')
  const found: { verdict: 'passed' | 'failed'; finishedOn?: string; time: number }[] = []
  let statements = 0
  let otherSubject = 0
  for (const line of stdout.split('\n')) {
    const statement = statementOf(line)
    if (!statement) continue
    statements++
    if (!aboutDigest(statement, hex)) {
      otherSubject++
      continue
    }
    const verdict = verdictOf(statement)
    if (!verdict) continue
    const finishedOn = finishedOnOf(statement)
    found.push({ verdict, finishedOn, time: finishedOn ? Date.parse(finishedOn) : Number.NaN })
  }
  if (found.length === 0) {
    const reason =
      statements === 0
        ? 'cosign printed no scan attestation'
        : otherSubject === statements
          ? `every scan attestation it verified is about another image than ${digest}`
          : `no scan attestation about ${digest} carries this action's verdict`
    return { verdict: 'none', reason }
  }
  const latest = found.reduce((best, next) => {
    const bestTime = Number.isNaN(best.time) ? -Infinity : best.time
    const nextTime = Number.isNaN(next.time) ? -Infinity : next.time
    if (nextTime > bestTime) return next
    if (nextTime === bestTime && next.verdict === 'failed') return next
    return best
  })
  return { verdict: latest.verdict, ...(latest.finishedOn ? { finishedOn: latest.finishedOn } : {}) }
}

type Json = Record<string, unknown>

function isObject(value: unknown): value is Json {
  return typeof value === 'object' && value !== null && !Array.isArray(value)
}

/** The in-toto statement of one envelope line, or undefined for anything else. */
function statementOf(line: string): Json | undefined {
  const text = line.trim()
  if (!text.startsWith('{') || text.length > MAX_LINE) return undefined
  const envelope = parse(text)
  if (!isObject(envelope) || envelope.payloadType !== IN_TOTO_PAYLOAD) return undefined
  const payload = envelope.payload
  if (typeof payload !== 'string' || !BASE64.test(payload)) return undefined
  const statement = parse(Buffer.from(payload, 'base64').toString('utf8'))
  if (!isObject(statement) || statement.predicateType !== VULN_PREDICATE_TYPE) return undefined
  if (typeof statement._type !== 'string' || !statement._type.startsWith('https://in-toto.io/Statement/'))
    return undefined
  return statement
}

function parse(text: string): unknown {
  try {
    return JSON.parse(text)
  } catch {
    return undefined
  }
}

/** Whether one of the statement's subjects is the image (its sha256, exactly). */
function aboutDigest(statement: Json, hex: string): boolean {
  const subjects = statement.subject
  if (!Array.isArray(subjects)) return false
  return subjects.some(
    (subject) => isObject(subject) && isObject(subject.digest) && subject.digest.sha256 === hex
  )
}

function verdictOf(statement: Json): 'passed' | 'failed' | undefined {
  const predicate = statement.predicate
  if (!isObject(predicate) || !isObject(predicate.scanner) || !isObject(predicate.scanner.result))
    return undefined
  const ours = predicate.scanner.result.containerShip
  if (!isObject(ours)) return undefined
  return ours.gate === 'passed' || ours.gate === 'failed' ? ours.gate : undefined
}

function finishedOnOf(statement: Json): string | undefined {
  const predicate = statement.predicate as Json
  const metadata = predicate.metadata
  if (!isObject(metadata) || typeof metadata.scanFinishedOn !== 'string') return undefined
  const time = Date.parse(metadata.scanFinishedOn)
  // Our own rendering of the time, not the text as it came.
  return Number.isNaN(time) ? undefined : new Date(time).toISOString()
}
