#!/usr/bin/env bash
# Sets up a fresh Debian 12 machine, builds, and runs every test suite (what .ci/run runs).
# Object servers (Ceph RGW, the GCS emulator), PostgreSQL and FUSE mounts are started and
# stopped by the tests' own ctest fixtures. Run as root (FUSE mounts; PostgreSQL runs as a
# non-root user that the tests create).
set -euo pipefail
cd "$(dirname "$0")/.."
WITH_OBJECT_SERVERS=1 bash scripts/install-deps.sh
bash scripts/build.sh
ctest --test-dir build --output-on-failure --timeout 900 "$@"
