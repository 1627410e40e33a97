#!/usr/bin/env bash
# Mount benchmark: `datamon bundle mount` against the same files in a local folder and on tmpfs,
# and against s3fs and `rclone mount` reading the same objects from the same Ceph RGW (our mount
# reads its bundle from that RGW too, and from a local store). Not a test: it prints figures and
# ratios measured in one run and writes bench/results/fuse.json (bench/peers/run.py does the work).
#
#   bench/fuse_bench.sh [--quick] [--runs N] [--cases A,B] [--only FS,FS] [BUILD_DIR=build] [WORK=...]
#     --quick   a smoke run: 32 MiB file, 200 small files, 1 000 entries, one run (about a minute
#               idle); its figures are not the targets' figures
#     default   1 GiB file, 10 000 small files, 100 000 entries, 3 runs
#   Environment (to try the full-size path on less data): DM_FUSE_BIG_MIB, DM_FUSE_SMALL_FILES,
#   DM_FUSE_ENTRIES, DM_FUSE_TTFB_FILES, DM_FUSE_RAND_S (seconds per fio random case),
#   DM_FUSE_CASE_TIMEOUT_S (every case stops after it: default 60, --quick 30; a peer that
#   times out has lost the case and is not tried again), DM_FUSE_SMALL_BUDGET_S (a small-files
#   pass stops after it: default 15, --quick 5).
#   The RGW copies (plain objects, datamon bundle) are made once per tree: a marker object in the
#   bucket dmbench-seeded names the tree's fingerprint, and a later run against the same RGW skips
#   them. Each phase prints its duration ("phase: ..."), and fuse.json keeps them.
#
# Needs root (drop_caches, mount), fio, s3fs, rclone, python3 and the RGW packages (Debian;
# scripts/install-deps.sh with WITH_BENCH_TOOLS=1 WITH_OBJECT_SERVERS=1). Starts a private RGW
# (scripts/servers/rgw.sh on ports 7490/3310, run folder /tmp/dm-bench-rgw) unless one answers
# there, and stops it at the end if it started it. Drops the page cache of the whole machine.
# DM_BENCH_RESULTS: another folder for fuse.json (default bench/results).
set -euo pipefail
HERE=$(cd "$(dirname "$0")" && pwd)
COMMAND="bench/fuse_bench.sh $*"
ARGS=()
while [ $# -gt 0 ]; do
  case $1 in
    --quick) ARGS+=(--quick); shift ;;
    --runs) ARGS+=(--runs "$2"); shift 2 ;;
    --cases) ARGS+=(--cases "$2"); shift 2 ;;
    --only) ARGS+=(--only "$2"); shift 2 ;;
    -*) echo "fuse_bench.sh: unknown option '$1' (see the head of $0)" >&2; exit 2 ;;
    *) break ;;
  esac
done
BUILD=$(realpath "${1:-$HERE/../build}")
WORK=${2:-/var/tmp/dm-fusebench}
DATAMON=$BUILD/bin/datamon
[ "$(id -u)" = 0 ] || { echo "fuse_bench.sh: run as root (drop_caches, mount)" >&2; exit 1; }
[ -x "$DATAMON" ] || { echo "fuse_bench.sh: no datamon binary at $DATAMON" >&2; exit 1; }
for tool in fio s3fs rclone fusermount3 b2sum; do
  command -v "$tool" >/dev/null || { echo "fuse_bench.sh: $tool is not installed (scripts/install-deps.sh)" >&2; exit 1; }
done

export RGW_RUN_DIR=${RGW_RUN_DIR:-/tmp/dm-bench-rgw} RGW_PORT=${RGW_PORT:-7490} RGW_MON_PORT=${RGW_MON_PORT:-3310}
export MEMSTORE_BYTES=${MEMSTORE_BYTES:-6442450944}  # the data twice (objects and bundle) fits in RAM
ENDPOINT=http://127.0.0.1:$RGW_PORT
STARTED_RGW=0
stop_rgw() { if [ "$STARTED_RGW" = 1 ]; then bash "$HERE/../scripts/servers/rgw.sh" stop || true; fi; }
trap stop_rgw EXIT
if ! curl -s -o /dev/null --max-time 2 "$ENDPOINT/"; then
  bash "$HERE/../scripts/servers/rgw.sh" start
  STARTED_RGW=1
fi

/usr/bin/python3 "$HERE/peers/run.py" --datamon "$DATAMON" --work "$WORK" --out "${DM_BENCH_RESULTS:-$HERE/results}" \
  --endpoint "$ENDPOINT" --command "$COMMAND" "${ARGS[@]}"
