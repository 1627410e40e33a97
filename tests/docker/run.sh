#!/usr/bin/env bash
# CI stage "docker" (issue 16): builds the images from this tree as a user would, then runs the
# Kubernetes examples for real with podman. Runnable alone from a fresh clone, as root:
#   bash tests/docker/run.sh
#  1. installs podman and friends (scripts/install-containers.sh), makes the base image
#     (scripts/make-base-image.sh), builds the three images of docker/Dockerfile with
#     `podman build --format docker` (a Dockerfile that does not build fails the stage);
#  2. a file:// store in a host folder, prepared with the images' own datamon: an input bundle
#     and a PostgreSQL 15 bundle, both labelled `production`;
#  3. `podman kube play` of docker/k8s/config.yaml, the Secret and docker/k8s/pod.yaml (their CI
#     copies, tests/docker/kube_ci.py): every container exits 0, the outputs and the database
#     are saved as new bundles labelled `nightly` that restore to exactly what the application
#     wrote (the application's own copy) and the database it changed;
#  4. the Argo workflow's step (docker/k8s/workflow.yaml) as a pod, checked as in 3;
#  5. the failure pod: the same with an input label that does not exist: the application
#     container exits non-zero naming it within DM_FAILURE_BOUND seconds, every container ends.
# The whole stage is bounded (DM_DOCKER_STAGE_TIMEOUT seconds, default 2400: in CI it runs beside
# the other suites), and it removes every pod, container, volume, secret, build container and
# image it made, even on failure, and nothing else (other users may run podman at the same time).
#   DM_KEEP_IMAGES=1   keep the images built (and the base image) for the next run
#   DM_IMAGES_TAG=T    use the images datamon-*:T already built (docker/build-images.sh T with
#                      CONTAINER_ENGINE=podman) instead of building them: the pods only
#   PG_OLD_FROM        the pg image's source of PostgreSQL 13: auto (default), debian, pgdg
set -euo pipefail

if [ -z "${DM_DOCKER_STAGE_BOUNDED:-}" ]; then
  export DM_DOCKER_STAGE_BOUNDED=1
  exec timeout --kill-after=60 "${DM_DOCKER_STAGE_TIMEOUT:-2400}" bash "$0" "$@"
fi

root=$(cd "$(dirname "$0")/../.." && pwd)
cd "$root"
[ "$(id -u)" -eq 0 ] || { echo "docker stage: run as root" >&2; exit 1; }
tag=${DM_IMAGES_TAG:-ci$$}
failure_bound=${DM_FAILURE_BOUND:-120}
pod_bound=${DM_POD_BOUND:-300}
work=$(mktemp -d /var/tmp/datamon-docker-stage.XXXXXX)
chmod 0755 "$work"
store=$work/store
stage_start=$SECONDS

log() { echo "docker stage ($((SECONDS - stage_start))s): $*"; }
fail() {
  echo "docker stage: FAIL: $*" >&2
  exit 1
}

# ---- tools, and what exists before the stage (everything else is ours to remove) -----------
export CONTAINERS_CONF
CONTAINERS_CONF=$(bash scripts/install-containers.sh "$work/containers.conf" | tail -n 1)
python3 -c 'import yaml' 2>/dev/null ||
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends python3-yaml >/dev/null
podman images -a -q --no-trunc | sort -u >"$work/images.before"
podman ps -a -q --no-trunc --external | sort -u >"$work/containers.before"
podman secret ls --format '{{.Name}}' | sort -u >"$work/secrets.before"
podman volume ls -q | sort -u >"$work/volumes.before"
run_id=dmci$$
pods=()  # the pods played
runs=0   # containers started with podman run, named $run_id-N

cleanup() {
  local status=$?
  trap - EXIT INT TERM
  set +e
  # Only what this stage made: other users may run podman on this machine at the same time.
  for pod in "${pods[@]}"; do
    podman ps -a -q --filter "pod=$pod" | xargs -r podman rm -f --volumes >/dev/null 2>&1
    podman pod rm -f "$pod" >/dev/null 2>&1
  done
  podman ps -a -q --filter "name=^$run_id-" | xargs -r podman rm -f --volumes >/dev/null 2>&1
  comm -13 "$work/secrets.before" <(podman secret ls --format '{{.Name}}' | sort -u) |
    grep -x datamon-credentials | xargs -r podman secret rm >/dev/null 2>&1
  # kube play keeps ConfigMaps and Secrets as named volumes.
  comm -13 "$work/volumes.before" <(podman volume ls -q | sort -u) |
    grep -E -x 'datamon-(config|fuse-sidecar|pg-sidecar|credentials)' | xargs -r podman volume rm -f >/dev/null 2>&1
  # A build cut short removes its own build containers (podman build --force-rm, the default).
  if [ "${DM_KEEP_IMAGES:-0}" != 1 ] && [ -z "${DM_IMAGES_TAG:-}" ]; then
    # Our images, then the layers they were built from (the build cache) that are new.
    : >"$work/layers.ours"
    for target in builder wrapper fuse-sidecar pg-sidecar; do
      podman history -q "datamon-$target:$tag" 2>/dev/null | grep -v missing >>"$work/layers.ours"
      podman rmi "datamon-$target:$tag" >/dev/null 2>&1
    done
    podman images -a -q --no-trunc | sort -u >"$work/images.after"
    for _ in 1 2 3; do
      while read -r layer; do
        full=$(grep -m 1 "$layer" "$work/images.after") || continue
        grep -qx "$full" "$work/images.before" || podman rmi "$layer" >/dev/null 2>&1
      done <"$work/layers.ours"
    done
  fi
  rm -rf "$work"
  if [ "$status" -eq 0 ]; then log "passed"; else echo "docker stage: failed (status $status)" >&2; fi
  exit "$status"
}
trap cleanup EXIT
trap 'exit 143' TERM
trap 'exit 130' INT

# ---- 1. images ------------------------------------------------------------------------------
t=$SECONDS
[ -n "${DM_IMAGES_TAG:-}" ] || bash scripts/make-base-image.sh
log "base image in $((SECONDS - t))s"
# The builder stage is tagged too: it is in no image's history, so an untagged one would be left
# behind as a dangling image of the compiled tree (about 560 MB) by every run.
for target in builder wrapper fuse-sidecar pg-sidecar; do
  if [ -n "${DM_IMAGES_TAG:-}" ]; then
    [ "$target" != builder ] || continue
    podman image exists "datamon-$target:$tag" || fail "DM_IMAGES_TAG=$tag: no image datamon-$target:$tag"
    continue
  fi
  t=$SECONDS
  # RUN steps need the Debian mirror: the host's network (no CNI plugin or netavark needed).
  podman build --format docker --pull=never --network host --build-arg "PG_OLD_FROM=${PG_OLD_FROM:-auto}" \
    -f docker/Dockerfile --target "$target" -t "datamon-$target:$tag" . >"$work/build-$target.log" 2>&1 || {
    tail -n 40 "$work/build-$target.log" >&2
    fail "docker/Dockerfile does not build target '$target' (podman build --format docker)"
  }
  log "image datamon-$target:$tag in $((SECONDS - t))s"
done
podman images --format '{{.Repository}}:{{.Tag}} {{.Size}}' | grep -E "/datamon-(wrapper|fuse-sidecar|pg-sidecar):$tag " |
  while read -r name size unit; do log "size of $name: $size $unit"; done

# ---- 2. the store -----------------------------------------------------------------------------
# datamon from the images: `dm IMAGE USER ARGS...`, with the store and the work folder mounted.
printf 'config: file://%s/config\ncontext: dev\n' "$store" >"$work/datamon.yaml"
dm_in() {
  local image=$1 user=$2
  shift 2
  runs=$((runs + 1))
  podman run --rm --name "$run_id-$runs" --network none --user "$user" -e DATAMON_CONFIG="$work/datamon.yaml" \
    -v "$work:$work" --entrypoint /usr/local/bin/datamon "datamon-$image:$tag" "$@"
}
sh_in() {
  local image=$1 user=$2
  shift 2
  runs=$((runs + 1))
  podman run --rm --name "$run_id-$runs" --network none --user "$user" -e DATAMON_CONFIG="$work/datamon.yaml" \
    -v "$work:$work" --entrypoint /bin/sh "datamon-$image:$tag" -c "$@"
}
mkdir -p "$store" "$work/input/sub"
dm_in fuse-sidecar 0 context create --blob dev-blob --meta dev-meta --vmeta dev-vmeta --wal dev-wal \
  --read-log dev-readlog >/dev/null
for repo in training-data model-results app-database; do
  dm_in fuse-sidecar 0 repo create --repo "$repo" --description "CI $repo" >/dev/null
done
echo "first input" >"$work/input/a.txt"
head -c 3000017 /dev/urandom >"$work/input/sub/b.bin"
dm_in fuse-sidecar 0 bundle upload --path "$work/input" --repo training-data --message "CI input" \
  --label production >/dev/null
# The database: one row in runs, made by PostgreSQL 15 in the pg image, committed as production.
chmod -R a+rwX "$store"
sh_in pg-sidecar 999 "set -e
  datamon pg init --pgdata /tmp/pg --owner app >/dev/null
  datamon pg start --pgdata /tmp/pg --port 5432 >/dev/null
  psql -h 127.0.0.1 -U app -d postgres -v ON_ERROR_STOP=1 -q \
    -c \"CREATE TABLE runs (at timestamptz DEFAULT now()); INSERT INTO runs VALUES ('2020-01-01 00:00:00+00')\"
  datamon pg stop --pgdata /tmp/pg >/dev/null
  datamon pg commit --pgdata /tmp/pg --repo app-database --message 'CI database' --label production >/dev/null"
# Written by root and by the postgres user (999) in the pods: a shared local store.
chmod -R a+rwX "$store"
log "store ready: bundles training-data@production, app-database@production"

# ---- the pods ---------------------------------------------------------------------------------
mkdir -p "$work/kube" "$work/witness"
python3 tests/docker/kube_ci.py "$root" "$work/kube" "$store" "$work/witness" "$tag"
podman kube play "$work/kube/secret.yaml" >/dev/null

# The containers of pod NAME (not its infra container), "name status exitcode" per line.
pod_states() {
  local c
  for c in $(podman ps -a --filter "pod=$1" --format '{{.Names}}' | grep -v -- '-infra$'); do
    echo "$c $(podman inspect --format '{{.State.Status}} {{.State.ExitCode}}' "$c")"
  done
}
# Plays CONFIG + POD_YAML and waits, up to BOUND seconds, until every container has exited;
# sets pod_name.
play_until_done() {
  local config=$1 pod_yaml=$2 bound=$3 name
  name=$(python3 -c 'import sys, yaml; print(yaml.safe_load(open(sys.argv[1]))["metadata"]["name"])' "$pod_yaml")
  cat "$config" >"$work/kube/play.yaml"
  printf -- '---\n' >>"$work/kube/play.yaml"
  cat "$pod_yaml" >>"$work/kube/play.yaml"
  pods+=("$name")
  # No network of its own: the pod's containers share a loopback, which is all they use.
  podman kube play --network none "$work/kube/play.yaml" >"$work/play.log" 2>&1 || {
    cat "$work/play.log" >&2
    fail "podman kube play $pod_yaml"
  }
  local t=$SECONDS states
  while :; do
    states=$(pod_states "$name")
    # Done when the pod's containers are listed and every one of them has exited.
    if [ -n "$states" ] && ! grep -qv ' exited ' <<<"$states"; then break; fi
    if [ $((SECONDS - t)) -gt "$bound" ]; then
      pod_states "$name" >&2
      for c in $(pod_states "$name" | awk '{ print $1 }'); do
        echo "--- $c" >&2
        podman logs "$c" 2>&1 | tail -n 30 >&2
      done
      fail "pod $name still runs after ${bound}s"
    fi
    sleep 2
  done
  podman ps -a --filter "pod=$name" --format '{{.Names}}' | grep -v -- '-infra$' | while read -r c; do
    podman logs "$c" >"$work/log-$c.txt" 2>&1
  done
  pod_name=$name
}
pod_down() {
  podman kube down "$work/kube/play.yaml" >/dev/null
}

# The outputs bundle labelled nightly holds exactly the application's own copy; the database
# bundle labelled nightly holds the row of the production bundle and the application's one.
check_saved() {
  local what=$1 witness=$2
  rm -rf "$work/back"
  dm_in fuse-sidecar 0 bundle download --repo model-results --label nightly --destination "$work/back" >/dev/null
  diff -r --exclude=.datamon "$work/back" "$witness" >&2 || fail "$what: the saved outputs differ from what the app wrote"
  if ! grep -q 'a.txt' "$witness/inputs-listing.txt" || ! grep -q 'b.bin' "$witness/inputs-listing.txt"; then
    fail "$what: the application did not see the mounted input bundle"
  fi
  local rows
  rows=$(sh_in pg-sidecar 999 "set -e
    datamon pg restore --repo app-database --label nightly --pgdata /tmp/pg >/dev/null
    datamon pg start --pgdata /tmp/pg --port 5432 >/dev/null
    psql -h 127.0.0.1 -U app -d postgres -XAtq -c 'SELECT count(*), min(at) FROM runs'
    datamon pg stop --pgdata /tmp/pg >/dev/null")
  case "$rows" in
    "2|2020-01-01 00:00:00+00") ;;
    *) fail "$what: the saved database holds '$rows' in runs, not the production row and one more" ;;
  esac
  log "$what: outputs and database saved as bundles labelled nightly, restorable, as written"
}

# ---- 3. the pod -------------------------------------------------------------------------------
t=$SECONDS
play_until_done "$work/kube/config.yaml" "$work/kube/pod.yaml" "$pod_bound"
name=$pod_name
states=$(pod_states "$name")
if grep -v ' exited 0$' <<<"$states" >&2; then
  for f in "$work"/log-*.txt; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done
  fail "pod.yaml: a container did not exit 0"
fi
log "pod.yaml: every container exited 0 in $((SECONDS - t))s: $(tr '\n' ' ' <<<"$states")"
check_saved "pod.yaml" "$work/witness/pod"
pod_down

# ---- 4. the Argo workflow's step as a pod -----------------------------------------------------
t=$SECONDS
play_until_done "$work/kube/config.yaml" "$work/kube/workflow-step.yaml" "$pod_bound"
name=$pod_name
states=$(pod_states "$name")
if grep -v ' exited 0$' <<<"$states" >&2; then
  for f in "$work"/log-*.txt; do echo "--- $f" >&2; tail -n 30 "$f" >&2; done
  fail "workflow.yaml's step: a container did not exit 0"
fi
log "workflow.yaml's step: every container exited 0 in $((SECONDS - t))s"
check_saved "workflow.yaml's step" "$work/witness/workflow"
pod_down
# ---- 5. the failure pod -----------------------------------------------------------------------
rm -rf "$work/witness/pod"
t=$SECONDS
play_until_done "$work/kube/config-failure.yaml" "$work/kube/pod.yaml" "$failure_bound"
name=$pod_name
elapsed=$((SECONDS - t))
app_status=$(pod_states "$name" | awk '$1 ~ /-app$/ { print $3 }')
if [ -z "$app_status" ] || [ "$app_status" -eq 0 ]; then
  fail "failure pod: the application container exited '$app_status'"
fi
grep -q "no-such-label" "$work/log-$name-app.txt" ||
  fail "failure pod: the application container's log does not name the label: $(tail -n 5 "$work/log-$name-app.txt")"
[ ! -e "$work/witness/pod/inputs-listing.txt" ] || fail "failure pod: the application ran"
log "failure pod: the wrapper exited $app_status naming the label, every container ended, in ${elapsed}s (bound ${failure_bound}s)"
pod_down

log "total $((SECONDS - stage_start))s"
