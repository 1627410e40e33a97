#!/bin/sh
# Runs the fuse sidecar next to the application wrapper inside the application's container.
# Kubernetes shares a FUSE mount between containers only through Bidirectional mount
# propagation, which it allows to privileged containers alone; mounting in the application's
# own mount namespace needs just /dev/fuse and CAP_SYS_ADMIN (docker/README.md explains).
# Ships in the wrapper image next to the self-contained datamon (/opt/datamon/bin).
#
# Usage: with-fuse-sidecar FUSE_CONFIG -- WRAP_ARGS...
#   e.g. with-fuse-sidecar /etc/datamon/sidecar/fuse.yaml -- --coord /coord --fuse -- app args
# SIGTERM and SIGINT go to both. Exits with the wrapper's status (the application's, or the
# failure it reports), or with the sidecar's when only the sidecar failed.
set -eu

usage() {
  echo "usage: with-fuse-sidecar FUSE_CONFIG -- WRAP_ARGS..." >&2
  exit 2
}
[ "$#" -ge 2 ] || usage
[ "$2" = "--" ] || usage
config=$1
shift 2
datamon="$(dirname "$0")/datamon"
grace_seconds=${DATAMON_SIDECAR_GRACE_SECONDS:-60}

# Group-writable signal folders: the pg sidecar runs as another user (same fsGroup).
umask 0002

"$datamon" sidecar fuse --config "$config" &
fuse_pid=$!
"$datamon" wrap "$@" &
wrap_pid=$!

trap 'kill -s TERM "$wrap_pid" "$fuse_pid" 2>/dev/null || true' TERM
trap 'kill -s INT "$wrap_pid" "$fuse_pid" 2>/dev/null || true' INT

# `wait` returns early (status > 128) when a trapped signal arrives; a child that is still
# there (alive, or a zombie not yet reaped) is waited for again.
wait_for() {
  while :; do
    status=0
    wait "$1" || status=$?
    if [ "$status" -gt 128 ] && kill -0 "$1" 2>/dev/null; then
      continue
    fi
    return "$status"
  done
}

wrap_status=0
wait_for "$wrap_pid" || wrap_status=$?

# The wrapper has let the sidecar finish; a sidecar still there after the grace period is
# stopped so that the pod ends. Polled from this shell: a timer subshell killed right after
# its fork can survive, holding the pod open.
alive() {
  # A child that exited but is not yet reaped is a zombie (state Z): not alive.
  [ -r "/proc/$1/stat" ] || return 1
  read -r _ _ state _ <"/proc/$1/stat" || return 1
  [ "$state" != Z ]
}
waited=0
while alive "$fuse_pid" && [ "$waited" -lt "$grace_seconds" ]; do
  sleep 1
  waited=$((waited + 1))
done
if alive "$fuse_pid"; then
  echo "with-fuse-sidecar: the fuse sidecar is still running ${grace_seconds}s after the wrapper; stopping it" >&2
  kill -s TERM "$fuse_pid" 2>/dev/null || true
fi
fuse_status=0
wait_for "$fuse_pid" || fuse_status=$?

if [ "$wrap_status" -ne 0 ]; then
  exit "$wrap_status"
fi
if [ "$fuse_status" -ne 0 ]; then
  echo "with-fuse-sidecar: the fuse sidecar exited with status $fuse_status" >&2
fi
exit "$fuse_status"
