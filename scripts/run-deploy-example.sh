#!/usr/bin/env bash
# Runs examples/deploy-with-approval.yml through a real workflow runner, nektos/act, on this
# machine against the test bed, offline: its `build` job builds, scans and pushes an image, its
# `deploy` job (`needs: build`, `environment: production`, `steps: deploy`) rolls that image out
# by digest over ssh:// to one of the test bed's extra engines (scripts/engines-bed.sh: an sshd
# in the engine's network namespace, user deploy), with nginx in front. Release 1 is deployed by
# a first act run; release 2 by a second one while a load generator (scripts/deploy-load.mjs, the
# deploy tests' own) sends requests through the proxy. Run it after scripts/testbed.sh, as root.
#
# Fails unless both act runs pass with both jobs succeeding, the proxy then serves release 2, and
# the load sent more than 1000 requests during the second run with none failed; prints the counts.
#
# The workflow runs from a copy, in a throwaway Git repository that stands for the user's
# application (its Dockerfile, docker-compose.prod.yml and nginx.conf come from
# scripts/deploy-stack.mjs, the deploy tests' stack). The copy differs from the example in
# these lines only, each checked to have matched:
#   - ghcr.io/your-org/web -> <test bed registry>/cs-ex-deploy-<id>/web (no ghcr.io here; the
#     registry's password is the GITHUB_TOKEN secret and act's --actor its user, as
#     github.actor and secrets.GITHUB_TOKEN log in to ghcr.io);
#   - compose-project: web -> cs-ex-deploy-<id> (a project of its own on the engine);
#   - skip-db-update: 'true' added to the build step (Trivy's DB cannot be downloaded here: the
#     test bed's offline fixture DB is Trivy's cache, TRIVY_CACHE_DIR, with Trivy on PATH);
#   - deploy-host: -> docker-host: ONLY while the action's action.yml has no deploy-host input
#     (its name before the rename).
# `uses: your-org/container-ship@v1` is this work tree (act's --local-repository, so dist/ must be
# the bundle); actions/checkout is not fetched: act copies the repository's work tree into the
# job's workspace. act does not implement environment protection rules: `environment:
# production` only selects which secrets and variables the job sees (here all of them, from the
# files below), so the deploy job starts without an approval, right after the build job.
#
#   TOOLS_CACHE      as in scripts/build-tools.sh (tools.env names ACT; node.env, Node.js 24)
#   TESTBED_STATE    as in scripts/testbed.sh (testbed.env: the registry, the engines, ssh files)
#   DEPLOY_ENGINE    which of the test bed's engines is the deploy host (default 3)
#   ACT_TIMEOUT      seconds each act run may take (default 900)
set -euo pipefail

# shellcheck source=scripts/act-lib.sh
. "$(dirname "$0")/act-lib.sh"
act_setup run-deploy-example testbed

engine=${DEPLOY_ENGINE:-3}
socket_var="TESTBED_ENGINE_${engine}_SOCKET"
address_var="TESTBED_ENGINE_${engine}_ADDRESS"
engine_socket=${!socket_var:-}
engine_address=${!address_var:-}
if [ -z "$engine_socket" ] || [ -z "$engine_address" ]; then
  echo "testbed.env names no engine $engine (TESTBED_ENGINES=${TESTBED_ENGINES:-0})" >&2
  exit 1
fi

id="$(date +%s)-$$"
project="cs-ex-deploy-$id"
image="$TESTBED_REGISTRY/$project/web"
work=$(mktemp -d "${TMPDIR:-/tmp}/container-ship-deploy-example.XXXXXX")
app="$work/app"
load_pid=

engine_docker() { DOCKER_HOST="$engine_socket" docker "$@"; }
# The image's references on an engine, for its removal.
references_of() {
  "$@" images --format '{{.Repository}}:{{.Tag}}' | awk -v repository="$image" '$1 ~ "^" repository ":" && $1 !~ /:<none>$/'
}
# What this script made: the project's containers, networks, volumes and deploy lock on the
# engine, the image's tags there and on the runner's engine, the work folder. (The two releases
# stay in the test bed's registry, under cs-ex-deploy-<id>/web.)
cleanup() {
  local status=$?
  if [ -n "$load_pid" ]; then kill -TERM "$load_pid" 2>/dev/null || true; fi
  local ids
  ids=$(engine_docker ps -aq --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  if [ -n "$ids" ]; then
    # shellcheck disable=SC2086 # container IDs, one a word
    engine_docker rm -f $ids >/dev/null 2>&1 || true
  fi
  engine_docker rm -f "container-ship-lock-$project" >/dev/null 2>&1 || true
  ids=$(engine_docker network ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  # shellcheck disable=SC2086
  if [ -n "$ids" ]; then engine_docker network rm $ids >/dev/null 2>&1 || true; fi
  ids=$(engine_docker volume ls -q --filter "label=com.docker.compose.project=$project" 2>/dev/null || true)
  # shellcheck disable=SC2086
  if [ -n "$ids" ]; then engine_docker volume rm $ids >/dev/null 2>&1 || true; fi
  local references
  references=$(references_of engine_docker 2>/dev/null || true)
  # shellcheck disable=SC2086 # image references, one a word
  if [ -n "$references" ]; then engine_docker image rm -f $references >/dev/null 2>&1 || true; fi
  references=$(references_of docker 2>/dev/null || true)
  # shellcheck disable=SC2086
  if [ -n "$references" ]; then docker image rm -f $references >/dev/null 2>&1 || true; fi
  rm -rf "$work"
  exit "$status"
}
trap cleanup EXIT

# A port for the proxy on the engine's address that nothing answers on yet (the engine's own
# network namespace: only this test bed's containers publish there).
port=
for _ in $(seq 50); do
  candidate=$((20000 + RANDOM % 10000))
  if ! (exec 3<>"/dev/tcp/$engine_address/$candidate") 2>/dev/null; then
    port=$candidate
    break
  fi
done
[ -n "$port" ] || fail "no free port found on $engine_address"
url="http://$engine_address:$port/"

# The application's repository: the stack of the deploy tests at `release`, the workflow copy.
write_app() {
  local release=$1
  RELEASE="$release" IMAGE="$image" PORT="$port" APP="$app" \
    BASE_IMAGE="$TESTBED_BASE_IMAGE" NGINX_IMAGE="$TESTBED_ENGINES_NGINX_IMAGE" \
    node --input-type=module -e '
      import { writeFileSync } from "node:fs"
      import path from "node:path"
      const { stackFiles } = await import(process.argv[1])
      const env = process.env
      const files = stackFiles({
        baseImage: env.BASE_IMAGE, image: env.IMAGE, nginxImage: env.NGINX_IMAGE,
        version: env.RELEASE, proxyPort: Number(env.PORT), proxyBind: ""
      })
      writeFileSync(path.join(env.APP, "Dockerfile"), files.Dockerfile)
      writeFileSync(path.join(env.APP, "docker-compose.prod.yml"), files["docker-compose.yml"])
      writeFileSync(path.join(env.APP, "nginx.conf"), files["nginx.conf"])
    ' "$repo/scripts/deploy-stack.mjs"
}

mkdir -p "$app/.github/workflows"
workflow="$app/.github/workflows/deploy-with-approval.yml"
substitutions=(
  -e "s#ghcr\.io/your-org/web#$image#g"
  -e "s#^\( *\)compose-project: web\$#\1compose-project: $project#"
  -e "s#^\( *\)steps: build,scan,push\(.*\)\$#\1steps: build,scan,push\2\n\1skip-db-update: 'true'#"
)
if ! grep -q '^  deploy-host:' "$repo/action.yml"; then
  log "the action has no deploy-host input yet: the copy names it docker-host"
  substitutions+=(-e 's#^\( *\)deploy-host: #\1docker-host: #')
fi
sed "${substitutions[@]}" "$repo/examples/deploy-with-approval.yml" >"$workflow"
grep -q "image: $image\$\|IMAGE: $image\$" "$workflow" || fail "the copy does not name $image"
grep -q "compose-project: $project\$" "$workflow" || fail "the copy has no compose-project: $project"
grep -q "skip-db-update: 'true'" "$workflow" || fail "the copy's build step has no skip-db-update"
log "the workflow as act runs it differs from the example in:"
diff "$repo/examples/deploy-with-approval.yml" "$workflow" >&2 || true

write_app release-1
git -C "$app" init -q -b main
git -C "$app" config user.name 'Container Ship example'
git -C "$app" config user.email 'example@container-ship.invalid'
# act reads the repository's owner/name from origin's address; nothing is ever fetched from it.
git -C "$app" remote add origin https://github.com/your-org/web.git
git -C "$app" add -A
git -C "$app" commit -q -m 'release 1'

password=$(testbed_registry_password)
secrets="$work/secrets.env"
(
  umask 077
  # dotenv: a single-quoted value is taken literally; in a double-quoted one \n is a new line
  # (the key's lines hold only base64 and dashes).
  printf "GITHUB_TOKEN='%s'\n" "$password"
  printf 'DEPLOY_SSH_KEY="%s"\n' "$(awk '{ printf "%s\\n", $0 }' "$TESTBED_SSH_KEY_FILE")"
) >"$secrets"
chmod 600 "$secrets"
unset password
known_hosts=$(grep -F "$engine_address " "$TESTBED_ENGINES_KNOWN_HOSTS_FILE") ||
  fail "$TESTBED_ENGINES_KNOWN_HOSTS_FILE has no key of $engine_address"
: >"$work/empty.env"

# Trivy and its offline DB for the build job's scan, through act's host environment.
PATH="$(dirname "$TESTBED_TRIVY"):$PATH"
TRIVY_CACHE_DIR=$TESTBED_TRIVY_CACHE
export PATH TRIVY_CACHE_DIR

for actrc in "$HOME/.actrc" "${XDG_CONFIG_HOME:-$HOME/.config}/act/actrc"; do
  if [ -e "$actrc" ]; then log "note: act also takes arguments from $actrc"; fi
done
# One act run of the workflow on a push to main; its log in $work/act-<release>.log.
run_act() {
  local release=$1 act_log="$work/act-$1.log" status=0 start=$SECONDS
  local args=(
    push
    --workflows "$workflow"
    --directory "$app"
    -P ubuntu-latest=-self-hosted
    --local-repository "your-org/container-ship@v1=$repo"
    --actor "$TESTBED_REGISTRY_USER"
    --secret-file "$secrets"
    --var "DEPLOY_HOST=$engine_address"
    --var "DEPLOY_KNOWN_HOSTS=$known_hosts"
    --var "PRODUCTION_URL=$url"
    --var-file "$work/empty.env"
    --env-file "$work/empty.env"
    --input-file "$work/empty.env"
    --env "GITHUB_RUN_ID=$(date +%s)"
    --action-cache-path "$work/act"
    --no-cache-server
  )
  log "$release: $ACT ${args[*]}"
  # act runs in the work folder (it reads .actrc, .env and the like from there: none).
  # ACT_DISABLE_VERSION_CHECK: act would otherwise ask api.nektosact.com for notices.
  (cd "$work" && ACT_DISABLE_VERSION_CHECK=1 timeout --kill-after=30 "${ACT_TIMEOUT:-900}" \
    "$ACT" "${args[@]}" </dev/null 2>&1) | tee "$act_log" || status=$?
  log "$release: act took $((SECONDS - start)) s"
  [ "$status" -eq 0 ] || fail "$release: act failed (exit status $status)"
  for job in build deploy; do
    grep -Eq "\[Deploy with approval/$job *\] .*Job succeeded" "$act_log" ||
      fail "$release: act's log does not say the $job job succeeded"
  done
  # The deploy job rolled out the digest the build job pushed, and left no credentials behind.
  local digest
  digest=$(grep -oE '\[Deploy with approval/build *\] .*::set-output:: digest=sha256:[0-9a-f]{64}' "$act_log" |
    grep -oE 'sha256:[0-9a-f]{64}' | tail -n 1) || fail "$release: the build job set no digest output"
  grep -qF "| Chosen release | \`$digest\` (the version input) |" "$act_log" ||
    fail "$release: the deploy job did not deploy the build job's digest $digest"
  for removed in "the deploy host's access folder" 'the private Docker config'; do
    grep -Eq "\[Deploy with approval/deploy *\] .*Removed $removed " "$act_log" ||
      fail "$release: the deploy job did not say it removed $removed"
  done
  grep -Eq "\[Deploy with approval/deploy *\] .*$url answers" "$act_log" ||
    fail "$release: the deploy job's last step did not reach the proxy"
}

serving() { curl -fsS --max-time 10 "$url" | tr -d '\r\n'; }

started=$SECONDS
run_act release-1
[ "$(serving)" = release-1 ] || fail "after the first run the proxy serves '$(serving)', not release-1"
log "release-1 serves at $url"

write_app release-2
git -C "$app" commit -q -am 'release 2'
report="$work/load.json"
node "$repo/scripts/deploy-load.mjs" "$url" "$report" 4 &
load_pid=$!
sleep 2
# In a subshell, so that a failed run still stops the load and prints its counts.
act_status=0
(run_act release-2) || act_status=$?
sleep 1
kill -TERM "$load_pid"
wait "$load_pid" || fail "the load generator failed"
load_pid=
[ -s "$report" ] || fail "the load generator wrote no report"
read -r total failed versions < <(node -e '
  const report = JSON.parse(require("node:fs").readFileSync(process.argv[1], "utf8"))
  console.log(report.total, report.failed, JSON.stringify({ ...report.versions, ...report.failures }))
' "$report")
log "load during the second run: $total requests, $failed failed, answers $versions"
log "both runs took $((SECONDS - started)) s"
[ "$act_status" -eq 0 ] || exit "$act_status"
[ "$(serving)" = release-2 ] || fail "after the second run the proxy serves '$(serving)', not release-2"
[ "$total" -gt 1000 ] || fail "only $total requests went through the proxy (more than 1000 expected)"
[ "$failed" -eq 0 ] || fail "$failed of $total requests failed during the rollout"
log "deploy-with-approval.yml passed under act: release-2 rolled out over ssh:// with 0 of $total requests failed"
