#!/usr/bin/env bash
# Runs .github/workflows/release.yml through a real workflow runner, nektos/act (built by
# scripts/build-tools.sh), offline, and checks what a release does: the GitHub release with the
# changelog's section as its body, and v9 and v9.9 moved to the released commit. Run it as root
# from any directory, after scripts/testbed.sh (which builds act and Node.js 24); .ci/run calls it
# after scripts/run-workflow.sh. It needs no Docker engine: act runs the jobs on the host.
#
# The repository: a temporary one made of this work tree (tracked and untracked files, not the
# .gitignore'd ones), its `origin` a local bare repository, so that the workflow's
# `git push --force origin refs/tags/v9 refs/tags/v9.9` lands there and nowhere else. Its history:
# a release 9.9.8 already tagged v9.9.8, v9 and v9.9; then 9.9.9 (package.json and a
# `## [9.9.9] - <date>` CHANGELOG.md section written here, so the test never depends on the real
# changelog), tagged v9.9.9. Then the prerelease v9.9.10-rc.1, and v9.9.11 whose dist/ is not the
# bundle of src/. act's actions/checkout copies that folder, .git and its remotes included, into
# the job's workspace (host mode, -P ubuntu-latest=-self-hosted).
#
# Stand-ins, since nothing may be fetched from GitHub:
#   - GitHub's releases API: scripts/release/act/github-releases.mjs on 127.0.0.1 (201, 401, 404,
#     422 already_exists as GitHub documents them), named to the job by GITHUB_API_URL; the job's
#     GITHUB_TOKEN is a random token that the stand-in requires.
#   - actions/setup-node: act's --local-repository puts scripts/release/act/setup-node in its
#     place; it downloads nothing and checks that the host's node, Node.js 24 from node.env
#     (first on act's PATH), is the major the workflow asks for.
#   - owner/name: act reads them from the remote named by --remote-name, here a `github` remote
#     (https://github.com/release-test/container-ship.git) that nothing ever contacts.
# npm ci in the verify job reaches the npm registry (as on GitHub's runner).
#
# Checks, failing with a message on the first that does not hold:
#   1. v9.9.9: act succeeds; the stand-in holds one release, v9.9.9, not a prerelease, whose body is
#      exactly the section; in the bare remote v9 and v9.9 point to v9.9.9's commit, v9.9.8 stays.
#      Run again (the publish script alone), the release is updated (PATCH), not duplicated; with
#      a wrong token the script fails on the stand-in's 401. The tag step alone for v9.8.1 (a fix of
#      an older line) creates v9.8 and leaves v9 on v9.9.9.
#   2. v9.9.10-rc.1: released as a prerelease; v9 and v9.9 do not move.
#   3. v9.9.11 with a changed dist/index.js: act fails at the dist/ check; no release, no tag moved.
#
#   TOOLS_CACHE     as in scripts/build-tools.sh (tools.env names ACT; node.env, Node.js 24)
#   ACT_TIMEOUT     seconds each act run may take (default 900)
set -euo pipefail

# shellcheck source=scripts/act-lib.sh
. "$(dirname "$0")/act-lib.sh"
act_setup run-release

# Everything (the repositories, act's workspaces, the stand-in's state, the logs) lives here and
# goes when this script ends, with the stand-in.
work=$(mktemp -d "${TMPDIR:-/tmp}/container-ship-release.XXXXXX")
stand_in_pid=
cleanup() {
  if [ -n "$stand_in_pid" ]; then kill "$stand_in_pid" 2>/dev/null || true; fi
  rm -rf "$work"
}
trap cleanup EXIT
started=$SECONDS

# --- The repository and its bare remote -------------------------------------------------------
clone=$work/repo
remote=$work/remote.git
git init -q --bare "$remote"
git init -q -b main "$clone"
# This work tree as it is (tracked and untracked files, without what .gitignore names, nor the
# node_modules link of a git worktree): what is tested is what would be committed.
(
  cd "$repo"
  git ls-files -z --cached --others --exclude-standard |
    while IFS= read -r -d '' path; do
      if [ -e "$path" ] && [ "$path" != node_modules ]; then printf '%s\0' "$path"; fi
    done |
    tar --null --files-from=- -cf -
) | tar -xf - -C "$clone"
g() { git -C "$clone" "$@"; }
g config user.name 'Release test'
g config user.email 'release-test@example.invalid'
g config commit.gpgsign false
g config tag.gpgsign false
g remote add origin "$remote"
g remote add github https://github.com/release-test/container-ship.git

# Sets package.json's (and package-lock.json's) version and puts a CHANGELOG.md section for it
# right after the Unreleased section, as docs/releasing.md tells a maintainer to.
release_commit() {
  local version=$1 section=$2
  (cd "$clone" && npm version "$version" --no-git-tag-version --allow-same-version --ignore-scripts >/dev/null)
  # shellcheck disable=SC2016 # JavaScript, whose template literals are not the shell's
  VERSION=$version SECTION=$section node --input-type=module -e '
    import { readFileSync, writeFileSync } from "node:fs"
    const file = process.argv[1]
    const lines = readFileSync(file, "utf8").split("\n")
    const unreleased = lines.findIndex((line) => /^## +\[?Unreleased\]?/i.test(line))
    let at = lines.findIndex((line, i) => i > unreleased && /^## /.test(line))
    if (at === -1) at = lines.length
    const heading = `## [${process.env.VERSION}] - ${new Date().toISOString().slice(0, 10)}`
    lines.splice(at, 0, heading, "", ...process.env.SECTION.split("\n"), "")
    writeFileSync(file, lines.join("\n"))' "$clone/CHANGELOG.md"
  g add -A
  g commit -q -m "Release $version"
}

section_998='### Fixed

- The release before the one under test (scripts/run-release.sh).'
release_commit 9.9.8 "$section_998"
g tag v9.9.8
g tag v9.9
g tag v9
commit_998=$(g rev-parse HEAD)

# shellcheck disable=SC2016 # literal text: the body must reach the API unchanged
section_999='### Added

- The release under test, made by scripts/run-release.sh: its `body` is this section, from the
  line after the heading to the line before the next `## ` heading.

### Fixed

- Nothing "quoted" \escaped or $(substituted) changes on the way to the API.'
release_commit 9.9.9 "$section_999"
g tag -a -m 'Release 9.9.9' v9.9.9
commit_999=$(g rev-parse HEAD)
g push -q origin main --tags
log "$clone: v9.9.8, v9 and v9.9 at $commit_998, v9.9.9 at $commit_999; origin is $remote"

# --- The releases API stand-in ----------------------------------------------------------------
token=$(node -e 'console.log(require("node:crypto").randomBytes(20).toString("hex"))')
RELEASE_STAND_IN_TOKEN=$token node "$repo/scripts/release/act/github-releases.mjs" \
  "$work/port" "$work/releases.json" >"$work/stand-in.log" 2>&1 &
stand_in_pid=$!
for _ in $(seq 100); do
  if [ -s "$work/port" ]; then break; fi
  if ! kill -0 "$stand_in_pid" 2>/dev/null; then cat "$work/stand-in.log" >&2 && fail "the releases API stand-in did not start"; fi
  sleep 0.1
done
[ -s "$work/port" ] || fail "the releases API stand-in wrote no port in 10 s"
api=http://127.0.0.1:$(cat "$work/port")
log "GitHub's releases API stand-in: $api"

secrets=$work/secrets.env
(
  umask 077
  printf 'GITHUB_TOKEN=%s\n' "$token" >"$secrets"
)
# act reads .env, .vars and .input from the working directory unless told otherwise.
: >"$work/empty.env"

# Runs the release workflow for a pushed tag; the status of act is left in act_status, its log in
# $work/act-<tag>.log. The copied work tree is the tag's commit, as actions/checkout gives it.
run_release() {
  local tag=$1
  g checkout -q --detach "refs/tags/$tag"
  printf '{"ref": "refs/tags/%s", "ref_type": "tag", "repository": {"full_name": "release-test/container-ship"}}\n' \
    "$tag" >"$work/event.json"
  local args=(
    push
    --eventpath "$work/event.json"
    --workflows "$clone/.github/workflows/release.yml"
    --directory "$clone"
    -P ubuntu-latest=-self-hosted
    --remote-name github
    --secret-file "$secrets"
    --var-file "$work/empty.env"
    --env-file "$work/empty.env"
    --input-file "$work/empty.env"
    --env "GITHUB_API_URL=$api"
    --local-repository "actions/setup-node@49933ea5288caeca8642d1e84afbd3f7d6820020=$clone/scripts/release/act/setup-node"
    --action-cache-path "$work/act"
    --no-cache-server
  )
  log "$tag: $ACT ${args[*]}"
  local start=$SECONDS
  act_status=0
  # act takes arguments from ./.actrc as well: it runs in the work folder, which has none.
  # ACT_DISABLE_VERSION_CHECK: act would otherwise ask api.nektosact.com for notices.
  (cd "$work" && ACT_DISABLE_VERSION_CHECK=1 timeout --kill-after=30 "${ACT_TIMEOUT:-900}" \
    "$ACT" "${args[@]}" </dev/null 2>&1) | tee "$work/act-$tag.log" >&2 || act_status=$?
  log "$tag: act took $((SECONDS - start)) s, exit status $act_status"
}

# The stand-in's releases as `tag prerelease` lines, and one release's body.
releases() { node -e 'for (const r of require(process.argv[1]).releases) console.log(r.tag_name, r.prerelease)' "$work/releases.json"; }
release_body() { node -e 'process.stdout.write(require(process.argv[1]).releases.find((r) => r.tag_name === process.argv[2]).body)' "$work/releases.json" "$1"; }
remote_commit() { git -C "$remote" rev-parse --verify -q "refs/tags/$1^{commit}"; }

# --- 1. v9.9.9 --------------------------------------------------------------------------------
run_release v9.9.9
[ "$act_status" -eq 0 ] || fail "v9.9.9: act failed (exit status $act_status): see the log above"
grep -Eq '\[Release/.*\] +🏁 +Job succeeded' "$work/act-v9.9.9.log" || fail "v9.9.9: act's log does not say 'Job succeeded'"
[ "$(releases)" = 'v9.9.9 false' ] || fail "v9.9.9: the stand-in holds [$(releases)], not one release v9.9.9 (not a prerelease)"
[ "$(release_body v9.9.9)" = "$section_999" ] ||
  fail "v9.9.9: the release body is not the changelog section: $(release_body v9.9.9)"
node -e 'const s = require(process.argv[1]); process.exit(s.requests.some((q) => q.method === "POST" && q.path === "/repos/release-test/container-ship/releases") ? 0 : 1)' "$work/releases.json" ||
  fail "v9.9.9: no POST /repos/release-test/container-ship/releases reached the stand-in"
for moving in v9 v9.9; do
  [ "$(remote_commit "$moving")" = "$commit_999" ] ||
    fail "v9.9.9: $moving in the bare remote is $(remote_commit "$moving"), not v9.9.9's commit $commit_999"
done
[ "$(remote_commit v9.9.8)" = "$commit_998" ] || fail "v9.9.9: v9.9.8 moved"
log "v9.9.9: released with the changelog section as body; v9 and v9.9 moved from $commit_998 to $commit_999"

# A re-run of the release step: the release exists (422 already_exists), so it is updated.
(cd "$clone" && TAG=v9.9.9 GITHUB_API_URL=$api GITHUB_REPOSITORY=release-test/container-ship GITHUB_TOKEN=$token \
  node scripts/release/publish-release.mjs) >"$work/rerun.log" 2>&1 || { cat "$work/rerun.log" >&2 && fail "re-run: the publish script failed"; }
grep -q '^Updated the release v9.9.9' "$work/rerun.log" || fail "re-run: the publish script did not update the release: $(cat "$work/rerun.log")"
[ "$(releases)" = 'v9.9.9 false' ] || fail "re-run: the stand-in holds [$(releases)], not one release v9.9.9"
log "v9.9.9 again: 422 already_exists, then PATCH: still one release"
if (cd "$clone" && TAG=v9.9.9 GITHUB_API_URL=$api GITHUB_REPOSITORY=release-test/container-ship GITHUB_TOKEN=wrong \
  node scripts/release/publish-release.mjs) >"$work/unauthorized.log" 2>&1; then
  fail "a wrong token: the publish script succeeded"
fi
grep -q '401 Bad credentials' "$work/unauthorized.log" || fail "a wrong token: no 401 in $(cat "$work/unauthorized.log")"
log "a wrong token: the publish script fails on 401 Bad credentials"

# The tag step alone for a fix of an older line, v9.8.1 after v9.9.9: it creates v9.8, and v9 stays.
g tag v9.8.1 "$commit_998"
g push -q origin refs/tags/v9.8.1
(cd "$clone" && TAG=v9.8.1 node scripts/release/move-tags.mjs) >"$work/older.log" 2>&1 || { cat "$work/older.log" >&2 && fail "v9.8.1: the tag step failed"; }
grep -q 'v9 stays where it is: v9.9.9 is a higher release of v9' "$work/older.log" || fail "v9.8.1: no notice that v9 stays: $(cat "$work/older.log")"
[ "$(remote_commit v9)" = "$commit_999" ] || fail "v9.8.1: v9 moved back to $(remote_commit v9)"
[ "$(remote_commit v9.8)" = "$commit_998" ] || fail "v9.8.1: v9.8 is not at v9.8.1's commit"
log "v9.8.1 (the tag step alone): v9.8 created at $commit_998, v9 stayed at $commit_999 (never backwards)"

# --- 2. A prerelease moves nothing ------------------------------------------------------------
# The clone takes the moved tags from origin, as actions/checkout (fetch-depth: 0) would.
g fetch -q --force origin 'refs/tags/*:refs/tags/*'
g checkout -q main
section_rc='### Added

- A release candidate (scripts/run-release.sh).'
release_commit 9.9.10-rc.1 "$section_rc"
g tag v9.9.10-rc.1
g push -q origin main refs/tags/v9.9.10-rc.1
run_release v9.9.10-rc.1
[ "$act_status" -eq 0 ] || fail "v9.9.10-rc.1: act failed (exit status $act_status)"
[ "$(releases)" = $'v9.9.9 false\nv9.9.10-rc.1 true' ] || fail "v9.9.10-rc.1: the stand-in holds [$(releases)], not v9.9.10-rc.1 as a prerelease"
[ "$(release_body v9.9.10-rc.1)" = "$section_rc" ] || fail "v9.9.10-rc.1: the body is not its section"
for moving in v9 v9.9; do
  [ "$(remote_commit "$moving")" = "$commit_999" ] || fail "v9.9.10-rc.1: the prerelease moved $moving"
done
grep -q 'v9 stays where it is: v9.9.10-rc.1 is a prerelease' "$work/act-v9.9.10-rc.1.log" || fail "v9.9.10-rc.1: no notice that v9 stays"
log "v9.9.10-rc.1: released as a prerelease; v9 and v9.9 stayed at $commit_999"

# --- 3. dist/ that is not the bundle of src/ fails before anything is released ----------------
section_bad='### Fixed

- A dist/ edited by hand (scripts/run-release.sh).'
printf '// edited by hand, not by npm run bundle\n' >>"$clone/dist/index.js"
release_commit 9.9.11 "$section_bad"
g tag v9.9.11
g push -q origin main refs/tags/v9.9.11
run_release v9.9.11
[ "$act_status" -ne 0 ] || fail "v9.9.11: act succeeded though dist/ is not the bundle of src/"
grep -q "dist/ of this tag differs from a fresh 'npm run bundle'" "$work/act-v9.9.11.log" || fail "v9.9.11: act failed, but not at the dist/ check"
[ "$(releases)" = $'v9.9.9 false\nv9.9.10-rc.1 true' ] || fail "v9.9.11: the stand-in holds [$(releases)]: something was released"
for moving in v9 v9.9; do
  [ "$(remote_commit "$moving")" = "$commit_999" ] || fail "v9.9.11: $moving moved"
done
log "v9.9.11 (dist/ edited by hand): the verify job failed, nothing released, no tag moved"

log "the release workflow passed under act in $((SECONDS - started)) s: v9 and v9.9 moved to v9.9.9, the prerelease and the bad dist/ moved nothing"
