#!/usr/bin/env bash
# Runs two of the example workflows, examples/pr-scan.yml and examples/publish-on-tag.yml, through
# a real workflow runner, nektos/act, on this machine against the test bed, offline. Run it after
# scripts/testbed.sh and `npm run bundle`, as root, from any directory; .ci/run calls it.
#
# act runs each job on the host (-P ubuntu-latest=-self-hosted) as scripts/run-workflow.sh does.
# The example's own action, `uses: your-org/container-ship@v1`, is this checkout (act
# --local-repository your-org/container-ship@v1=<this repository>: its action.yml and dist/).
# actions/checkout is not downloaded: act copies the job's repository, a small git repository made
# here with the app to ship. Nothing is fetched from GitHub, ghcr.io or Docker Hub:
#
# 1. examples/pr-scan.yml, unchanged, on a pull_request event (pull request 7 of acme/web, an
#    event file as GitHub's payload has it). The app is the test bed's Alpine 3.9.4 image plus a
#    RUN that adds openssl's libraries (CVE-2019-1549 and CVE-2019-1551, MEDIUM, in the test bed's
#    fixture Trivy DB), with a .trivyignore naming musl's CVE-2019-14697 (CRITICAL): the gate
#    (HIGH) passes, with findings to annotate and comment on. GitHub's REST API is a stand-in on
#    loopback, __tests__/support/stand-in-github.ts (scripts/stand-in-github-api.mjs), named by
#    GITHUB_API_URL; github/codeql-action/upload-sarif is a stand-in that checks the SARIF 2.1.0
#    file and records it instead of uploading it (scripts/stand-ins/codeql-action, put in place
#    of the real action with act --local-repository). Checked: the job succeeded; the log has the
#    warning annotations on the Dockerfile's RUN line for both CVEs; the stand-in API got one
#    POST of the sticky comment on pull request 7 by github-actions[bot], naming both CVEs;
#    the SARIF stand-in saw a valid file with both CVEs; the push step pushed nothing (push:
#    auto on a pull request).
# 2. examples/publish-on-tag.yml on a push of the tag v1.2.3. ghcr.io cannot be reached, so a
#    copy of the example is run whose only change is ghcr.io -> the test bed's registry (sed),
#    with the registry's password as the GITHUB_TOKEN secret and its user as the actor. Checked:
#    the job succeeded, and the registry has the tags 1.2.3, 1.2, 1 and latest of one digest.
#
#   TOOLS_CACHE     as in scripts/build-tools.sh (tools.env names ACT; node.env, Node.js 24)
#   TESTBED_STATE   as in scripts/testbed.sh (testbed.env names the registry and its password)
#   ACT_TIMEOUT     seconds each act run may take (default 900)
set -euo pipefail

# shellcheck source=scripts/act-lib.sh
. "$(dirname "$0")/act-lib.sh"
act_setup run-examples testbed
if [ ! -f "$repo/dist/index.js" ]; then
  echo "$repo/dist/index.js is missing: run npm run bundle" >&2
  exit 1
fi
# The scan finds the test bed's Trivy on PATH, as a runner with Trivy installed would.
PATH="$(dirname "$TESTBED_TRIVY"):$PATH"
export PATH

# The commit of github/codeql-action that examples/pr-scan.yml pins, which the stand-in replaces.
upload_sarif_ref=$(sed -nE 's|.*uses: github/codeql-action/upload-sarif@([0-9a-f]{40}).*|\1|p' "$repo/examples/pr-scan.yml")
if [ -z "$upload_sarif_ref" ]; then fail "examples/pr-scan.yml pins no github/codeql-action/upload-sarif commit"; fi

work=$(mktemp -d "${TMPDIR:-/tmp}/container-ship-examples.XXXXXX")
stand_in_pid=
# The images the two runs leave in the engine: the pull request's build (ghcr.io/your-org/your-app,
# a name only the examples use) and the release's repository of this run.
built_images=(ghcr.io/your-org/your-app)
cleanup() {
  if [ -n "$stand_in_pid" ]; then kill "$stand_in_pid" 2>/dev/null || true; fi
  local image references
  for image in "${built_images[@]}"; do
    references=$(docker image ls --format '{{.Repository}}:{{.Tag}}' "$image" 2>/dev/null || true)
    if [ -n "$references" ]; then xargs docker image rm -f <<<"$references" >/dev/null 2>&1 || true; fi
  done
  rm -rf "$work"
}
trap cleanup EXIT
: >"$work/empty.env"
cd "$work"
for actrc in "$HOME/.actrc" "${XDG_CONFIG_HOME:-$HOME/.config}/act/actrc"; do
  if [ -e "$actrc" ]; then log "note: act also takes arguments from $actrc"; fi
done

# A git repository holding the app, with `origin` on github.com so that act names it acme/web.
make_app() {
  local dir=$1
  shift
  mkdir -p "$dir"
  git -C "$dir" init -q -b main
  while [ $# -gt 0 ]; do
    printf '%s' "$2" >"$dir/$1"
    shift 2
  done
  git -C "$dir" add -A
  git -C "$dir" -c user.name=example -c user.email=example@example.com commit -qm app
  git -C "$dir" remote add origin https://github.com/acme/web.git
}

# One act run; its log is in $work/$name.log. Returns act's exit status.
run_act() {
  local name=$1
  shift
  local args=(
    "$@"
    -P ubuntu-latest=-self-hosted
    --secret-file "$work/$name.secrets"
    --var-file "$work/empty.env"
    --env-file "$work/empty.env"
    --input-file "$work/empty.env"
    --local-repository "your-org/container-ship@v1=$repo"
    --env "GITHUB_RUN_ID=$(date +%s)"
    --action-cache-path "$work/act-$name"
    --no-cache-server
  )
  log "$ACT ${args[*]}"
  local start=$SECONDS status=0
  # ACT_DISABLE_VERSION_CHECK: act would otherwise ask api.nektosact.com for notices.
  ACT_DISABLE_VERSION_CHECK=1 timeout --kill-after=30 "${ACT_TIMEOUT:-900}" \
    "$ACT" "${args[@]}" </dev/null >"$work/$name.log" 2>&1 || status=$?
  sed "s/^/[$name] /" "$work/$name.log" >&2
  log "act ($name) took $((SECONDS - start)) s, exit status $status"
  return "$status"
}

# --- 1. examples/pr-scan.yml on a pull request -------------------------------------------------

pr=7
token="ghs_$(head -c 18 /dev/urandom | od -An -tx1 | tr -d ' \n')"
vulnerable_dockerfile="FROM $TESTBED_ALPINE39_IMAGE
ENV APP_HOME=/app
RUN printf '%s\\n' 'P:libcrypto1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' 'P:libssl1.1' 'V:1.1.1b-r1' 'A:x86_64' 'o:openssl' '' >>/lib/apk/db/installed
COPY Dockerfile /app/Dockerfile
"
make_app "$work/pr-app" \
  Dockerfile "$vulnerable_dockerfile" \
  .trivyignore $'# musl: fixed in the next base image, which this pull request does not change yet\nCVE-2019-14697\n'
head_sha=$(git -C "$work/pr-app" rev-parse HEAD)
cat >"$work/pull-request.json" <<EVENT
{
  "action": "synchronize",
  "number": $pr,
  "pull_request": {
    "number": $pr,
    "state": "open",
    "head": { "ref": "feature", "sha": "$head_sha", "repo": { "full_name": "acme/web" } },
    "base": { "ref": "main", "sha": "$head_sha", "repo": { "full_name": "acme/web" } }
  },
  "repository": { "full_name": "acme/web", "name": "web", "owner": { "login": "acme" },
    "html_url": "https://github.com/acme/web", "private": true }
}
EVENT
(
  umask 077
  printf "GITHUB_TOKEN='%s'\n" "$token" >"$work/pr-scan.secrets"
)

# The stand-in API, on 127.0.0.1 at a port of the system's choosing, granting $token.
mkdir -p "$work/github" "$work/sarif"
printf '%s\n' "$token" >"$work/github/token"
printf '%s\n' "$pr" >"$work/github/pull-request"
printf 'acme/web\n' >"$work/github/repository"
node --experimental-transform-types --no-warnings "$repo/scripts/stand-in-github-api.mjs" "$work/github" &
stand_in_pid=$!
# Generous: a loaded machine may take a while to start Node.js.
for _ in $(seq 600); do
  if [ -s "$work/github/api-url" ]; then break; fi
  if ! kill -0 "$stand_in_pid" 2>/dev/null; then fail "the stand-in GitHub API did not start"; fi
  sleep 0.1
done
api_url=$(cat "$work/github/api-url")
log "the stand-in GitHub API listens at $api_url"
# The scan's Trivy DB: a copy of the test bed's fixture DB (its NextUpdate is far ahead, so Trivy
# and the action download nothing), so this run writes nothing into the test bed's cache.
cp -a "$TESTBED_TRIVY_CACHE" "$work/trivy-cache"

pr_status=0
run_act pr-scan pull_request \
  --eventpath "$work/pull-request.json" \
  --workflows "$repo/examples/pr-scan.yml" \
  --directory "$work/pr-app" \
  --local-repository "github/codeql-action@$upload_sarif_ref=$repo/scripts/stand-ins/codeql-action" \
  --env "GITHUB_API_URL=$api_url" \
  --env "TRIVY_CACHE_DIR=$work/trivy-cache" \
  --env "SARIF_STAND_IN_RECORD=$work/sarif" || pr_status=$?
kill "$stand_in_pid"
wait "$stand_in_pid" || true
stand_in_pid=
if [ "$pr_status" -ne 0 ]; then fail "act failed on examples/pr-scan.yml (exit status $pr_status)"; fi
pr_log="$work/pr-scan.log"
grep -Eq '\[PR scan/scan\] .*Job succeeded' "$pr_log" || fail "pr-scan: act's log does not say 'Job succeeded'"

# The annotations: workflow commands on the Dockerfile's line 3, the RUN that added openssl.
for cve in CVE-2019-1549 CVE-2019-1551; do
  grep -Eq "::warning .*file=Dockerfile,line=3::.*$cve" "$pr_log" ||
    fail "pr-scan: no warning annotation on Dockerfile line 3 naming $cve"
done
annotations=$(grep -Ec '::(warning|error) .*file=Dockerfile,line=' "$pr_log" || true)
# The gate passed, and push: auto pushed nothing on the pull request.
grep -q 'push is auto and this is a pull request run' "$pr_log" ||
  fail "pr-scan: the log does not say that push: auto skipped the push on the pull request"

# The comment, as the stand-in API recorded it.
node - "$work/github/record.json" "$pr" <<'CHECK' || fail "pr-scan: the stand-in API did not get the expected comment"
const record = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'))
const pr = Number(process.argv[3])
const posts = record.requests.filter((r) => r.method === 'POST' && r.path === `/repos/acme/web/issues/${pr}/comments`)
const problems = []
if (posts.length !== 1 || posts[0].status !== 201) problems.push(`${posts.length} POSTs of the comment, statuses ${posts.map((p) => p.status)}`)
const comments = record.comments.filter((c) => c.issue === pr)
if (comments.length !== 1) problems.push(`${comments.length} comments on pull request ${pr}`)
const [comment] = comments
if (comment?.user.login !== 'github-actions[bot]') problems.push(`comment by ${comment?.user.login}`)
for (const text of ['ghcr.io/your-org/your-app', 'CVE-2019-1549', 'CVE-2019-1551', 'Passed'])
  if (!comment?.body.includes(text)) problems.push(`the comment does not name ${text}`)
if (comment?.body.includes('CVE-2019-14697')) problems.push('the comment names the ignored CVE-2019-14697')
const failed = record.requests.filter((r) => r.status >= 400 && !(r.path === '/user' && r.status === 403))
if (failed.length) problems.push(`refused requests: ${failed.map((r) => `${r.method} ${r.path} ${r.status}`)}`)
console.error(`[run-examples] stand-in API: ${record.requests.length} requests (${record.requests.map((r) => `${r.method} ${r.path.replace(/\?.*/, '')} ${r.status}`).join(', ')}), ${comments.length} comment of ${comment?.body.length} characters`)
if (problems.length) {
  console.error(problems.join('\n'))
  process.exit(1)
}
CHECK

# The SARIF file the upload step got.
[ -s "$work/sarif/summary.json" ] || fail "pr-scan: the upload-sarif stand-in recorded no SARIF file"
node - "$work/sarif/summary.json" <<'CHECK' || fail "pr-scan: the SARIF file does not hold the findings"
const summary = JSON.parse(require('node:fs').readFileSync(process.argv[2], 'utf8'))
console.error(`[run-examples] SARIF: ${summary.runs} run, ${summary.results} results (${summary.ruleIds.join(', ')}), category ${summary.category}`)
for (const id of ['CVE-2019-1549', 'CVE-2019-1551']) if (!summary.ruleIds.includes(id)) process.exit(1)
if (summary.ruleIds.includes('CVE-2019-14697')) process.exit(1)
CHECK
log "pr-scan: job succeeded, annotations on $annotations Dockerfile line(s), the sticky comment posted, the SARIF file checked, nothing pushed"

# --- 2. examples/publish-on-tag.yml on the tag v1.2.3 -------------------------------------------

password=$(testbed_registry_password)
(
  umask 077
  printf "GITHUB_TOKEN='%s'\n" "$password" >"$work/publish.secrets"
)
make_app "$work/publish-app" Dockerfile "FROM $TESTBED_BASE_IMAGE
RUN echo hello >/hello
"
git -C "$work/publish-app" tag v1.2.3
# The only change to the example: ghcr.io, which cannot be reached, becomes the test bed's
# registry. The image is then <registry>/<github.repository>, acme/web plus a suffix of this run
# so that each run starts from an empty repository.
suffix=$(date +%s)-$$
built_images+=("$TESTBED_REGISTRY/acme/web-$suffix")
sed -e "s|ghcr\.io/|$TESTBED_REGISTRY/|g" \
  -e "s|\${{ github.repository }}|\${{ github.repository }}-$suffix|" \
  "$repo/examples/publish-on-tag.yml" >"$work/publish-on-tag.yml"
diff "$repo/examples/publish-on-tag.yml" "$work/publish-on-tag.yml" >&2 || true
cat >"$work/tag-push.json" <<EVENT
{
  "ref": "refs/tags/v1.2.3",
  "before": "0000000000000000000000000000000000000000",
  "after": "$(git -C "$work/publish-app" rev-parse HEAD)",
  "created": true,
  "repository": { "full_name": "acme/web", "name": "web", "owner": { "login": "acme" },
    "html_url": "https://github.com/acme/web", "private": true }
}
EVENT
publish_status=0
run_act publish push \
  --eventpath "$work/tag-push.json" \
  --workflows "$work/publish-on-tag.yml" \
  --directory "$work/publish-app" \
  --actor "$TESTBED_REGISTRY_USER" \
  --env "TRIVY_CACHE_DIR=$work/trivy-cache" || publish_status=$?
if [ "$publish_status" -ne 0 ]; then fail "act failed on examples/publish-on-tag.yml (exit status $publish_status)"; fi
grep -Eq '\[Publish on tag/publish\] .*Job succeeded' "$work/publish.log" ||
  fail "publish: act's log does not say 'Job succeeded'"

# The registry's tags of acme/web-<suffix>, and the digest each names.
auth=$(printf '%s:%s' "$TESTBED_REGISTRY_USER" "$password" | base64 -w0)
unset password
registry_curl() { printf 'Authorization: Basic %s\n' "$auth" | curl -fsS -H @- "$@"; }
repository="acme/web-$suffix"
tags=$(registry_curl "http://$TESTBED_REGISTRY/v2/$repository/tags/list")
log "the registry's tags of $repository: $tags"
digests=()
# latest too: the repository is new, so 1.2.3 is its highest stable release (tag-latest: auto).
for tag in 1.2.3 1.2 1 latest; do
  grep -qF "\"$tag\"" <<<"$tags" || fail "publish: the registry has no tag $tag of $repository"
  digests+=("$(registry_curl -I \
    -H 'Accept: application/vnd.oci.image.index.v1+json, application/vnd.oci.image.manifest.v1+json, application/vnd.docker.distribution.manifest.v2+json' \
    "http://$TESTBED_REGISTRY/v2/$repository/manifests/$tag" | tr -d '\r' | awk -F': ' 'tolower($1)=="docker-content-digest"{print $2}')")
done
for digest in "${digests[@]}"; do
  if [ -z "$digest" ] || [ "$digest" != "${digests[0]}" ]; then
    fail "publish: the tags 1.2.3, 1.2, 1 and latest do not name one digest: ${digests[*]}"
  fi
done
log "publish: job succeeded; $repository has 1.2.3, 1.2, 1 and latest at ${digests[0]}"
log "both examples passed under act"
