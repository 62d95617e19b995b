// Creates the GitHub release of TAG through the REST API, its body the CHANGELOG.md section of
// that version, marked prerelease for a tag like v1.2.3-rc.1. On a re-run the release exists
// (422 with the error code already_exists on tag_name): it is updated instead (PATCH), so
// running the workflow again repairs a release rather than failing.
//   TAG                the release tag (v1.2.3)
//   GITHUB_API_URL     https://api.github.com on GitHub (the runner sets it)
//   GITHUB_REPOSITORY  owner/name (the runner sets it)
//   GITHUB_TOKEN       a token with contents: write
import { readFileSync } from 'node:fs'
import { changelogSection, parseTag } from './lib.mjs'

const fail = (message) => {
  // On a runner, a workflow command on standard output, so that the run's summary shows it.
  if (process.env.GITHUB_ACTIONS === 'true') console.log(`::error::${message}`)
  else console.error(message)
  process.exit(1)
}

const { TAG: tag = '', GITHUB_API_URL: api = '', GITHUB_REPOSITORY: repository = '' } = process.env
const token = process.env.GITHUB_TOKEN ?? ''
const release = parseTag(tag)
if (release === undefined) fail(`TAG="${tag}" is not a release tag (v1.2.3 or v1.2.3-rc.1)`)
if (!/^[\w.-]+\/[\w.-]+$/.test(repository)) fail(`GITHUB_REPOSITORY="${repository}" is not owner/name`)
if (!/^https?:\/\//.test(api)) fail(`GITHUB_API_URL="${api}" is not an http(s) URL`)
if (token === '') fail('GITHUB_TOKEN is empty: the release job passes secrets.GITHUB_TOKEN')

const body = changelogSection(readFileSync('CHANGELOG.md', 'utf8'), release.version)
if (body === undefined || body === '') {
  fail(`CHANGELOG.md has no non-empty "## [${release.version}]" section: nothing to release`)
}
const fields = { tag_name: tag, name: tag, body, prerelease: release.prerelease.length > 0 }

const base = `${api.replace(/\/+$/, '')}/repos/${repository}/releases`
async function call(method, url, payload) {
  const response = await fetch(url, {
    method,
    headers: {
      Accept: 'application/vnd.github+json',
      Authorization: `Bearer ${token}`,
      'X-GitHub-Api-Version': '2022-11-28',
      'User-Agent': 'container-ship-release',
      ...(payload === undefined ? {} : { 'Content-Type': 'application/json' })
    },
    body: payload === undefined ? undefined : JSON.stringify(payload)
  })
  const text = await response.text()
  let json
  try {
    json = JSON.parse(text)
  } catch {
    json = undefined
  }
  return { status: response.status, json, text }
}
const describe = ({ status, json, text }) => `${status} ${json?.message ?? text.slice(0, 200)}`

let result = await call('POST', base, fields)
let verb = 'Created'
const alreadyExists =
  result.status === 422 &&
  Array.isArray(result.json?.errors) &&
  result.json.errors.some((e) => e?.code === 'already_exists' && e?.field === 'tag_name')
if (alreadyExists) {
  const existing = await call('GET', `${base}/tags/${encodeURIComponent(tag)}`)
  if (existing.status !== 200 || typeof existing.json?.id !== 'number') {
    fail(`The release of ${tag} exists but GET ${base}/tags/${tag} answered ${describe(existing)}`)
  }
  result = await call('PATCH', `${base}/${existing.json.id}`, fields)
  verb = 'Updated'
}
if (result.status === 401 || result.status === 403) {
  fail(`${describe(result)}: the release job needs permissions: contents: write and GITHUB_TOKEN`)
}
if (result.status !== 201 && result.status !== 200) fail(`Releasing ${tag} failed: ${describe(result)}`)
console.log(
  `${verb} the ${fields.prerelease ? 'prerelease' : 'release'} ${tag}: ${result.json?.html_url ?? ''}`
)
