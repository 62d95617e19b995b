#!/usr/bin/env bash
# Three more Docker engines on this one machine, each in a network namespace of its own, for the
# tests of deploys to several hosts and to a Docker Swarm. Run by scripts/testbed.sh at its end
# (it needs that bed: the registry, the user `deploy` and its key, the images, testbed.env); safe
# to run again, and quick then. As root. What it sets up:
#   - the bed's addresses, 10.213.0.0/16, nothing of which is ever routed out of the machine:
#     a bridge cs-engines0 in the root namespace at 10.213.0.1/24 and, per engine N (1 to 3), a network
#     namespace cs-engine-N joined to it by a veth, its eth0 at 10.213.0.1N. The namespaces have no
#     default route; in the root namespace the rest of 10.213.0.0/16 is `unreachable`, so a
#     stray packet to an engine's internal address fails here instead of leaving by eth0
#   - an iptables FORWARD accept for traffic between the bridge's ports (Docker sets the FORWARD
#     policy to DROP, and with br_netfilter bridged frames go through FORWARD)
#   - dockerd N (Debian's Engine 20.10) in namespace N, entered with `nsenter --net` only (`ip
#     netns exec` remounts /sys, and dockerd then fails with "Devices cgroup isn't mounted"), in a
#     UTS namespace of its own named cs-engine-N (so `docker node ls` and `docker info` tell them
#     apart), on unix:///run/container-ship-engines/engine-N/docker.sock, its config, data, logs and identity key
#     (key.json: the ID `docker info` shows; the default /etc/docker/key.json would give all
#     engines the main engine's ID) in $state/engines/engine-N. Without --live-restore: Engine
#     20.10 refuses it in swarm mode. Started again when it died or its daemon.json changed
#   - the engines' own address ranges, inside 10.213.0.0/16: engine N's docker0 and local
#     networks in 10.213.(32N).0/19, the swarm's overlay networks in 10.213.128.0/17
#   - the registry of the bed (127.0.0.1:5000, htpasswd auth) under the same name in every
#     namespace: socat listens on 127.0.0.1:5000 in each and passes each connection through a
#     Unix socket (/run/container-ship-engines/registry.sock) to another socat in the root namespace, which connects
#     to the registry. The running registry is not touched; Docker takes loopback registries for
#     plain http by itself; and an image the action pushes as 127.0.0.1:5000/... is pulled
#     under that same name on every engine and in swarm services
#   - busybox:latest and the nginx image pushed to that registry as 127.0.0.1:5000/busybox:latest
#     and 127.0.0.1:5000/container-ship-test/nginx:bookworm, pulled on every engine and tagged
#     there under the main engine's names too (busybox:latest, container-ship-test/nginx:bookworm)
#   - an sshd per engine on 10.213.0.1N:22, in that network namespace and in a private mount
#     namespace where /run/container-ship-engines/engine-N is bind-mounted over /run, so that /var/run/docker.sock
#     there is engine N's socket: the action forwards a local socket to the host's
#     /var/run/docker.sock, and `docker system dial-stdio` dials it too. A folder is bound rather
#     than the socket itself, so the binding survives a restart of either dockerd (a restart
#     makes a new socket file; a bind on the old one would be dropped, and one over the main
#     engine's /var/run/docker.sock would be dropped when the main dockerd restarts, leaving the
#     main engine there). User `deploy` with the bed's key; a host key per engine; a known_hosts
#     file, an ssh client config and an `ssh` wrapper that passes it (as for the main ssh host)
#   - a swarm: engine 1 its manager (`swarm init`), engines 2 and 3 workers, each node labelled
#     container-ship.testbed.engine=N. The service VIP and the ingress routing mesh do not work
#     on this kernel (dockerd: "Could not get ipvs family information from the kernel"; busybox's
#     wget to a VIP dies of a segmentation fault): services use `endpoint_mode: dnsrr`, and ports
#     are published in `mode: host`
# Appends TESTBED_ENGINES=3, TESTBED_ENGINE_N_* and the other engine lines to
# $state/testbed.env (replacing those of an earlier run).
# TESTBED_ENGINE_COUNT=N (up to 50; bench/several-hosts.mjs asks for 10) runs N engines instead,
# the swarm still the first three; a later run with fewer stops the engines beyond them.
#
#   scripts/engines-bed.sh        set up (or check) everything above
#   scripts/engines-bed.sh down   stop the sshds, dockerds and forwards, remove the namespaces,
#                                 the bridge, the route and the iptables rule (data stays)
set -euo pipefail
# shellcheck source=scripts/bed-lib.sh
. "$(cd "$(dirname "$0")" && pwd)/bed-lib.sh"

state=${TESTBED_STATE:-/var/lib/container-ship-testbed}
engines_dir=$state/engines
run_dir=/run/container-ship-engines
# Three engines for the tests; the several-hosts benchmark asks for more (bench/several-hosts.mjs).
engines=${TESTBED_ENGINE_COUNT:-3}
max_engines=50 # addresses 10.213.0.11 to 10.213.0.150
# The swarm is the first three (a manager, two workers) however many engines run: the swarm tests
# place tasks on every node, and the benchmark's extra hosts are plain Compose hosts.
swarm_size=$((engines < 3 ? engines : 3))
bridge=cs-engines0
bed_range=10.213.0.0/16
bridge_cidr=10.213.0.1/24
swarm_pool=10.213.128.0/17
ssh_port=22
ssh_user=deploy
log() { printf '[engines-bed] %s\n' "$*" >&2; }

if ! [[ $engines =~ ^[1-9][0-9]*$ ]] || [ "$engines" -gt "$max_engines" ]; then
  echo "TESTBED_ENGINE_COUNT=$engines is not a number of engines from 1 to $max_engines" >&2
  exit 1
fi
if [ "$(id -u)" != 0 ]; then
  echo "engines-bed.sh makes network namespaces and starts dockerd: run it as root" >&2
  exit 1
fi

# Engine N's namespace, address and files.
netns() { printf 'cs-engine-%s' "$1"; }
netns_file() { printf '/var/run/netns/cs-engine-%s' "$1"; }
address() { printf '10.213.0.1%s' "$1"; }
engine_dir() { printf '%s/engine-%s' "$engines_dir" "$1"; }
socket() { printf '%s/engine-%s/docker.sock' "$run_dir" "$1"; }
# Runs a command in engine N's network namespace (and nothing else of it).
in_netns() {
  local n=$1
  shift
  nsenter --net="$(netns_file "$n")" "$@"
}
# The docker CLI on engine N's socket.
engine() {
  local n=$1
  shift
  docker -H "unix://$(socket "$n")" "$@"
}

# running PIDFILE PATTERN: prints the pid in PIDFILE and succeeds when that process is alive and
# its command line holds PATTERN. A pid file can outlive its process, and the pid be reused.
running() {
  local pid_file=$1 pattern=$2 pid
  [ -s "$pid_file" ] || return 1
  pid=$(cat "$pid_file")
  grep -qaF -- "$pattern" "/proc/$pid/cmdline" 2>/dev/null || return 1
  printf '%s' "$pid"
}

# in_engine_netns PID N: whether the process PID is in engine N's network namespace (not in one
# that was deleted and made again while it ran).
in_engine_netns() {
  [ "$(readlink "/proc/$1/ns/net")" = "net:[$(stat -L -c %i "$(netns_file "$2")")]" ]
}

# stop PID WHAT: SIGTERM, and waits up to 60 s for the process to end.
stop() {
  local pid=$1
  kill "$pid" 2>/dev/null || return 0
  for _ in $(seq 120); do
    [ -d "/proc/$pid" ] || return 0
    sleep 0.5
  done
  echo "$2 ($pid) did not stop" >&2
  exit 1
}

# A value of the main bed's testbed.env.
bed_value() {
  sed -n "s/^$1=//p" "$state/testbed.env" | tail -n1
}

install_packages() {
  local missing=()
  for package in iproute2 socat openssh-server openssh-client iptables docker.io curl; do
    dpkg-query -W -f='${Status}' "$package" 2>/dev/null | grep -q 'install ok installed' || missing+=("$package")
  done
  [ ${#missing[@]} -eq 0 ] && return
  log "installing ${missing[*]}"
  apt-get update -qq
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq "${missing[@]}" >/dev/null
}

# Whether the root namespace has the `unreachable` route for the bed's range.
unreachable_route() {
  ip route show type unreachable | awk '{print $2}' | grep -xF "$bed_range" >/dev/null
}

# The bridge, the namespaces and their veths, the route and the FORWARD rule.
setup_network() {
  local n ns veth
  if ! ip link show "$bridge" >/dev/null 2>&1; then
    log "making the bridge $bridge ($bridge_cidr)"
    ip link add "$bridge" type bridge
  fi
  # grep without -q reads to the end: under pipefail, ip must not die of SIGPIPE.
  ip -4 addr show dev "$bridge" | grep -F "inet $bridge_cidr " >/dev/null || ip addr add "$bridge_cidr" dev "$bridge"
  ip link set "$bridge" up
  unreachable_route || ip route add unreachable "$bed_range"
  iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null ||
    iptables -I FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
  for n in $(seq "$engines"); do
    ns=$(netns "$n")
    veth=cs-veth$n
    # A namespace file that is no longer a namespace (left from before a reboot: /run is not a
    # tmpfs here) is made again.
    if ! nsenter --net="$(netns_file "$n")" true 2>/dev/null; then
      log "making the network namespace $ns ($(address "$n"))"
      rm -f "$(netns_file "$n")"
      ip netns add "$ns"
    fi
    if ! ip link show "$veth" >/dev/null 2>&1; then
      ip link add "$veth" type veth peer name eth0 netns "$ns"
    fi
    ip link set "$veth" master "$bridge" up
    in_netns "$n" ip link set lo up
    in_netns "$n" ip link set eth0 up
    in_netns "$n" ip -4 addr show dev eth0 | grep -F "inet $(address "$n")/24 " >/dev/null ||
      in_netns "$n" ip addr add "$(address "$n")/24" dev eth0
  done
}

# Whether the registry answers (401: it wants credentials) on $registry in engine N's namespace.
registry_answers() {
  [ "$(in_netns "$1" curl -s -o /dev/null -w '%{http_code}' "http://$registry/v2/")" = 401 ]
}

# The root half of the registry forward: $run_dir/registry.sock to the registry.
start_registry_forward() {
  local pid_file="$engines_dir/registry-forward.pid" n pid
  if running "$pid_file" "UNIX-LISTEN:$run_dir/registry.sock" >/dev/null; then
    log "the registry forward already listens on $run_dir/registry.sock"
  else
    log "forwarding $run_dir/registry.sock to the registry $registry"
    setsid nohup socat -d "UNIX-LISTEN:$run_dir/registry.sock,fork,unlink-early,mode=600" \
      "TCP:$registry" >"$engines_dir/registry-forward.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
  fi
  # The namespace halves: 127.0.0.1:5000 in each namespace to that socket.
  for n in $(seq "$engines"); do
    pid_file="$(engine_dir "$n")/registry-forward.pid"
    if pid=$(running "$pid_file" "UNIX-CONNECT:$run_dir/registry.sock"); then
      in_engine_netns "$pid" "$n" && continue
      stop "$pid" "the registry forward of an old $(netns "$n")"
    fi
    log "forwarding $registry in $(netns "$n") to the registry"
    setsid nohup nsenter --net="$(netns_file "$n")" socat -d \
      "TCP-LISTEN:${registry##*:},bind=${registry%:*},reuseaddr,fork" "UNIX-CONNECT:$run_dir/registry.sock" \
      >"$(engine_dir "$n")/registry-forward.log" 2>&1 </dev/null &
    echo $! >"$pid_file"
  done
  for n in $(seq "$engines"); do
    if ! wait_for 20 registry_answers "$n"; then
      tail -n 20 "$engines_dir/registry-forward.log" "$(engine_dir "$n")/registry-forward.log" >&2
      echo "the registry does not answer on $registry in $(netns "$n")" >&2
      exit 1
    fi
  done
}

# Engine N's daemon.json: everything dockerd is told. --config-file alone is on its command line.
daemon_json() {
  local n=$1 dir slot
  dir=$(engine_dir "$n")
  # Engines 1 to 3 have address ranges of their own below the swarm's pool; the benchmark's extra
  # engines reuse those three slots, which their network namespaces keep apart.
  slot=$(((n - 1) % 3 + 1))
  cat <<EOF
{
  "hosts": ["unix://$(socket "$n")"],
  "data-root": "$dir/docker",
  "exec-root": "$run_dir/engine-$n.exec",
  "pidfile": "$dir/dockerd.pid",
  "deprecated-key-path": "$dir/key.json",
  "bip": "10.213.$((32 * slot)).1/24",
  "default-address-pools": [{ "base": "10.213.$((32 * slot + 16)).0/20", "size": 24 }],
  "userland-proxy": false,
  "cgroup-parent": "/container-ship-engine-$n",
  "log-driver": "json-file",
  "log-opts": { "max-size": "1m", "max-file": "2" }
}
EOF
}

# dockerd N in namespace N. --userland-proxy=false as for the main engine: a published port is
# reached through iptables DNAT, as outside clients reach a real host.
start_engine() {
  local n=$1 dir config pid changed=false containerd_pid
  dir=$(engine_dir "$n")
  config="$dir/daemon.json"
  containerd_pid="$run_dir/engine-$n.exec/containerd/containerd.pid"
  mkdir -p "$dir" "$run_dir/engine-$n"
  chmod 755 "$run_dir/engine-$n"
  daemon_json "$n" | write_if_changed "$config" && changed=true
  if pid=$(running "$dir/dockerd.pid" "$config"); then
    if ! in_engine_netns "$pid" "$n"; then
      log "engine $n's dockerd ($pid) runs in an old $(netns "$n"): stopping it"
    elif ! $changed && wait_for 30 engine "$n" version --format '{{.Server.Version}}'; then
      log "engine $n already answers on $(socket "$n")"
      return
    else
      log "engine $n's daemon.json changed (or it does not answer): stopping its dockerd ($pid)"
    fi
    stop "$pid" "dockerd $n"
  fi
  log "starting engine $n in $(netns "$n") on $(socket "$n")"
  # A stale pid file whose pid now names another process would stop dockerd from starting.
  rm -f "$dir/dockerd.pid"
  # The same for the containerd dockerd starts and, when its pid is alive, reuses: one that died
  # with its dockerd (it gets SIGKILL then) can be a zombie for a while, which dockerd takes for a
  # live containerd, waiting for its socket until "timeout waiting for containerd to start".
  # A zombie's command line is empty.
  running "$containerd_pid" "$run_dir/engine-$n.exec/containerd" >/dev/null || rm -f "$containerd_pid"
  # shellcheck disable=SC2016 # $1 and $2 are the inner shell's
  setsid nohup nsenter --net="$(netns_file "$n")" unshare --uts \
    sh -c 'hostname "$1" && exec /usr/sbin/dockerd --config-file "$2"' sh "$(netns "$n")" "$config" \
    >>"$dir/dockerd.log" 2>&1 </dev/null &
  if ! wait_for 60 engine "$n" version --format '{{.Server.Version}}'; then
    tail -n 30 "$dir/dockerd.log" >&2
    echo "engine $n did not start (log: $dir/dockerd.log)" >&2
    exit 1
  fi
}

# The docker CLI on engine N through its sshd (the `ssh` wrapper first on PATH).
ssh_engine() {
  local n=$1
  shift
  PATH="$engines_dir/bin:$PATH" DOCKER_HOST="ssh://$ssh_user@$(address "$n"):$ssh_port" docker "$@"
}

# The ssh client side, shared by the engines: known_hosts, a config and the `ssh` wrapper.
write_ssh_client() {
  local n
  mkdir -p "$engines_dir/bin"
  for n in $(seq "$engines"); do
    echo "$(address "$n") $(cut -d' ' -f1,2 "$(engine_dir "$n")/ssh_host_ed25519_key.pub")"
  done | write_if_changed "$engines_dir/known_hosts" || true
  write_if_changed "$engines_dir/ssh_config" <<EOF || true
Host $(for n in $(seq "$engines"); do printf '%s ' "$(address "$n")"; done)
  Port $ssh_port
  User $ssh_user
  IdentityFile $ssh_key
  IdentitiesOnly yes
  UserKnownHostsFile $engines_dir/known_hosts
  GlobalKnownHostsFile /dev/null
  StrictHostKeyChecking yes
  BatchMode yes
  ConnectTimeout 10
EOF
  printf '#!/bin/sh\nexec /usr/bin/ssh -F %s "$@"\n' "$engines_dir/ssh_config" |
    write_if_changed "$engines_dir/bin/ssh" || true
  chmod 755 "$engines_dir/bin/ssh"
}

# sshd N: in namespace N, and in a private mount namespace with $run_dir/engine-N over /run.
# That folder also holds sshd's privilege separation folder (/run/sshd), which the bind hides.
start_sshd() {
  local n=$1 dir config pid changed=false root
  dir=$(engine_dir "$n")
  config="$dir/sshd_config"
  root="$run_dir/engine-$n"
  [ -s "$dir/ssh_host_ed25519_key" ] ||
    ssh-keygen -q -t ed25519 -N '' -C "container-ship-testbed-$(netns "$n")" -f "$dir/ssh_host_ed25519_key"
  chmod 600 "$dir/ssh_host_ed25519_key"
  install -d -m 755 "$root/sshd"
  write_if_changed "$config" <<EOF && changed=true
# The sshd of the container-ship test bed's engine $n: /var/run/docker.sock is that engine's.
ListenAddress $(address "$n"):$ssh_port
HostKey $dir/ssh_host_ed25519_key
PidFile $dir/sshd.pid
AllowUsers $ssh_user
PermitRootLogin no
AuthenticationMethods publickey
PasswordAuthentication no
KbdInteractiveAuthentication no
UsePAM no
AuthorizedKeysFile .ssh/authorized_keys
LogLevel VERBOSE
EOF
  if pid=$(running "$dir/sshd.pid" "$config"); then
    # /proc/PID/root is the process's view of the file system: its /run must be $root.
    if ! in_engine_netns "$pid" "$n" ||
      [ "$(stat -c %d:%i "/proc/$pid/root/run")" != "$(stat -c %d:%i "$root")" ]; then
      log "sshd $n ($pid) is not in $(netns "$n") or does not see engine $n's folder as /run: stopping it"
      stop "$pid" "sshd $n"
    elif $changed; then
      log "sshd $n's config changed: reloading it ($pid)"
      /usr/sbin/sshd -t -f "$config"
      kill -HUP "$pid"
      sleep 1
    else
      log "sshd $n already runs on $(address "$n"):$ssh_port"
    fi
  fi
  if ! running "$dir/sshd.pid" "$config" >/dev/null; then
    log "starting sshd $n on $(address "$n"):$ssh_port"
    /usr/sbin/sshd -t -f "$config"
    rm -f "$dir/sshd.pid"
    # shellcheck disable=SC2016 # $1, $2 and $3 are the inner shell's
    nsenter --net="$(netns_file "$n")" unshare --mount --propagation private \
      sh -c 'mount --bind "$1" /run && exec /usr/sbin/sshd -f "$2" -E "$3"' \
      sh "$root" "$config" "$dir/sshd.log"
  fi
}

# Whether engine N's ssh:// host answers with the engine ID $2.
ssh_engine_is() {
  [ "$(ssh_engine "$1" info --format '{{.ID}}')" = "$2" ]
}

# Each engine answers over ssh:// as itself: the same ID as on its socket.
check_ssh() {
  local n id
  for n in $(seq "$engines"); do
    id=$(engine "$n" info --format '{{.ID}}')
    if ! wait_for 20 ssh_engine_is "$n" "$id"; then
      ssh_engine "$n" info --format '{{.ID}}' >&2 || true
      tail -n 20 "$(engine_dir "$n")/sshd.log" >&2
      echo "ssh://$ssh_user@$(address "$n"):$ssh_port does not reach engine $n ($id)" >&2
      exit 1
    fi
  done
}

# Whether the manager sees the node $1 ready.
node_ready() {
  [ "$(engine 1 node inspect --format '{{.Status.State}}' "$1")" = ready ]
}

# Whether the manager lists as many Ready nodes as there are engines.
all_nodes_ready() {
  [ "$(engine 1 node ls --format '{{.Status}}' | grep -cx Ready)" = "$swarm_size" ]
}

# Engine 1 the manager, 2 and 3 workers; nodes of another cluster or left behind are dropped.
setup_swarm() {
  local n state node manager_address token want ready
  manager_address=$(address 1)
  state=$(engine 1 info --format '{{.Swarm.LocalNodeState}}/{{.Swarm.ControlAvailable}}')
  if [ "$state" != active/true ]; then
    [ "${state%/*}" = inactive ] || engine 1 swarm leave --force >/dev/null
    log "making engine 1 the manager of a new swarm ($manager_address:2377, overlays in $swarm_pool)"
    engine 1 swarm init --advertise-addr "$manager_address" --listen-addr "$manager_address:2377" \
      --default-addr-pool "$swarm_pool" --default-addr-pool-mask-length 24 >/dev/null
  fi
  token=$(engine 1 swarm join-token -q worker)
  for n in $(seq 2 "$swarm_size"); do
    state=$(engine "$n" info --format '{{.Swarm.LocalNodeState}}')
    node=$(engine "$n" info --format '{{.Swarm.NodeID}}')
    # A worker whose dockerd just started again is "pending" until it reaches the manager.
    if [ "$state" != inactive ] && [ -n "$node" ] &&
      wait_for 30 node_ready "$node"; then
      continue
    fi
    [ "$state" = inactive ] || engine "$n" swarm leave --force >/dev/null
    log "joining engine $n to the swarm as a worker"
    engine "$n" swarm join --token "$token" --advertise-addr "$(address "$n")" \
      --listen-addr "$(address "$n"):2377" "$manager_address:2377" >/dev/null
  done
  want=$(for n in $(seq "$swarm_size"); do engine "$n" info --format '{{.Swarm.NodeID}}'; done)
  for node in $(engine 1 node ls --quiet); do
    if ! grep -qx "$node" <<<"$want"; then
      log "removing the node $node, which is none of the engines"
      engine 1 node rm --force "$node" >/dev/null
    fi
  done
  for n in $(seq "$swarm_size"); do
    node=$(engine "$n" info --format '{{.Swarm.NodeID}}')
    [ "$(engine 1 node inspect --format '{{index .Spec.Labels "container-ship.testbed.engine"}}' "$node")" = "$n" ] ||
      engine 1 node update --label-add "container-ship.testbed.engine=$n" "$node" >/dev/null
  done
  if ! wait_for 60 all_nodes_ready; then
    engine 1 node ls >&2
    echo "the swarm does not have $swarm_size Ready nodes" >&2
    exit 1
  fi
  ready=$(engine 1 node ls --format '{{.Hostname}}' | sort | tr '\n' ' ')
  log "swarm: $ready"
}

# The config digest of IMAGE (127.0.0.1:5000/repo:tag) in the registry: the image ID it pulls as.
registry_config_digest() {
  local image=$1 path
  path=${image#*/}
  printf 'user = "%s:%s"\n' "$registry_user" "$registry_password" |
    curl -sf -K - -H 'Accept: application/vnd.docker.distribution.manifest.v2+json' \
      "http://$registry/v2/${path%:*}/manifests/${path##*:}" |
    grep -A3 '"config"' | grep -o 'sha256:[0-9a-f]*' | head -n1 || true
}

# The images the engines need, pushed from the main engine under $registry and pulled on each
# engine (with the registry's credentials in a private docker config). Pushed and pulled again
# only when the registry or an engine holds another image under that name.
publish_images() {
  local image target id n
  config_dir=$(mktemp -d)
  printf '{"auths":{"%s":{"auth":"%s"}}}\n' "$registry" \
    "$(printf '%s:%s' "$registry_user" "$registry_password" | base64 -w0)" >"$config_dir/config.json"
  for image in "$base_image" "$nginx_image"; do
    target="$registry/$image"
    id=$(docker image inspect --format '{{.Id}}' "$image")
    if [ "$(registry_config_digest "$target")" = "$id" ]; then
      log "$target already pushed"
    else
      log "pushing $image to $target"
      docker tag "$image" "$target"
      DOCKER_CONFIG=$config_dir docker push --quiet "$target" >/dev/null
    fi
    for n in $(seq "$engines"); do
      if [ "$(engine "$n" image inspect --format '{{.Id}}' "$target" 2>/dev/null || true)" != "$id" ]; then
        log "pulling $target on engine $n"
        DOCKER_CONFIG=$config_dir engine "$n" pull --quiet "$target" >/dev/null
      fi
      # Also under the main engine's name, for Compose files written for the main engine.
      [ "$(engine "$n" image inspect --format '{{.Id}}' "$image" 2>/dev/null || true)" = "$id" ] ||
        engine "$n" tag "$target" "$image"
    done
  done
  rm -rf "$config_dir"
  config_dir=''
}

# The engine lines of testbed.env, in place of an earlier run's.
write_env() {
  local n tmp
  tmp=$(mktemp "$state/testbed.env.XXXXXX")
  grep -vE '^TESTBED_(ENGINES=|ENGINES_|ENGINE_|SWARM_)' "$state/testbed.env" >"$tmp" || true
  {
    echo "TESTBED_ENGINES=$engines"
    for n in $(seq "$engines"); do
      echo "TESTBED_ENGINE_${n}_SOCKET=unix://$(socket "$n")"
      echo "TESTBED_ENGINE_${n}_ADDRESS=$(address "$n")"
      echo "TESTBED_ENGINE_${n}_SSH_HOST=ssh://$ssh_user@$(address "$n"):$ssh_port"
      echo "TESTBED_ENGINE_${n}_HOSTNAME=$(netns "$n")"
    done
    echo "TESTBED_ENGINES_KNOWN_HOSTS_FILE=$engines_dir/known_hosts"
    echo "TESTBED_ENGINES_SSH_CONFIG_FILE=$engines_dir/ssh_config"
    echo "TESTBED_ENGINES_SSH_PATH=$engines_dir/bin"
    echo "TESTBED_ENGINES_REGISTRY=$registry"
    echo "TESTBED_ENGINES_BASE_IMAGE=$registry/$base_image"
    echo "TESTBED_ENGINES_NGINX_IMAGE=$registry/$nginx_image"
    echo "TESTBED_SWARM_MANAGER_SOCKET=unix://$(socket 1)"
    echo "TESTBED_SWARM_MANAGER_ADDRESS=$(address 1)"
  } >>"$tmp"
  chmod 644 "$tmp"
  mv "$tmp" "$state/testbed.env"
}

# Engine N's sshd, dockerd and registry forward stopped, its namespace removed (data kept).
stop_engine() {
  local n=$1 pid
  pid=$(running "$(engine_dir "$n")/sshd.pid" "$(engine_dir "$n")/sshd_config") && stop "$pid" "sshd $n"
  pid=$(running "$(engine_dir "$n")/dockerd.pid" "$(engine_dir "$n")/daemon.json") && stop "$pid" "dockerd $n"
  # dockerd bind-mounts its data root onto itself and undoes it when it stops, but not when it
  # was killed: such a mount is left behind.
  while mountpoint -q "$(engine_dir "$n")/docker"; do
    umount "$(engine_dir "$n")/docker"
  done
  pid=$(running "$(engine_dir "$n")/registry-forward.pid" "UNIX-CONNECT:$run_dir/registry.sock") &&
    stop "$pid" "registry forward $n"
  if [ -e "$(netns_file "$n")" ]; then
    ip netns delete "$(netns "$n")" 2>/dev/null || rm -f "$(netns_file "$n")"
  fi
  return 0
}

# Everything up stopped and removed, but the engines' data (images, swarm state) and keys.
down() {
  local n pid
  # Every engine an earlier run started, however many it was asked for.
  for n in $(seq "$max_engines"); do
    [ ! -d "$(engine_dir "$n")" ] || stop_engine "$n"
  done
  pid=$(running "$engines_dir/registry-forward.pid" "UNIX-LISTEN:$run_dir/registry.sock") &&
    stop "$pid" "registry forward"
  ! ip link show "$bridge" >/dev/null 2>&1 || ip link delete "$bridge"
  ! unreachable_route || ip route del unreachable "$bed_range"
  while iptables -C FORWARD -i "$bridge" -o "$bridge" -j ACCEPT 2>/dev/null; do
    iptables -D FORWARD -i "$bridge" -o "$bridge" -j ACCEPT
  done
  [ ! -f "$state/testbed.env" ] || {
    grep -vE '^TESTBED_(ENGINES=|ENGINES_|ENGINE_|SWARM_)' "$state/testbed.env" >"$state/testbed.env.down" || true
    mv "$state/testbed.env.down" "$state/testbed.env"
  }
  log "engines stopped, namespaces and bridge removed (data kept in $engines_dir)"
}

if [ "${1:-}" = down ]; then
  down
  exit 0
fi

if [ ! -s "$state/testbed.env" ]; then
  echo "$state/testbed.env is missing: run scripts/testbed.sh (it runs this script at its end)" >&2
  exit 1
fi
registry=$(bed_value TESTBED_REGISTRY)
registry_user=$(bed_value TESTBED_REGISTRY_USER)
registry_password=$(cat "$(bed_value TESTBED_REGISTRY_PASSWORD_FILE)")
base_image=$(bed_value TESTBED_BASE_IMAGE)
nginx_image=$(bed_value TESTBED_NGINX_IMAGE)
ssh_key=$(bed_value TESTBED_SSH_KEY_FILE)
config_dir=''
trap '[ -z "$config_dir" ] || rm -rf "$config_dir"' EXIT

start=$SECONDS
install_packages
# Engines an earlier run started beyond the number asked for now (the benchmark's) are stopped.
for n in $(seq $((engines + 1)) "$max_engines"); do
  [ ! -d "$(engine_dir "$n")" ] || stop_engine "$n"
done
mkdir -p "$engines_dir" "$run_dir"
chmod 700 "$engines_dir"
for n in $(seq "$engines"); do
  mkdir -p "$(engine_dir "$n")"
done
setup_network
start_registry_forward
for n in $(seq "$engines"); do
  start_engine "$n"
done
for n in $(seq "$engines"); do
  start_sshd "$n"
done
write_ssh_client
check_ssh
setup_swarm
publish_images
write_env
log "ready in $((SECONDS - start)) s: $engines engines, a swarm managed by engine 1 ($state/testbed.env)"
