#!/usr/bin/env bash
# Points apt at the PostgreSQL packages of the pg sidecar image, then updates its lists; run by
# docker/Dockerfile as root, before it installs postgresql-MAJOR and postgresql-OLD_MAJOR.
# Usage: postgresql-sources.sh OLD_MAJOR FROM
#   FROM  pgdg    apt.postgresql.org, through the script and signing key of postgresql-common
#                 (installed first): both majors then come from there
#         debian  bullseye on the image's own Debian mirror, pinned at priority 100 so that only
#                 what bookworm lacks comes from it (postgresql-13 and its libraries); the
#                 current major stays bookworm's. OLD_MAJOR must be 13, bullseye's only one.
#         auto    pgdg when apt.postgresql.org answers within 10 s, else debian
# Also stops postgresql-common from creating a cluster at install time.
set -euo pipefail

die() { echo "postgresql-sources: $*" >&2; exit 1; }
[ "$#" -eq 2 ] || die "usage: postgresql-sources.sh OLD_MAJOR pgdg|debian|auto"
old_major=$1 from=$2

if [ "$from" = auto ]; then
  if timeout 10 bash -c 'exec 3<>/dev/tcp/apt.postgresql.org/80' 2>/dev/null; then from=pgdg; else from=debian; fi
  echo "postgresql-sources: PG_OLD_FROM=auto chose $from"
fi

mkdir -p /etc/postgresql-common/createcluster.d
echo 'create_main_cluster = false' >/etc/postgresql-common/createcluster.d/datamon.conf

# The first bookworm mirror of the image's apt sources (deb822 or one-line format).
debian_mirror() {
  local uri
  uri=$(grep -hs -B3 -A3 -E '^Suites:.*\bbookworm\b' /etc/apt/sources.list.d/*.sources |
    sed -n 's/^URIs:[[:space:]]*\([^[:space:]]*\).*/\1/p' | grep -v -- '-security' | head -n 1)
  [ -n "$uri" ] || uri=$(grep -hs -E '^deb[[:space:]].*[[:space:]]bookworm[[:space:]]' /etc/apt/sources.list \
    /etc/apt/sources.list.d/*.list | awk '{ print $2 }' | head -n 1)
  echo "${uri:-http://deb.debian.org/debian}"
}

case "$from" in
  pgdg)
    /usr/share/postgresql-common/pgdg/apt.postgresql.org.sh -y
    ;;
  debian)
    [ "$old_major" = 13 ] ||
      die "Debian bullseye has PostgreSQL 13 only, not PG_OLD_MAJOR=$old_major; build with PG_OLD_FROM=pgdg"
    cat >/etc/apt/sources.list.d/bullseye.sources <<SOURCES
Types: deb
URIs: $(debian_mirror)
Suites: bullseye
Components: main
Signed-By: /usr/share/keyrings/debian-archive-keyring.gpg
SOURCES
    printf 'Package: *\nPin: release n=bullseye\nPin-Priority: 100\n' >/etc/apt/preferences.d/bullseye
    apt-get update
    ;;
  *) die "PG_OLD_FROM must be pgdg, debian or auto, not '$from'" ;;
esac
echo "postgresql-sources: PostgreSQL $old_major from $from"
