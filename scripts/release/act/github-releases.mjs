// A loopback stand-in of GitHub's REST API for releases, for scripts/run-release.sh, behaving as
// https://docs.github.com/en/rest/releases/releases documents it:
//   POST  /repos/{owner}/{repo}/releases            201 and the release (Location header); 422
//         "Validation Failed" with errors [{resource: Release, code: already_exists, field:
//         tag_name}] when that tag has a release; 422 missing_field without tag_name
//   GET   /repos/{owner}/{repo}/releases/tags/{tag} 200 and the release, or 404 Not Found
//   PATCH /repos/{owner}/{repo}/releases/{id}       200 and the updated release, or 404
// Every request without `Authorization: Bearer <RELEASE_STAND_IN_TOKEN>` (or `token <...>`) gets
// 401 Bad credentials. Listens on 127.0.0.1, a port the OS chooses, written to the port file; each
// change writes {releases, requests} to the state file for the script's assertions.
//   RELEASE_STAND_IN_TOKEN=... node github-releases.mjs <port-file> <state-file>
import { createServer } from 'node:http'
import { renameSync, writeFileSync } from 'node:fs'

const [portFile, stateFile] = process.argv.slice(2)
const token = process.env.RELEASE_STAND_IN_TOKEN ?? ''
if (!portFile || !stateFile || token === '') {
  console.error('usage: RELEASE_STAND_IN_TOKEN=... node github-releases.mjs <port-file> <state-file>')
  process.exit(2)
}
const docs = 'https://docs.github.com/rest/releases/releases'
const releases = []
const requests = []
let nextId = 1000

const save = () => {
  writeFileSync(`${stateFile}.tmp`, JSON.stringify({ releases, requests }, null, 2))
  renameSync(`${stateFile}.tmp`, stateFile)
}
const send = (response, status, body, headers = {}) => {
  response.writeHead(status, { 'Content-Type': 'application/json; charset=utf-8', ...headers })
  response.end(JSON.stringify(body))
}
const apiRelease = (origin, owner, repo, r) => ({
  url: `${origin}/repos/${owner}/${repo}/releases/${r.id}`,
  html_url: `https://github.com/${owner}/${repo}/releases/tag/${r.tag_name}`,
  id: r.id,
  tag_name: r.tag_name,
  target_commitish: r.target_commitish,
  name: r.name,
  body: r.body,
  draft: r.draft,
  prerelease: r.prerelease,
  created_at: r.created_at,
  published_at: r.draft ? null : r.created_at,
  assets: []
})
const editable = ['tag_name', 'target_commitish', 'name', 'body', 'draft', 'prerelease']

const server = createServer((request, response) => {
  let raw = ''
  request.setEncoding('utf8')
  request.on('data', (chunk) => (raw += chunk))
  request.on('end', () => {
    const url = new URL(request.url ?? '/', 'http://stand-in')
    const origin = `http://${request.headers.host}`
    const authorization = request.headers.authorization ?? ''
    const authorized = authorization === `Bearer ${token}` || authorization === `token ${token}`
    requests.push({ method: request.method, path: url.pathname, authorized })
    if (!authorized) {
      save()
      return send(response, 401, {
        message: 'Bad credentials',
        documentation_url: 'https://docs.github.com/rest',
        status: '401'
      })
    }
    const match = /^\/repos\/([^/]+)\/([^/]+)\/releases(?:\/(tags\/(.+)|\d+))?$/.exec(url.pathname)
    if (match === null) {
      save()
      return send(response, 404, {
        message: 'Not Found',
        documentation_url: 'https://docs.github.com/rest',
        status: '404'
      })
    }
    const [, owner, repo, rest, tag] = match
    let payload = {}
    if (raw !== '') {
      try {
        payload = JSON.parse(raw)
      } catch {
        save()
        return send(response, 400, {
          message: 'Problems parsing JSON',
          documentation_url: docs,
          status: '400'
        })
      }
    }
    const forRepo = (r) => r.owner === owner && r.repo === repo
    const notFound = () =>
      send(response, 404, { message: 'Not Found', documentation_url: docs, status: '404' })
    if (request.method === 'POST' && rest === undefined) {
      if (typeof payload.tag_name !== 'string' || payload.tag_name === '') {
        save()
        return send(response, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'missing_field', field: 'tag_name' }],
          documentation_url: `${docs}#create-a-release`,
          status: '422'
        })
      }
      if (releases.some((r) => forRepo(r) && r.tag_name === payload.tag_name)) {
        save()
        return send(response, 422, {
          message: 'Validation Failed',
          errors: [{ resource: 'Release', code: 'already_exists', field: 'tag_name' }],
          documentation_url: `${docs}#create-a-release`,
          status: '422'
        })
      }
      const release = {
        owner,
        repo,
        id: nextId++,
        tag_name: payload.tag_name,
        target_commitish: payload.target_commitish ?? 'main',
        name: payload.name ?? payload.tag_name,
        body: payload.body ?? '',
        draft: payload.draft === true,
        prerelease: payload.prerelease === true,
        created_at: new Date().toISOString()
      }
      releases.push(release)
      save()
      const body = apiRelease(origin, owner, repo, release)
      return send(response, 201, body, { Location: body.url })
    }
    if (request.method === 'GET' && tag !== undefined) {
      const release = releases.find((r) => forRepo(r) && r.tag_name === decodeURIComponent(tag) && !r.draft)
      save()
      return release ? send(response, 200, apiRelease(origin, owner, repo, release)) : notFound()
    }
    if (request.method === 'PATCH' && rest !== undefined && tag === undefined) {
      const release = releases.find((r) => forRepo(r) && r.id === Number(rest))
      if (release === undefined) {
        save()
        return notFound()
      }
      for (const key of editable) if (key in payload) release[key] = payload[key]
      save()
      return send(response, 200, apiRelease(origin, owner, repo, release))
    }
    save()
    return notFound()
  })
})
server.listen(0, '127.0.0.1', () => {
  save()
  writeFileSync(portFile, String(server.address().port))
})
