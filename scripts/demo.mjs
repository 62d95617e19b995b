// The demo pipeline: runs the bundled action through the runner emulation the end-to-end tests
// use, as if the tag v$DEMO_VERSION had been pushed, on examples/hello against the test bed's
// registry. Prints the outputs, the step summary and the page the pushed image serves.
// Run it through scripts/demo.sh, which sets up the test bed first.
import { execFileSync } from 'node:child_process'
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs'
import os from 'node:os'
import path from 'node:path'
import { parseFileCommands, REPO_ROOT, runAction } from './local-runner.mjs'

const version = process.env.DEMO_VERSION ?? '1.0.0'
const testbed = parseFileCommands(
  readFileSync(
    path.join(process.env.TESTBED_STATE ?? '/var/lib/container-ship-testbed', 'testbed.env'),
    'utf8'
  )
)
const registry = /** @type {string} */ (testbed.TESTBED_REGISTRY)
const image = `${registry}/demo/hello`

const eventPath = path.join(mkdtempSync(path.join(os.tmpdir(), 'demo-event-')), 'event.json')
const repository = { full_name: 'local/hello', html_url: 'https://github.com/local/hello' }
writeFileSync(eventPath, JSON.stringify({ ref: `refs/tags/v${version}`, repository }))
let sha = '0000000000000000000000000000000000000000'
try {
  sha = execFileSync('git', ['-C', REPO_ROOT, 'rev-parse', 'HEAD'], { encoding: 'utf8' }).trim()
} catch {
  // Not a git checkout: the sha tag is made of zeros.
}

const run = await runAction({
  inputs: {
    image,
    username: /** @type {string} */ (testbed.TESTBED_REGISTRY_USER),
    password: readFileSync(/** @type {string} */ (testbed.TESTBED_REGISTRY_PASSWORD_FILE), 'utf8').trim(),
    'build-args': `GREETING=Hello from Container Ship ${version}`,
    // The vulnerability DB cannot be downloaded here: the test bed built one offline.
    'skip-db-update': 'true'
  },
  event: {
    GITHUB_EVENT_NAME: 'push',
    GITHUB_EVENT_PATH: eventPath,
    GITHUB_REF: `refs/tags/v${version}`,
    GITHUB_SHA: sha,
    GITHUB_REPOSITORY: repository.full_name,
    GITHUB_SERVER_URL: 'https://github.com'
  },
  workspace: path.join(REPO_ROOT, 'examples/hello'),
  // Trivy as the test bed built it, and its offline DB as Trivy's cache folder.
  env: {
    PATH: `${path.dirname(/** @type {string} */ (testbed.TESTBED_TRIVY))}:${process.env.PATH ?? ''}`,
    TRIVY_CACHE_DIR: /** @type {string} */ (testbed.TESTBED_TRIVY_CACHE)
  }
})

console.log('=== main step (node dist/index.js) ===')
process.stdout.write(run.log)
console.log('=== post step (node dist/post.js) ===')
process.stdout.write(run.post.log)
console.log('=== outputs ===')
for (const [name, value] of Object.entries(run.outputs))
  console.log(`${name}: ${value.split('\n').join('\n    ')}`)
console.log('=== step summary ===')
process.stdout.write(run.summary)
if (run.exitCode === 0) {
  console.log('=== the pushed image ===')
  console.log(
    execFileSync('docker', ['run', '--rm', `${image}:${version}`, 'cat', '/www/index.html'], {
      encoding: 'utf8'
    }).trim()
  )
}
process.exitCode = run.exitCode
