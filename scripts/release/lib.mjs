// The pure logic of the release workflow (.github/workflows/release.yml): what a release tag is,
// which moving tags (v1, v1.2) it may move, and the CHANGELOG.md section that becomes the
// release's body. No I/O here, so __tests__/unit/release-process/ checks it without git or network.

// A release tag: `v` and a Semantic Versioning 2.0.0 version without build metadata (`+...` has no
// meaning for ordering and GitHub's tag list would show two tags for one version). A prerelease
// (`v1.2.3-rc.1`) is released as such and never moves v1 or v1.2.
const TAG =
  /^v(0|[1-9]\d*)\.(0|[1-9]\d*)\.(0|[1-9]\d*)(?:-((?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*)(?:\.(?:0|[1-9]\d*|\d*[A-Za-z-][0-9A-Za-z-]*))*))?$/

/**
 * @typedef {{ tag: string, version: string, major: number, minor: number, patch: number, prerelease: string[] }} ReleaseTag
 * @param {string} tag
 * @returns {ReleaseTag | undefined}
 */
export function parseTag(tag) {
  const match = TAG.exec(tag)
  if (match === null) return undefined
  const [, major, minor, patch, prerelease] = match
  return {
    tag,
    version: tag.slice(1),
    major: Number(major),
    minor: Number(minor),
    patch: Number(patch),
    prerelease: prerelease === undefined ? [] : prerelease.split('.')
  }
}

/**
 * Semantic Versioning precedence of two parsed tags: negative, 0 or positive.
 * @param {ReleaseTag} a
 * @param {ReleaseTag} b
 * @returns {number}
 */
export function compareVersions(a, b) {
  for (const key of /** @type {const} */ (['major', 'minor', 'patch'])) {
    if (a[key] !== b[key]) return a[key] - b[key]
  }
  // A version without prerelease identifiers ranks above any prerelease of it.
  if (a.prerelease.length === 0 || b.prerelease.length === 0) {
    return b.prerelease.length - a.prerelease.length
  }
  for (let i = 0; i < Math.min(a.prerelease.length, b.prerelease.length); i++) {
    const [x, y] = [a.prerelease[i] ?? '', b.prerelease[i] ?? '']
    if (x === y) continue
    const [xNumeric, yNumeric] = [/^\d+$/.test(x), /^\d+$/.test(y)]
    if (xNumeric && yNumeric) return Number(x) - Number(y)
    if (xNumeric !== yNumeric) return xNumeric ? -1 : 1
    return x < y ? -1 : 1
  }
  return a.prerelease.length - b.prerelease.length
}

/**
 * The moving tags a release moves to its commit, with the reason each one stays where it is.
 * `v1` follows the highest release of major 1 and `v1.2` the highest of 1.2: a fix released for an
 * older line (v1.1.5 after v1.2.0) moves v1.1 but not v1, and a prerelease moves nothing.
 * @param {ReleaseTag} release a parsed tag
 * @param {string[]} existingTags every tag name of the repository (anything not a release tag is ignored)
 * @returns {{ move: string[], skip: { tag: string, reason: string }[] }}
 */
export function movingTags(release, existingTags) {
  const series = [
    { tag: `v${release.major}`, within: (/** @type {ReleaseTag} */ t) => t.major === release.major },
    {
      tag: `v${release.major}.${release.minor}`,
      within: (/** @type {ReleaseTag} */ t) => t.major === release.major && t.minor === release.minor
    }
  ]
  if (release.prerelease.length > 0) {
    return {
      move: [],
      skip: series.map(({ tag }) => ({ tag, reason: `${release.tag} is a prerelease` }))
    }
  }
  /** @type {ReleaseTag[]} */
  const releases = []
  for (const name of existingTags) {
    const parsed = parseTag(name)
    if (parsed !== undefined && parsed.prerelease.length === 0) releases.push(parsed)
  }
  /** @type {string[]} */
  const move = []
  /** @type {{ tag: string, reason: string }[]} */
  const skip = []
  for (const { tag, within } of series) {
    const higher = releases
      .filter((t) => within(t) && compareVersions(t, release) > 0)
      .sort(compareVersions)
      .at(-1)
    if (higher === undefined) move.push(tag)
    else skip.push({ tag, reason: `${higher.tag} is a higher release of ${tag}` })
  }
  return { move, skip }
}

/**
 * The body of a version's section in a Keep a Changelog file: the lines after its heading
 * (`## [1.2.3] - 2026-12-06`, `## [1.2.3]`, `## 1.2.3 - ...` or `## 1.2.3`) up to the next `## `
 * heading, without the link reference definitions (`[1.2.3]: https://...`) that close the file,
 * trimmed. Undefined when there is no such heading; an empty string when the section is empty.
 * @param {string} changelog
 * @param {string} version
 * @returns {string | undefined}
 */
export function changelogSection(changelog, version) {
  const lines = changelog.replace(/\r\n?/g, '\n').split('\n')
  const escaped = version.replace(/[.+]/g, '\\$&')
  const heading = new RegExp(`^## +(?:\\[${escaped}\\]|${escaped})(?: +- +.*| *)$`)
  const start = lines.findIndex((line) => heading.test(line))
  if (start === -1) return undefined
  let end = lines.findIndex((line, i) => i > start && /^## /.test(line))
  if (end === -1) end = lines.length
  const body = lines.slice(start + 1, end)
  while (body.length > 0 && /^\s*(\[[^\]]+\]: +\S+.*)?$/.test(body[body.length - 1] ?? '')) body.pop()
  return body.join('\n').trim()
}
