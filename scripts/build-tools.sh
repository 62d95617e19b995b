#!/usr/bin/env bash
# Builds the Go tools the end-to-end tests need (Trivy, buildx, Compose v2), the workflow linter
# (actionlint) and the workflow runner (act) from the Go module proxy into a per-machine cache,
# once. Safe to run again: a tool whose binary already answers `version` is not rebuilt. Prints
# how long each build took, and writes the paths of the pinned versions to
# $TOOLS_CACHE/tools.env (TRIVY=, BUILDX=, COMPOSE=, ACTIONLINT=, ACT=).
#
#   TOOLS_CACHE   where binaries are kept (default /var/cache/container-ship/tools)
#   ONLY          build just one of: trivy buildx compose actionlint act
set -euo pipefail

TRIVY_VERSION=0.74.0
BUILDX_VERSION=v0.36.1
COMPOSE_VERSION=v2.35.0   # last tag whose go.mod has no `exclude` lines, so `go install` takes it
ACTIONLINT_VERSION=v1.7.12 # lints .github/workflows in .ci/run
ACT_VERSION=v0.2.89        # runs the workflow's end-to-end job in .ci/run (scripts/run-workflow.sh)

cache=${TOOLS_CACHE:-/var/cache/container-ship/tools}
mkdir -p "$cache"
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

want() { [ -z "${ONLY:-}" ] || [ "$ONLY" = "$1" ]; }

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

cat >"$cache/tools.env" <<EOF
TRIVY=$cache/trivy-$TRIVY_VERSION/trivy
BUILDX=$cache/buildx-$BUILDX_VERSION/buildx
COMPOSE=$cache/compose-$COMPOSE_VERSION/compose
ACTIONLINT=$cache/actionlint-$ACTIONLINT_VERSION/actionlint
ACT=$cache/act-$ACT_VERSION/act
EOF
