#!/usr/bin/env bash
# The sanitizer part of CI (scripts/test-all.sh runs it after the main suites):
#  1. clang, AddressSanitizer + UndefinedBehaviorSanitizer (-fno-sanitize-recover): the core,
#     stores and mount suites (unit and integration: real RGW and GCS emulator, real FUSE
#     mounts served by the ASan-built CLI), then every libFuzzer target over its corpus for
#     DM_FUZZ_SECONDS each. The cli suite stays in the main build only (not even built here):
#     its 200 kill -9 runs took 3.6 minutes under ASan and exercise the same code.
#  2. clang, ThreadSanitizer: the block cache and mount tests (test_fusefs), with the mount
#     served by a TSan-built `datamon bundle mount`. Races are written to build-tsan/tsan/
#     and fail the step.
# Usage: tests/reliability/sanitizers.sh [asan|tsan|all]   (from anywhere; default all)
# Build folders: ${ASAN_BUILD_DIR:-build-fuzz} and ${TSAN_BUILD_DIR:-build-tsan}.
set -euo pipefail
cd "$(dirname "$0")/../.."
what=${1:-all}
jobs=$(nproc)
# -O1 and line tables only: sanitizer builds compile about twice as fast as -O2 -g, and
# reports still name file and line. Unity builds (a few sources per compiler run): these two
# builds compile the whole tree twice more on the CI's two cores, where parsing the same
# headers in every source was most of their time. The main build (scripts/build.sh) stays one
# source per compiler run, so a source that misses an include still fails there.
flags=(-G Ninja -DCMAKE_BUILD_TYPE=RelWithDebInfo -DCMAKE_CXX_FLAGS_RELWITHDEBINFO="-O1 -gline-tables-only -DNDEBUG"
       -DCMAKE_C_COMPILER=clang -DCMAKE_CXX_COMPILER=clang++ -DDM_WERROR=ON -DCMAKE_UNITY_BUILD=ON)

if [ "$what" = asan ] || [ "$what" = all ]; then
  dir=${ASAN_BUILD_DIR:-build-fuzz}
  cmake -S . -B "$dir" "${flags[@]}" -DDM_FUZZ=ON >/dev/null
  cmake --build "$dir" -j"$jobs" --target datamon test_common test_stores test_fusefs dm_fuzzers
  # Leak checks stay on; a child killed by the crash tests never reaches its leak check.
  export ASAN_OPTIONS=${ASAN_OPTIONS:-detect_leaks=1:abort_on_error=0:halt_on_error=1}
  export UBSAN_OPTIONS=${UBSAN_OPTIONS:-print_stacktrace=1:halt_on_error=1}
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$jobs" -L '^(common|stores|fusefs|fuzz)$'
fi

if [ "$what" = tsan ] || [ "$what" = all ]; then
  dir=${TSAN_BUILD_DIR:-build-tsan}
  cmake -S . -B "$dir" "${flags[@]}" -DDM_SANITIZE=thread >/dev/null
  cmake --build "$dir" -j"$jobs" --target datamon test_fusefs
  rm -rf "$dir/tsan" && mkdir -p "$dir/tsan"
  # Reports go to files (the mount runs as a child whose stderr the tests capture), one per
  # process; the step fails if any was written.
  export TSAN_OPTIONS="log_path=$PWD/$dir/tsan/report halt_on_error=0 second_deadlock_stack=1"
  status=0
  ctest --test-dir "$dir" --output-on-failure --timeout 900 -j"$jobs" -L '^fusefs$' || status=$?
  if compgen -G "$dir/tsan/report*" >/dev/null; then
    echo "ThreadSanitizer reports:" >&2
    grep -h -A12 "^WARNING: ThreadSanitizer" "$dir"/tsan/report* | head -200 >&2
    echo "($(cat "$dir"/tsan/report* | grep -c '^WARNING: ThreadSanitizer') reports in $dir/tsan)" >&2
    status=1
  fi
  exit $status
fi
