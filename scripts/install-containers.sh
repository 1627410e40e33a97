#!/usr/bin/env bash
# Installs the container tools from Debian 12 (podman, buildah, runc, catatonit, mmdebstrap) and
# writes a containers.conf that works on this machine, to be passed per command with
# CONTAINERS_CONF=FILE: nothing global changes. Idempotent. Run as root (or with sudo).
# Usage: scripts/install-containers.sh [CONF]   (default build/containers/containers.conf)
# Prints the path of the containers.conf on its last line.
#
# Why each setting (../shared/notes/containers.md has the measurements):
#  - default_ulimits: podman's defaults exceed what root may set on these machines, and every
#    container start then fails in setrlimit. The file asks for this shell's own hard limits,
#    and no more than 32768 processes: measured here, runc may not set RLIMIT_NPROC past that
#    even when the hard limit is higher ("error setting rlimit type 6").
#  - runtime runc: cgroups may be in hybrid mode, which crun refuses and runc accepts.
#  - cgroupfs, file events: there may be no systemd (HEALTHCHECKs then run only on demand).
#  - pull_policy never: there may be no registry; images are built or imported locally.
set -euo pipefail
cd "$(dirname "$0")/.."
conf=$(realpath -m "${1:-build/containers/containers.conf}")

pkgs=(podman buildah runc catatonit mmdebstrap)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q "install ok installed" || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO=sudo
  echo "install-containers: installing ${missing[*]}" >&2
  $SUDO apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $SUDO apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
fi

# The hard limits this shell may raise to, capped at podman's own defaults.
limit() {
  local hard=$1 cap=$2
  if [ "$hard" = unlimited ] || [ "$hard" -gt "$cap" ]; then echo "$cap"; else echo "$hard"; fi
}
nofile=$(limit "$(ulimit -Hn)" 1048576)
nproc=$(limit "$(ulimit -Hu)" 32768)

mkdir -p "$(dirname "$conf")"
cat >"$conf.partial" <<EOF
# Written by scripts/install-containers.sh for this machine; use with CONTAINERS_CONF=$conf
[containers]
default_ulimits = ["nofile=$nofile:$nofile", "nproc=$nproc:$nproc"]

[engine]
runtime = "runc"
cgroup_manager = "cgroupfs"
events_logger = "file"
pull_policy = "never"
EOF
mv "$conf.partial" "$conf"
echo "install-containers: podman $(podman version --format '{{.Client.Version}}' 2>/dev/null || echo '?'), config:" >&2
realpath "$conf"
