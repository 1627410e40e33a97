#!/usr/bin/env bash
# Builds the three datamon images from this source tree with a local Docker engine.
# Usage: docker/build-images.sh [TAG]   (default: the version datamon reports, e.g. 0.1.0)
#   DATAMON_IMAGE_PREFIX  registry and name prefix (default "datamon-"), e.g. ghcr.io/acme/datamon-
#   PG_OLD_MAJOR          the older PostgreSQL major shipped for pg_upgrade (default in Dockerfile)
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-$(sed -n 's/^project(datamon_cpp VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")}
[ -n "$tag" ] || { echo "build-images: no tag given and none found in CMakeLists.txt" >&2; exit 1; }
prefix=${DATAMON_IMAGE_PREFIX:-datamon-}
build_args=()
if [ -n "${PG_OLD_MAJOR:-}" ]; then
  build_args+=(--build-arg "PG_OLD_MAJOR=$PG_OLD_MAJOR")
fi

export DOCKER_BUILDKIT=1  # the builder stage is shared and cached across the three targets
for target in fuse-sidecar pg-sidecar wrapper; do
  echo "build-images: ${prefix}${target}:${tag}"
  docker build -f "$root/docker/Dockerfile" --target "$target" "${build_args[@]}" \
    -t "${prefix}${target}:${tag}" "$root"
done
