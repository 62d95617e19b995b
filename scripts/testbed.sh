#!/usr/bin/env bash
# The end-to-end test bed, as root on a Debian machine with no network but the package
# registries. Installs and starts what the tests need and is safe to run again:
#   - dockerd (Debian's docker.io, Engine 20.10) on /var/run/docker.sock
#   - a Docker registry (Debian's docker-registry 2.8) on 127.0.0.1:5000 with htpasswd auth
#   - busybox:latest, an offline base image made from Debian's busybox-static
#   - buildx, Compose v2 and Trivy built from the Go module proxy (scripts/build-tools.sh),
#     buildx and compose installed as docker CLI plugins
# Writes what the tests need to know to $TESTBED_STATE/testbed.env.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state=${TESTBED_STATE:-/var/lib/container-ship-testbed}
tools=${TOOLS_CACHE:-/var/cache/container-ship/tools}
registry_addr=127.0.0.1:5000
registry_user=container-ship
log() { printf '[testbed] %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "testbed.sh installs packages and starts dockerd: run it as root" >&2
  exit 1
fi
mkdir -p "$state"
chmod 700 "$state"

install_packages() {
  local missing=()
  for package in docker.io docker-registry busybox-static apache2-utils iptables curl shellcheck; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Waits until the command succeeds, for at most $1 seconds.
wait_for() {
  local seconds=$1
  shift
  for _ in $(seq "$((seconds * 2))"); do
    "$@" >/dev/null 2>&1 && return 0
    sleep 0.5
  done
  return 1
}

start_dockerd() {
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    log "dockerd already answers"
    return
  fi
  log "starting dockerd"
  # The package's service is not started (no init system here); run the daemon detached.
  setsid nohup /usr/sbin/dockerd --host unix:///var/run/docker.sock >"$state/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 60 docker version --format '{{.Server.Version}}'; then
    tail -n 30 "$state/dockerd.log" >&2
    echo "dockerd did not start" >&2
    exit 1
  fi
}

start_registry() {
  local password_file="$state/registry-password"
  if [ ! -s "$password_file" ]; then
    (umask 077 && head -c 18 /dev/urandom | base64 | tr -d '/+=' >"$password_file")
  fi
  # -i reads the password from standard input: it is never on a command line.
  htpasswd -iBc "$state/htpasswd" "$registry_user" <"$password_file" 2>/dev/null
  cat >"$state/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $state/registry-data
  delete:
    enabled: true
http:
  addr: $registry_addr
auth:
  htpasswd:
    realm: container-ship-testbed
    path: $state/htpasswd
EOF
  if curl -s -o /dev/null -w '%{http_code}' "http://$registry_addr/v2/" | grep -q 401; then
    log "registry already answers on $registry_addr"
    return
  fi
  log "starting the registry on $registry_addr"
  setsid nohup /usr/bin/docker-registry serve "$state/registry.yml" >"$state/registry.log" 2>&1 </dev/null &
  if ! wait_for 30 sh -c "curl -s -o /dev/null -w '%{http_code}' http://$registry_addr/v2/ | grep -q 401"; then
    tail -n 30 "$state/registry.log" >&2
    echo "the registry did not start" >&2
    exit 1
  fi
}

import_busybox() {
  if docker image inspect busybox:latest >/dev/null 2>&1; then
    log "busybox:latest already imported"
    return
  fi
  log "importing busybox:latest from Debian's busybox-static"
  local root
  root=$(mktemp -d)
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/var/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  rm -rf "$root"
}

install_tools() {
  TOOLS_CACHE="$tools" bash "$here/build-tools.sh"
  # shellcheck source=/dev/null
  . "$tools/tools.env"
  local plugins="$HOME/.docker/cli-plugins"
  mkdir -p "$plugins"
  ln -sf "$BUILDX" "$plugins/docker-buildx"
  ln -sf "$COMPOSE" "$plugins/docker-compose"
  docker buildx version >&2
  docker compose version >&2
  "$TRIVY" version >&2
}

install_packages
start_dockerd
start_registry
import_busybox
install_tools

cat >"$state/testbed.env" <<EOF
TESTBED_REGISTRY=$registry_addr
TESTBED_REGISTRY_USER=$registry_user
TESTBED_REGISTRY_PASSWORD_FILE=$state/registry-password
TESTBED_BASE_IMAGE=busybox:latest
TESTBED_TRIVY=$TRIVY
EOF
log "ready: $state/testbed.env"
