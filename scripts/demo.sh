#!/usr/bin/env bash
# The action's main job, locally: sets up the test bed (dockerd, a registry on 127.0.0.1:5000,
# Node.js 24 from the npm registry), then on that node, the runtime action.yml declares,
# installs the dev dependencies if they are missing and runs scripts/demo.mjs, which runs
# dist/index.js and dist/post.js the way the GitHub Actions runner does, as if the tag
# v$DEMO_VERSION (default 1.0.0) had been pushed, on examples/hello.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

bash "$repo/scripts/testbed.sh"
# shellcheck source=/dev/null
. "${TOOLS_CACHE:-/var/cache/container-ship/tools}/node.env"
if [ ! -d "$repo/node_modules" ]; then
  (cd "$repo" && npm ci --no-audit --no-fund)
fi
exec node "$repo/scripts/demo.mjs"
