#!/usr/bin/env bash
# Store throughput: datamon's S3Store on Ceph RGW and GcsStore on the Firebase Storage emulator,
# each against curl on the same objects with the same parallelism, back to back in one run.
#
#   bench/store_vs_curl.sh [--quick] [--runs N] BUILD_DIR [TOTAL_MIB=1024] [PARALLEL=8]
#
# Cases per server: upload and download of TOTAL_MIB of random data in 2 MiB objects (a bundle's
# leaves) and GETs of 1000 objects of 4 KiB. Every case runs N times (default 3; --quick: one
# run of 64 MiB and 300 small objects unless TOTAL_MIB is given), ours and curl back to back, who goes first
# alternating between runs. Figures are medians with min and max; a ratio is the median of the
# per-run ratios (ours / curl). Writes bench/results/store.json (DM_BENCH_STORE_JSON overrides)
# and prints a table. GCS adds one run of ours against curl's plain media upload
# (gcs_upload_vs_media, no target: it prices the emulator's multipart path, not the client).
#
# Both clients send the same requests where the API allows: uploads that do not wait for
# `100 Continue`; to S3 SigV4, ours with the payload's SHA-256 signed (checked by the server),
# curl with UNSIGNED-PAYLOAD (so curl's S3 figure is the raw-transfer ceiling); to GCS the very same
# multipart bodies with crc32c. Ours is timed inside the process, from the first request to the
# last answer, with the objects already in memory; curl is timed around its process and reads
# the same files from tmpfs.
#
# Servers: starts scripts/servers/rgw.sh and gcs-emulator.sh when they are not answering, and
# stops only what it started. RGW_PORT/RGW_MON_PORT/RGW_RUN_DIR and GCS_PORT pick a private
# instance; DM_BENCH_SERVERS="s3 gcs" picks the servers. The machine should be otherwise idle.
set -euo pipefail

RUNS=3
QUICK=0
while [ $# -gt 0 ]; do
  case "$1" in
    --quick) QUICK=1; RUNS=1; shift ;;
    --runs) RUNS=$2; shift 2 ;;
    *) break ;;
  esac
done
BUILD=$(realpath "${1:?usage: store_vs_curl.sh [--quick] [--runs N] BUILD_DIR [TOTAL_MIB] [PARALLEL]}")
# --quick is a smoke run (under five minutes for all of scripts/bench.sh --quick): 64 MiB, 300
# small objects, no gcs_upload_vs_media; its figures are not the targets' figures.
if [ "$QUICK" = 1 ]; then TOTAL=${2:-64}; SMALL=300; else TOTAL=${2:-1024}; SMALL=1000; fi
PAR=${3:-8}
TARGET=0.9
HERE=$(cd "$(dirname "$0")" && pwd)
SERVERS_DIR=$HERE/../scripts/servers
BIN=$BUILD/bench/store_transfer_bench
JSON=${DM_BENCH_STORE_JSON:-$HERE/results/store.json}
SERVERS=${DM_BENCH_SERVERS:-s3 gcs}
RGW_PORT=${RGW_PORT:-7480}
GCS_PORT=${GCS_PORT:-9199}
S3_EP=http://127.0.0.1:$RGW_PORT
GCS_EP=http://127.0.0.1:$GCS_PORT
export RGW_PORT GCS_PORT
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-TESTKEY} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-TESTSECRET}
export DATAMON_S3_ENDPOINT=$S3_EP STORAGE_EMULATOR_HOST=$GCS_EP
[ -x "$BIN" ] || { echo "store_vs_curl.sh: $BIN missing (ninja -C $BUILD store_transfer_bench)" >&2; exit 1; }

WORK=$(mktemp -d /dev/shm/dm-store-bench.XXXXXX)
STARTED=()
cleanup() {
  rm -rf "$WORK"
  for s in "${STARTED[@]}"; do bash "$SERVERS_DIR/$s" stop >/dev/null 2>&1 || true; done
}
trap cleanup EXIT

answers() { curl -s -o /dev/null --max-time 2 "$1"; }
if [[ " $SERVERS " == *" s3 "* ]] && ! answers "$S3_EP/"; then
  bash "$SERVERS_DIR/rgw.sh" start && STARTED+=(rgw.sh)
fi
if [[ " $SERVERS " == *" gcs "* ]] && ! answers "$GCS_EP/storage/v1/b/probe/o"; then
  bash "$SERVERS_DIR/gcs-emulator.sh" start && STARTED+=(gcs-emulator.sh)
fi

# The objects: TOTAL_MIB of random bytes cut into 2 MiB files (the last may be shorter).
mkdir -p "$WORK/leaves"
head -c $((TOTAL * 1024 * 1024)) /dev/urandom | split -b 2M -a 5 -d - "$WORK/leaves/leaf-"
NAMES=$(cd "$WORK/leaves" && ls)
BYTES=$((TOTAL * 1024 * 1024))
OBJECTS=$(echo "$NAMES" | wc -l)
BUCKET=dm-bench-$$
RESULTS=$WORK/results.tsv  # case run ours_seconds curl_seconds bytes ops
: >"$RESULTS"

now() { date +%s.%N; }
ours() {  # URL OP ARGS... -> seconds
  "$BIN" "$@" | sed -n 's/^seconds=\([0-9.]*\).*/\1/p'
}
# Runs curl on a config file; every transfer must answer 2xx. Prints the seconds it took.
curl_timed() {  # CFG EXTRA_ARGS...
  local cfg=$1; shift
  local start end
  start=$(now)
  curl -s --parallel --parallel-max "$PAR" -w '%{http_code}\n' "$@" -K "$cfg" >"$WORK/codes" 2>"$WORK/curl.err" || true
  end=$(now)
  if grep -qv '^2' "$WORK/codes" || [ "$(wc -l <"$WORK/codes")" -ne "$(grep -c '^url' "$cfg")" ]; then
    echo "store_vs_curl.sh: curl failed ($(sort "$WORK/codes" | uniq -c | tr '\n' ' ')): $(head -c 300 "$WORK/curl.err")" >&2
    exit 1
  fi
  echo "$end - $start" | bc -l
}

# One case, run RUNS times: ours and curl back to back, alternating who goes first.
bench_case() {  # CASE BYTES OPS "ours args" CFG "curl args"
  local name=$1 bytes=$2 ops=$3 ours_args=$4 cfg=$5 curl_args=$6 r o c
  for r in $(seq 1 "$RUNS"); do
    if [ $((r % 2)) = 1 ]; then
      # Word splitting is wanted: the args are lists of flags.
      # shellcheck disable=SC2086
      o=$(ours $ours_args)
      # shellcheck disable=SC2086
      c=$(curl_timed "$cfg" $curl_args)
    else
      # shellcheck disable=SC2086
      c=$(curl_timed "$cfg" $curl_args)
      # shellcheck disable=SC2086
      o=$(ours $ours_args)
    fi
    [ -n "$o" ] || { echo "store_vs_curl.sh: store_transfer_bench failed in $name" >&2; exit 1; }
    printf '%s\t%s\t%s\t%s\t%s\t%s\n' "$name" "$r" "$o" "$c" "$bytes" "$ops" >>"$RESULTS"
    printf '  %-16s run %s: ours %6.2f s, curl %6.2f s\n' "$name" "$r" "$o" "$c"
  done
}

s3_cases() {
  echo "== S3: Ceph RGW at $S3_EP, $TOTAL MiB in $OBJECTS objects, $PAR parallel, $RUNS run(s)"
  "$BIN" "s3://$BUCKET" create-bucket
  : >"$WORK/s3-put.cfg"; : >"$WORK/s3-get.cfg"; : >"$WORK/s3-small.cfg"
  for n in $NAMES; do
    printf 'url = "%s/%s/curl-%s"\nupload-file = "%s"\noutput = "/dev/null"\n' "$S3_EP" "$BUCKET" "$n" \
      "$WORK/leaves/$n" >>"$WORK/s3-put.cfg"
    printf 'url = "%s/%s/ours-%s"\noutput = "/dev/null"\n' "$S3_EP" "$BUCKET" "$n" >>"$WORK/s3-get.cfg"
  done
  for i in $(seq 0 $((SMALL - 1))); do
    printf 'url = "%s/%s/small-%s"\noutput = "/dev/null"\n' "$S3_EP" "$BUCKET" "$i" >>"$WORK/s3-small.cfg"
  done
  # SigV4 as curl does it, with the payload hash header it needs (test-servers.md). curl signs
  # an emptied Expect header too (RGW then refuses the signature), so it keeps the header but
  # sends the body without waiting for 100 Continue. The arguments go through word splitting:
  # the key pair has no spaces.
  local args="--expect100-timeout 0 --aws-sigv4 aws:amz:us-east-1:s3 --user $AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
  for f in s3-put s3-get s3-small; do
    { echo 'header = "x-amz-content-sha256: UNSIGNED-PAYLOAD"'; cat "$WORK/$f.cfg"; } >"$WORK/$f.k"
    mv "$WORK/$f.k" "$WORK/$f.cfg"
  done
  bench_case s3_upload "$BYTES" "$OBJECTS" "s3://$BUCKET put $WORK/leaves ours- $PAR" "$WORK/s3-put.cfg" "$args"
  bench_case s3_download "$BYTES" "$OBJECTS" "s3://$BUCKET get $WORK/leaves ours- $PAR" "$WORK/s3-get.cfg" "$args"
  "$BIN" "s3://$BUCKET" put-small "$SMALL" small- "$PAR" >/dev/null
  bench_case s3_small_get $((SMALL * 4096)) "$SMALL" "s3://$BUCKET get-small $SMALL small- $PAR" \
    "$WORK/s3-small.cfg" "$args"
}

gcs_cases() {
  echo "== GCS: Firebase Storage emulator at $GCS_EP, $TOTAL MiB in $OBJECTS objects, $PAR parallel, $RUNS run(s)"
  # Ours uploads multipart (metadata with crc32c + media, as GCS needs for a server-checked
  # upload); curl sends the very same bodies. The emulator's multipart path is slower than its
  # media path, so a single run of curl's plain media upload shows that cost (no target).
  mkdir -p "$WORK/multipart"
  local boundary
  boundary=$("$BIN" "gs://$BUCKET" multipart-bodies "$WORK/leaves" "$WORK/multipart" curl-)
  # Headers and the method in a config file hold for every URL in it: given once, at the top.
  printf 'request = "POST"\nheader = "Content-Type: multipart/related; boundary=%s"\n' "$boundary" >"$WORK/gcs-put.cfg"
  printf 'request = "POST"\nheader = "Content-Type: application/octet-stream"\n' >"$WORK/gcs-media.cfg"
  : >"$WORK/gcs-get.cfg"; : >"$WORK/gcs-small.cfg"
  for n in $NAMES; do
    printf 'url = "%s/upload/storage/v1/b/%s/o?uploadType=multipart"\nupload-file = "%s"\noutput = "/dev/null"\n' \
      "$GCS_EP" "$BUCKET" "$WORK/multipart/$n" >>"$WORK/gcs-put.cfg"
    printf 'url = "%s/upload/storage/v1/b/%s/o?uploadType=media&name=media-%s"\nupload-file = "%s"\noutput = "/dev/null"\n' \
      "$GCS_EP" "$BUCKET" "$n" "$WORK/leaves/$n" >>"$WORK/gcs-media.cfg"
    printf 'url = "%s/storage/v1/b/%s/o/ours-%s?alt=media"\noutput = "/dev/null"\n' "$GCS_EP" "$BUCKET" "$n" \
      >>"$WORK/gcs-get.cfg"
  done
  for i in $(seq 0 $((SMALL - 1))); do
    printf 'url = "%s/storage/v1/b/%s/o/small-%s?alt=media"\noutput = "/dev/null"\n' "$GCS_EP" "$BUCKET" "$i" \
      >>"$WORK/gcs-small.cfg"
  done
  bench_case gcs_upload "$BYTES" "$OBJECTS" "gs://$BUCKET put $WORK/leaves ours- $PAR" "$WORK/gcs-put.cfg" "-HExpect:"
  if [ "$QUICK" = 0 ]; then
    RUNS=1 bench_case gcs_upload_vs_media "$BYTES" "$OBJECTS" "gs://$BUCKET put $WORK/leaves ours- $PAR" \
      "$WORK/gcs-media.cfg" "-HExpect:"
  fi
  rm -rf "$WORK/multipart"
  bench_case gcs_download "$BYTES" "$OBJECTS" "gs://$BUCKET get $WORK/leaves ours- $PAR" "$WORK/gcs-get.cfg" ""
  "$BIN" "gs://$BUCKET" put-small "$SMALL" small- "$PAR" >/dev/null
  bench_case gcs_small_get $((SMALL * 4096)) "$SMALL" "gs://$BUCKET get-small $SMALL small- $PAR" \
    "$WORK/gcs-small.cfg" ""
}

START=$(now)
[[ " $SERVERS " == *" s3 "* ]] && s3_cases
[[ " $SERVERS " == *" gcs "* ]] && gcs_cases
ELAPSED=$(echo "$(now) - $START" | bc -l)

mkdir -p "$(dirname "$JSON")"
python3 - "$RESULTS" "$JSON" "$TARGET" "$TOTAL" "$PAR" "$RUNS" "$ELAPSED" "$(uptime)" <<'PY'
import json, statistics, sys
results, out, target, total, par, runs, elapsed, load = sys.argv[1:]
rows = {}
for line in open(results):
    case, run, o, c, nbytes, ops = line.split("\t")
    rows.setdefault(case, []).append((float(o), float(c), int(nbytes), int(ops)))
MiB = 1024 * 1024
# Shown for explanation only: ours (multipart, crc32c) against curl's plain media upload.
INFORMATIONAL = {"gcs_upload_vs_media"}
cases = {}
for case, rs in rows.items():
    ours = [b / MiB / o for o, c, b, n in rs]
    curl = [b / MiB / c for o, c, b, n in rs]
    ratios = [c / o for o, c, b, n in rs]  # throughput ratio = time ratio inverted
    ours_ops = [n / o for o, c, b, n in rs]
    curl_ops = [n / c for o, c, b, n in rs]
    ratio = statistics.median(ratios)
    informational = case in INFORMATIONAL
    cases[case] = {
        "ours_MBps": round(statistics.median(ours), 1), "ours_MBps_min": round(min(ours), 1),
        "ours_MBps_max": round(max(ours), 1),
        "curl_MBps": round(statistics.median(curl), 1), "curl_MBps_min": round(min(curl), 1),
        "curl_MBps_max": round(max(curl), 1),
        "ours_ops_per_s": round(statistics.median(ours_ops)), "curl_ops_per_s": round(statistics.median(curl_ops)),
        "ratio": round(ratio, 2), "ratio_min": round(min(ratios), 2), "ratio_max": round(max(ratios), 2),
        "target": None if informational else float(target),
        "met": None if informational else ratio >= float(target), "runs": len(rs),
        "object_bytes": rs[0][2] // max(rs[0][3], 1), "objects": rs[0][3],
    }
doc = {"units": "MBps fields are MiB/s (2^20 bytes per second); ratio = ours / curl throughput, median of per-run ratios",
       "total_mib": int(total), "parallel": int(par), "runs": int(runs), "elapsed_s": round(float(elapsed)),
       "load_at_end": load.strip(), "cases": cases}
json.dump(doc, open(out, "w"), indent=2)
print(f"\n| case ({total} MiB, {par} parallel, median of {runs}) | ours MiB/s (min-max) | curl MiB/s (min-max) | ratio (min-max) | ops/s ours / curl | target met |")
print("|---|---|---|---|---|---|")
for case, c in cases.items():
    print(f"| {case} | {c['ours_MBps']} ({c['ours_MBps_min']}-{c['ours_MBps_max']}) | {c['curl_MBps']} "
          f"({c['curl_MBps_min']}-{c['curl_MBps_max']}) | {c['ratio']} ({c['ratio_min']}-{c['ratio_max']}) | "
          f"{c['ours_ops_per_s']} / {c['curl_ops_per_s']} | "
          f"{'-' if c['met'] is None else ('yes' if c['met'] else 'no') + ' (>= ' + str(c['target']) + ')'} |")
print(f"\nwrote {out}; {float(elapsed):.0f} s; load: {load.strip()}")
PY
