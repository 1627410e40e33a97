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
  shellcheck python3-yaml tini patchelf nftables iproute2 time zsh
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

SUDO=""
[ "$(id -u)" -eq 0 ] || SUDO=sudo

# With WITH_OLD_POSTGRES=1, PostgreSQL 13 beside 15, for the real pg_upgrade tests: Debian 12 has only 15, Debian 11
# (bullseye) has 13 and installs beside it from the same mirror. The bullseye suite gets
# Pin-Priority 100, so apt takes from it only what bookworm does not have (postgresql-13 and its
# libicu67, libllvm11, libssl1.1) and never upgrades anything with it.
bullseye_sources=/etc/apt/sources.list.d/datamon-bullseye.sources
bullseye_pin=/etc/apt/preferences.d/datamon-bullseye
# The mirror apt already uses for bookworm (deb822 or one-line format).
debian_mirror() {
  local uri
  uri=$(grep -hs -B3 -A3 -E '^Suites:.*\bbookworm\b' /etc/apt/sources.list.d/*.sources |
    sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' | grep -v -- '-security' | head -n 1)
  [ -n "$uri" ] || uri=$(grep -hs -E '^deb[[:space:]].*[[:space:]]bookworm[[:space:]]' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list | awk '{ print $2 }' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}
# Writes FILE with CONTENT unless it already has it; status 0 when it changed.
write_if_changed() {
  if [ -f "$1" ] && [ "$(cat "$1")" = "$2" ]; then return 1; fi
  printf '%s\n' "$2" | $SUDO tee "$1" >/dev/null
}
apt_changed=0
if [ "${WITH_OLD_POSTGRES:-0}" = 1 ]; then
  write_if_changed "$bullseye_sources" "Types: deb
URIs: $(debian_mirror)
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg" && apt_changed=1
  write_if_changed "$bullseye_pin" "Package: *
Pin: release n=bullseye
Pin-Priority: 100" && apt_changed=1
  want+=(postgresql-13)
fi

missing=()
for p in "${want[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -eq 0 ]; then
  [ "$apt_changed" -eq 0 ] || $SUDO apt-get update -qq
  echo "install-deps: all ${#want[@]} packages present"
  exit 0
fi
echo "install-deps: installing ${missing[*]}"
$SUDO apt-get update -qq
DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
# The tests make their own clusters: drop the one postgresql-13's install creates (it would
# hold port 5433 and a server nobody uses).
if [[ " ${missing[*]} " == *" postgresql-13 "* ]] && [ -d /etc/postgresql/13/main ]; then
  $SUDO pg_dropcluster --stop 13 main
fi
echo "install-deps: done"
