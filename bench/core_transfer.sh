#!/usr/bin/env bash
# Upload and download throughput on the local store against `cp -r && sync` of the same tree, and leaf
# hashing against single-threaded `b2sum`, all in one run (issue 2's benchmark).
#
#   [BUILD_DIR=build] bench/core_transfer.sh [--quick]     # needs a build (scripts/build.sh)
#
# The tree: 4 files of 200 MiB and 10 000 files of 20 KiB (about 1 GiB) in a folder on the
# same disk as the store. Each figure is the median of RUNS runs (3, or 1 with --quick);
# ratios compare figures measured in this same run. Results: stdout and bench/results/core.md
# (CORE_RESULTS_MD: another file).
set -euo pipefail
cd "$(dirname "$0")/.."
BUILD_DIR=${BUILD_DIR:-build}
BUILD_DIR=$(realpath "$BUILD_DIR")  # relative to the repository root, or absolute (scripts/bench.sh)
DM="$BUILD_DIR/bin/datamon"
HASH_BENCH="$BUILD_DIR/bench/hash_bench"
RUNS=3 BIG_MIB=200 SMALL=10000
if [ "${1:-}" = --quick ]; then RUNS=1 BIG_MIB=25 SMALL=1000; fi  # a smoke run: figures not comparable
OUT_MD=${CORE_RESULTS_MD:-bench/results/core.md}
WORK=${BENCH_DIR:-/var/tmp/datamon-bench-core}
rm -rf "$WORK" && mkdir -p "$WORK/tree/small" "$WORK/results"
mkdir -p "$(dirname "${CORE_RESULTS_MD:-bench/results/core.md}")"

for i in 1 2 3 4; do head -c $((BIG_MIB * 1024 * 1024)) /dev/urandom > "$WORK/tree/big$i.bin"; done
python3 - "$WORK/tree/small" "$SMALL" <<'PY'
import os, sys
root, n = sys.argv[1], int(sys.argv[2])
for i in range(n):
    d = os.path.join(root, f"d{i // 500:03d}")
    os.makedirs(d, exist_ok=True)
    with open(os.path.join(d, f"f{i:05d}.bin"), "wb") as f:
        f.write(os.urandom(20 * 1024))
PY
BYTES=$(du -sb "$WORK/tree" | cut -f1)
MIB=$(awk -v b="$BYTES" 'BEGIN{printf "%.1f", b/1048576}')

now() { date +%s.%N; }
median() { sort -n | awk '{a[NR]=$1} END{print a[int((NR+1)/2)]}'; }
time_cmd() {  # prints seconds
  local t0 t1; t0=$(now); "$@" >/dev/null 2>&1; t1=$(now)
  awk -v a="$t0" -v b="$t1" 'BEGIN{printf "%.3f\n", b-a}'
}

cp_and_sync() { cp -r "$1" "$2" && sync; }

# This VM's balloon reports free memory to the host (virtio-balloon page reporting), which takes
# those pages back: the first touch of each costs a host fault (about 6 us here, 3 GiB touched in
# 17 s), paid by whichever step allocates page cache first after memory was freed. Measured: cp
# of the tree took 0.5 s of system time right after an `rm -rf` freed pages the host still backed
# and 3.1 s when it came second, the upload 1.6 s or 3.3 s the same way, so the ratio measured the
# order of the steps. Each timed step starts right after touching and freeing 1.5 times the tree's
# bytes of fresh memory, so every step allocates pages the host backs.
back_free_memory() {
  python3 - "$1" <<'PY'
import mmap, sys
size = int(sys.argv[1]) * 3 // 2
region = mmap.mmap(-1, size)
for offset in range(0, size, mmap.PAGESIZE):
    region[offset] = 1
region.close()
PY
}

# Nothing is deleted between the timed steps, and the deletions before them are a minute old:
# ext4 without a journal (this machine's root) makes every file creation skip each inode freed
# in the last 60 s (5 min while its inode block is dirty), one buffer lookup per skipped inode
# (recently_deleted() in fs/ext4/ialloc.c), so a creation right after `rm -rf` of 10 000 files
# costs what that rm left behind, and a figure depends on what ran before it. Each run writes
# to folders of its own; all go at the end.
sync
if [ "${1:-}" != --quick ]; then sleep 61; fi

export DATAMON_CONFIG=/dev/null DATAMON_CONTEXT=bench
cp_t=(); up_t=(); down_t=()
for r in $(seq 1 "$RUNS"); do
  RUN_DIR="$WORK/run$r"
  mkdir -p "$RUN_DIR"
  export DATAMON_GLOBAL_CONFIG="file://$RUN_DIR/store/config"
  "$DM" context create --blob b --meta m --vmeta v --wal w --read-log r >/dev/null
  "$DM" repo create --repo bench --description bench >/dev/null
  sync
  # The baseline is as durable as datamon's result: an upload and a download each end with one
  # syncfs barrier, so cp is timed with the sync that makes its copy durable.
  back_free_memory "$BYTES"
  cp_t+=("$(time_cmd cp_and_sync "$WORK/tree" "$RUN_DIR/cp")")
  sync
  back_free_memory "$BYTES"
  up_t+=("$(time_cmd "$DM" bundle upload --path "$WORK/tree" --repo bench --message "run$r" --label last)")
  sync
  back_free_memory "$BYTES"
  down_t+=("$(time_cmd "$DM" bundle download --repo bench --label last --destination "$RUN_DIR/down")")
  diff -rq --exclude=.datamon "$WORK/tree" "$RUN_DIR/down" >/dev/null
done
CP=$(printf '%s\n' "${cp_t[@]}" | median)
UP=$(printf '%s\n' "${up_t[@]}" | median)
DOWN=$(printf '%s\n' "${down_t[@]}" | median)
# Each run's ratio compares steps a few seconds apart; the file system's speed drifts more than
# that between runs on this machine (it depends on what was deleted before, see above), so the
# ratio reported is the median of the runs' ratios, with their range.
run_ratios() {  # run_ratios NAME: "median (min-max)" of cp_t[i] / NAME[i]
  local -n times=$1
  local i
  for i in "${!times[@]}"; do awk -v a="${cp_t[$i]}" -v b="${times[$i]}" 'BEGIN{printf "%.2f\n", a/b}'; done |
    sort -n | awk '{a[NR]=$1} END{m=a[int((NR+1)/2)]; if (NR > 1) printf "%s (%s-%s)", m, a[1], a[NR]; else printf "%s", m}'
}
UP_RATIO=$(run_ratios up_t)
DOWN_RATIO=$(run_ratios down_t)

# Hashing: b2sum (BLAKE2b-512, one core) over one big file, against our leaf hashing.
b2_t=(); for r in $(seq 1 "$RUNS"); do b2_t+=("$(time_cmd b2sum "$WORK/tree/big1.bin")"); done
B2=$(printf '%s\n' "${b2_t[@]}" | median)
B2_MIBS=$(awk -v m="$BIG_MIB" -v t="$B2" 'BEGIN{printf "%.0f", m/t}')
OURS_MIBS=$("$HASH_BENCH" --benchmark_filter='BM_LeafKey/2097152' --benchmark_format=json 2>/dev/null |
  python3 -c 'import json,sys; b=json.load(sys.stdin)["benchmarks"][0]; print(round(b["bytes_per_second"]/1048576))')

rate() { awk -v m="$MIB" -v t="$1" 'BEGIN{printf "%.0f", m/t}'; }
ratio() { awk -v a="$1" -v b="$2" 'BEGIN{printf "%.2f", a/b}'; }
{
  echo "## Core transfer on the local store ($(nproc) cores, $(uname -r), $(date -u +%F))"
  echo
  echo "Tree: 4 x ${BIG_MIB} MiB + ${SMALL} x 20 KiB = ${MIB} MiB; median of ${RUNS} run(s); command: \`bench/core_transfer.sh $*\`"
  echo
  echo "| case | seconds | MiB/s | ratio to cp -r && sync, per run: median (min-max) |"
  echo "|---|---|---|---|"
  echo "| cp -r && sync (baseline) | $CP | $(rate "$CP") | 1.00 |"
  echo "| datamon bundle upload | $UP | $(rate "$UP") | $UP_RATIO |"
  echo "| datamon bundle download (verified) | $DOWN | $(rate "$DOWN") | $DOWN_RATIO |"
  echo
  echo "Seconds per run: cp ${cp_t[*]}; upload ${up_t[*]}; download ${down_t[*]}."
  echo
  echo "| hashing, one core | MiB/s | ratio to b2sum |"
  echo "|---|---|---|"
  echo "| b2sum (BLAKE2b-512) | $B2_MIBS | 1.00 |"
  echo "| datamon leaf hash (libb2, 2 MiB leaves) | $OURS_MIBS | $(ratio "$OURS_MIBS" "$B2_MIBS") |"
} | tee "$OUT_MD"
rm -rf "$WORK"
