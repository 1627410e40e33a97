#!/usr/bin/env bash
# Every benchmark in one command: installs what they need (Debian packages), builds, runs each
# bench/ script (each starts its servers on 127.0.0.1 and stops them), and regenerates
# docs/benchmarks.md: machine, exact commands, every table, the targets of the mount, store and
# pg issues as met / not met, and PNG plots under docs/img/.
#
#   scripts/bench.sh [--quick] [--build-dir DIR] [--no-build] [--only "core fuse store pg scale"] [--results DIR]
#     --quick      a smoke run: small data, one run of each, no scale step (under five minutes on an
#                  idle 2-core machine); its figures are not the targets' figures
#     --results    write the results and the report (DIR/benchmarks.md, DIR/img) there instead of
#                  bench/results and docs/, logs under DIR/logs (a smoke run that leaves the
#                  committed figures alone)
#     --build-dir  the build folder to measure (default ./build, or $BUILD_DIR)
#     --no-build   measure what is already built (the CMake target `bench` passes this)
#     --only       run only these steps; the others' last results stay in the report
#
# Each step writes its results under bench/results/ (fuse.json, store.json, pg.json, core.md,
# fuse_scale.txt) and its full output to $BENCH_LOG_DIR (default /var/tmp/dm-bench-logs). A
# step that fails is reported as failed, the others still run. Run as root on an otherwise idle
# machine: page caches are dropped. Benchmarks are never part of the test suite.
set -euo pipefail
cd "$(dirname "$0")/.."
ROOT=$PWD
COMMAND="scripts/bench.sh $*"
QUICK=0 BUILD=1 BUILD_DIR=${BUILD_DIR:-build} ONLY="core fuse store pg scale" RESULTS_ARG=
while [ $# -gt 0 ]; do
  case $1 in
    --quick) QUICK=1; shift ;;
    --build-dir) BUILD_DIR=$2; shift 2 ;;
    --no-build) BUILD=0; shift ;;
    --only) ONLY=$2; shift 2 ;;
    --results) RESULTS_ARG=$2; shift 2 ;;
    *) echo "bench.sh: unknown argument '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" = 0 ] || { echo "bench.sh: run as root (drop_caches, mounts, PostgreSQL as another user)" >&2; exit 1; }
START=$(date +%s)
LOG_DIR=${BENCH_LOG_DIR:-/var/tmp/dm-bench-logs}
RESULTS=$ROOT/bench/results REPORT=docs/benchmarks.md IMG=docs/img PG_MD=$ROOT/bench/pg_results.md
if [ -n "$RESULTS_ARG" ]; then
  mkdir -p "$RESULTS_ARG"
  RESULTS=$(realpath "$RESULTS_ARG") REPORT=$RESULTS/benchmarks.md IMG=$RESULTS/img PG_MD=$RESULTS/pg_results.md
  LOG_DIR=${BENCH_LOG_DIR:-$RESULTS/logs}
fi
mkdir -p "$LOG_DIR" "$RESULTS" "$IMG"

WITH_OBJECT_SERVERS=1 WITH_BENCH_TOOLS=1 bash scripts/install-deps.sh
if [ "$BUILD" = 1 ]; then
  BUILD_DIR=$BUILD_DIR BUILD_TARGETS="datamon store_transfer_bench hash_bench" bash scripts/build.sh
fi
BUILD_DIR=$(realpath "$BUILD_DIR")
[ -x "$BUILD_DIR/bin/datamon" ] || { echo "bench.sh: no datamon in $BUILD_DIR/bin (build first)" >&2; exit 1; }

# Private server instances: the test suite's RGW (7480/3300) and GCS emulator (9199) may run beside.
export RGW_RUN_DIR=/tmp/dm-bench-rgw RGW_PORT=7490 RGW_MON_PORT=3310 GCS_PORT=9299
export MEMSTORE_BYTES=${MEMSTORE_BYTES:-8589934592}
Q=(); [ "$QUICK" = 1 ] && Q=(--quick)
# One RGW for the fuse and store steps (each starts it only if it does not answer, and stops only
# what it started): saves a start-up.
STARTED_RGW=0
stop_rgw() { if [ "$STARTED_RGW" = 1 ]; then bash scripts/servers/rgw.sh stop >/dev/null 2>&1 || true; fi; }
trap stop_rgw EXIT
if [[ " $ONLY " == *" fuse "* || " $ONLY " == *" store "* ]] && \
   ! curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$RGW_PORT/"; then
  bash scripts/servers/rgw.sh start && STARTED_RGW=1
fi
STEPS_TSV=$LOG_DIR/steps.tsv
: > "$STEPS_TSV"

step() {  # name, result file (removed first so a failed step cannot show old figures), command...
  local name=$1 result=$2; shift 2
  [[ " $ONLY " == *" $name "* ]] || return 0
  rm -f "$result"
  echo "== $name: $*"
  local t0 rc
  t0=$(date +%s)
  set +e
  "$@" 2>&1 | tee "$LOG_DIR/$name.log"
  rc=${PIPESTATUS[0]}
  set -e
  local secs=$(( $(date +%s) - t0 ))
  printf '%s\t%s\t%s\t%s\n' "$name" "$rc" "$secs" "$*" >> "$STEPS_TSV"
  echo "== $name: exit $rc after $secs s (log $LOG_DIR/$name.log)"
}

step core "$RESULTS/core.md" env BUILD_DIR="$BUILD_DIR" CORE_RESULTS_MD="$RESULTS/core.md" \
  bash bench/core_transfer.sh "${Q[@]}"
step fuse "$RESULTS/fuse.json" env DM_BENCH_RESULTS="$RESULTS" bash bench/fuse_bench.sh "${Q[@]}" "$BUILD_DIR"
step store "$RESULTS/store.json" env DM_BENCH_STORE_JSON="$RESULTS/store.json" \
  bash bench/store_vs_curl.sh "${Q[@]}" "$BUILD_DIR"
step pg "$RESULTS/pg.json" bash bench/pg_vs_pgbackrest.sh "${Q[@]}" --work /var/tmp/dm-bench-pg \
  --datamon "$BUILD_DIR/bin/datamon" --out "$RESULTS" --md "$PG_MD"
if [ "$QUICK" = 0 ] && [ -f bench/fuse_scale.sh ]; then
  step scale "$RESULTS/fuse_scale.txt" bash bench/fuse_scale.sh "$BUILD_DIR"
  [ -f "$LOG_DIR/scale.log" ] && [[ " $ONLY " == *" scale "* ]] && cp "$LOG_DIR/scale.log" "$RESULTS/fuse_scale.txt"
fi

TOTAL=$(( $(date +%s) - START ))
/usr/bin/python3 bench/report.py --results "$RESULTS" --steps "$STEPS_TSV" --out "$REPORT" \
  --img "$IMG" --command "$COMMAND" --total-seconds "$TOTAL" --build-dir "$BUILD_DIR"
echo "bench: steps (name, exit, seconds):"; cut -f1-3 "$STEPS_TSV" | sed 's/^/  /'
echo "bench: wrote $REPORT; total $(( $(date +%s) - START )) s ($(( ($(date +%s) - START) / 60 )) min)"
