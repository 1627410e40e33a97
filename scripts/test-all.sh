#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test suite (what .ci/run runs).
# Object servers (Ceph RGW, the GCS emulator), PostgreSQL and FUSE mounts are started and
# stopped by the tests' own ctest fixtures. Run as root (FUSE mounts; PostgreSQL runs as a
# non-root user that the tests create).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_OBJECT_SERVERS=1 WITH_OLD_POSTGRES=1 bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900 "$@"
# Sanitizers and fuzzing (owned by reliability): the core, CLI and mount suites again under
# clang ASan+UBSan, a bounded run of every libFuzzer target over its checked-in corpus, and
# ThreadSanitizer on the block cache and mount tests. See tests/reliability/sanitizers.sh.
bash tests/reliability/sanitizers.sh all
# The container stage (the images built from this tree, the Kubernetes pods under podman) runs
# alone as `bash tests/docker/run.sh`; it joins this script once its failure pod passes every
# time (docker/README.md, step 6 of the container stage).
