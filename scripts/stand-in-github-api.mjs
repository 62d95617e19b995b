// The loopback stand-in of GitHub's REST API that scripts/run-examples.sh points the action at
// (GITHUB_API_URL): the one the end-to-end tests use, __tests__/support/stand-in-github.ts (what it
// models, and from which of GitHub's documents, is written there), loaded by Node.js 24 with
// --experimental-transform-types. GitHub itself cannot be reached here.
//
//   node --experimental-transform-types scripts/stand-in-github-api.mjs STATE_DIR
//
// Reads STATE_DIR/token (the workflow token it grants, as GITHUB_TOKEN: an installation token of
// github-actions[bot] that may write) and STATE_DIR/pull-request (the pull request that exists),
// writes STATE_DIR/api-url once it listens on 127.0.0.1, and on SIGTERM or SIGINT writes
// STATE_DIR/record.json (every request, every comment) and exits.
import { readFileSync, renameSync, writeFileSync } from 'node:fs'
import path from 'node:path'

/** @type {typeof import('../__tests__/support/stand-in-github.js')} */
const { ACTIONS_BOT, startStandInGitHub } = await import(
  // The TypeScript source itself, which Node.js runs with --experimental-transform-types.
  new URL('../__tests__/support/stand-in-github.ts', import.meta.url).href
)

const state = process.argv[2] ?? ''
if (!state) {
  console.error('usage: stand-in-github-api.mjs STATE_DIR')
  process.exit(2)
}
/** @param {string} name */
const read = (name) => readFileSync(path.join(state, name), 'utf8').trim()
const token = read('token')
const pullRequest = Number(read('pull-request'))
const [owner = '', repo = ''] = read('repository').split('/')

const gh = await startStandInGitHub({
  owner,
  repo,
  pullRequests: [pullRequest],
  tokens: { [token]: { kind: 'installation', login: ACTIONS_BOT.login, write: true } }
})

/**
 * Written whole or not at all: the script reads it once the file is there.
 * @param {string} name
 * @param {string} text
 */
function writeAtomically(name, text) {
  const file = path.join(state, name)
  writeFileSync(`${file}.tmp`, text)
  renameSync(`${file}.tmp`, file)
}

writeAtomically('api-url', `${gh.apiUrl}\n`)
let stopping = false
for (const signal of ['SIGTERM', 'SIGINT']) {
  process.on(signal, () => {
    if (stopping) return
    stopping = true
    writeAtomically(
      'record.json',
      `${JSON.stringify({ apiUrl: gh.apiUrl, requests: gh.requests, comments: gh.comments() }, null, 2)}\n`
    )
    void gh.close().then(() => process.exit(0))
  })
}
