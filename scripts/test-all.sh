#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test suite (what .ci/run runs).
# Object servers (Ceph RGW, the GCS emulator), PostgreSQL and FUSE mounts are started and
# stopped by the tests' own ctest fixtures. Run as root (FUSE mounts; PostgreSQL runs as a
# non-root user that the tests create). Arguments go to ctest; with any, the container stage
# is left out (DM_DOCKER_STAGE=0 leaves it out too, =1 keeps it).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_OBJECT_SERVERS=1 WITH_OLD_POSTGRES=1 bash scripts/install-deps.sh
bash scripts/build.sh

# The container stage (the images built from this tree, the Kubernetes pods under podman; runnable
# alone as `bash tests/docker/run.sh`) runs beside the suites below: it is mostly package
# downloads, one compile and waits on pods, while the suites mostly wait on mounts, servers and
# PostgreSQL, so together they fit the CI budget that one after the other would not. Its output
# goes to a log printed when it ends.
docker_stage=${DM_DOCKER_STAGE:-$([ $# -eq 0 ] && echo 1 || echo 0)}
docker_pid=
if [ "$docker_stage" = 1 ]; then
  docker_log=$(mktemp /var/tmp/datamon-docker-stage.XXXXXX.log)
  echo "test-all: container stage started in the background (log: $docker_log)"
  bash tests/docker/run.sh >"$docker_log" 2>&1 &
  docker_pid=$!
  # An interrupted run takes the stage with it (it removes what it made when it ends).
  trap '[ -z "$docker_pid" ] || kill -TERM "$docker_pid" 2>/dev/null || true' EXIT
fi

status=0
# Without arguments, everything but the clang-tidy run (label tidy: 10-25 min here, beyond the
# CI budget for now; `ctest --test-dir build -L tidy` runs it).
[ $# -gt 0 ] || set -- -LE '^tidy$'
ctest --test-dir build --output-on-failure --timeout 900 "$@" || status=$?
# Sanitizers and fuzzing (owned by reliability): the core, CLI and mount suites again under
# clang ASan+UBSan, a bounded run of every libFuzzer target over its checked-in corpus, and
# ThreadSanitizer on the block cache and mount tests. See tests/reliability/sanitizers.sh.
bash tests/reliability/sanitizers.sh all || status=$?

if [ -n "$docker_pid" ]; then
  docker_status=0
  wait "$docker_pid" || docker_status=$?
  docker_pid=
  echo "test-all: container stage (tests/docker/run.sh) ended with status $docker_status; its log:"
  grep -v '^\[[0-9]*/[0-9]*\]\|^Copying \|^Writing manifest\|^Storing signatures' "$docker_log" | tail -n 60
  [ "$docker_status" = 0 ] || status=$docker_status
fi
exit "$status"
