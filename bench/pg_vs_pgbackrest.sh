#!/usr/bin/env bash
# Benchmark: `datamon pg commit|restore` against pgBackRest (repository on local disk, no
# compression, process-max 2) and `cp -a` (the floor), on one stopped pgbench cluster.
# Not a test: it measures, prints a table and writes results; nothing is asserted.
#
#   bench/pg_vs_pgbackrest.sh [--runs N] [--quick] [--scale S] [--work DIR] [--datamon BIN] [--out DIR]
#     --runs N      runs of every case (default 3); each run starts from a copy of the same
#                   pgbench -i cluster with a fresh datamon store and pgBackRest repository
#     --quick       one run at scale 5 (a smoke run; figures are not the targets' figures)
#     --scale S     pgbench scale (default 50, about 1.46 GB with its WAL)
#     --work DIR    scratch folder, wiped first (default /var/tmp/dm-pgbench)
#     --datamon BIN the datamon binary (default build/bin/datamon)
#     --out DIR     where pg.json goes (default bench/results next to this script)
#     --md FILE     where the markdown table goes (default bench/pg_results.md)
# Every case prints median, min and max over the runs and the ratio of each run (ours and
# pgBackRest measured back to back in the same run). Needs root, postgresql-15, pgbackrest,
# python3 (Debian packages). DROP_CACHES=1 drops the page cache before each timed step
# (affects every process on the machine).
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
COMMAND="$0 $*"
RUNS=3; SCALE=50; WORK=/var/tmp/dm-pgbench; DATAMON=$HERE/../build/bin/datamon; OUT=$HERE/results
MD=$HERE/pg_results.md
while [ $# -gt 0 ]; do
  case $1 in
    --runs) RUNS=$2; shift 2 ;;
    --quick) RUNS=1; SCALE=5; shift ;;
    --scale) SCALE=$2; shift 2 ;;
    --work) WORK=$2; shift 2 ;;
    --datamon) DATAMON=$2; shift 2 ;;
    --out) OUT=$2; shift 2 ;;
    --md) MD=$2; shift 2 ;;
    *) echo "unknown argument '$1' (see the head of $0)" >&2; exit 2 ;;
  esac
done
DATAMON=$(readlink -f "$DATAMON")
PGBIN=/usr/lib/postgresql/15/bin
PORT=${PORT:-56432}
ROWS=$((SCALE * 100000))
ONE_PCT=$((ROWS / 100))

[ "$(id -u)" = 0 ] || { echo "run as root" >&2; exit 1; }
command -v pgbackrest >/dev/null || { echo "pgbackrest is not installed (apt-get install pgbackrest)" >&2; exit 1; }
command -v python3 >/dev/null || { echo "python3 is not installed" >&2; exit 1; }
[ -x "$DATAMON" ] || { echo "no datamon binary at $DATAMON" >&2; exit 1; }
[[ $RUNS =~ ^[1-9][0-9]*$ ]] || { echo "--runs needs a positive number" >&2; exit 2; }

A=$WORK/a; CONF=$WORK/pgbackrest.conf; TIMES=$WORK/times.tsv; FACTS=$WORK/facts.tsv
as_pg() { runuser -u postgres -- "$@"; }
dm() { "$DATAMON" --config "file://$R/store/config" "$@"; }
sql() { as_pg "$PGBIN/psql" -h /tmp -p "$PORT" -U postgres -XAtq -c "$1" postgres; }
pgbr() { as_pg pgbackrest --config="$CONF" --stanza=bench --repo1-path="$R/pgbr-repo" "$@"; }
drop_caches() { sync; if [ "${DROP_CACHES:-0}" = 1 ]; then echo 3 > /proc/sys/vm/drop_caches; fi; }
now() { date +%s.%N; }
# timed RUN STEP CMD...: runs CMD, records the seconds it took as (run, step, seconds).
timed() {
  local run=$1 step=$2; shift 2
  drop_caches
  local t0 t1; t0=$(now); "$@" > "$WORK/last.out" 2>&1 || { cat "$WORK/last.out"; exit 1; }; t1=$(now)
  local s; s=$(echo "$t1 - $t0" | bc)
  printf '%s\t%s\t%s\n' "$run" "$step" "$s" >> "$TIMES"
  printf '  run %s %-34s %8.2f s\n' "$run" "$step" "$s"
}
# fact RUN NAME: records the key=value pairs datamon printed for the last step.
fact() { printf '%s\t%s\t%s\n' "$1" "$2" "$(grep -E 'parent=|written=' "$WORK/last.out" | tr '\n' ' ')" >> "$FACTS"; }
cleanup() {
  if [ -f "$A/postmaster.pid" ]; then as_pg "$PGBIN/pg_ctl" stop -D "$A" -m fast -w >/dev/null 2>&1 || true; fi
}
# pgBackRest's backup sets (names like 20261128-095612F or ...F_20261128-095700I), oldest first.
backup_sets() {
  local d
  for d in "$R/pgbr-repo/backup/bench"/*; do
    d=${d##*/}
    if [[ $d =~ ^[0-9]{8}-[0-9]{6}F ]]; then echo "$d"; fi
  done | sort
}
# Starting and stopping needs no datamon store.
start_pg() { "$DATAMON" pg start --pgdata "$A" --port "$PORT" >/dev/null; }
stop_pg() { "$DATAMON" pg stop --pgdata "$A" >/dev/null; }
trap cleanup EXIT

rm -rf "$WORK"; mkdir -p "$WORK/pgbr-log" "$WORK/pgbr-lock"
chmod 755 "$WORK"; chown postgres: "$WORK/pgbr-log" "$WORK/pgbr-lock"
: > "$TIMES"; : > "$FACTS"
cat > "$CONF" <<CONF
[global]
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

echo "== pgbench -i -s $SCALE (once; every run starts from a copy)"
"$DATAMON" pg init --pgdata "$A" >/dev/null
start_pg
as_pg "$PGBIN/pgbench" -h /tmp -p "$PORT" -U postgres -i -s "$SCALE" -q postgres >/dev/null 2>&1
stop_pg
cp -a "$A" "$WORK/pristine"
echo "data directory: $(du -sh "$A" | cut -f1), pg_wal: $(du -sh "$A/pg_wal" | cut -f1)"

for run in $(seq 1 "$RUNS"); do
  echo "== run $run of $RUNS"
  R=$WORK/run
  rm -rf "$R" "$A"; mkdir -p "$R/store" "$R/pgbr-repo"; chown postgres: "$R/pgbr-repo"
  cp -a "$WORK/pristine" "$A"
  dm context create --blob blob --meta meta --vmeta vmeta --wal wal --read-log readlog >/dev/null
  dm repo create --repo bench --description "pg benchmark" >/dev/null
  pgbr --no-online stanza-create >/dev/null

  commit_pair() {  # VERSION TYPE STEP: datamon commit vs pgBackRest backup of the stopped cluster
    local v=$1 type=$2 step=$3
    timed "$run" "${step}.ours" dm pg commit --pgdata "$A" --repo bench --message "v$v" --label "v$v"
    fact "$run" "${step}.ours"
    if [ "$type" = full ]; then
      timed "$run" "${step}.peer" pgbr --no-online backup --type=full
    else
      timed "$run" "${step}.peer" pgbr --no-online backup --type=incr --delta
    fi
    printf '%s\t%s\t%s\n' "$run" "${step}.peer" \
      "$(pgbr info --output=text | grep -E 'repo1: backup set size' | tail -1 | sed 's/^ *//')" >> "$FACTS"
  }
  commit_pair 1 full full_commit
  timed "$run" full_commit.floor cp -a "$A" "$R/cp-v1"

  start_pg; stop_pg  # v2: start and stop, no writes
  commit_pair 2 incr commit_unchanged

  # The bytes target's yardstick: the 2 MiB leaves the update changed, counted from the outside
  # by digests of the data directory's slices before and after it (bench/pg_changed_leaves.py;
  # not timed, and no copy of the directory whose deletion would disturb the timed steps).
  python3 "$HERE/pg_changed_leaves.py" snapshot "$A" "$R/v2-digests.json"
  start_pg; sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid <= $ONE_PCT" >/dev/null; stop_pg
  printf '%s\t%s\t%s\n' "$run" changed_1pct_contiguous \
    "$(python3 "$HERE/pg_changed_leaves.py" compare "$R/v2-digests.json" "$A")" >> "$FACTS"
  commit_pair 3 incr commit_1pct_contiguous

  start_pg; sql "UPDATE pgbench_accounts SET abalance = abalance + 1 WHERE aid % 100 = 0" >/dev/null; stop_pg
  commit_pair 4 incr commit_1pct_spread

  timed "$run" restore_empty.ours dm pg restore --pgdata "$R/dm-v1" --repo bench --label v1
  fact "$run" restore_empty.ours
  mkdir -p "$R/br-v1"; chown postgres: "$R/br-v1"; chmod 700 "$R/br-v1"
  first_set=$(backup_sets | grep -E '^[0-9]{8}-[0-9]{6}F$' | head -1)
  timed "$run" restore_empty.peer pgbr restore --pg1-path="$R/br-v1" --set="$first_set" --type=none
  timed "$run" restore_empty.floor cp -a "$R/cp-v1" "$R/cp2-v1"

  # In place: v3 over a restored v2 (ours), and over pgBackRest's own restore of v2.
  dm pg restore --pgdata "$R/dm-delta" --repo bench --label v2 >/dev/null
  timed "$run" restore_delta.ours dm pg restore --pgdata "$R/dm-delta" --repo bench --label v3
  fact "$run" restore_delta.ours
  mapfile -t sets < <(backup_sets)
  mkdir -p "$R/br-delta"; chown postgres: "$R/br-delta"; chmod 700 "$R/br-delta"
  pgbr restore --pg1-path="$R/br-delta" --set="${sets[1]}" --type=none >/dev/null
  timed "$run" restore_delta.peer pgbr restore --delta --pg1-path="$R/br-delta" --set="${sets[2]}" --type=none
  printf '%s\t%s\t%s\n' "$run" repository_size \
    "datamon $(du -sh "$R/store" | cut -f1), pgBackRest $(du -sh "$R/pgbr-repo" | cut -f1)" >> "$FACTS"
done

mkdir -p "$OUT" "$(dirname "$MD")"
python3 - "$TIMES" "$FACTS" "$OUT" "$MD" "$SCALE" "$RUNS" "$(nproc)" "$(cut -d' ' -f1-3 /proc/loadavg)" "$COMMAND" \
  "$(pgbackrest version)" "$("$PGBIN/postgres" --version)" <<'PY'
import json, statistics, sys, datetime
times_path, facts_path, out, md_path, scale, runs, cores, load, command, peer_version, pg_version = sys.argv[1:]
times = {}
for line in open(times_path):
    run, step, secs = line.rstrip("\n").split("\t")
    times.setdefault(step, {})[int(run)] = float(secs)
facts = [line.rstrip("\n").split("\t") for line in open(facts_path)]
# case: (what ours is, what the peer is, ours step, peer step, target on ours/peer or None)
cases = [
    ("full_commit", "datamon pg commit (first)", "pgbackrest backup --type=full", "full_commit.ours", "full_commit.peer", None),
    ("commit_unchanged", "datamon pg commit (start+stop, no writes)", "pgbackrest backup --type=incr --delta",
     "commit_unchanged.ours", "commit_unchanged.peer", 0.5),
    ("commit_1pct_contiguous", "datamon pg commit (aid <= 1%)", "pgbackrest backup --type=incr --delta",
     "commit_1pct_contiguous.ours", "commit_1pct_contiguous.peer", None),
    ("commit_1pct_spread", "datamon pg commit (aid % 100 = 0)", "pgbackrest backup --type=incr --delta",
     "commit_1pct_spread.ours", "commit_1pct_spread.peer", None),
    ("restore_empty", "datamon pg restore v1 into an empty folder", "pgbackrest restore",
     "restore_empty.ours", "restore_empty.peer", 0.7),
    ("restore_delta", "datamon pg restore v3 over v2, in place", "pgbackrest restore --delta",
     "restore_delta.ours", "restore_delta.peer", None),
    ("restore_delta_vs_full", "datamon pg restore v3 over v2, in place", "datamon pg restore v1 into an empty folder",
     "restore_delta.ours", "restore_empty.ours", 0.2),
    ("floor_cp_copy", "cp -a of the data directory", "pgbackrest restore", "restore_empty.floor", "restore_empty.peer", None),
]
WAL_SEGMENT = 16 << 20


def kv(text):
    return {k: int(v) for k, v in (w.split("=", 1) for w in text.split() if "=" in w) if v.isdigit()}


def bytes_1pct(facts):
    """Issue 9's bytes target, per run: what the commit after the contiguous 1% update stored
    (bytes_stored: the leaves the store lacked) over the ideal, the bytes of the 2 MiB leaves that
    the update changed (counted outside datamon) + one 16 MiB WAL segment; met at <= 1.2."""
    stored = {int(r): kv(t) for r, s, t in facts if s == "commit_1pct_contiguous.ours"}
    changed = {int(r): kv(t) for r, s, t in facts if s == "changed_1pct_contiguous"}
    runs = sorted(r for r in stored if r in changed and "bytes_stored" in stored[r] and "changed_bytes" in changed[r])
    if not runs:
        return None
    per = [(stored[r]["bytes_stored"], changed[r]["changed_bytes"] + WAL_SEGMENT) for r in runs]
    ratios = [s / b for s, b in per]
    ratio = statistics.median(ratios)
    pick = sorted(zip(ratios, runs))[len(runs) // 2][1]  # the figures shown are those of the median run
    return {"ours": "bytes datamon pg commit stored after the contiguous 1% update",
            "peer": "changed 2 MiB leaves + one 16 MiB WAL segment",
            "ours_bytes": stored[pick]["bytes_stored"], "leaves_stored": stored[pick].get("leaves_stored"),
            "changed_leaves": changed[pick]["changed_leaves"], "changed_bytes": changed[pick]["changed_bytes"],
            "ideal_bytes": changed[pick]["changed_bytes"] + WAL_SEGMENT,
            "ours_s": None, "peer_s": None, "unit": "bytes",
            "ratio": round(ratio, 3), "ratios": [round(r, 3) for r in ratios], "target": 1.2, "met": ratio <= 1.2,
            "definition": "ratio = bytes_stored of the commit after `UPDATE ... WHERE aid <= 1%` over (changed_bytes "
                          "+ 16 MiB), where changed_bytes is the size of the 2 MiB slices of the data directory (pg_wal "
                          "left out) whose bytes differ from before the update (bench/pg_changed_leaves.py, outside "
                          "datamon) and 16 MiB is the one WAL segment a commit keeps; met when ratio <= 1.2"}


result = {"command": command, "pgbackrest": peer_version, "postgres": pg_version,
          "scale": int(scale), "runs": int(runs), "cores": int(cores), "load_average_at_end": load,
          "date": datetime.datetime.now(datetime.timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ"), "cases": {}}
md = []
for name, ours_what, peer_what, o, p, target in cases:
    if o not in times or p not in times:
        continue
    run_ids = sorted(set(times[o]) & set(times[p]))
    ours = [times[o][r] for r in run_ids]
    peer = [times[p][r] for r in run_ids]
    ratios = [a / b for a, b in zip(ours, peer)]
    ratio = statistics.median(ratios)
    met = None if target is None else ratio <= target
    result["cases"][name] = {
        "ours": ours_what, "peer": peer_what,
        "ours_s": round(statistics.median(ours), 3), "peer_s": round(statistics.median(peer), 3),
        "ratio": round(ratio, 3), "target": target, "met": met,
        "ours_min_s": round(min(ours), 3), "ours_max_s": round(max(ours), 3),
        "peer_min_s": round(min(peer), 3), "peer_max_s": round(max(peer), 3),
        "ratios": [round(r, 3) for r in ratios],
    }
    c = result["cases"][name]
    md.append(f"| {name} | {c['ours_s']:.2f} s ({c['ours_min_s']:.2f}-{c['ours_max_s']:.2f}) | "
              f"{c['peer_s']:.2f} s ({c['peer_min_s']:.2f}-{c['peer_max_s']:.2f}) | {peer_what} | "
              f"{', '.join(f'{r:.2f}' for r in c['ratios'])} | {'' if target is None else f'<= {target}'} | "
              f"{'' if met is None else ('met' if met else 'NOT met')} | {c['ratio']:.2f} |")
result["facts"] = [{"run": int(r), "step": s, "text": t} for r, s, t in facts]
bytes_case = bytes_1pct(facts)
if bytes_case:
    result["cases"]["bytes_1pct"] = bytes_case
    c = bytes_case
    md.append(f"| bytes_1pct | {c['ours_bytes']} B stored | {c['ideal_bytes']} B ({c['changed_leaves']} changed "
              f"leaves, {c['changed_bytes']} B, + 16 MiB WAL) | the ideal upload | "
              f"{', '.join(f'{r:.2f}' for r in c['ratios'])} | <= 1.2 | {'met' if c['met'] else 'NOT met'} | "
              f"{c['ratio']:.2f} |")
json.dump(result, open(f"{out}/pg.json", "w"), indent=2)
open(f"{out}/pg.json", "a").write("\n")
with open(md_path, "w") as f:
    f.write(f"# datamon pg vs pgBackRest: scale {scale}, {runs} run(s), {cores} cores, {result['date']}\n\n")
    f.write(f"Command (as root, from the repository root): `{command}`\n\n")
    f.write(f"{pg_version}; {peer_version} (repository on the same disk, compress-type=none, process-max=2,\n"
            "--no-online); datamon store file:// on the same disk; page cache warm unless DROP_CACHES=1.\n"
            f"Load average at the end: {load} (the machine may have been shared; ratios are taken per run,\n"
            "ours and pgBackRest back to back). Times: median (min-max). Targets apply to the median ratio.\n\n")
    f.write("| case | datamon | peer | peer is | ratio per run | target | met | median ratio |\n")
    f.write("|---|---|---|---|---|---|---|---|\n")
    f.write("\n".join(md) + "\n\n")
    f.write("Facts printed by datamon, per run:\n\n")
    for r, s, t in facts:
        f.write(f"- run {r} {s}: {t}\n")
print(open(md_path).read())
PY
echo "wrote $OUT/pg.json and $MD"
