#!/usr/bin/env bash
# Prints, one per line, the Debian packages that hold the shared libraries BINARY needs, so
# that the runtime images install exactly what the builder linked against and nothing else.
# Usage: runtime-packages.sh BINARY. Fails naming the library that no package owns.
set -euo pipefail

die() { echo "runtime-packages: $*" >&2; exit 1; }
[ "$#" -eq 1 ] || die "usage: runtime-packages.sh BINARY"
[ -x "$1" ] || die "binary '$1' is missing or not executable"

mapfile -t libs < <(ldd "$1" | awk '/=> \// { print $3 }')
[ "${#libs[@]}" -gt 0 ] || die "'$1' needs no shared library (not a dynamic executable?)"

# Debian 12 merged /usr: dpkg may record a library as /lib/... or /usr/lib/..., under its
# name or the file a symlink points to. One dpkg query for all candidates (each is slow).
candidates() {
  local real
  real=$(readlink -f "$1")
  printf '%s\n' "$1" "$real" "/usr$1" "${1#/usr}" "/usr$real" "${real#/usr}"
}
mapfile -t paths < <(for lib in "${libs[@]}"; do candidates "$lib"; done | sort -u)
# Lines "pkg:arch: /path" or "pkg1, pkg2: /path"; paths no package owns are only on stderr.
owners=$(dpkg-query -S "${paths[@]}" 2>/dev/null || true)

for lib in "${libs[@]}"; do
  owner=""
  while read -r path; do
    owner=$(awk -v p="$path" '{ f = $NF } f == p { sub(/:.*/, ""); sub(/,.*/, ""); print; exit }' <<<"$owners")
    [ -z "$owner" ] || break
  done < <(candidates "$lib")
  [ -n "$owner" ] || die "no Debian package owns '$lib'"
  echo "$owner"
done | sort -u
