// Run before the tests (package.json's pretest hooks): they must run on the Node.js major that
// action.yml declares (runs.using: node24), the runtime GitHub's runner gives the action, not
// on whatever node the machine has. scripts/build-tools.sh installs it; its node.env puts it
// first on PATH. Exits 1 with a message saying so on any other major.
import { readFileSync } from 'node:fs'

const actionYml = readFileSync(new URL('../action.yml', import.meta.url), 'utf8')
const declared = /^\s+using:\s*['"]?node(\d+)['"]?\s*(#.*)?$/m.exec(actionYml)?.[1]
const running = process.versions.node.split('.')[0]
const nodeEnv = `${process.env.TOOLS_CACHE ?? '/var/cache/container-ship/tools'}/node.env`

if (declared === undefined) {
  console.error('scripts/check-node.mjs: action.yml declares no nodeNN runtime (runs.using)')
  process.exit(1)
}
if (running !== declared) {
  console.error(
    `Node.js ${process.versions.node} (${process.execPath}) is not Node.js ${declared}: ` +
      `tests run on the runtime action.yml declares: node${declared}; source ${nodeEnv} ` +
      `(scripts/build-tools.sh installs it: ONLY=node bash scripts/build-tools.sh)`
  )
  process.exit(1)
}
