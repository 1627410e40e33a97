#!/usr/bin/env bash
# Runs the container tooling of docker/ with the real datamon binary, without a Docker engine
# (ctest: docker_bundle_check). Usage: bundle_check.sh DATAMON_BIN SOURCE_ROOT. Needs root
# (chroot, and PostgreSQL run as the postgres user), patchelf, postgresql-15.
#  1. bundle-datamon.sh: the bundle runs in an empty chroot (nothing from the host), and a
#     binary with an unresolvable library is refused, naming it, leaving nothing behind;
#  2. runtime-packages.sh names installed Debian packages, libfuse3 among them;
#  3. install-datamon.sh copies the bundle, verifies it, is re-runnable, refuses a missing DEST;
#  4. with-fuse-sidecar with the real fuse sidecar and wrapper on a file:// store: the output
#     folder becomes a labelled bundle; an app that exits 3 gives 3 and uploads nothing; SIGTERM
#     ends both processes;
#  5. healthcheck-pg.sh in each state of the pg sidecar, against a real PostgreSQL 15;
#  6. healthcheck-fuse.sh: healthy with no fault, unhealthy once the sidecar raised fusefailed
#     (coordination folder from the environment or from the sidecar's YAML).
set -euo pipefail

bin=$(readlink -f "${1:?usage: bundle_check.sh DATAMON_BIN SOURCE_ROOT}")
root=$(readlink -f "${2:?usage: bundle_check.sh DATAMON_BIN SOURCE_ROOT}")
tmp=$(mktemp -d /tmp/dm-docker-check.XXXXXX)
pg_bin=/usr/lib/postgresql/15/bin
pg_dir=""
cleanup() {
  if [ -n "$pg_dir" ] && [ -f "$pg_dir/data/postmaster.pid" ]; then
    runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m immediate stop >/dev/null 2>&1 || true
  fi
  rm -rf "$tmp"
}
trap cleanup EXIT
fail() {
  echo "bundle_check: FAIL: $*" >&2
  exit 1
}
pass() { echo "bundle_check: ok (${SECONDS}s): $*"; }
[ "$(id -u)" -eq 0 ] || fail "must run as root (chroot, runuser)"

# ---- 1. the self-contained bundle -------------------------------------------------------
"$root/docker/bundle-datamon.sh" "$bin" "$tmp/root/opt/datamon" /opt/datamon >/dev/null
[ "$(ls "$tmp/root")" = opt ] || fail "the chroot holds more than the bundle"
interp=$(patchelf --print-interpreter "$tmp/root/opt/datamon/bin/datamon")
case "$interp" in /opt/datamon/lib/ld-*) ;; *) fail "interpreter is '$interp'" ;; esac
version=$(chroot "$tmp/root" /opt/datamon/bin/datamon --version) ||
  fail "the bundled datamon does not run in an empty root"
[ "$version" = "$("$bin" --version)" ] || fail "bundled version '$version' differs from the binary's"
chroot "$tmp/root" /opt/datamon/bin/datamon wrap --help >/dev/null || fail "bundled 'datamon wrap --help' fails"
[ -s "$tmp/root/opt/datamon/etc/ssl/ca-certificates.crt" ] || fail "no CA bundle in the bundle"
pass "bundled datamon runs in an empty chroot ($(du -sh "$tmp/root/opt/datamon" | cut -f1))"

cp "$bin" "$tmp/broken"
patchelf --add-needed libdatamon-missing.so.7 "$tmp/broken"
if out=$("$root/docker/bundle-datamon.sh" "$tmp/broken" "$tmp/broken-bundle" 2>&1); then
  fail "bundle-datamon accepted a binary with a missing library"
fi
grep -q 'libdatamon-missing.so.7' <<<"$out" || fail "the error does not name the missing library: $out"
if [ -e "$tmp/broken-bundle" ] || [ -e "$tmp/broken-bundle.partial" ]; then fail "a refused bundle left files"; fi
if "$root/docker/bundle-datamon.sh" "$bin" "$tmp/root/opt/datamon" >/dev/null 2>&1; then
  fail "bundle-datamon overwrote an existing bundle"
fi
pass "bundle-datamon refuses a missing library (named) and an existing output"

# ---- 2. runtime packages ----------------------------------------------------------------
packages=$("$root/docker/runtime-packages.sh" "$bin")
grep -qx 'libfuse3-3' <<<"$packages" || fail "runtime-packages misses libfuse3-3: $packages"
while read -r p; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' ||
    fail "runtime-packages names '$p', which is not an installed package"
done <<<"$packages"
mkdir "$tmp/private-libs"
cp -L "$(ldd "$bin" | awk '/libb2\.so/ { print $3 }')" "$tmp/private-libs/"
cp "$bin" "$tmp/private"
patchelf --force-rpath --set-rpath "$tmp/private-libs" "$tmp/private"
if out=$("$root/docker/runtime-packages.sh" "$tmp/private" 2>&1); then
  fail "runtime-packages accepted a library that no package owns"
fi
grep -q "$tmp/private-libs/libb2" <<<"$out" || fail "runtime-packages does not name the unowned library: $out"
pass "runtime-packages: $(tr '\n' ' ' <<<"$packages")"

# ---- 3. install-datamon -----------------------------------------------------------------
mkdir "$tmp/install"
DATAMON_BUNDLE="$tmp/root/opt/datamon" "$root/docker/install-datamon.sh" "$tmp/install" >/dev/null
diff -r "$tmp/root/opt/datamon" "$tmp/install" >/dev/null || fail "the installed copy differs from the bundle"
DATAMON_BUNDLE="$tmp/root/opt/datamon" "$root/docker/install-datamon.sh" "$tmp/install" >/dev/null ||
  fail "install-datamon over a finished copy fails"
diff -r "$tmp/root/opt/datamon" "$tmp/install" >/dev/null || fail "the re-installed copy differs"
if DATAMON_BUNDLE="$tmp/root/opt/datamon" "$root/docker/install-datamon.sh" "$tmp/missing" 2>/dev/null; then
  fail "install-datamon accepted a missing destination"
fi
pass "install-datamon copies, verifies, re-runs, refuses a missing destination"

# ---- 4. with-fuse-sidecar, real sidecar and wrapper, file:// store ---------------------
mkdir -p "$tmp/app/bin" "$tmp/out"
cp "$bin" "$tmp/app/bin/datamon"
cp "$root/docker/with-fuse-sidecar.sh" "$tmp/app/bin/with-fuse-sidecar"
export DATAMON_GLOBAL_CONFIG="file://$tmp/store/config" DATAMON_CONTEXT=dev
export DATAMON_NAME="Docker Check" DATAMON_EMAIL="docker-check@example.com"
unset DATAMON_CONFIG
"$bin" context create --blob dev-blob --meta dev-meta --vmeta dev-vmeta --wal dev-wal --read-log dev-readlog >/dev/null
"$bin" repo create --repo results --description "outputs of the check" >/dev/null

no_leftovers() {  # $1 = run name; nothing started from the app folder may outlive a run
  if pgrep -f "$tmp/app/bin/" >/dev/null; then
    fail "processes of run '$1' are left: $(pgrep -af "$tmp/app/bin/" || true)"
  fi
}

fuse_config() {  # $1 = run name: its own coordination folder and bundle id file
  cat >"$tmp/$1.yaml" <<EOF
globalOpts:
  coordPoint: $tmp/coord-$1
  mountTimeout: 30s
  appTimeout: 60s
bundles:
  - name: results
    destPath: $tmp/out
    destRepo: results
    destMessage: check run $1
    destLabel: $1
    destBundleID: $tmp/bid-$1
EOF
}

fuse_config ok
status=0
timeout 120 "$tmp/app/bin/with-fuse-sidecar" "$tmp/ok.yaml" -- --coord "$tmp/coord-ok" --fuse --timeout 60s \
  -- /bin/sh -c "echo 'written by the app' > '$tmp/out/result.txt'" >"$tmp/ok.log" 2>&1 || status=$?
[ "$status" -eq 0 ] || fail "with-fuse-sidecar exited $status: $(tail -n 5 "$tmp/ok.log")"
no_leftovers ok
[ -s "$tmp/bid-ok" ] || fail "no bundle id written to destBundleID"
"$bin" bundle download --repo results --label ok --destination "$tmp/down" >/dev/null
[ "$(cat "$tmp/down/result.txt")" = "written by the app" ] || fail "the labelled bundle does not hold the app's output"
pass "with-fuse-sidecar: the app's output became bundle $(cat "$tmp/bid-ok") labelled 'ok'"

fuse_config failing
status=0
timeout 120 "$tmp/app/bin/with-fuse-sidecar" "$tmp/failing.yaml" -- --coord "$tmp/coord-failing" --fuse \
  --timeout 60s -- /bin/sh -c 'exit 3' >"$tmp/failing.log" 2>&1 || status=$?
[ "$status" -eq 3 ] || fail "an app exiting 3 gave status $status: $(tail -n 5 "$tmp/failing.log")"
no_leftovers failing
[ ! -e "$tmp/bid-failing" ] || fail "a failed app's outputs were uploaded"
if "$bin" label list --repo results 2>/dev/null | grep -qw failing; then fail "a failed app's label was set"; fi
pass "with-fuse-sidecar: an app exiting 3 gives 3 and uploads nothing"

fuse_config term
"$tmp/app/bin/with-fuse-sidecar" "$tmp/term.yaml" -- --coord "$tmp/coord-term" --fuse --timeout 60s \
  -- /bin/sleep 60 >"$tmp/term.log" 2>&1 &
runner=$!
for _ in $(seq 1 100); do [ -e "$tmp/coord-term/mountdone" ] && break; sleep 0.1; done
[ -e "$tmp/coord-term/mountdone" ] || fail "the fuse sidecar never signalled mountdone"
sleep 0.5
kill -TERM "$runner"
status=0
for _ in $(seq 1 150); do kill -0 "$runner" 2>/dev/null || break; sleep 0.1; done
if kill -0 "$runner" 2>/dev/null; then
  kill -KILL "$runner"
  fail "with-fuse-sidecar still runs 15 s after SIGTERM"
fi
wait "$runner" || status=$?
[ "$status" -ne 0 ] || fail "SIGTERM during the app gave status 0"
no_leftovers term
[ ! -e "$tmp/bid-term" ] || fail "a terminated app's outputs were uploaded"
pass "with-fuse-sidecar: SIGTERM ends the app, the wrapper and the sidecar (status $status)"

# ---- 5. healthcheck-pg.sh against a real PostgreSQL -------------------------------------
health() {
  SIDECAR_GLOBALOPTS_COORDPOINT="$tmp/pgcoord" SIDECAR_DATABASE_NAME=main SIDECAR_DATABASE_PGPORT="$port" \
    PATH="$pg_bin:$PATH" "$root/docker/healthcheck-pg.sh"
}
port=$(( 20000 + RANDOM % 20000 ))
pg_dir="$tmp/pg"
mkdir -p "$pg_dir" "$tmp/pgcoord/main"
chown postgres "$pg_dir"
chmod 0755 "$tmp"
health 2>/dev/null || fail "healthcheck-pg: unhealthy before dbstarted (a restore may be running)"
touch "$tmp/pgcoord/main/dbstarted"
if health 2>/dev/null; then fail "healthcheck-pg: healthy with no server on port $port"; fi
runuser -u postgres -- "$pg_bin/initdb" -D "$pg_dir/data" --auth=trust >/dev/null
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -w -l "$pg_dir/log" \
  -o "-p $port -k $pg_dir -c listen_addresses=127.0.0.1" start >/dev/null
health || fail "healthcheck-pg: unhealthy while the server accepts connections"
echo "could not restore: label 'nope' not found" >"$tmp/pgcoord/main/dbfailed"
if out=$(health 2>&1); then fail "healthcheck-pg: healthy with dbfailed raised"; fi
grep -q "label 'nope' not found" <<<"$out" || fail "healthcheck-pg does not give the reason: $out"
rm "$tmp/pgcoord/main/dbfailed"
runuser -u postgres -- "$pg_bin/pg_ctl" -D "$pg_dir/data" -m fast -w stop >/dev/null
touch "$tmp/pgcoord/main/initdbupload"
health || fail "healthcheck-pg: unhealthy after initdbupload (the server stops on purpose)"
pass "healthcheck-pg: starting, down, up, failed, stopping"

# ---- 6. healthcheck-fuse.sh and the fuse sidecar's failure signal -------------------------
mkdir -p "$tmp/fusecoord"
printf 'globalOpts:\n  coordPoint: "%s"  # from the YAML\nbundles: []\n' "$tmp/fusecoord" >"$tmp/fuse.yaml"
fuse_health() { DATAMON_FUSE_CONFIG="$tmp/fuse.yaml" "$root/docker/healthcheck-fuse.sh"; }
fuse_health || fail "healthcheck-fuse: unhealthy with no fault"
echo "mount of bundle 'in' failed: label 'nope' not found" >"$tmp/fusecoord/fusefailed"
if out=$(fuse_health 2>&1); then fail "healthcheck-fuse: healthy with fusefailed raised (coordPoint of the YAML)"; fi
grep -q "label 'nope' not found" <<<"$out" || fail "healthcheck-fuse does not give the reason: $out"
if SIDECAR_GLOBALOPTS_COORDPOINT="$tmp/fusecoord" "$root/docker/healthcheck-fuse.sh" 2>/dev/null; then
  fail "healthcheck-fuse: healthy with fusefailed raised (SIDECAR_GLOBALOPTS_COORDPOINT)"
fi
pass "healthcheck-fuse: healthy, then failed once fusefailed is raised"

echo "bundle_check: all passed"
