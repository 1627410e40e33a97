#!/usr/bin/env bash
# Installs every Debian 12 package the project needs to build, test and benchmark.
# Idempotent: packages already present are left alone. Run as root (or with sudo).
set -euo pipefail

build_pkgs=(
  build-essential cmake ninja-build pkg-config git ca-certificates
  libfuse3-dev fuse3 libcurl4-openssl-dev libssl-dev libyaml-cpp-dev libyaml-dev libpq-dev
  libb2-dev nlohmann-json3-dev libspdlog-dev libfmt-dev libcli11-dev prometheus-cpp-dev libre2-dev libtoml11-dev
  libgtest-dev libgmock-dev libbenchmark-dev
  clang-format clang-tidy clang libclang-rt-14-dev
)
test_pkgs=(
  postgresql postgresql-contrib procps psmisc util-linux inotify-tools ccache curl
  shellcheck python3-yaml tini patchelf nftables iproute2 time
)

want=("${build_pkgs[@]}" "${test_pkgs[@]}")
if [ "${WITH_OBJECT_SERVERS:-0}" = 1 ]; then
  want+=(ceph-mon ceph-osd radosgw ceph-common)
  # The machine image ships Node.js 20 with npm; Debian's npm would pull in Debian's nodejs 18,
  # which conflicts with it. Only a machine without node gets Debian's.
  command -v node >/dev/null 2>&1 || want+=(nodejs npm)
fi
if [ "${WITH_BENCH_TOOLS:-0}" = 1 ]; then
  want+=(fio s3fs rclone pgbackrest python3-matplotlib bc linux-perf)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi
SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
echo "install-deps: done"
