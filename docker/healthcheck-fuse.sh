#!/bin/sh
# Health check of the fuse sidecar image (Docker HEALTHCHECK, Kubernetes probes): healthy when
# every FUSE mount in this container answers; a mount whose server died answers ENOTCONN.
# Needs no configuration. Exit 0 when healthy, else 1 with one line on stderr per dead mount.
set -eu

failed=0
# /proc/self/mounts fields: source mountpoint type options ...; a space is written as \040.
while read -r _ mountpoint fstype _; do
  case "$fstype" in
    fuse | fuse.*) ;;
    *) continue ;;
  esac
  path=$(printf '%b' "$mountpoint")
  if ! timeout 5 stat -t "$path" >/dev/null 2>&1; then
    echo "healthcheck: FUSE mount '$path' does not answer" >&2
    failed=1
  fi
done </proc/self/mounts
exit "$failed"
