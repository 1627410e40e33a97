#!/bin/bash
# Benchmarks of `datamon bundle mount` against the same files in a local folder and on tmpfs.
# Not a test: it prints figures and ratios measured in one run. Needs root (drop_caches, mount),
# fio and python3. Usage: bench/fuse_bench.sh [build-dir] [work-dir] [big-file-MiB]
set -euo pipefail
BUILD=${1:-$(dirname "$0")/../build}
WORK=${2:-/var/tmp/dm-fusebench}
BIG_MIB=${3:-1024}
DATAMON=$(realpath "$BUILD/bin/datamon")
FIO_DIR=$(realpath "$(dirname "$0")/fuse")
MNT=$WORK/mnt
TMPFS=$WORK/tmpfs
export DATAMON_GLOBAL_CONFIG=file://$WORK/store/config DATAMON_CONTEXT=dev

cleanup() {
  fusermount3 -u "$MNT" 2>/dev/null || true
  umount "$TMPFS" 2>/dev/null || true
}
trap cleanup EXIT
drop() { sync; echo 3 > /proc/sys/vm/drop_caches; }
now() { date +%s.%N; }
fio_bw() {  # job file, file → MiB/s
  FILE=$2 fio --output-format=json "$FIO_DIR/$1" | python3 -c 'import json,sys; j=json.load(sys.stdin)["jobs"][0]["read"]; print(round(j["bw_bytes"]/1048576,1))'
}
fio_iops() { FILE=$2 fio --output-format=json "$FIO_DIR/$1" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["iops"]))'; }
fio_lat_ms() { FILE=$2 fio --output-format=json "$FIO_DIR/$1" | python3 -c 'import json,sys; print(round(json.load(sys.stdin)["jobs"][0]["read"]["lat_ns"]["mean"]/1e6,3))'; }
small_ops() {  # open+read+close of every file under $1, files per second
  python3 - "$1" <<'PY'
import os, sys, time
root = sys.argv[1]
names = [os.path.join(root, n) for n in sorted(os.listdir(root))]
t = time.perf_counter()
for p in names:
    fd = os.open(p, os.O_RDONLY); os.read(fd, 65536); os.close(fd)
print(round(len(names) / (time.perf_counter() - t)))
PY
}
ls_seconds() { local t0; t0=$(now); ls -l "$1" > /dev/null; python3 -c "print(round($(now) - $t0, 3))"; }
mount_bundle() {  # extra mount flags come from MOUNT_FLAGS (space-separated)
  local flags; read -r -a flags <<< "${MOUNT_FLAGS:-}"
  "$DATAMON" bundle mount --repo bench --mount "$MNT" "${flags[@]}" > "$WORK/mount.log" 2>&1 &
  MOUNT_PID=$!
  for _ in $(seq 1 600); do grep -q " $MNT fuse.datamon" /proc/mounts && return 0; sleep 0.05; done
  echo "mount did not come up"; cat "$WORK/mount.log"; exit 1
}
unmount_bundle() { fusermount3 -u "$MNT"; wait "$MOUNT_PID" || true; }
ratio() { python3 -c "print(round($1 / $2, 2))"; }

mkdir -p "$WORK" "$MNT" "$TMPFS"
if [ ! -f "$WORK/.ready" ]; then
  echo "preparing $WORK (one time): ${BIG_MIB} MiB file, 10 000 small files, 100 000 entries"
  rm -rf "$WORK/src" "$WORK/store"
  mkdir -p "$WORK/src/small" "$WORK/src/many"
  head -c $((BIG_MIB << 20)) /dev/urandom > "$WORK/src/big.bin"
  python3 - "$WORK/src" <<'PY'
import os, sys
root = sys.argv[1]
for i in range(10000):
    with open(f"{root}/small/s{i:05d}", "wb") as f: f.write(os.urandom(4096))
for i in range(100000):
    open(f"{root}/many/f{i:06d}", "wb").close()
PY
  "$DATAMON" context create --config "$DATAMON_GLOBAL_CONFIG" --context dev --blob dev-blob --meta dev-meta \
    --vmeta dev-vmeta --wal dev-wal --read-log dev-read-log > /dev/null
  "$DATAMON" repo create --repo bench --description bench > /dev/null
  "$DATAMON" bundle upload --repo bench --path "$WORK/src" --message bench > /dev/null
  touch "$WORK/.ready"
fi
mount -t tmpfs -o size=$((BIG_MIB + 200))m tmpfs "$TMPFS"
cp -r "$WORK/src/big.bin" "$WORK/src/small" "$TMPFS/"
LOCAL=$WORK/src

echo "== $(uname -r), $(nproc) CPUs, $(date -u +%FT%TZ)"
cat "$LOCAL/big.bin" > /dev/null  # in page cache: b2sum measures hashing only
t0=$(now); b2sum "$LOCAL/big.bin" > /dev/null; B2=$(python3 -c "print(round($BIG_MIB / ($(now) - $t0), 1))")
echo "b2sum single core (file in page cache): $B2 MiB/s"

# Cold sequential: fresh mount process (empty RAM cache, no disk cache), page cache dropped.
mount_bundle; drop
SEQ_COLD=$(fio_bw seq_read.fio "$MNT/big.bin")
SEQ_WARM=$(fio_bw seq_read.fio "$MNT/big.bin")
drop; LOCAL_COLD=$(fio_bw seq_read.fio "$LOCAL/big.bin")
LOCAL_WARM=$(fio_bw seq_read.fio "$LOCAL/big.bin")
TMPFS_SEQ=$(fio_bw seq_read.fio "$TMPFS/big.bin")
RAND_MNT=$(fio_iops rand_read_4k.fio "$MNT/big.bin")
RAND_LOCAL=$(fio_iops rand_read_4k.fio "$LOCAL/big.bin")
RAND_TMPFS=$(fio_iops rand_read_4k.fio "$TMPFS/big.bin")
small_ops "$MNT/small" > /dev/null  # warm the page cache and the kernel's dentries
SMALL_MNT=$(small_ops "$MNT/small")
small_ops "$LOCAL/small" > /dev/null
SMALL_LOCAL=$(small_ops "$LOCAL/small")
SMALL_TMPFS=$(small_ops "$TMPFS/small")
unmount_bundle

mount_bundle; drop
LS_MNT_COLD=$(ls_seconds "$MNT/many"); LS_MNT_WARM=$(ls_seconds "$MNT/many")
drop; LS_LOCAL_COLD=$(ls_seconds "$LOCAL/many"); LS_LOCAL_WARM=$(ls_seconds "$LOCAL/many")
TTFB_MNT=$(fio_lat_ms ttfb.fio "$MNT/small/s00042")
drop; TTFB_LOCAL=$(fio_lat_ms ttfb.fio "$LOCAL/small/s00042")
# Peak memory with 1 000 files open (each read once).
python3 - "$MNT/small" <<'PY' &
import os, sys, time
fds = [os.open(os.path.join(sys.argv[1], f"s{i:05d}"), os.O_RDONLY) for i in range(1000)]
for fd in fds: os.read(fd, 4096)
time.sleep(2)
PY
HOLDER=$!
sleep 1.5
PEAK_KB=$(awk '/VmHWM/ {print $2}' /proc/$MOUNT_PID/status)
wait "$HOLDER" || true
unmount_bundle

cat <<TABLE

| case | datamon mount | local dir | tmpfs | ratio mount/local |
|---|---|---|---|---|
| seq read ${BIG_MIB} MiB cold (MiB/s) | $SEQ_COLD | $LOCAL_COLD | | $(ratio "$SEQ_COLD" "$LOCAL_COLD") |
| seq read warm (MiB/s) | $SEQ_WARM | $LOCAL_WARM | $TMPFS_SEQ | $(ratio "$SEQ_WARM" "$LOCAL_WARM") |
| cold seq read / b2sum ($B2 MiB/s) | $(ratio "$SEQ_COLD" "$B2") | | | |
| 4 KiB random reads (IOPS) | $RAND_MNT | $RAND_LOCAL | $RAND_TMPFS | $(ratio "$RAND_MNT" "$RAND_LOCAL") |
| 10 000 x 4 KiB open+read+close warm (files/s) | $SMALL_MNT | $SMALL_LOCAL | $SMALL_TMPFS | $(ratio "$SMALL_MNT" "$SMALL_LOCAL") |
| ls -l 100 000 entries cold (s) | $LS_MNT_COLD | $LS_LOCAL_COLD | | $(ratio "$LS_MNT_COLD" "$LS_LOCAL_COLD") |
| ls -l 100 000 entries warm (s) | $LS_MNT_WARM | $LS_LOCAL_WARM | | $(ratio "$LS_MNT_WARM" "$LS_LOCAL_WARM") |
| time to first byte, 4 KiB direct (ms) | $TTFB_MNT | $TTFB_LOCAL | | |
| peak RSS of the mount, 1 000 files open (MiB) | $((PEAK_KB / 1024)) | | | |
TABLE
