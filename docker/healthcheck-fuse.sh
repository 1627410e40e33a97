#!/bin/sh
# Health check of the fuse sidecar image (Docker HEALTHCHECK, Kubernetes probes): unhealthy when
# the sidecar raised {coord}/fusefailed (a failed sidecar may leave no mount behind, and no
# mount is not a dead mount), or when a FUSE mount in this container does not answer (a mount
# whose server died answers ENOTCONN). The coordination folder is SIDECAR_GLOBALOPTS_COORDPOINT,
# else globalOpts.coordPoint of the sidecar's YAML (DATAMON_FUSE_CONFIG, default the image's
# /etc/datamon/sidecar/fuse.yaml), else the sidecar's default /tmp/coord.
# Exit 0 when healthy, else 1 with one line on stderr per fault.
set -eu

config=${DATAMON_FUSE_CONFIG:-/etc/datamon/sidecar/fuse.yaml}
coord=${SIDECAR_GLOBALOPTS_COORDPOINT:-}
if [ -z "$coord" ] && [ -r "$config" ]; then
  # `coordPoint: /coord`, `coordPoint: "/coord"`, with an optional comment.
  coord=$(sed -n 's/^[[:space:]]*coordPoint:[[:space:]]*["'\'']\{0,1\}\([^"'\''#[:space:]]*\).*/\1/p' "$config" | head -n 1)
fi
coord=${coord:-/tmp/coord}

failed=0
if [ -e "$coord/fusefailed" ]; then
  echo "healthcheck: the fuse sidecar failed: $(head -c 200 "$coord/fusefailed")" >&2
  failed=1
fi
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
