#!/usr/bin/env bash
# The action's main job, locally: sets up the test bed (dockerd, a registry on 127.0.0.1:5000),
# installs the dev dependencies if they are missing, then runs scripts/demo.mjs, which runs
# dist/index.js and dist/post.js the way the GitHub Actions runner does, as if the tag
# v$DEMO_VERSION (default 1.0.0) had been pushed, on examples/hello.
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)

bash "$repo/scripts/testbed.sh"
if [ ! -d "$repo/node_modules" ]; then
  (cd "$repo" && npm ci --no-audit --no-fund)
fi
exec node "$repo/scripts/demo.mjs"
