#!/usr/bin/env bash
# The Firebase Storage emulator (GCS JSON API) on 127.0.0.1 for the tests and benchmarks.
#   gcs-emulator.sh start  -> http://127.0.0.1:${GCS_PORT:-9199}; no auth; buckets appear on first use
#   gcs-emulator.sh stop   -> SIGTERM by pid file (the emulator deletes its blobs)
# The npm packages are installed with `npm ci` from this folder's package.json and
# package-lock.json into GCS_EMU_DIR (default /var/tmp/dm-gcs-emulator), once per lock file.
# Each port has its own pid file, log and blob folder there, so that a private instance (a
# benchmark's) can run beside the tests' one.
set -euo pipefail

HERE=$(cd "$(dirname "$0")" && pwd)
EMU_DIR=${GCS_EMU_DIR:-/var/tmp/dm-gcs-emulator}
PORT=${GCS_PORT:-9199}
PID_FILE=$EMU_DIR/emulator-$PORT.pid
LOG_FILE=$EMU_DIR/emulator-$PORT.log
BLOB_TMP=$EMU_DIR/tmp-$PORT  # the emulator keeps its blobs under $TMPDIR/firebase

log() { echo "gcs-emulator.sh: $*" >&2; }
answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/storage/v1/b/probe/o"; }

install_if_missing() {
  if ! command -v node >/dev/null; then
    log "installing nodejs npm"
    local sudo=""
    [ "$(id -u)" -eq 0 ] || sudo=sudo
    $sudo apt-get update -qq
    DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends nodejs npm >/dev/null
  fi
  mkdir -p "$EMU_DIR"
  if [ -d "$EMU_DIR/node_modules/firebase-tools" ] && cmp -s "$HERE/package-lock.json" "$EMU_DIR/package-lock.json"; then
    return 0
  fi
  log "npm ci (firebase-tools, pinned) into $EMU_DIR"
  cp "$HERE/package.json" "$HERE/package-lock.json" "$EMU_DIR/"
  (cd "$EMU_DIR" && npm ci --no-audit --no-fund --ignore-scripts --loglevel=error >/dev/null)
}

stop() {
  if [ -f "$PID_FILE" ]; then
    local pid
    pid=$(cat "$PID_FILE")
    kill "$pid" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$pid" 2>/dev/null || true
    rm -f "$PID_FILE"
  fi
  rm -rf "$BLOB_TMP"
}

start() {
  install_if_missing
  if [ -f "$PID_FILE" ] && kill -0 "$(cat "$PID_FILE")" 2>/dev/null && answers; then
    log "already running on 127.0.0.1:$PORT"
    return 0
  fi
  stop
  mkdir -p "$BLOB_TMP"
  TMPDIR=$BLOB_TMP FIREBASE_TOOLS_DIR=$EMU_DIR/node_modules/firebase-tools GCS_HOST=127.0.0.1 GCS_PORT=$PORT \
    setsid node "$HERE/gcs-emulator.js" >"$LOG_FILE" 2>&1 </dev/null &
  echo $! >"$PID_FILE"
  for i in $(seq 1 100); do
    answers && { log "GCS JSON API on http://127.0.0.1:$PORT"; return 0; }
    kill -0 "$(cat "$PID_FILE")" 2>/dev/null || { log "emulator exited: $(tail -5 "$LOG_FILE")"; exit 1; }
    [ "$i" = 100 ] && { log "emulator did not answer (see $LOG_FILE)"; exit 1; }
    sleep 0.2
  done
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
