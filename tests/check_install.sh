#!/usr/bin/env bash
# What a packager's `cmake --install` ships: bin/datamon under the prefix, runnable, and nothing
# else. Usage: check_install.sh CMAKE BUILD_DIR
set -euo pipefail
cmake=$1 build=$2
prefix=$(mktemp -d)
trap 'rm -rf "$prefix"' EXIT
"$cmake" --install "$build" --prefix "$prefix" >/dev/null
found=$(cd "$prefix" && find . ! -type d | sort)
if [ "$found" != "./bin/datamon" ]; then
  echo "cmake --install: expected ./bin/datamon alone under the prefix, found:" >&2
  echo "${found:-(nothing)}" >&2
  exit 1
fi
"$prefix/bin/datamon" --version
