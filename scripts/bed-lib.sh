# shellcheck shell=bash
# Helpers the test bed scripts share (scripts/testbed.sh, scripts/engines-bed.sh): sourced, not run.

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

# write_if_changed FILE: writes standard input to FILE unless FILE already holds exactly that;
# succeeds only when FILE was written.
write_if_changed() {
  local file=$1 tmp
  tmp=$(mktemp)
  cat >"$tmp"
  if cmp -s "$tmp" "$file"; then
    rm -f "$tmp"
    return 1
  fi
  mv "$tmp" "$file"
}
