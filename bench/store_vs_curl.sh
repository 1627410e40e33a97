#!/usr/bin/env bash
# Store throughput of our S3Store against curl on the same objects and parallelism, same run.
#   bench/store_vs_curl.sh BUILD_DIR [TOTAL_MIB=1024] [PARALLEL=8]
# Starts the RGW (scripts/servers/rgw.sh) if it is not running; leaves it running.
set -euo pipefail
BUILD=$(realpath "${1:?build dir}")
TOTAL=${2:-1024}
PAR=${3:-8}
HERE=$(cd "$(dirname "$0")" && pwd)
EP=${DM_BENCH_S3_ENDPOINT:-http://127.0.0.1:7480}
export AWS_ACCESS_KEY_ID=${AWS_ACCESS_KEY_ID:-TESTKEY} AWS_SECRET_ACCESS_KEY=${AWS_SECRET_ACCESS_KEY:-TESTSECRET}
bash "$HERE/../scripts/servers/rgw.sh" start
WORK=$(mktemp -d /dev/shm/dm-bench.XXXXXX)
trap 'rm -rf "$WORK"' EXIT
BUCKET=bench-$$
cd "$WORK"
echo "== datamon S3Store ($TOTAL MiB in 2 MiB objects, $PAR parallel)"
"$BUILD/bench/store_transfer_bench" "$EP" "$BUCKET" "$TOTAL" "$PAR" | tee ours.txt

curl_common=(-s --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY"
             -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' --parallel --parallel-max "$PAR")
# Download: every object once, to /dev/null.
: >get.cfg
while read -r n; do printf 'url = "%s/%s/%s"\noutput = "/dev/null"\n' "$EP" "$BUCKET" "$n" >>get.cfg; done <"$BUCKET.names"
start=$(date +%s.%N)
curl "${curl_common[@]}" -K get.cfg 2>/dev/null
end=$(date +%s.%N)
echo "curl_download_mib_per_s=$(echo "$TOTAL / ($end - $start)" | bc -l | xargs printf '%.1f')"
# Upload: the same number of 2 MiB objects from tmpfs files (curl reads them itself).
head -c 2097152 /dev/urandom >leaf.bin
: >put.cfg
while read -r n; do printf 'url = "%s/%s/curl-%s"\nupload-file = "leaf.bin"\noutput = "/dev/null"\n' "$EP" "$BUCKET" "$n" >>put.cfg; done <"$BUCKET.names"
start=$(date +%s.%N)
curl "${curl_common[@]}" -K put.cfg 2>/dev/null
end=$(date +%s.%N)
echo "curl_upload_mib_per_s=$(echo "$TOTAL / ($end - $start)" | bc -l | xargs printf '%.1f')"
# Small GETs, 1000 x 4 KiB, same parallelism.
: >small.cfg
for i in $(seq 0 999); do printf 'url = "%s/%s/small-%s"\noutput = "/dev/null"\n' "$EP" "$BUCKET" "$i" >>small.cfg; done
start=$(date +%s.%N)
curl "${curl_common[@]}" -K small.cfg 2>/dev/null
end=$(date +%s.%N)
echo "curl_small_get_per_s_parallel_$PAR=$(echo "1000 / ($end - $start)" | bc -l | xargs printf '%.0f')"
start=$(date +%s.%N)
curl -s --aws-sigv4 aws:amz:us-east-1:s3 --user "$AWS_ACCESS_KEY_ID:$AWS_SECRET_ACCESS_KEY" \
  -H 'x-amz-content-sha256: UNSIGNED-PAYLOAD' -K small.cfg 2>/dev/null
end=$(date +%s.%N)
echo "curl_small_get_per_s_parallel_1=$(echo "1000 / ($end - $start)" | bc -l | xargs printf '%.0f')"
