#!/usr/bin/env bash
# The action's main job, locally: sets up the test bed (dockerd, a registry on 127.0.0.1:5000),
# then runs dist/index.js and dist/post.js the way the GitHub Actions runner does, as if the tag
# v$DEMO_VERSION had been pushed, on examples/hello. Prints the outputs and the step summary.
#   DEMO_VERSION   the release to simulate (default 1.0.0)
set -euo pipefail
repo=$(cd "$(dirname "$0")/.." && pwd)
version=${DEMO_VERSION:-1.0.0}

bash "$repo/scripts/testbed.sh"
# shellcheck disable=SC1091
. "${TESTBED_STATE:-/var/lib/container-ship-testbed}/testbed.env"

runner=$(mktemp -d)
mkdir -p "$runner/temp" "$runner/files"
for f in output state summary env post_output post_state post_summary post_env; do : >"$runner/files/$f"; done
cat >"$runner/event.json" <<JSON
{ "ref": "refs/tags/v$version", "repository": { "full_name": "local/hello", "html_url": "https://github.com/local/hello", "default_branch": "main" } }
JSON

sha=$(git -C "$repo" rev-parse HEAD 2>/dev/null || echo 0000000000000000000000000000000000000000)
common=(
  "PATH=$PATH" "HOME=$HOME" "GITHUB_ACTIONS=true" "RUNNER_TEMP=$runner/temp" "GITHUB_WORKSPACE=$repo/examples/hello"
  "GITHUB_EVENT_NAME=push" "GITHUB_EVENT_PATH=$runner/event.json" "GITHUB_REF=refs/tags/v$version"
  "GITHUB_SHA=$sha" "GITHUB_REPOSITORY=local/hello" "GITHUB_SERVER_URL=https://github.com"
  "INPUT_IMAGE=$TESTBED_REGISTRY/demo/hello" "INPUT_USERNAME=$TESTBED_REGISTRY_USER"
  "INPUT_PASSWORD=$(cat "$TESTBED_REGISTRY_PASSWORD_FILE")" "INPUT_STEPS=build,scan,push,deploy"
  "INPUT_BUILD-ARGS=GREETING=Hello from Container Ship $version"
)

cd "$repo/examples/hello"
echo "=== main step (node dist/index.js) ==="
status=0
env -i "${common[@]}" GITHUB_OUTPUT="$runner/files/output" GITHUB_STATE="$runner/files/state" \
  GITHUB_STEP_SUMMARY="$runner/files/summary" GITHUB_ENV="$runner/files/env" node "$repo/dist/index.js" || status=$?

# Prints NAME=VALUE for each `NAME<<DELIMITER ... DELIMITER` file command of $1.
file_commands() {
  local line name delimiter value body
  while IFS= read -r line; do
    case "$line" in
      *'<<'*)
        name=${line%%<<*} delimiter=${line#*<<} value=''
        while IFS= read -r body && [ "$body" != "$delimiter" ]; do value+="${value:+$'\n'}$body"; done
        printf '%s=%s\0' "$name" "$value"
        ;;
    esac
  done <"$1"
}

echo "=== post step (node dist/post.js) ==="
state_env=()
while IFS= read -r -d '' pair; do state_env+=("STATE_$pair"); done < <(file_commands "$runner/files/state")
env -i "${common[@]}" "${state_env[@]}" GITHUB_OUTPUT="$runner/files/post_output" GITHUB_STATE="$runner/files/post_state" \
  GITHUB_STEP_SUMMARY="$runner/files/post_summary" GITHUB_ENV="$runner/files/post_env" node "$repo/dist/post.js"

echo "=== outputs ==="
while IFS= read -r -d '' pair; do printf '%s: %s\n' "${pair%%=*}" "${pair#*=}" | sed '2,$s/^/    /'; done \
  < <(file_commands "$runner/files/output")
echo "=== step summary ==="
cat "$runner/files/summary"
echo "=== the pushed image ==="
docker run --rm "$TESTBED_REGISTRY/demo/hello:$version" cat /www/index.html
rm -rf "$runner"
exit "$status"
