#!/usr/bin/env bash
# Benchmark: `datamon pg commit|restore` against pgBackRest (repository on local disk, no
# compression, process-max 2) and `cp -a` (the floor), on one stopped pgbench cluster.
# Not a test: it measures and prints a table; nothing is asserted.
#
#   bench/pg_vs_pgbackrest.sh [SCALE] [WORK] [DATAMON]
#     SCALE    pgbench scale (default 50, about 1.46 GB with its WAL)
#     WORK     scratch folder, wiped first (default /var/tmp/dm-pgbench)
#     DATAMON  the datamon binary (default build/bin/datamon)
# Needs root, postgresql-15 and pgbackrest (Debian packages). DROP_CACHES=1 drops the page
# cache before each timed step (affects every process on the machine).
set -euo pipefail

SCALE=${1:-50}
WORK=${2:-/var/tmp/dm-pgbench}
DATAMON=$(readlink -f "${3:-$(dirname "$0")/../build/bin/datamon}")
PGBIN=/usr/lib/postgresql/15/bin
PORT=${PORT:-56432}
ROWS=$((SCALE * 100000))
ONE_PCT=$((ROWS / 100))

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)" >&2; exit 1; }
[ -x "$DATAMON" ] || { echo "no datamon binary at $DATAMON" >&2; exit 1; }

A=$WORK/a; CONF=$WORK/pgbackrest.conf
as_pg() { runuser -u postgres -- "$@"; }
dm() { "$DATAMON" --config "file://$WORK/store/config" "$@"; }
sql() { as_pg "$PGBIN/psql" -h /tmp -p "$PORT" -U postgres -XAtq -c "$1" postgres; }
pgbr() { as_pg pgbackrest --config="$CONF" --stanza=bench "$@"; }
drop_caches() { sync; if [ "${DROP_CACHES:-0}" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
now() { date +%s.%N; }
RESULTS=()
# timed LABEL CMD...: runs CMD, records the seconds it took.
timed() {
  local label=$1; shift
  drop_caches
  local t0 t1; t0=$(now); "$@" > "$WORK/last.out" 2>&1 || { cat "$WORK/last.out"; exit 1; }; t1=$(now)
  local s; s=$(echo "$t1 - $t0" | bc)
  RESULTS+=("$(printf '%-58s %8.2f s' "$label" "$s")")
  printf '%-58s %8.2f s\n' "$label" "$s"
}
stat_line() { grep -E 'parent=|written=' "$WORK/last.out" || true; }
cleanup() {
  if [ -f "$A/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" stop -D "$A" -m fast -w >/dev/null 2>&1 || true; fi
}
# pgBackRest's backup sets (names like 20261128-095612F or ...F_20261128-095700I), oldest first.
backup_sets() {
  local d
  for d in "$WORK/pgbr-repo/backup/bench"/*; do
    d=${d##*/}
    [[ $d =~ ^[0-9]{8}-[0-9]{6}F ]] && echo "$d"
  done | sort
}
trap cleanup EXIT

rm -rf "$WORK"; mkdir -p "$WORK/store" "$WORK/pgbr-repo" "$WORK/pgbr-log" "$WORK/pgbr-lock"
chmod 755 "$WORK"; chown postgres: "$WORK/pgbr-repo" "$WORK/pgbr-log" "$WORK/pgbr-lock"
cat > "$CONF" <<CONF
[global]
repo1-path=$WORK/pgbr-repo
log-path=$WORK/pgbr-log
lock-path=$WORK/pgbr-lock
compress-type=none
process-max=2
repo1-retention-full=99
start-fast=y
archive-check=n
log-level-console=warn

[bench]
pg1-path=$A
pg1-port=$PORT
pg1-socket-path=/tmp
CONF
chmod 644 "$CONF"
dm context create --blob blob --meta meta --vmeta vmeta --wal wal --read-log readlog >/dev/null
dm repo create --repo bench --description "pg benchmark" >/dev/null

echo "== pgbench -i -s $SCALE"
dm pg init --pgdata "$A" >/dev/null
dm pg start --pgdata "$A" --port "$PORT" >/dev/null
as_pg "$PGBIN/pgbench" -h /tmp -p "$PORT" -U postgres -i -s "$SCALE" -q postgres >/dev/null 2>&1
dm pg stop --pgdata "$A" >/dev/null
echo "data directory: $(du -sh "$A" | cut -f1), pg_wal: $(du -sh "$A/pg_wal" | cut -f1)"
pgbr --no-online stanza-create >/dev/null

commit_pair() {  # VERSION NAME: datamon commit vs pgBackRest backup of the stopped cluster
  local v=$1 type=$2
  timed "v$v datamon pg commit" dm pg commit --pgdata "$A" --repo bench --message "v$v" --label "v$v"
  stat_line | tee "$WORK/commit-v$v.txt"
  if [ "$type" = full ]; then
    timed "v$v pgbackrest backup --type=full" pgbr --no-online backup --type=full
  else
    timed "v$v pgbackrest backup --type=incr --delta" pgbr --no-online backup --type=incr --delta
  fi
  pgbr info --output=text | grep -E 'backup size|repo1: backup set size' | tail -2 || true
}
commit_pair 1 full
timed "cp -a (floor, v1)" cp -a "$A" "$WORK/cp-v1"

echo "== v2: start and stop, no writes"
dm pg start --pgdata "$A" --port "$PORT" >/dev/null; dm pg stop --pgdata "$A" >/dev/null
commit_pair 2 incr

echo "== v3: 1% of rows, contiguous (aid <= $ONE_PCT)"
dm pg start --pgdata "$A" --port "$PORT" >/dev/null
sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $ONE_PCT" >/dev/null
dm pg stop --pgdata "$A" >/dev/null
commit_pair 3 incr

echo "== v4: 1% of rows, spread (aid % 100 = 0)"
dm pg start --pgdata "$A" --port "$PORT" >/dev/null
sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0" >/dev/null
dm pg stop --pgdata "$A" >/dev/null
commit_pair 4 incr

echo "== restore into an empty folder (v1)"
timed "datamon pg restore v1 → empty" dm pg restore --pgdata "$WORK/dm-v1" --repo bench --label v1
stat_line
mkdir -p "$WORK/br-v1"; chown postgres: "$WORK/br-v1"; chmod 700 "$WORK/br-v1"
first_set=$(backup_sets | grep -E '^[0-9]{8}-[0-9]{6}F$' | head -1)
timed "pgbackrest restore v1 → empty" pgbr restore --pg1-path="$WORK/br-v1" --set="$first_set" --type=none
timed "cp -a v1 → empty (floor)" cp -a "$WORK/cp-v1" "$WORK/cp2-v1"

echo "== restore in place: v3 over a copy of v2"
timed "datamon pg restore v2 → empty (set-up)" dm pg restore --pgdata "$WORK/dm-delta" --repo bench --label v2
timed "datamon pg restore v3 over v2 (delta)" dm pg restore --pgdata "$WORK/dm-delta" --repo bench --label v3
stat_line
mapfile -t sets < <(backup_sets)
mkdir -p "$WORK/br-delta"; chown postgres: "$WORK/br-delta"; chmod 700 "$WORK/br-delta"
timed "pgbackrest restore v2 → empty (set-up)" pgbr restore --pg1-path="$WORK/br-delta" --set="${sets[1]}" --type=none
timed "pgbackrest restore --delta v3 over v2" pgbr restore --delta --pg1-path="$WORK/br-delta" --set="${sets[2]}" --type=none

echo
echo "== summary (scale $SCALE, $(nproc) cores, $(date -u +%FT%TZ))"
printf '%s\n' "${RESULTS[@]}"
for v in 1 2 3 4; do echo "v$v commit: $(cat "$WORK/commit-v$v.txt")"; done
du -sh "$WORK/store" "$WORK/pgbr-repo" | sed 's/^/repository size: /'
