#!/usr/bin/env bash
# Makes `debian:bookworm-slim`, the base of docker/Dockerfile, available to the local engine:
# already there: nothing to do; a registry reachable: pulled from it; else built locally with
# mmdebstrap from the Debian mirror this machine's apt uses, so that apt inside the image
# builds reaches the same mirror. Idempotent. Run as root (mmdebstrap --mode=root).
# Usage: scripts/make-base-image.sh
#   CONTAINER_ENGINE      podman (default) or docker
#   DM_DEBIAN_SOURCES     the apt sources the image gets (default: the machine's bookworm ones,
#                         /etc/apt/sources.list.d/debian.sources or /etc/apt/sources.list)
#   DM_BASE_FROM          registry | mmdebstrap: skip the registry probe either way
# Needs mmdebstrap (scripts/install-containers.sh installs it).
set -euo pipefail
cd "$(dirname "$0")/.."

engine=${CONTAINER_ENGINE:-podman}
image=docker.io/library/debian:bookworm-slim
die() { echo "make-base-image: $*" >&2; exit 1; }

if "$engine" image inspect "$image" >/dev/null 2>&1; then
  echo "make-base-image: $image is already there"
  exit 0
fi

from=${DM_BASE_FROM:-}
if [ -z "$from" ] || [ "$from" = registry ]; then
  # An explicit pull ignores containers.conf's pull_policy; a registry that does not answer in
  # 60 s is taken as absent.
  if timeout 60 "$engine" pull -q "$image" >/dev/null 2>&1; then
    echo "make-base-image: pulled $image from the registry"
    exit 0
  fi
  [ "$from" != registry ] || die "could not pull $image (DM_BASE_FROM=registry)"
  echo "make-base-image: no registry answers; building $image with mmdebstrap"
fi

sources=${DM_DEBIAN_SOURCES:-}
if [ -z "$sources" ]; then
  for candidate in /etc/apt/sources.list.d/debian.sources /etc/apt/sources.list; do
    if [ -s "$candidate" ] && grep -q bookworm "$candidate"; then
      sources=$candidate
      break
    fi
  done
fi
if [ -z "$sources" ] || [ ! -s "$sources" ]; then
  die "no apt sources for bookworm found; set DM_DEBIAN_SOURCES to a sources.list or .sources file"
fi
grep -q bookworm "$sources" || die "apt sources '$sources' name no bookworm suite"
command -v mmdebstrap >/dev/null || die "mmdebstrap is not installed (scripts/install-containers.sh)"

work=$(mktemp -d /var/tmp/datamon-base.XXXXXX)
trap 'rm -rf "$work"' EXIT
# mmdebstrap reads a file argument as sources.list, or as deb822 when it ends in .sources.
case "$sources" in
  *.sources) cp "$sources" "$work/debian.sources" && sources_arg=$work/debian.sources ;;
  *) cp "$sources" "$work/sources.list" && sources_arg=$work/sources.list ;;
esac

cat >"$work/docker-clean" <<'EOF'
DPkg::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
APT::Update::Post-Invoke { "rm -f /var/cache/apt/archives/*.deb /var/cache/apt/archives/partial/*.deb /var/cache/apt/*.bin || true"; };
Dir::Cache::pkgcache "";
Dir::Cache::srcpkgcache "";
EOF
# As the registry's slim image: no documentation (but the copyright files), no man pages, no
# translations, no apt lists or caches. The dpkg exclusions stay in the image, so packages
# installed later are slim too, and so does the registry's apt rule that keeps no package
# caches (each `apt-get update` of a build step would otherwise leave about 80 MB of
# /var/cache/apt/*.bin in its layer). The hooks' "$1" is the root folder, expanded by mmdebstrap.
# shellcheck disable=SC2016
mmdebstrap --mode=root --variant=minbase --format=tar --quiet \
  --hook-dir=/usr/share/mmdebstrap/hooks/merged-usr \
  --dpkgopt='path-exclude=/usr/share/man/*' \
  --dpkgopt='path-exclude=/usr/share/doc/*' \
  --dpkgopt='path-include=/usr/share/doc/*/copyright' \
  --dpkgopt='path-exclude=/usr/share/info/*' \
  --dpkgopt='path-exclude=/usr/share/locale/*' \
  --dpkgopt='path-exclude=/usr/share/lintian/*' \
  --customize-hook='rm -rf "$1"/var/lib/apt/lists/* "$1"/var/cache/apt/* "$1"/var/log/*.log "$1"/etc/machine-id' \
  --customize-hook='touch "$1"/etc/machine-id' \
  --customize-hook="copy-in $work/docker-clean /etc/apt/apt.conf.d" \
  bookworm "$work/rootfs.tar" "$sources_arg"
# The registry's image sets PATH in its config; an imported tar has no environment at all.
"$engine" import --change 'CMD ["bash"]' \
  --change 'ENV PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin' \
  --change 'LABEL org.datamon.base="mmdebstrap from the machine Debian mirror"' \
  "$work/rootfs.tar" "$image" >/dev/null
echo "make-base-image: built $image with mmdebstrap from '$sources'"
