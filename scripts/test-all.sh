#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test suite (what .ci/run runs).
# Object servers (Ceph RGW, the GCS emulator), PostgreSQL and FUSE mounts are started and
# stopped by the tests' own ctest fixtures. Run as root (FUSE mounts; PostgreSQL runs as a
# non-root user that the tests create). Arguments go to ctest; with any, the container stage
# is left out (DM_DOCKER_STAGE=0 leaves it out too, =1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_OBJECT_SERVERS=1 WITH_OLD_POSTGRES=1 bash scripts/install-deps.sh
# A unity build (a few sources per compiler run): on a fresh 2-core machine it compiles in about a
# third of the time, and every source is still parsed alone by the clang-tidy stage below (see
# clang_tidy_check in tests/CMakeLists.txt). scripts/build.sh alone builds one source per run.
CMAKE_ARGS="-DCMAKE_UNITY_BUILD=ON ${CMAKE_ARGS:-}" bash scripts/build.sh

# Two stages run in the background, one after the other, beside the suites below: the container
# stage (the images built from this tree, the Kubernetes pods under podman; runnable alone as
# `bash tests/docker/run.sh`), then clang-tidy over every source (`ctest --test-dir build -L tidy`).
# The suites mostly wait on mounts, servers and PostgreSQL, so together they fit the CI budget that
# one after the other would not. Each writes a log printed when it ends. With ctest arguments both
# are left out (DM_DOCKER_STAGE and DM_TIDY_STAGE =0/1 decide otherwise).
default_stage=$([ $# -eq 0 ] && echo 1 || echo 0)
docker_stage=${DM_DOCKER_STAGE:-$default_stage}
tidy_stage=${DM_TIDY_STAGE:-$default_stage}
stage_dir=$(mktemp -d /var/tmp/datamon-stages.XXXXXX)
# run_stage NAME COMMAND...: runs COMMAND into $stage_dir/NAME.log, then writes its status and
# its seconds into $stage_dir/NAME.status.
run_stage() {
  local name=$1 start=$SECONDS rc=0
  shift
  "$@" >"$stage_dir/$name.log" 2>&1 || rc=$?
  echo "$rc $((SECONDS - start))" >"$stage_dir/$name.status"
}
background_pid=
if [ "$docker_stage" = 1 ] || [ "$tidy_stage" = 1 ]; then
  echo "test-all: background stages started (logs in $stage_dir)"
  (
    [ "$docker_stage" = 0 ] || run_stage containers bash tests/docker/run.sh
    [ "$tidy_stage" = 0 ] || run_stage clang-tidy ctest --test-dir build --output-on-failure --no-tests=error -L tidy
  ) &
  background_pid=$!
  # An interrupted run takes the stages with it (the container stage removes what it made).
  trap '[ -z "$background_pid" ] || pkill -TERM -P "$background_pid" 2>/dev/null || true' EXIT
fi

status=0
suites_start=$SECONDS
# Without arguments, everything but the clang-tidy run (label tidy), which runs in the background.
[ $# -gt 0 ] || set -- -LE '^tidy$'
ctest --test-dir build --output-on-failure --timeout 900 "$@" || status=$?
echo "test-all: ctest took $((SECONDS - suites_start)) s"
# The README's first command as a user runs it (its install and build steps find their work done):
# a context, an upload with a label, list, download, mount and read on a local folder store.
if [ "$default_stage" = 1 ]; then
  demo_dir=$(mktemp -d /var/tmp/datamon-demo.XXXXXX)
  if DEMO_DIR=$demo_dir/work bash scripts/demo.sh >"$demo_dir/demo.log" 2>&1; then
    echo "test-all: scripts/demo.sh passed"
  else
    status=1
    echo "test-all: scripts/demo.sh failed; its log:"
    tail -n 40 "$demo_dir/demo.log"
    fusermount3 -u "$demo_dir/work/mnt" 2>/dev/null || true
  fi
  rm -rf "$demo_dir"
fi
# Sanitizers and fuzzing (owned by reliability): the core, CLI and mount suites again under
# clang ASan+UBSan, a bounded run of every libFuzzer target over its checked-in corpus, and
# ThreadSanitizer on the block cache and mount tests. See tests/reliability/sanitizers.sh.
sanitizers_start=$SECONDS
bash tests/reliability/sanitizers.sh all || status=$?
echo "test-all: sanitizers took $((SECONDS - sanitizers_start)) s"

if [ -n "$background_pid" ]; then
  wait "$background_pid" || true
  background_pid=
  for name in containers clang-tidy; do
    case $name in containers) [ "$docker_stage" = 1 ] || continue ;; clang-tidy) [ "$tidy_stage" = 1 ] || continue ;; esac
    [ -f "$stage_dir/$name.status" ] || echo "1 0" >"$stage_dir/$name.status"  # killed before it ended
    read -r stage_status stage_seconds <"$stage_dir/$name.status"
    echo "test-all: $name stage ended with status $stage_status after $stage_seconds s; its log:"
    grep -v '^\[[0-9]*/[0-9]*\]\|^Copying \|^Writing manifest\|^Storing signatures' "$stage_dir/$name.log" 2>/dev/null | tail -n 60 || true
    [ "$stage_status" = 0 ] || status=$stage_status
  done
fi
echo "test-all: ended with status $status after $SECONDS s"
exit "$status"
