#!/usr/bin/env bash
# Every benchmark in one command: sets up what it needs (Debian packages, RGW on 127.0.0.1),
# builds, runs each bench/ script, and writes docs/benchmarks.md with the machine description,
# the exact commands, every table, and PNG plots of the ratios (docs/img/).
#
#   scripts/bench.sh [--quick]      # --quick: small data sets, one run each (under 5 minutes)
#
# Benchmarks are never part of the test suite; each figure is measured against its baseline in
# the same run. Run as root on an otherwise idle machine: page caches are dropped.
set -euo pipefail
cd "$(dirname "$0")/.."
QUICK=${1:-}
WITH_OBJECT_SERVERS=1 WITH_BENCH_TOOLS=1 bash scripts/install-deps.sh
bash scripts/build.sh
mkdir -p bench/results docs/img
rm -f bench/results/*.md

run() {  # name, command...: runs one benchmark, keeps its output as bench/results/<name>.md
  local name=$1; shift
  echo "== $name: $*"
  {
    echo "### $name"
    echo
    echo "Command: \`$*\`"
    echo
    local rc=0
    "$@" 2>&1 || rc=$?
    if [ "$rc" -ne 0 ]; then echo; echo "**This benchmark failed (exit $rc); see the output above.**"; fi
  } | tee "bench/results/$name.md"
}

if [ "$QUICK" = --quick ]; then
  run core bash bench/core_transfer.sh --quick
  run fuse bash bench/fuse_bench.sh build /var/tmp/dm-fusebench 256
  run store bash bench/store_vs_curl.sh build 128 8
  run pg bash bench/pg_vs_pgbackrest.sh 2 /var/tmp/dm-pgbench build/bin/datamon
else
  run core bash bench/core_transfer.sh
  run fuse bash bench/fuse_bench.sh build /var/tmp/dm-fusebench 1024
  run store bash bench/store_vs_curl.sh build 1024 8
  run pg bash bench/pg_vs_pgbackrest.sh 50 /var/tmp/dm-pgbench build/bin/datamon
fi
bash scripts/servers/rgw.sh stop >/dev/null 2>&1 || true

/usr/bin/python3 bench/report.py bench/results docs/benchmarks.md docs/img "scripts/bench.sh $QUICK"
echo "bench: wrote docs/benchmarks.md"
