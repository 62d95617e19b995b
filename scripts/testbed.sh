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
#     buildx and compose installed as docker CLI plugins; Node.js 24, the runtime action.yml
#     declares, from the npm registry (the same script), put first on PATH by sourcing
#     $TOOLS_CACHE/node.env
#   - an offline Trivy vulnerability DB in $TESTBED_STATE/trivy-cache (Trivy's --cache-dir),
#     loaded from the YAML fixtures of Trivy's integration tests (__fixtures__/trivy/db) by
#     tools/trivy-fixture-db; scan with --skip-db-update --skip-java-db-update
#   - Debian's docker-compose (Compose v1, 1.29) beside the Compose v2 plugin, with
#     python3-paramiko, without which its docker-py refuses ssh:// even when it runs the ssh client.
#     Over tcp:// with TLS it ignores DOCKER_CERT_PATH's ca.pem for the server (compose #8634):
#     give it REQUESTS_CA_BUNDLE=$TESTBED_TLS_DIR/ca.pem as well
#   - the local engine as a "remote" host over SSH: an sshd of its own on 127.0.0.1:2222 (its
#     config, host key and log in $TESTBED_STATE/ssh; the system sshd is left alone), user
#     `deploy` in the docker group, an ed25519 client key and a known_hosts line made here
#   - the local engine over TLS TCP on 127.0.0.1:2376 with mutual TLS: socat terminates TLS
#     (client certificate required) in front of /var/run/docker.sock, so dockerd is never
#     restarted; CA, server and client certificates made here in $TESTBED_STATE/tls
#   - container-ship-test/nginx:bookworm, nginx-light debootstrapped from Debian's mirror
#   - arm64 emulation: Debian's runc, qemu-user-static and binfmt-support, binfmt_misc mounted and
#     qemu-aarch64 enabled (with the F flag, so that it runs inside build containers); Debian's
#     busybox-static:arm64 unpacked (not installed) into $TESTBED_STATE/busybox-arm64
#   - a second Docker registry 2.8 on 127.0.0.1:5001 WITHOUT auth (config and data in
#     $TESTBED_STATE/mirror): BuildKit's registry mirror for docker.io, since BuildKit pulls base
#     images from a registry (not from the engine) and Docker Hub is out of reach
#   - buildkitd (BuildKit, scripts/build-tools.sh) on unix:///run/container-ship-buildkit/buildkitd.sock,
#     OCI worker with Debian's runc, overlayfs, host network for RUN, linux/amd64 and linux/arm64;
#     its buildkitd.toml, root and log in $TESTBED_STATE/buildkit. docker.io is mirrored to
#     127.0.0.1:5001; 127.0.0.1:5000 and :5001 are plain http
#   - the buildx builder container-ship-remote (driver "remote") on that socket; the default
#     builder stays the engine's (docker driver)
#   - in the mirror, made by buildkitd itself for linux/amd64 and linux/arm64:
#     docker.io/library/busybox:latest and docker.io/container-ship-test/alpine39:base (the same
#     Alpine 3.9.4 layout as above, aarch64 in the arm64 variant); and, linux/amd64 only,
#     docker.io/docker/buildkit-syft-scanner:stable-1, BuildKit's default SBOM generator, here a
#     wrapper around Syft (scripts/build-tools.sh) that follows BuildKit's SBOM scanner protocol
#   - cosign and Syft (scripts/build-tools.sh), for signing and SBOM tests
#   - at the end, scripts/engines-bed.sh: three more engines, each in a network namespace of its
#     own on a bridge at 10.213.0.0/24, each a deploy host over ssh://deploy@10.213.0.1N:22, the
#     three joined as a Docker Swarm (engine 1 its manager), the registry reached as
#     127.0.0.1:5000 inside each namespace too
# Writes what the tests need to know to $TESTBED_STATE/testbed.env.
set -euo pipefail

here=$(cd "$(dirname "$0")" && pwd)
# shellcheck source=scripts/bed-lib.sh
. "$here/bed-lib.sh"
state=${TESTBED_STATE:-/var/lib/container-ship-testbed}
tools=${TOOLS_CACHE:-/var/cache/container-ship/tools}
registry_addr=127.0.0.1:5000
registry_user=container-ship
trivy_cache=$state/trivy-cache
alpine39_image=container-ship-test/alpine39:base
debian10_image=container-ship-test/debian10:base
ssh_port=2222
ssh_user=deploy
ssh_dir=$state/ssh
tls_addr=127.0.0.1:2376
tls_dir=$state/tls
nginx_image=container-ship-test/nginx:bookworm
mirror_addr=127.0.0.1:5001
mirror_dir=$state/mirror
arm64_dir=$state/busybox-arm64
buildkit_dir=$state/buildkit
buildkit_run=/run/container-ship-buildkit
buildkit_addr=unix://$buildkit_run/buildkitd.sock
builder=container-ship-remote
# The SBOM generator BuildKit v0.34 runs when none is named (defaultSBOMGenerator in its
# frontend/attestations/parse.go), resolved through the docker.io mirror.
sbom_scanner_image=docker/buildkit-syft-scanner:stable-1
# The Debian mirror apt is set up with on this machine: debootstrap fetches from the same place.
apt_mirror() {
  local uri
  uri=$(grep -hE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' |
    grep -v -- '-security' | head -n1 || true)
  [ -n "$uri" ] || uri=$(grep -hE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' |
    grep -v -- '-security' | head -n1 || true)
  printf '%s' "$uri"
}
debian_mirror=$(apt_mirror)
log() { printf '[testbed] %s\n' "$*" >&2; }

if [ "$(id -u)" != 0 ]; then
  echo "testbed.sh installs packages and starts dockerd: run it as root" >&2
  exit 1
fi
mkdir -p "$state"
chmod 700 "$state"

install_packages() {
  local missing=()
  for package in docker.io docker-registry busybox-static apache2-utils iptables curl shellcheck \
    docker-compose python3-paramiko openssh-server openssh-client socat openssl debootstrap \
    runc qemu-user-static binfmt-support; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

start_dockerd() {
  if docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    log "dockerd already answers"
    return
  fi
  log "starting dockerd"
  # The package's service is not started (no init system here); run the daemon detached.
  # --live-restore, as a deploy host should run: containers keep running while dockerd restarts
  # (__tests__/e2e/deploy/faults.test.ts restarts it in the middle of a rollout). --userland-proxy=false: the
  # tests' requests to ports published on 127.0.0.1 then take the path outside clients take on a
  # real host (iptables DNAT) rather than docker-proxy, which stops with dockerd.
  setsid nohup /usr/sbin/dockerd --host unix:///var/run/docker.sock --live-restore \
    --userland-proxy=false >"$state/dockerd.log" 2>&1 </dev/null &
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

# image_is_current IMAGE RECIPE: whether IMAGE exists and was made by RECIPE (the hash in its label).
image_is_current() {
  [ "$(docker image inspect -f '{{index .Config.Labels "org.container-ship.testbed.recipe"}}' "$1" 2>/dev/null || true)" = "$2" ]
}

# import_offline_image IMAGE DESCRIPTION LAYOUT [CONTENT...]: imports IMAGE from a rootfs made
# here, busybox-static (a shell for RUN) and what the function LAYOUT lays into it. The image
# carries a hash of how it was made (these functions, the CONTENT functions LAYOUT calls, and
# busybox-static) in a label and is made again only when that changes. Fixed order, owners and
# times in the tar: the same recipe gives the same layer DiffID.
import_offline_image() {
  local image=$1 description=$2 layout=$3 recipe root
  shift 3
  recipe=$( (declare -f busybox_rootfs import_offline_image "$layout" "$@" && sha256sum /bin/busybox) |
    sha256sum | cut -c1-16)
  if image_is_current "$image" "$recipe"; then
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
  "$BUILDKITD" --version >&2
  "$SYFT" version | grep '^Version:' >&2
  "$COSIGN" version 2>&1 | grep '^GitVersion:' >&2
  printf 'node %s\n' "$("$NODE" --version)" >&2
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

# The docker CLI's ssh:// helper runs `ssh -l USER -p PORT -- HOST docker system dial-stdio`
# with the first `ssh` on PATH and takes no key option; ssh reads ~/.ssh/config from the
# passwd entry's home, not $HOME. So the key and known_hosts reach it through a client config
# ($ssh_dir/config) that an `ssh` wrapper ($ssh_dir/bin/ssh) passes with -F: put $ssh_dir/bin
# first on PATH. Compose v2 goes through the same helper; Compose v1 too (it runs the ssh
# client unless COMPOSE_PARAMIKO_SSH=1).
ssh_docker() {
  PATH="$ssh_dir/bin:$PATH" DOCKER_HOST="ssh://$ssh_user@127.0.0.1:$ssh_port" docker "$@"
}

# The local engine as a remote host over SSH: an sshd of its own on 127.0.0.1:$ssh_port (config,
# host key, pid file and log in $ssh_dir; the system sshd and /etc/ssh are not used), the user
# $ssh_user in the docker group, logging in with an ed25519 key made here. MaxStartups (10:30:100)
# and MaxSessions (10) stay at sshd's defaults: the tests show the action keeps within them.
start_sshd() {
  local config="$ssh_dir/sshd_config" host_key="$ssh_dir/ssh_host_ed25519_key"
  local key="$ssh_dir/id_ed25519" home pid=''
  mkdir -p "$ssh_dir/bin"
  chmod 700 "$ssh_dir"
  if ! id "$ssh_user" >/dev/null 2>&1; then
    log "adding the user $ssh_user (docker group)"
    useradd --create-home --shell /bin/sh --groups docker "$ssh_user"
  fi
  id -nG "$ssh_user" | tr ' ' '\n' | grep -qx docker || usermod -aG docker "$ssh_user"
  # Without PAM, sshd refuses a locked account (useradd's "!") even for a key: no password at all.
  [ "$(getent shadow "$ssh_user" | cut -d: -f2)" = '*' ] || usermod -p '*' "$ssh_user"
  [ -s "$host_key" ] || ssh-keygen -q -t ed25519 -N '' -C container-ship-testbed-host -f "$host_key"
  [ -s "$key" ] || ssh-keygen -q -t ed25519 -N '' -C "$ssh_user@container-ship-testbed" -f "$key"
  chmod 600 "$host_key" "$key"
  home=$(getent passwd "$ssh_user" | cut -d: -f6)
  install -d -m 700 -o "$ssh_user" -g "$ssh_user" "$home/.ssh"
  cmp -s "$key.pub" "$home/.ssh/authorized_keys" ||
    install -m 600 -o "$ssh_user" -g "$ssh_user" "$key.pub" "$home/.ssh/authorized_keys"
  echo "[127.0.0.1]:$ssh_port $(cut -d' ' -f1,2 "$host_key.pub")" | write_if_changed "$ssh_dir/known_hosts" || true
  write_if_changed "$ssh_dir/config" <<EOF || true
Host 127.0.0.1
  Port $ssh_port
  User $ssh_user
  IdentityFile $key
  IdentitiesOnly yes
  UserKnownHostsFile $ssh_dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
EOF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$ssh_dir/config" | write_if_changed "$ssh_dir/bin/ssh" || true
  chmod 755 "$ssh_dir/bin/ssh"
  local changed=false
  write_if_changed "$config" <<EOF && changed=true
# The container-ship test bed's sshd (not the system's): the local engine as a remote host.
ListenAddress 127.0.0.1:$ssh_port
HostKey $host_key
PidFile $ssh_dir/sshd.pid
AllowUsers $ssh_user
PermitRootLogin no
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
LogLevel VERBOSE
EOF
  [ -s "$ssh_dir/sshd.pid" ] && pid=$(cat "$ssh_dir/sshd.pid")
  if [ -n "$pid" ] && grep -qa "$config" "/proc/$pid/cmdline" 2>/dev/null; then
    if $changed; then
      log "sshd_config changed: reloading the test bed's sshd ($pid)"
      /usr/sbin/sshd -t -f "$config"
      kill -HUP "$pid"
      sleep 1
    else
      log "sshd already runs on 127.0.0.1:$ssh_port"
    fi
  else
    log "starting sshd on 127.0.0.1:$ssh_port"
    mkdir -p /run/sshd # its privilege separation folder
    /usr/sbin/sshd -t -f "$config"
    /usr/sbin/sshd -f "$config" -E "$ssh_dir/sshd.log"
  fi
  if ! wait_for 20 ssh_docker version --format '{{.Server.Version}}'; then
    ssh_docker version >&2 || true
    tail -n 20 "$ssh_dir/sshd.log" >&2
    echo "the docker CLI does not reach the engine over ssh://$ssh_user@127.0.0.1:$ssh_port" >&2
    exit 1
  fi
}

# The CA, the server certificate (SAN IP 127.0.0.1) and the client certificate of the TLS
# endpoint, made once: ca.pem, cert.pem and key.pem are what DOCKER_CERT_PATH wants.
make_tls_certificates() {
  mkdir -p "$tls_dir"
  chmod 700 "$tls_dir"
  if [ -s "$tls_dir/key.pem" ] && [ -s "$tls_dir/server-key.pem" ] &&
    openssl verify -CAfile "$tls_dir/ca.pem" "$tls_dir/server-cert.pem" "$tls_dir/cert.pem" >/dev/null 2>&1; then
    log "TLS certificates already made in $tls_dir"
    return
  fi
  log "making a CA, a server and a client certificate in $tls_dir"
  (
    umask 077
    cd "$tls_dir"
    openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj '/CN=container-ship-testbed CA' \
      -keyout ca-key.pem -out ca.pem 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=127.0.0.1' -keyout server-key.pem -out server.csr 2>/dev/null
    openssl x509 -req -in server.csr -CA ca.pem -CAkey ca-key.pem -CAcreateserial -CAserial ca.srl \
      -days 3650 -out server-cert.pem -extfile <(printf '%s\n' 'subjectAltName=IP:127.0.0.1' \
        'basicConstraints=CA:FALSE' 'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=serverAuth') 2>/dev/null
    openssl req -newkey rsa:2048 -nodes -subj '/CN=container-ship-testbed client' -keyout key.pem -out client.csr 2>/dev/null
    openssl x509 -req -in client.csr -CA ca.pem -CAkey ca-key.pem -CAserial ca.srl \
      -days 3650 -out cert.pem -extfile <(printf '%s\n' 'basicConstraints=CA:FALSE' \
        'keyUsage=digitalSignature,keyEncipherment' 'extendedKeyUsage=clientAuth') 2>/dev/null
    rm -f server.csr client.csr
    chmod 644 ca.pem cert.pem server-cert.pem
  )
}

tls_docker() {
  DOCKER_HOST="tcp://$tls_addr" DOCKER_TLS_VERIFY=1 DOCKER_CERT_PATH="$tls_dir" docker "$@"
}

# The local engine over TLS TCP on $tls_addr with mutual TLS, without restarting dockerd (other
# tests may be using it): socat terminates TLS, requires a client certificate signed by the CA,
# and passes each connection to /var/run/docker.sock. -t 60: after one side ends its half of a
# hijacked stream (attach, exec), the other may still send for up to 60 s.
start_tls_proxy() {
  local pid='' pid_file="$tls_dir/socat.pid"
  if tls_docker version --format '{{.Server.Version}}' >/dev/null 2>&1; then
    log "the engine already answers with TLS on $tls_addr"
  else
    [ -s "$pid_file" ] && pid=$(cat "$pid_file")
    if [ -n "$pid" ] && grep -qa OPENSSL-LISTEN "/proc/$pid/cmdline" 2>/dev/null; then
      log "replacing the TLS proxy $pid that does not answer"
      kill "$pid"
      sleep 1
    fi
    log "starting the TLS proxy on $tls_addr"
    setsid nohup socat -d -t 60 \
      "OPENSSL-LISTEN:${tls_addr##*:},bind=${tls_addr%:*},reuseaddr,fork,cert=$tls_dir/server-cert.pem,key=$tls_dir/server-key.pem,cafile=$tls_dir/ca.pem,verify=1,openssl-min-proto-version=TLS1.2" \
      UNIX-CONNECT:/var/run/docker.sock >"$tls_dir/socat.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
    if ! wait_for 20 tls_docker version --format '{{.Server.Version}}'; then
      tls_docker version >&2 || true
      tail -n 20 "$tls_dir/socat.log" >&2
      echo "the docker CLI does not reach the engine over tcp://$tls_addr with TLS" >&2
      exit 1
    fi
  fi
  tls_docker compose ls >/dev/null
  if curl -sf --cacert "$tls_dir/ca.pem" "https://$tls_addr/version" >/dev/null 2>&1; then
    echo "the TLS endpoint $tls_addr answers a client without a certificate" >&2
    exit 1
  fi
}

# $nginx_image: nginx-light and its dependencies debootstrapped (minbase) from Debian's mirror,
# imported with nginx in the foreground as its command (Engine 20.10's import takes no
# STOPSIGNAL: set `stop_signal: SIGQUIT` in Compose for a graceful stop). Made again only when this recipe, the
# mirror or debootstrap changes (a hash of them in a label, as import_offline_image does).
import_nginx_image() {
  local recipe root start name old_id
  recipe=$( (declare -f import_nginx_image && echo "$debian_mirror" &&
    dpkg-query -W -f='${Version}' debootstrap) | sha256sum | cut -c1-16)
  if image_is_current "$nginx_image" "$recipe"; then
    log "$nginx_image already imported"
    return
  fi
  log "debootstrapping nginx-light (bookworm, minbase) from $debian_mirror for $nginx_image"
  old_id=$(docker image inspect -f '{{.Id}}' "$nginx_image" 2>/dev/null || true)
  start=$SECONDS
  root=$(mktemp -d /var/tmp/nginx-rootfs.XXXXXX)
  if ! debootstrap --variant=minbase --include=nginx-light bookworm "$root" "$debian_mirror" \
    >"$state/debootstrap.log" 2>&1; then
    tail -n 30 "$state/debootstrap.log" >&2
    echo "debootstrap failed (log: $state/debootstrap.log)" >&2
    exit 1
  fi
  rm -rf "$root"/var/cache/apt/archives/*.deb "$root"/var/lib/apt/lists/* "$root/debootstrap"
  tar -C "$root" --numeric-owner -c . |
    docker import -c 'CMD ["nginx","-g","daemon off;"]' -c 'EXPOSE 80' \
      -c "LABEL org.container-ship.testbed.recipe=$recipe" - "$nginx_image" >/dev/null
  if mountpoint -q "$root/proc" || mountpoint -q "$root/sys"; then
    echo "$root still has mounts: not removed" >&2
  else
    rm -rf "$root"
  fi
  log "made $nginx_image in $((SECONDS - start)) s"
  # The image of an older recipe, unless a container still uses it.
  [ -z "$old_id" ] || docker image rm "$old_id" >/dev/null 2>&1 || true
  # It serves its default page, and reloads.
  name=container-ship-testbed-nginx-check
  docker rm -f "$name" >/dev/null 2>&1 || true
  # Published on loopback: the check talks to 127.0.0.1 only, never to the container's bridge address.
  docker run -d --name "$name" -p 127.0.0.1::80 "$nginx_image" >/dev/null
  local address
  address=$(docker port "$name" 80/tcp | grep '^127\.0\.0\.1:' | head -n1)
  if ! wait_for 20 curl -sf "http://$address/" || ! docker exec "$name" nginx -s reload >/dev/null 2>&1 ||
    ! wait_for 10 curl -sf "http://$address/"; then
    docker logs "$name" >&2
    docker rm -f "$name" >/dev/null
    echo "$nginx_image does not serve or reload" >&2
    exit 1
  fi
  docker rm -f "$name" >/dev/null
}

# Debian's busybox-static for arm64 in $arm64_dir/root, unpacked from its .deb and not installed
# (the machine stays amd64): the shell of the arm64 variants of the mirror's base images. dpkg
# learns the arm64 architecture once so that apt can name the package; fetched again only when
# the mirror offers another version.
fetch_arm64_busybox() {
  local version tmp
  if ! dpkg --print-foreign-architectures | grep -qx arm64; then
    log "adding arm64 to dpkg's architectures (for apt-get download busybox-static:arm64)"
    dpkg --add-architecture arm64
    apt-get update -qq
  fi
  version=$(apt-cache policy busybox-static:arm64 | awk '/Candidate:/ {print $2}')
  if [ -z "$version" ] || [ "$version" = '(none)' ]; then
    apt-get update -qq
    version=$(apt-cache policy busybox-static:arm64 | awk '/Candidate:/ {print $2}')
  fi
  if [ -x "$arm64_dir/root/bin/busybox" ] && [ "$(cat "$arm64_dir/version" 2>/dev/null)" = "$version" ]; then
    log "busybox-static:arm64 $version already unpacked in $arm64_dir"
    return
  fi
  log "unpacking busybox-static:arm64 $version into $arm64_dir"
  # apt-get download runs as _apt: a folder of its own, outside the (root-only) state dir.
  tmp=$(mktemp -d)
  chown _apt "$tmp"
  (cd "$tmp" && apt-get download -qq "busybox-static:arm64=$version")
  rm -rf "$arm64_dir"
  mkdir -p "$arm64_dir"
  dpkg-deb -x "$tmp"/busybox-static_*_arm64.deb "$arm64_dir/root"
  rm -rf "$tmp"
  echo "$version" >"$arm64_dir/version"
}

# arm64 binaries run through qemu-user-static: binfmt_misc is built into the kernel here but not
# mounted (no init system), and binfmt-support's registration needs it. The F flag (Debian's
# default) opens the emulator when it is registered, so that it also runs inside build
# containers, whose root has no /usr/libexec/qemu-binfmt.
enable_arm64_emulation() {
  local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
  mountpoint -q /proc/sys/fs/binfmt_misc || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  [ "$(head -n1 "$entry" 2>/dev/null)" = enabled ] || update-binfmts --enable qemu-aarch64
  if ! grep -q '^flags: .*F' "$entry"; then
    echo "qemu-aarch64 is registered without the F flag ($(grep '^flags' "$entry")): it would not run in containers" >&2
    exit 1
  fi
  if [ "$("$arm64_dir/root/bin/busybox" uname -m 2>&1)" != aarch64 ]; then
    echo "the arm64 busybox does not run under qemu-aarch64: $("$arm64_dir/root/bin/busybox" uname -m 2>&1)" >&2
    exit 1
  fi
  log "arm64 binaries run (qemu-aarch64 via binfmt_misc)"
}

# The docker.io mirror: a registry like start_registry's on $mirror_addr, without auth (BuildKit
# pulls base images through it anonymously), with its own config and data in $mirror_dir.
start_mirror() {
  mkdir -p "$mirror_dir"
  cat >"$mirror_dir/registry.yml" <<EOF
version: 0.1
log:
  level: warn
storage:
  filesystem:
    rootdirectory: $mirror_dir/data
  delete:
    enabled: true
http:
  addr: $mirror_addr
EOF
  if curl -sf -o /dev/null "http://$mirror_addr/v2/"; then
    log "the docker.io mirror already answers on $mirror_addr"
    return
  fi
  log "starting the docker.io mirror (a registry without auth) on $mirror_addr"
  setsid nohup /usr/bin/docker-registry serve "$mirror_dir/registry.yml" >"$mirror_dir/registry.log" 2>&1 </dev/null &
  if ! wait_for 30 curl -sf -o /dev/null "http://$mirror_addr/v2/"; then
    tail -n 30 "$mirror_dir/registry.log" >&2
    echo "the docker.io mirror did not start" >&2
    exit 1
  fi
}

buildctl() {
  "$BUILDCTL" --addr "$buildkit_addr" "$@"
}

# buildkitd, detached like dockerd, configured by $buildkit_dir/buildkitd.toml (keys as in
# BuildKit's docs/buildkitd.toml.md). Started again only when that file or the buildkitd binary
# changed; the daemon is the test bed's own (pid in $buildkit_dir/buildkitd.pid), dockerd and the
# registries are never touched. The OCI worker runs RUN steps with Debian's runc in the host's
# network namespace (the tests only talk to loopback; no CNI plugins to set up); the containerd
# worker is off (there is no containerd of its own). Platforms are detected: linux/amd64 and,
# through qemu-aarch64, linux/arm64.
start_buildkitd() {
  local config="$buildkit_dir/buildkitd.toml" pid='' changed=false
  mkdir -p "$buildkit_dir" "$buildkit_run"
  chmod 700 "$buildkit_dir"
  write_if_changed "$config" <<EOF && changed=true
# buildkitd of the container-ship test bed (scripts/testbed.sh writes this file).
root = "$buildkit_dir/root"

[grpc]
  address = ["$buildkit_addr"]

[worker.oci]
  enabled = true
  binary = "$(command -v runc)"
  snapshotter = "overlayfs"
  networkMode = "host"
  gc = true
  # The build cache is the tests' only: keep it small on a shared disk.
  maxUsedSpace = "10GB"

[worker.containerd]
  enabled = false

# BuildKit pulls base images itself: FROM busybox:latest resolves to docker.io, which is out of
# reach, and comes from the mirror instead.
[registry."docker.io"]
  mirrors = ["$mirror_addr"]

# Plain http (no TLS at all): the mirror and the test registry (htpasswd auth, credentials from
# the client's docker config through the buildx session).
[registry."$mirror_addr"]
  http = true

[registry."$registry_addr"]
  http = true
EOF
  [ -s "$buildkit_dir/buildkitd.pid" ] && pid=$(cat "$buildkit_dir/buildkitd.pid")
  if [ -n "$pid" ] && grep -qa "$config" "/proc/$pid/cmdline" 2>/dev/null; then
    if ! $changed && [ "$(readlink "/proc/$pid/exe")" = "$BUILDKITD" ] &&
      buildctl debug workers >/dev/null 2>&1; then
      log "buildkitd already answers on $buildkit_addr"
      return
    fi
    log "buildkitd's config or binary changed (or it does not answer): stopping it ($pid)"
    kill "$pid"
    for _ in $(seq 60); do
      [ -d "/proc/$pid" ] || break
      sleep 0.5
    done
    if [ -d "/proc/$pid" ]; then
      echo "buildkitd ($pid) did not stop" >&2
      exit 1
    fi
  fi
  log "starting buildkitd on $buildkit_addr"
  setsid nohup "$BUILDKITD" --config "$config" >"$buildkit_dir/buildkitd.log" 2>&1 </dev/null &
  echo $! >"$buildkit_dir/buildkitd.pid"
  if ! wait_for 60 buildctl debug workers; then
    tail -n 30 "$buildkit_dir/buildkitd.log" >&2
    echo "buildkitd did not start" >&2
    exit 1
  fi
  buildctl debug workers -v | grep -E '^(ID|Platforms):' >&2
}

# The buildx builder $builder with the "remote" driver on buildkitd's socket. Not made the
# current builder (no --use): the default builder stays the engine's docker driver, which the
# other tests rely on. Made again when it points elsewhere.
create_builder() {
  local inspect platforms
  inspect=$(docker buildx inspect "$builder" 2>/dev/null || true)
  if grep -qE "^Driver: +remote$" <<<"$inspect" && grep -qE "^ *Endpoint: +$buildkit_addr$" <<<"$inspect"; then
    log "the buildx builder $builder already exists"
  else
    [ -z "$inspect" ] || docker buildx rm "$builder" >/dev/null
    log "creating the buildx builder $builder (driver remote, $buildkit_addr)"
    docker buildx create --name "$builder" --driver remote "$buildkit_addr" >/dev/null
  fi
  platforms=$(docker buildx inspect "$builder" --bootstrap | sed -n 's/^ *Platforms: *//p')
  if ! grep -q 'linux/amd64' <<<"$platforms" || ! grep -q 'linux/arm64' <<<"$platforms"; then
    echo "the builder $builder offers '$platforms', not linux/amd64 and linux/arm64" >&2
    exit 1
  fi
  # Read whole first: with pipefail, grep -q leaving at the first match can end docker with
  # SIGPIPE and fail the pipeline although the line was there.
  local current
  current=$(docker buildx inspect)
  if ! grep -qE '^Driver: +docker$' <<<"$current"; then
    echo "the current buildx builder is not the engine's (docker driver): docker buildx use default" >&2
    exit 1
  fi
}

# The root of a mirror image for ARCH (amd64 or arm64) in the folder $2: busybox_rootfs's, with
# the arm64 busybox in place of the machine's for arm64 (the same Debian version: the same applets).
mirror_busybox_layout() {
  local arch=$1 root=$2
  busybox_rootfs "$root"
  [ "$arch" = amd64 ] || cp "$arm64_dir/root/bin/busybox" "$root/bin/busybox"
}

# $alpine39_image's layout (alpine39_layout), with the arm64 variant's packages for aarch64.
mirror_alpine39_layout() {
  local arch=$1 root=$2
  mirror_busybox_layout "$arch" "$root"
  alpine39_layout "$root"
  [ "$arch" = amd64 ] || sed -i 's/^A:x86_64$/A:aarch64/; s/libc\.musl-x86_64/libc.musl-aarch64/' "$root/lib/apk/db/installed"
}

# BuildKit's SBOM scanner protocol (its docs/attestations/sbom-protocol.md): the rootfs to scan
# is BUILDKIT_SCAN_SOURCE, more of them may be in the folder BUILDKIT_SCAN_SOURCE_EXTRAS, and
# each scan is written to BUILDKIT_SCAN_DESTINATION/<name>.spdx.json as an in-toto statement
# with an SPDX predicate (BuildKit fills in the subject). Syft makes the SPDX document.
sbom_scan_script() {
  cat <<'EOF'
#!/bin/sh
# BuildKit's SBOM scanner protocol around Syft (made by container-ship's scripts/testbed.sh).
set -eu
scan() {
  syft scan "dir:$1" --quiet --source-name "$2" -o "spdx-json=/tmp/$2.spdx.json"
  {
    printf '{"_type":"https://in-toto.io/Statement/v0.1","predicateType":"https://spdx.dev/Document","subject":[],"predicate":'
    cat "/tmp/$2.spdx.json"
    printf '}\n'
  } >"$BUILDKIT_SCAN_DESTINATION/$2.spdx.json"
}
scan "$BUILDKIT_SCAN_SOURCE" "$(basename "$BUILDKIT_SCAN_SOURCE")"
if [ -n "${BUILDKIT_SCAN_SOURCE_EXTRAS:-}" ] && [ -d "$BUILDKIT_SCAN_SOURCE_EXTRAS" ]; then
  for source in "$BUILDKIT_SCAN_SOURCE_EXTRAS"/*; do
    [ -d "$source" ] && scan "$source" "$(basename "$source")"
  done
fi
exit 0
EOF
}

# The scanner image's root: busybox, the static Syft and the protocol script.
sbom_scanner_layout() {
  local arch=$1 root=$2
  mirror_busybox_layout "$arch" "$root"
  cp "$SYFT" "$root/bin/syft"
  sbom_scan_script >"$root/bin/buildkit-syft-scan"
  chmod 755 "$root/bin/buildkit-syft-scan"
}

# mirror_image IMAGE PLATFORMS LAYOUT DOCKERFILE_TAIL [CONTENT...]: builds IMAGE (a docker.io
# name: library/busybox:latest) with buildkitd itself, FROM scratch and no base image, for each
# of the comma-separated PLATFORMS (linux/amd64,linux/arm64) from a rootfs the function LAYOUT
# ARCH ROOT lays out, and pushes it to the mirror as $mirror_addr/IMAGE. DOCKERFILE_TAIL ends the
# Dockerfile (CMD, ENV). Like import_offline_image, it carries a hash of its recipe (these
# functions, the busybox binaries, and each CONTENT: a function LAYOUT calls or a file it copies)
# in a label; a stamp
# in $mirror_dir/made holds that hash and the pushed digest, and the image is made again only when
# the recipe changed or the mirror no longer serves that digest under IMAGE.
mirror_image() {
  local image=$1 platforms=$2 layout=$3 tail=$4 recipe stamp digest context platform arch
  shift 4
  recipe=$( (declare -f busybox_rootfs mirror_busybox_layout mirror_image "$layout" &&
    for content in "$@"; do
      if [ -f "$content" ]; then sha256sum "$content"; else declare -f "$content"; fi
    done && echo "$platforms $tail" && sha256sum /bin/busybox "$arm64_dir/root/bin/busybox") |
    sha256sum | cut -c1-16)
  stamp="$mirror_dir/made/$(tr '/:' '__' <<<"$image")"
  digest=$(curl -sfI -H 'Accept: application/vnd.oci.image.index.v1+json' \
    -H 'Accept: application/vnd.oci.image.manifest.v1+json' \
    "http://$mirror_addr/v2/${image%:*}/manifests/${image##*:}" |
    tr -d '\r' | awk 'tolower($1) == "docker-content-digest:" {print $2}' || true)
  if [ -n "$digest" ] && [ "$(cat "$stamp" 2>/dev/null)" = "$recipe $digest" ]; then
    log "$mirror_addr/$image already made"
    return
  fi
  log "making $mirror_addr/$image for $platforms with buildkitd"
  context=$(mktemp -d)
  for platform in ${platforms//,/ }; do
    arch=${platform#*/}
    "$layout" "$arch" "$context/rootfs-$arch"
  done
  cat >"$context/Dockerfile" <<EOF
FROM scratch
ARG TARGETARCH
COPY rootfs-\${TARGETARCH}/ /
LABEL org.container-ship.testbed.recipe=$recipe
$tail
EOF
  if ! buildctl build --progress=plain --frontend dockerfile.v0 --opt "platform=$platforms" \
    --local "context=$context" --local "dockerfile=$context" \
    --output "type=image,name=$mirror_addr/$image,push=true,registry.insecure=true" \
    --metadata-file "$context/metadata.json" >"$buildkit_dir/mirror-image.log" 2>&1; then
    tail -n 30 "$buildkit_dir/mirror-image.log" >&2
    rm -rf "$context"
    echo "buildctl could not make $mirror_addr/$image (log: $buildkit_dir/mirror-image.log)" >&2
    exit 1
  fi
  digest=$(grep -o '"containerimage.digest": *"sha256:[0-9a-f]*"' "$context/metadata.json" | grep -o 'sha256:[0-9a-f]*')
  rm -rf "$context"
  mkdir -p "$mirror_dir/made"
  echo "$recipe $digest" >"$stamp"
}

install_packages
start_dockerd
start_registry
import_busybox
import_offline_image "$alpine39_image" 'Alpine 3.9.4 for Trivy' alpine39_layout alpine39_installed
import_offline_image "$debian10_image" 'Debian 10.1 for Trivy' debian10_layout debian10_status
install_tools
build_trivy_db
start_sshd
make_tls_certificates
start_tls_proxy
import_nginx_image
fetch_arm64_busybox
enable_arm64_emulation
start_mirror
start_buildkitd
create_builder
mirror_image library/busybox:latest linux/amd64,linux/arm64 mirror_busybox_layout 'CMD ["sh"]'
mirror_image "$alpine39_image" linux/amd64,linux/arm64 mirror_alpine39_layout 'CMD ["sh"]' \
  alpine39_layout alpine39_installed
# The scanner runs on the builder's native platform only.
mirror_image "$sbom_scanner_image" linux/amd64 sbom_scanner_layout \
  "$(printf '%s\n' 'ENV HOME=/tmp SYFT_CHECK_FOR_APP_UPDATE=false' 'CMD ["/bin/buildkit-syft-scan"]')" \
  sbom_scan_script "$SYFT"
compose_v1_version=$(docker-compose version --short)

cat >"$state/testbed.env" <<EOF
TESTBED_REGISTRY=$registry_addr
TESTBED_REGISTRY_USER=$registry_user
TESTBED_REGISTRY_PASSWORD_FILE=$state/registry-password
TESTBED_BASE_IMAGE=busybox:latest
TESTBED_TRIVY=$TRIVY
TESTBED_TRIVY_CACHE=$trivy_cache
TESTBED_ALPINE39_IMAGE=$alpine39_image
TESTBED_DEBIAN10_IMAGE=$debian10_image
TESTBED_SSH_HOST=ssh://$ssh_user@127.0.0.1:$ssh_port
TESTBED_SSH_KEY_FILE=$ssh_dir/id_ed25519
TESTBED_SSH_KNOWN_HOSTS_FILE=$ssh_dir/known_hosts
TESTBED_SSH_CONFIG_FILE=$ssh_dir/config
TESTBED_SSH_PATH=$ssh_dir/bin
TESTBED_TLS_HOST=tcp://$tls_addr
TESTBED_TLS_DIR=$tls_dir
TESTBED_COMPOSE_V1=$(command -v docker-compose)
TESTBED_COMPOSE_V1_VERSION=$compose_v1_version
TESTBED_NGINX_IMAGE=$nginx_image
TESTBED_BUILDER=$builder
TESTBED_BUILDKIT_ADDR=$buildkit_addr
TESTBED_MIRROR=$mirror_addr
TESTBED_COSIGN=$COSIGN
TESTBED_SYFT=$SYFT
EOF
# It appends the engines' lines (TESTBED_ENGINES, TESTBED_ENGINE_N_*, TESTBED_SWARM_*) to testbed.env.
TESTBED_STATE="$state" bash "$here/engines-bed.sh"
log "ready: $state/testbed.env"
