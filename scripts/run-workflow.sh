#!/usr/bin/env bash
# Runs the `end-to-end` job of .github/workflows/ci.yml through a real workflow runner, nektos/act
# (built by scripts/build-tools.sh), on this machine against the test bed's registry. Run it after
# scripts/testbed.sh, as root, from any directory; .ci/run calls it after `npm test`.
#
# act runs the job on the host (`-P ubuntu-latest=-self-hosted`): `run:` steps with the host's
# bash, the action (`uses: ./`, node24 in action.yml) with the first `node` on act's PATH (act
# hands the job its own environment), here Node.js 24 from $TOOLS_CACHE/node.env, and
# actions/checkout without downloading it: act copies the local work tree (minus .gitignore'd
# files) into the job's workspace. Nothing is fetched from GitHub or Docker Hub: the job's own
# registry step is skipped because vars.E2E_REGISTRY names the test bed's registry, whose
# password reaches the job as secrets.E2E_REGISTRY_PASSWORD from a 0600 file, never an argument.
#
# Fails when act fails (any step of the job failing) or when act's log does not show the
# action's post step removing its private Docker config.
#
#   TOOLS_CACHE     as in scripts/build-tools.sh (tools.env names ACT; node.env, Node.js 24)
#   TESTBED_STATE   as in scripts/testbed.sh (testbed.env names the registry and its password)
#   ACT_TIMEOUT     seconds act may take (default 900)
set -euo pipefail

# shellcheck source=scripts/act-lib.sh
. "$(dirname "$0")/act-lib.sh"
act_setup run-workflow testbed

# Everything act writes (the job's workspace and temp folder, the secret file, the log) lives
# here, outside the repository, and goes when this script ends.
work=$(mktemp -d "${TMPDIR:-/tmp}/container-ship-act.XXXXXX")
trap 'rm -rf "$work"' EXIT

password=$(testbed_registry_password)
secrets="$work/secrets.env"
(
  umask 077
  # Single-quoted dotenv values are taken literally. GITHUB_TOKEN is set (empty) so that act
  # does not ask `gh auth token` for one.
  printf "E2E_REGISTRY_PASSWORD='%s'\nGITHUB_TOKEN=\n" "$password" >"$secrets"
)
chmod 600 "$secrets"
unset password
# act reads .env, .vars and .input from the working directory unless told otherwise.
: >"$work/empty.env"

act_log="$work/act.log"
# act takes arguments from ./.actrc, ~/.actrc and ~/.config/act/actrc before its command line.
# It runs in the empty work folder, so only the user's own files can add to the arguments below.
cd "$work"
for actrc in "$HOME/.actrc" "${XDG_CONFIG_HOME:-$HOME/.config}/act/actrc"; do
  if [ -e "$actrc" ]; then log "note: act also takes arguments from $actrc"; fi
done
args=(
  push
  --workflows "$repo/.github/workflows/ci.yml"
  --job end-to-end
  --directory "$repo"
  -P ubuntu-latest=-self-hosted
  --secret-file "$secrets"
  --var "E2E_REGISTRY=$TESTBED_REGISTRY"
  --var "E2E_REGISTRY_USER=$TESTBED_REGISTRY_USER"
  --var-file "$work/empty.env"
  --env-file "$work/empty.env"
  --input-file "$work/empty.env"
  # A run ID of its own, so each run pushes a tag of its own (act's default is always 1).
  --env "GITHUB_RUN_ID=$(date +%s)"
  --action-cache-path "$work/act"
  --no-cache-server
)
log "$ACT ${args[*]}"
start=$SECONDS
status=0
# ACT_DISABLE_VERSION_CHECK: act would otherwise ask api.nektosact.com for notices.
ACT_DISABLE_VERSION_CHECK=1 timeout --kill-after=30 "${ACT_TIMEOUT:-900}" \
  "$ACT" "${args[@]}" </dev/null 2>&1 | tee "$act_log" || status=$?
log "act took $((SECONDS - start)) s"
if [ "$status" -ne 0 ]; then
  echo "act failed (exit status $status): the end-to-end job did not pass" >&2
  exit "$status"
fi

# The post step of the first `uses: ./` step logs out and removes its private Docker config.
if ! grep -Eq '\[CI/end-to-end\] +\| Removed the private Docker config ' "$act_log"; then
  echo "act's log has no 'Removed the private Docker config' line: the action's post step did not run" >&2
  exit 1
fi
if ! grep -Eq '\[CI/end-to-end\] .*Job succeeded' "$act_log"; then
  echo "act's log does not say 'Job succeeded'" >&2
  exit 1
fi
log "the end-to-end job passed under act, and its post step ran"
