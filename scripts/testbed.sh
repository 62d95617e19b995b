#!/usr/bin/env bash
# The end-to-end test bed, as root on a Debian machine with no network but the package
# registries. Installs and starts what the tests need and is safe to run again:
#   - dockerd (Debian's docker.io, Engine 20.10) on /var/run/docker.sock
#   - a Docker registry (Debian's docker-registry 2.8) on 127.0.0.1:5000 with htpasswd auth
#   - busybox:latest, an offline base image made from Debian's busybox-static
#   - container-ship-test/alpine39:base, an offline image Trivy reads as Alpine 3.9.4 with
#     vulnerable packages (busybox-static plus etc/alpine-release and lib/apk/db/installed)
#   - container-ship-test/debian10:base, an offline image Trivy reads as Debian 10.1 with the
#     packages behind Trivy's debian-buster golden (busybox-static plus etc/debian_version and
#     var/lib/dpkg/status)
#   - buildx, Compose v2 and Trivy built from the Go module proxy (scripts/build-tools.sh),
#     buildx and compose installed as docker CLI plugins
#   - an offline Trivy vulnerability DB in $TESTBED_STATE/trivy-cache (Trivy's --cache-dir),
#     loaded from the YAML fixtures of Trivy's integration tests (__fixtures__/trivy/db) by
#     tools/trivy-fixture-db; scan with --skip-db-update --skip-java-db-update
# Writes what the tests need to know to $TESTBED_STATE/testbed.env.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
state=${TESTBED_STATE:-/var/lib/container-ship-testbed}
tools=${TOOLS_CACHE:-/var/cache/container-ship/tools}
registry_addr=127.0.0.1:5000
registry_user=container-ship
trivy_cache=$state/trivy-cache
alpine39_image=container-ship-test/alpine39:base
debian10_image=container-ship-test/debian10:base
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

# Fills the folder $1 with Debian's static busybox as /bin/busybox, its applets as links
# (/bin/sh among them) and a root user.
busybox_rootfs() {
  local root=$1
  mkdir -p "$root/bin" "$root/tmp" "$root/etc" "$root/var/www"
  cp /bin/busybox "$root/bin/busybox"
  for applet in $("$root/bin/busybox" --list); do
    [ -e "$root/bin/$applet" ] || ln -s busybox "$root/bin/$applet"
  done
  echo 'root:x:0:0:root:/root:/bin/sh' >"$root/etc/passwd"
  echo 'root:x:0:' >"$root/etc/group"
}

import_busybox() {
  if docker image inspect busybox:latest >/dev/null 2>&1; then
    log "busybox:latest already imported"
    return
  fi
  log "importing busybox:latest from Debian's busybox-static"
  local root
  root=$(mktemp -d)
  busybox_rootfs "$root"
  tar -C "$root" -c . | docker import -c 'CMD ["sh"]' - busybox:latest >/dev/null
  rm -rf "$root"
}

# The apk database of $alpine39_image: packages of the real alpine:3.9.4 image (2019-05) at
# their versions then. In the fixture DB's "alpine 3.9" bucket (__fixtures__/trivy/db/alpine.yaml)
# musl 1.1.20-r4 has CVE-2019-14697 (CRITICAL, fixed in 1.1.20-r5): Trivy reports it for musl
# and musl-utils. openssl's libcrypto1.1 and libssl1.1 1.1.1b-r1 (CVE-2019-1549 and
# CVE-2019-1551, MEDIUM) are left out for a Dockerfile to add in a later layer
# (__fixtures__/trivy/reports/testbed.Dockerfile).
alpine39_installed() {
  cat <<'EOF'
P:musl
V:1.1.20-r4
A:x86_64
L:MIT
o:musl
p:so:libc.musl-x86_64.so.1=1

P:busybox
V:1.29.3-r10
A:x86_64
L:GPL-2.0
o:busybox
D:so:libc.musl-x86_64.so.1

P:alpine-baselayout
V:3.1.0-r3
A:x86_64
L:GPL-2.0
o:alpine-baselayout
D:busybox so:libc.musl-x86_64.so.1

P:musl-utils
V:1.1.20-r4
A:x86_64
L:MIT BSD GPL2+
o:musl
D:so:libc.musl-x86_64.so.1

EOF
}

# $alpine39_image's files: Trivy takes the OS from etc/alpine-release and the packages from
# lib/apk/db/installed.
alpine39_layout() {
  local root=$1
  mkdir -p "$root/lib/apk/db" "$root/root"
  echo 3.9.4 >"$root/etc/alpine-release"
  alpine39_installed >"$root/lib/apk/db/installed"
}

# import_offline_image IMAGE DESCRIPTION LAYOUT [CONTENT...]: imports IMAGE from a rootfs made
# here, busybox-static (a shell for RUN) and what the function LAYOUT lays into it. The image
# carries a hash of how it was made (these functions, the CONTENT functions LAYOUT calls, and
# busybox-static) in a label and is made again only when that changes. Fixed order, owners and
# times in the tar: the same recipe gives the same layer DiffID.
import_offline_image() {
  local image=$1 description=$2 layout=$3 recipe current root
  shift 3
  recipe=$( (declare -f busybox_rootfs import_offline_image "$layout" "$@" && sha256sum /bin/busybox) |
    sha256sum | cut -c1-16)
  current=$(docker image inspect -f '{{index .Config.Labels "org.container-ship.testbed.recipe"}}' \
    "$image" 2>/dev/null || true)
  if [ "$current" = "$recipe" ]; then
    log "$image already imported"
    return
  fi
  log "importing $image ($description, busybox-static for a shell)"
  root=$(mktemp -d)
  busybox_rootfs "$root"
  "$layout" "$root"
  tar -C "$root" --sort=name --owner=0 --group=0 --numeric-owner --mtime=@0 -c . |
    docker import -c 'CMD ["sh"]' -c "LABEL org.container-ship.testbed.recipe=$recipe" \
      - "$image" >/dev/null
  rm -rf "$root"
}

# The dpkg status of $debian10_image: a few packages of the real debian:10.1 image (2019-09) at
# their versions then. In the fixture DB's "debian 10" bucket (__fixtures__/trivy/db/debian.yaml,
# looked up by source package) bash 5.0-4 has CVE-2019-18276 (LOW, no fix: Status affected) and
# libidn2-0 2.0.5-1 (source libidn2) has CVE-2019-18224 (CRITICAL, fixed in 2.0.5-1+deb10u1),
# as in __fixtures__/trivy/reports/debian-buster.json; with --ignore-unfixed only the CRITICAL
# is left (debian-buster-ignore-unfixed.json). The other packages have no findings.
debian10_status() {
  cat <<'EOF'
Package: base-files
Essential: yes
Status: install ok installed
Priority: required
Section: admin
Installed-Size: 340
Maintainer: Santiago Vila <sanvila@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 10.3+deb10u1
Description: Debian base system miscellaneous files

Package: bash
Essential: yes
Status: install ok installed
Priority: required
Section: shells
Installed-Size: 6439
Maintainer: Matthias Klose <doko@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 5.0-4
Depends: base-files (>= 2.1.12), debianutils (>= 2.15)
Pre-Depends: libc6 (>= 2.28), libtinfo6 (>= 6)
Description: GNU Bourne Again SHell

Package: debianutils
Essential: yes
Status: install ok installed
Priority: required
Section: utils
Installed-Size: 226
Maintainer: Clint Adams <clint@debian.org>
Architecture: amd64
Multi-Arch: foreign
Version: 4.8.6.1
Pre-Depends: libc6 (>= 2.15)
Description: Miscellaneous utilities specific to Debian

Package: libc6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 12333
Maintainer: GNU Libc Maintainers <debian-glibc@lists.debian.org>
Architecture: amd64
Multi-Arch: same
Source: glibc
Version: 2.28-10
Description: GNU C Library: Shared libraries

Package: libidn2-0
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 300
Maintainer: Debian Libidn team <help-libidn@gnu.org>
Architecture: amd64
Multi-Arch: same
Source: libidn2
Version: 2.0.5-1
Depends: libc6 (>= 2.14), libunistring2 (>= 0.9.7)
Description: Internationalized domain names (IDNA2008/TR46) library

Package: libtinfo6
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 521
Maintainer: Craig Small <csmall@debian.org>
Architecture: amd64
Multi-Arch: same
Source: ncurses
Version: 6.1+20181013-2+deb10u1
Depends: libc6 (>= 2.16)
Description: shared low-level terminfo library for terminal handling

Package: libunistring2
Status: install ok installed
Priority: optional
Section: libs
Installed-Size: 1600
Maintainer: Jörg Frings-Fürst <debian@jff.email>
Architecture: amd64
Multi-Arch: same
Source: libunistring
Version: 0.9.10-1
Depends: libc6 (>= 2.14)
Description: Unicode string library for C

EOF
}

# $debian10_image's files: Trivy takes the OS from etc/debian_version (its os-release analyzer
# ignores ID=debian; etc/os-release is there as in the real image) and the packages from
# var/lib/dpkg/status.
debian10_layout() {
  local root=$1
  mkdir -p "$root/var/lib/dpkg" "$root/root"
  echo 10.1 >"$root/etc/debian_version"
  cat >"$root/etc/os-release" <<'EOF'
PRETTY_NAME="Debian GNU/Linux 10 (buster)"
NAME="Debian GNU/Linux"
VERSION_ID="10"
VERSION="10 (buster)"
VERSION_CODENAME=buster
ID=debian
HOME_URL="https://www.debian.org/"
SUPPORT_URL="https://www.debian.org/support"
BUG_REPORT_URL="https://bugs.debian.org/"
EOF
  debian10_status >"$root/var/lib/dpkg/status"
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

# Builds tools/trivy-fixture-db (modules from the Go module proxy; Go's build cache makes a
# rebuild quick) and with it $trivy_cache/db/trivy.db and metadata.json from every
# __fixtures__/trivy/db/*.yaml, as Trivy's integration tests do. Done again only when the
# fixtures or the program changed: their hash is kept beside the DB.
build_trivy_db() {
  local repo db hash bin="$tools/trivy-fixture-db/trivy-fixture-db"
  repo=$(cd "$here/.." && pwd)
  db="$trivy_cache/db"
  hash=$(cd "$repo" && sha256sum __fixtures__/trivy/db/*.yaml tools/trivy-fixture-db/go.mod \
    tools/trivy-fixture-db/go.sum tools/trivy-fixture-db/*.go | sha256sum | cut -d' ' -f1)
  if [ -s "$db/trivy.db" ] && [ -s "$db/metadata.json" ] &&
    [ "$(cat "$db/fixtures.sha256" 2>/dev/null)" = "$hash" ]; then
    log "Trivy fixture DB already built in $db"
    return
  fi
  log "building the Trivy fixture DB in $db"
  (cd "$repo/tools/trivy-fixture-db" && go build -trimpath -buildvcs=false -o "$bin" .)
  mkdir -p "$trivy_cache"
  chmod 700 "$trivy_cache"
  rm -f "$db/fixtures.sha256"
  "$bin" -cache "$trivy_cache" "$repo"/__fixtures__/trivy/db/*.yaml
  echo "$hash" >"$db/fixtures.sha256"
}

install_packages
start_dockerd
start_registry
import_busybox
import_offline_image "$alpine39_image" 'Alpine 3.9.4 for Trivy' alpine39_layout alpine39_installed
import_offline_image "$debian10_image" 'Debian 10.1 for Trivy' debian10_layout debian10_status
install_tools
build_trivy_db

cat >"$state/testbed.env" <<EOF
TESTBED_REGISTRY=$registry_addr
TESTBED_REGISTRY_USER=$registry_user
TESTBED_REGISTRY_PASSWORD_FILE=$state/registry-password
TESTBED_BASE_IMAGE=busybox:latest
TESTBED_TRIVY=$TRIVY
TESTBED_TRIVY_CACHE=$trivy_cache
TESTBED_ALPINE39_IMAGE=$alpine39_image
TESTBED_DEBIAN10_IMAGE=$debian10_image
EOF
log "ready: $state/testbed.env"
