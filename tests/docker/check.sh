#!/usr/bin/env bash
# Static checks of docker/ and the Kubernetes manifests, for machines without a Docker engine
# (ctest: docker_static_checks). Usage: check.sh SOURCE_ROOT. Exits non-zero on any failure.
#  1. shellcheck on every shell script of the repository (by extension or shebang);
#  2. check_docker.py: Dockerfile COPY sources and ignore file, the builder's packages against
#     scripts/install-deps.sh, every command of entrypoints, health checks and shipped scripts
#     present in its image, manifests that parse and name only keys the sidecars and the
#     datamon config read, and that agree with each other; then the same checks on broken
#     copies, each of which must be caught (--self-test).
# Needs the Debian packages shellcheck, python3-yaml, tini, fuse3 and postgresql-15 (the
# command check resolves image contents with this machine's dpkg database).
# That the Dockerfile builds, and that the images and pods run, is checked by the CI stage
# tests/docker/run.sh, which builds them with podman.
set -euo pipefail

root=${1:?usage: check.sh SOURCE_ROOT}
here=$(cd "$(dirname "$0")" && pwd)
status=0

mapfile -t scripts < <(
  find "$root" -type d \( -name '.git' -o -name 'build*' -o -name 'node_modules' \) -prune -o -type f -print |
    while read -r file; do
      case "$file" in
        *.sh) echo "$file" ;;
        *) if head -n 1 "$file" 2>/dev/null | grep -qE '^#!.*/(env )?(ba|da)?sh\b'; then echo "$file"; fi ;;
      esac
    done | sort)
if [ "${#scripts[@]}" -lt 6 ]; then
  echo "check: found only ${#scripts[@]} shell scripts under $root (the docker/ ones alone are 6)" >&2
  status=1
fi
echo "check: shellcheck on ${#scripts[@]} scripts"
shellcheck --external-sources "${scripts[@]}" || status=1

echo "check: docker/ and docker/k8s/"
/usr/bin/python3 "$here/check_docker.py" "$root" --self-test || status=1

[ "$status" -eq 0 ] && echo "check: all passed"
exit "$status"
