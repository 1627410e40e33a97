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
# The core again under AddressSanitizer + UndefinedBehaviorSanitizer (clang), and a bounded run
# of every libFuzzer target over its checked-in corpus.
CC=clang CXX=clang++ cmake -S . -B build-fuzz -G Ninja -DDM_FUZZ=ON -DCMAKE_BUILD_TYPE=RelWithDebInfo >/dev/null
cmake --build build-fuzz -j"$(nproc)"
ctest --test-dir build-fuzz --output-on-failure --timeout 900 -j"$(nproc)"
