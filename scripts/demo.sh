#!/usr/bin/env bash
# The main job on the embedded local store: create a context in a local folder, upload a sample
# folder as a bundle with a label, list it, download it, mount it and read from it.
set -euo pipefail
cd "$(dirname "$0")/.."
bash scripts/install-deps.sh
BUILD_TARGETS=datamon bash scripts/build.sh
DM="$PWD/build/bin/datamon"
WORK=${DEMO_DIR:-/tmp/datamon-demo}
if mountpoint -q "$WORK/mnt" 2>/dev/null; then fusermount3 -u "$WORK/mnt" || umount -l "$WORK/mnt"; fi
rm -rf "$WORK" && mkdir -p "$WORK/sample/nested dir"
export DATAMON_GLOBAL_CONFIG="file://$WORK/store/config" DATAMON_CONTEXT=demo
export DATAMON_NAME="Demo User" DATAMON_EMAIL="demo@example.com"

echo "hello from datamon" > "$WORK/sample/hello.txt"
head -c 5000000 /dev/urandom > "$WORK/sample/nested dir/random.bin"
seq 1 100000 > "$WORK/sample/numbers.txt"

set -x
"$DM" context create --blob demo-blob --meta demo-meta --vmeta demo-vmeta --wal demo-wal --read-log demo-readlog
"$DM" repo create --repo sample --description "a sample dataset"
"$DM" bundle upload --path "$WORK/sample" --repo sample --message "first sample" --label v1
"$DM" bundle list --repo sample
"$DM" label list --repo sample
"$DM" bundle download --repo sample --label v1 --destination "$WORK/download"
diff -r --exclude=.datamon "$WORK/sample" "$WORK/download"
mkdir -p "$WORK/mnt"
"$DM" bundle mount --repo sample --label v1 --mount "$WORK/mnt" --daemonize
cat "$WORK/mnt/hello.txt"
diff -r "$WORK/sample" "$WORK/mnt"
fusermount3 -u "$WORK/mnt"
set +x
echo "demo: uploaded, listed, downloaded, mounted and read bundle v1 of repo 'sample' in $WORK"
