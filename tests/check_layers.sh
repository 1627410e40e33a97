#!/usr/bin/env bash
# The layers of common/ only look down: a file of one layer includes headers of its own layer or
# of a lower one, never of a higher one or of a sibling on the same level (cafs/model,
# template/transfer/purge). Every header is on the root include path, so this check, not the compiler,
# refuses a wrong include. The modules above common/ are checked the same way. Usage: check_layers.sh <source dir>. Prints each offending include.
set -euo pipefail
cd "$1"
# The order of common/CMakeLists.txt: util < http < auth < store < cafs, model < template, transfer, purge < config
declare -A rank=([util]=0 [http]=1 [auth]=2 [store]=3 [cafs]=4 [model]=4 [template]=5 [transfer]=5 [purge]=5 [config]=6)
bad=0
for layer in "${!rank[@]}"; do
  [ -d "common/$layer" ] || { echo "common/$layer: a layer of the table is missing"; bad=1; continue; }
done
for dir in common/*/; do
  layer=$(basename "$dir")
  [ -n "${rank[$layer]+x}" ] || { echo "common/$layer: not in the layer table of tests/check_layers.sh"; bad=1; }
done
while IFS=: read -r file line include; do
  from=${file#common/}
  from=${from%%/*}
  to=${include#*\"common/}
  to=${to%%/*}
  [ "$from" = "$to" ] && continue
  if [ -z "${rank[$to]+x}" ] || [ "${rank[$to]}" -ge "${rank[$from]}" ]; then
    echo "$file:$line: layer $from includes layer $to: $include"
    bad=1
  fi
done < <(grep -rn --include='*.h' --include='*.cpp' -E '^#include "common/' common)
# Above common/, each module includes common/ and only the modules its CMake target links: the
# sidecars run the mount as a child process (`datamon bundle mount`), so sidecar/ never includes
# fusefs/.
declare -A allowed=([fusefs]="common" [pgmover]="common" [sidecar]="common pgmover")
for module in "${!allowed[@]}"; do
  while IFS=: read -r file line include; do
    to=${include#*\"}
    to=${to%%/*}
    [ "$to" = "$module" ] && continue
    case " ${allowed[$module]} " in *" $to "*) continue ;; esac
    echo "$file:$line: module $module includes module $to: $include"
    bad=1
  done < <(grep -rn --include='*.h' --include='*.cpp' -E '^#include "[a-z_]+/' "$module")
done
exit "$bad"
