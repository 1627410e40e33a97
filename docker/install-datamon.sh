#!/bin/sh
# Entrypoint of the wrapper image, run as an init container: copies the self-contained datamon
# (/opt/datamon, made by bundle-datamon.sh) into DEST, a volume that the application container
# mounts at /opt/datamon, then runs the copy once so that a broken copy fails the pod here
# and not later inside the application. Re-running over a finished copy is harmless.
# Usage: install-datamon.sh [DEST]   (default /install; DATAMON_BUNDLE overrides the source)
set -eu

src=${DATAMON_BUNDLE:-/opt/datamon}
dest=${1:-/install}

if [ ! -d "$dest" ]; then
  echo "install-datamon: destination '$dest' is not a directory (mount a volume there)" >&2
  exit 1
fi
# Copy next to the target, then rename: the application never sees a half-copied tree.
rm -rf "$dest/.datamon.partial"
mkdir "$dest/.datamon.partial"
cp -a "$src/." "$dest/.datamon.partial/"
for entry in bin lib etc; do
  rm -rf "${dest:?}/$entry"
  mv "$dest/.datamon.partial/$entry" "$dest/$entry"
done
rmdir "$dest/.datamon.partial"

# The copy must run through its own loader, as the application container will run it.
loader=$(find "$dest/lib" -maxdepth 1 -name 'ld-linux*' | head -n 1)
if [ -z "$loader" ]; then
  echo "install-datamon: no loader in '$dest/lib'" >&2
  exit 1
fi
if ! version=$("$loader" --library-path "$dest/lib" "$dest/bin/datamon" --version); then
  echo "install-datamon: the copy in '$dest' does not run" >&2
  exit 1
fi
echo "install-datamon: $version installed in $dest (mount it at /opt/datamon in the application container)"
