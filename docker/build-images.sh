#!/usr/bin/env bash
# Builds the three datamon images from this source tree with a local engine.
# Usage: docker/build-images.sh [TAG]   (default: the version datamon reports, e.g. 0.1.0)
#   CONTAINER_ENGINE      docker (default) or podman (then `--format docker`, which keeps the
#                         HEALTHCHECKs that the OCI format drops)
#   DATAMON_IMAGE_PREFIX  registry and name prefix (default "datamon-"), e.g. ghcr.io/acme/datamon-
#   PG_OLD_MAJOR          the older PostgreSQL major shipped for pg_upgrade (default in Dockerfile)
#   PG_OLD_FROM           where it comes from: auto (default), pgdg, debian (docker/README.md)
# Without a registry, scripts/make-base-image.sh first makes debian:bookworm-slim locally.
set -euo pipefail

root=$(cd "$(dirname "$0")/.." && pwd)
tag=${1:-$(sed -n 's/^project(datamon_cpp VERSION \([0-9.]*\).*/\1/p' "$root/CMakeLists.txt")}
[ -n "$tag" ] || { echo "build-images: no tag given and none found in CMakeLists.txt" >&2; exit 1; }
prefix=${DATAMON_IMAGE_PREFIX:-datamon-}
engine=${CONTAINER_ENGINE:-docker}
build_args=()
for arg in PG_OLD_MAJOR PG_OLD_FROM; do
  if [ -n "${!arg:-}" ]; then
    build_args+=(--build-arg "$arg=${!arg}")
  fi
done
case "$engine" in
  podman) build_args+=(--format docker) ;;
  docker) ;;
  *) echo "build-images: CONTAINER_ENGINE must be docker or podman, not '$engine'" >&2; exit 1 ;;
esac

# The builder stage is built once and taken from the cache for the next two targets.
for target in fuse-sidecar pg-sidecar wrapper; do
  echo "build-images: ${prefix}${target}:${tag}"
  "$engine" build -f "$root/docker/Dockerfile" --target "$target" "${build_args[@]}" \
    -t "${prefix}${target}:${tag}" "$root"
done
