# shellcheck shell=bash
# What the scripts that run workflows through nektos/act share (run-workflow.sh, run-release.sh,
# run-deploy-example.sh, run-examples.sh). Sourced, not run:
#
#   . "$(dirname "$0")/act-lib.sh"
#   act_setup <log prefix> [testbed]
#
# act_setup defines log and fail (with the prefix), reads tools.env (ACT, ...) and, with
# `testbed`, the test bed's testbed.env, then puts Node.js 24 (node.env) first on PATH, since act
# takes `node` from there for the actions' steps, and checks it. Sets repo, tools and state.
#
#   TOOLS_CACHE     as in scripts/build-tools.sh (tools.env names ACT; node.env, Node.js 24)
#   TESTBED_STATE   as in scripts/testbed.sh (testbed.env)

act_setup() {
  local prefix=$1 needs=${2:-}
  repo=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
  tools=${TOOLS_CACHE:-/var/cache/container-ship/tools}
  state=${TESTBED_STATE:-/var/lib/container-ship-testbed}
  act_log_prefix=$prefix
  local files=("$tools/tools.env" "$tools/node.env") file
  if [ "$needs" = testbed ]; then files+=("$state/testbed.env"); fi
  for file in "${files[@]}"; do
    if [ ! -r "$file" ]; then
      echo "$file is missing: run scripts/testbed.sh first" >&2
      exit 1
    fi
  done
  # shellcheck source=/dev/null
  . "$tools/tools.env"
  if [ "$needs" = testbed ]; then
    # shellcheck source=/dev/null
    . "$state/testbed.env"
  fi
  # shellcheck source=/dev/null
  . "$tools/node.env"
  node "$repo/scripts/check-node.mjs"
  log "the actions run on node $(node --version) ($(command -v node))"
  if [ -z "${ACT:-}" ] || [ ! -x "$ACT" ]; then
    echo "act is not built: run ONLY=act bash scripts/build-tools.sh" >&2
    exit 1
  fi
}

log() { printf '[%s] %s\n' "${act_log_prefix:-act}" "$*" >&2; }
fail() {
  printf '[%s] FAILED: %s\n' "${act_log_prefix:-act}" "$*" >&2
  exit 1
}

# The test bed registry's password, for a dotenv secret file: one line without quotes or
# backslashes, so that '...' (or "...") takes it literally.
testbed_registry_password() {
  local password
  password=$(cat "$TESTBED_REGISTRY_PASSWORD_FILE")
  if [ -z "$password" ] || [[ $password == *[\'\"\\$'\n\r']* ]]; then
    fail "$TESTBED_REGISTRY_PASSWORD_FILE: the password must be one line without quotes or backslashes"
  fi
  printf '%s' "$password"
}
