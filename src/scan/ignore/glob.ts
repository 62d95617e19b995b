// Path globs as Trivy matches ignore-file paths: github.com/bmatcuk/doublestar/v4 v4.10.0's Match
// and ValidatePattern, ported.
//
// `*` matches within one path segment, `**` as a whole segment matches zero or more segments
// (`a/**` matches `a` too), `?` one character other than `/`, `[abc]`, `[a-z]`, `[!x]` or `[^x]`
// one character, `{a,b}` either alternative, `\` escapes. The whole path must match. Code points
// are compared, as Go compares runes.

const SLASH = 0x2f
const STAR = 0x2a
const QUESTION = 0x3f
const OPEN_CLASS = 0x5b
const CLOSE_CLASS = 0x5d
const OPEN_ALT = 0x7b
const CLOSE_ALT = 0x7d
const COMMA = 0x2c
const BACKSLASH = 0x5c
const BANG = 0x21
const CARET = 0x5e
const DASH = 0x2d
const MAX_RUNE = 0x10ffff
const RUNE_ERROR = 0xfffd

class BadPattern extends Error {}

function codePoints(text: string): number[] {
  return Array.from(text, (char) => char.codePointAt(0) as number)
}

/** doublestar.Match(pattern, path); a malformed pattern matches nothing. */
export function matchGlob(pattern: string, path: string): boolean {
  try {
    return globMatch(codePoints(pattern), codePoints(path), -1, -1, -1, -1, 0, 0)
  } catch (error) {
    if (error instanceof BadPattern) return false
    throw error
  }
}

/** doublestar.ValidatePattern: classes and alternatives closed, no trailing backslash. */
export function validGlob(pattern: string): boolean {
  return validPattern(codePoints(pattern))
}

function globMatch(
  pattern: number[],
  name: number[],
  doublestarPatternBacktrackStart: number,
  doublestarNameBacktrackStart: number,
  starPatternBacktrackStart: number,
  starNameBacktrackStart: number,
  patIdxStart: number,
  nameIdxStart: number
): boolean {
  let doublestarPatternBacktrack = doublestarPatternBacktrackStart
  let doublestarNameBacktrack = doublestarNameBacktrackStart
  let starPatternBacktrack = starPatternBacktrackStart
  let starNameBacktrack = starNameBacktrackStart
  let patIdx = patIdxStart
  let nameIdx = nameIdxStart
  const patLen = pattern.length
  const nameLen = name.length
  let startOfSegment = true
  const rune = (list: number[], index: number): number =>
    index < list.length ? (list[index] as number) : RUNE_ERROR

  match: while (nameIdx < nameLen) {
    if (patIdx < patLen) {
      switch (pattern[patIdx]) {
        case STAR: {
          patIdx++
          if (patIdx < patLen && pattern[patIdx] === STAR) {
            // `**` only spans segments when it is a whole segment; else it is `*`, as in bash
            patIdx++
            if (startOfSegment) {
              if (patIdx >= patLen) return true
              if (pattern[patIdx] === SLASH) {
                patIdx++
                doublestarPatternBacktrack = patIdx
                doublestarNameBacktrack = nameIdx
                starPatternBacktrack = -1
                starNameBacktrack = -1
                continue match
              }
            }
          }
          startOfSegment = false
          starPatternBacktrack = patIdx
          starNameBacktrack = nameIdx
          continue match
        }
        case QUESTION: {
          startOfSegment = false
          if (rune(name, nameIdx) === SLASH) break
          patIdx++
          nameIdx++
          continue match
        }
        case OPEN_CLASS: {
          startOfSegment = false
          patIdx++
          if (patIdx >= patLen) throw new BadPattern()
          const nameRune = rune(name, nameIdx)
          let matched = false
          const negate = pattern[patIdx] === BANG || pattern[patIdx] === CARET
          if (negate) patIdx++
          if (patIdx >= patLen || pattern[patIdx] === CLOSE_CLASS) throw new BadPattern()
          let last = MAX_RUNE
          while (patIdx < patLen && pattern[patIdx] !== CLOSE_CLASS) {
            let patRune = rune(pattern, patIdx)
            patIdx++
            if (last < MAX_RUNE && patRune === DASH && patIdx < patLen && pattern[patIdx] !== CLOSE_CLASS) {
              if (pattern[patIdx] === BACKSLASH) patIdx++
              patRune = rune(pattern, patIdx)
              if (patIdx < patLen) patIdx++
              if (last <= nameRune && nameRune <= patRune) {
                matched = true
                break
              }
              last = MAX_RUNE
              continue
            }
            if (patRune === BACKSLASH) {
              patRune = rune(pattern, patIdx)
              if (patIdx < patLen) patIdx++
            }
            if (patRune === nameRune) {
              matched = true
              break
            }
            last = patRune
          }
          if (matched === negate) {
            if (patIdx >= patLen) throw new BadPattern()
            break
          }
          const closing = indexUnescaped(pattern, patIdx, CLOSE_CLASS)
          if (closing === -1) throw new BadPattern()
          patIdx = closing + 1
          nameIdx++
          continue match
        }
        case OPEN_ALT: {
          startOfSegment = false
          const beforeIdx = patIdx
          patIdx++
          const closingIdx = indexMatchedClosingAlt(pattern, patIdx)
          if (closingIdx === -1) throw new BadPattern()
          for (;;) {
            const commaIdx = indexNextAlt(pattern, patIdx, closingIdx)
            if (commaIdx === -1) break
            const alternative = [
              ...pattern.slice(0, beforeIdx),
              ...pattern.slice(patIdx, commaIdx),
              ...pattern.slice(closingIdx + 1)
            ]
            if (
              globMatch(
                alternative,
                name,
                doublestarPatternBacktrack,
                doublestarNameBacktrack,
                starPatternBacktrack,
                starNameBacktrack,
                beforeIdx,
                nameIdx
              )
            ) {
              return true
            }
            patIdx = commaIdx + 1
          }
          return globMatch(
            [
              ...pattern.slice(0, beforeIdx),
              ...pattern.slice(patIdx, closingIdx),
              ...pattern.slice(closingIdx + 1)
            ],
            name,
            doublestarPatternBacktrack,
            doublestarNameBacktrack,
            starPatternBacktrack,
            starNameBacktrack,
            beforeIdx,
            nameIdx
          )
        }
        default: {
          if (pattern[patIdx] === BACKSLASH) {
            // the next character is matched literally
            patIdx++
            if (patIdx >= patLen) throw new BadPattern()
          }
          const patRune = rune(pattern, patIdx)
          const nameRune = rune(name, nameIdx)
          if (patRune !== nameRune) {
            // back on the backslash before backtracking or validating
            if (patIdx > 0 && pattern[patIdx - 1] === BACKSLASH) patIdx--
            break
          }
          patIdx++
          nameIdx++
          startOfSegment = patRune === SLASH
          continue match
        }
      }
    }

    if (starPatternBacktrack >= 0) {
      // `*` takes one more character, but never a `/`
      if (rune(name, starNameBacktrack) !== SLASH) {
        starNameBacktrack++
        patIdx = starPatternBacktrack
        nameIdx = starNameBacktrack
        startOfSegment = false
        continue
      }
    }
    if (doublestarPatternBacktrack >= 0) {
      // `**` takes one more segment
      nameIdx = doublestarNameBacktrack
      while (nameIdx < nameLen) {
        const nameRune = rune(name, nameIdx)
        nameIdx++
        if (nameRune === SLASH) {
          doublestarNameBacktrack = nameIdx
          patIdx = doublestarPatternBacktrack
          startOfSegment = true
          continue match
        }
      }
    }
    if (patIdx < patLen && !validPattern(pattern.slice(patIdx))) throw new BadPattern()
    return false
  }
  return isZeroLengthPattern(pattern.slice(patIdx))
}

/** Whether what is left of the pattern matches the empty rest of the name. */
function isZeroLengthPattern(pattern: number[]): boolean {
  const text = String.fromCodePoint(...pattern)
  if (['', '*', '**', '/**', '**/', '/**/'].includes(text)) return true
  if (pattern[0] === OPEN_ALT) {
    const closingIdx = indexMatchedClosingAlt(pattern, 1)
    if (closingIdx === -1) throw new BadPattern()
    let patIdx = 1
    for (;;) {
      const commaIdx = indexNextAlt(pattern, patIdx, closingIdx)
      if (commaIdx === -1) break
      if (isZeroLengthPattern([...pattern.slice(patIdx, commaIdx), ...pattern.slice(closingIdx + 1)]))
        return true
      patIdx = commaIdx + 1
    }
    return isZeroLengthPattern([...pattern.slice(patIdx, closingIdx), ...pattern.slice(closingIdx + 1)])
  }
  if (!validPattern(pattern)) throw new BadPattern()
  return false
}

function indexUnescaped(pattern: number[], from: number, char: number): number {
  for (let index = from; index < pattern.length; index++) {
    if (pattern[index] === BACKSLASH) index++
    else if (pattern[index] === char) return index
  }
  return -1
}

/** The `}` closing the `{` just before `from`, skipping nested ones. */
function indexMatchedClosingAlt(pattern: number[], from: number): number {
  let depth = 1
  for (let index = from; index < pattern.length; index++) {
    if (pattern[index] === BACKSLASH) index++
    else if (pattern[index] === OPEN_ALT) depth++
    else if (pattern[index] === CLOSE_ALT && --depth === 0) return index
  }
  return -1
}

/** The next top-level `,` between from and end. */
function indexNextAlt(pattern: number[], from: number, end: number): number {
  let depth = 1
  for (let index = from; index < end; index++) {
    if (pattern[index] === BACKSLASH) index++
    else if (pattern[index] === OPEN_ALT) depth++
    else if (pattern[index] === CLOSE_ALT) depth--
    else if (pattern[index] === COMMA && depth === 1) return index
  }
  return -1
}

function validPattern(pattern: number[]): boolean {
  let altDepth = 0
  const length = pattern.length
  scan: for (let index = 0; index < length; index++) {
    switch (pattern[index]) {
      case BACKSLASH:
        index++
        if (index >= length) return false
        continue
      case OPEN_CLASS:
        index++
        if (index >= length) return false
        if (pattern[index] === CARET || pattern[index] === BANG) index++
        if (index >= length || pattern[index] === CLOSE_CLASS) return false
        for (; index < length; index++) {
          if (pattern[index] === BACKSLASH) index++
          else if (pattern[index] === CLOSE_CLASS) continue scan
        }
        return false
      case OPEN_ALT:
        altDepth++
        continue
      case CLOSE_ALT:
        if (altDepth === 0) return false
        altDepth--
        continue
    }
  }
  return altDepth === 0
}
