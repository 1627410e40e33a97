#!/usr/bin/env bash
# Makes a self-contained copy of the datamon binary that runs in any Linux image of the same
# CPU architecture (Debian, Ubuntu, RHEL, Alpine, distroless): the binary, every shared library
# it loads, glibc's own loader and the CA certificates, under one folder. The wrapper image
# ships this folder, and an init container copies it into a volume that the application
# container mounts at the same path (the loader path is absolute, see docker/README.md).
#
# Usage: bundle-datamon.sh BINARY OUTDIR [PREFIX]
#   OUTDIR  folder to create (must not exist): OUTDIR/bin/datamon, OUTDIR/lib/*, OUTDIR/etc/ssl/
#   PREFIX  where OUTDIR is mounted at run time (default /opt/datamon)
# Needs patchelf and ldd. Fails, naming the library, if a dependency cannot be resolved.
set -euo pipefail

die() { echo "bundle-datamon: $*" >&2; exit 1; }

[ "$#" -ge 2 ] || die "usage: bundle-datamon.sh BINARY OUTDIR [PREFIX]"
binary=$1
outdir=$2
prefix=${3:-/opt/datamon}
[ -x "$binary" ] || die "binary '$binary' is missing or not executable"
[ ! -e "$outdir" ] || die "output folder '$outdir' already exists"
command -v patchelf >/dev/null || die "patchelf is not installed (Debian package patchelf)"
case "$prefix" in /*) ;; *) die "prefix '$prefix' must be an absolute path" ;; esac

# ldd lines: "libfoo.so.1 => /lib/x86_64-linux-gnu/libfoo.so.1 (0x...)" and the loader as
# "/lib64/ld-linux-x86-64.so.2 (0x...)". "not found" means the bundle would not run.
ldd_out=$(ldd "$binary") || die "ldd failed on '$binary' (not a dynamic executable?)"
if missing=$(grep 'not found' <<<"$ldd_out"); then
  die "unresolved libraries for '$binary': $missing"
fi
loader=$(patchelf --print-interpreter "$binary")
[ -f "$loader" ] || die "loader '$loader' of '$binary' does not exist"

staging="$outdir.partial"
rm -rf "$staging"
mkdir -p "$staging/bin" "$staging/lib" "$staging/etc/ssl"
awk '/=> \// { print $3 }' <<<"$ldd_out" | while read -r lib; do
  cp -L "$lib" "$staging/lib/$(basename "$lib")"
done
cp -L "$loader" "$staging/lib/$(basename "$loader")"
cp "$binary" "$staging/bin/datamon"
chmod 0755 "$staging/bin/datamon" "$staging/lib/$(basename "$loader")"

# RPATH (not RUNPATH): glibc applies the executable's RPATH to the dependencies of its
# libraries too, so libcurl finds its own libraries here and never the host's.
patchelf --set-interpreter "$prefix/lib/$(basename "$loader")" \
         --force-rpath --set-rpath "$prefix/lib" "$staging/bin/datamon"

# libcurl looks for this exact path; images without ca-certificates get ours through the
# environment (SSL_CERT_FILE / CURL_CA_BUNDLE, see docker/README.md).
if [ -f /etc/ssl/certs/ca-certificates.crt ]; then
  cp /etc/ssl/certs/ca-certificates.crt "$staging/etc/ssl/ca-certificates.crt"
fi
mv "$staging" "$outdir"
echo "bundle-datamon: $outdir ($(du -sh "$outdir" | cut -f1)) for prefix $prefix"
