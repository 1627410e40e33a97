#!/usr/bin/env bash
# Ceph RGW as a single S3 node on 127.0.0.1 for the tests and benchmarks: 1 mon, 1 memstore OSD,
# 1 radosgw (beast, tcp_nodelay). Installs the Debian packages if missing.
#   rgw.sh start   -> S3 on http://127.0.0.1:${RGW_PORT:-7480}, user TESTKEY / TESTSECRET
#   rgw.sh stop    -> kills the three daemons by their pid files, deletes the run folder
# RGW_RUN_DIR (default /tmp/dm-rgw) holds ceph.conf, keyrings, data, logs and pid files. A second
# instance (a private one for a benchmark) needs its own RGW_RUN_DIR, RGW_PORT and RGW_MON_PORT.
set -euo pipefail

RUN_DIR=${RGW_RUN_DIR:-/tmp/dm-rgw}
PORT=${RGW_PORT:-7480}
MON_PORT=${RGW_MON_PORT:-3300}
ACCESS_KEY=${RGW_ACCESS_KEY:-TESTKEY}
SECRET_KEY=${RGW_SECRET_KEY:-TESTSECRET}
MEMSTORE_BYTES=${MEMSTORE_BYTES:-4294967296}
export CEPH_CONF=$RUN_DIR/ceph.conf

log() { echo "rgw.sh: $*" >&2; }

install_if_missing() {
  command -v radosgw >/dev/null && command -v ceph-mon >/dev/null && command -v ceph-osd >/dev/null &&
    command -v ceph >/dev/null && return 0
  log "installing ceph-mon ceph-osd radosgw ceph-common"
  local sudo=""
  [ "$(id -u)" -eq 0 ] || sudo=sudo
  $sudo apt-get update -qq
  DEBIAN_FRONTEND=noninteractive $sudo apt-get install -y -qq --no-install-recommends \
    ceph-mon ceph-osd radosgw ceph-common >/dev/null
}

answers() { curl -s -o /dev/null --max-time 2 "http://127.0.0.1:$PORT/"; }

stop() {
  for d in radosgw osd mon; do
    local pidf=$RUN_DIR/$d.pid
    if [ -f "$pidf" ]; then
      local pid
      pid=$(cat "$pidf")
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 1 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$RUN_DIR"
}

start() {
  install_if_missing
  if [ -f "$RUN_DIR/radosgw.pid" ] && kill -0 "$(cat "$RUN_DIR/radosgw.pid")" 2>/dev/null && answers; then
    log "already running on 127.0.0.1:$PORT"
    return 0
  fi
  stop
  mkdir -p "$RUN_DIR"/{mon,osd,rgw,run}
  local fsid osd_uuid
  fsid=$(cat /proc/sys/kernel/random/uuid)
  osd_uuid=$(cat /proc/sys/kernel/random/uuid)
  cat >"$CEPH_CONF" <<CONF
[global]
fsid = $fsid
mon host = v2:127.0.0.1:$MON_PORT
public network = 127.0.0.0/8
auth cluster required = cephx
auth service required = cephx
auth client required = cephx
keyring = $RUN_DIR/keyring
run dir = $RUN_DIR/run
log file = $RUN_DIR/\$name.log
admin socket = $RUN_DIR/run/\$name.asok
osd pool default size = 1
osd pool default min size = 1
mon allow pool size one = true
osd crush chooseleaf type = 0
mon warn on pool no redundancy = false
ms bind ipv6 = false
[mon.a]
mon data = $RUN_DIR/mon
pid file = $RUN_DIR/mon.pid
[osd.0]
osd data = $RUN_DIR/osd
osd objectstore = memstore
memstore device bytes = $MEMSTORE_BYTES
osd max object size = 134217728
pid file = $RUN_DIR/osd.pid
[client.rgw.a]
rgw frontends = beast endpoint=127.0.0.1:$PORT tcp_nodelay=1
rgw data = $RUN_DIR/rgw
rgw dns name = localhost
rgw thread pool size = 64
pid file = $RUN_DIR/radosgw.pid
CONF
  local kr=$RUN_DIR/keyring
  ceph-authtool --create-keyring "$kr" --gen-key -n mon. --cap mon 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.admin --cap mon 'allow *' --cap osd 'allow *' --cap mgr 'allow *' >/dev/null
  ceph-authtool "$kr" --gen-key -n osd.0 --cap mon 'allow profile osd' --cap osd 'allow *' \
    --cap mgr 'allow profile osd' >/dev/null
  ceph-authtool "$kr" --gen-key -n client.rgw.a --cap mon 'allow rw' --cap osd 'allow rwx' --cap mgr 'allow rw' >/dev/null
  monmaptool --create --addv a "[v2:127.0.0.1:$MON_PORT]" --fsid "$fsid" "$RUN_DIR/monmap" >/dev/null
  ceph-mon --mkfs -i a --monmap "$RUN_DIR/monmap" --keyring "$kr"
  ceph-mon -i a
  ceph --connect-timeout 20 osd new "$osd_uuid" 0 >/dev/null
  ceph-osd --mkfs -i 0 --osd-uuid "$osd_uuid" >/dev/null 2>&1
  ceph-osd -i 0
  for i in $(seq 1 120); do
    ceph --connect-timeout 5 osd stat 2>/dev/null | grep -q '1 up' && break
    [ "$i" = 120 ] && { log "OSD did not come up (see $RUN_DIR/osd.0.log)"; exit 1; }
    sleep 0.5
  done
  radosgw -n client.rgw.a
  for i in $(seq 1 240); do
    answers && break
    [ "$i" = 240 ] && { log "radosgw did not answer on 127.0.0.1:$PORT (see $RUN_DIR/client.rgw.a.log)"; exit 1; }
    sleep 0.5
  done
  radosgw-admin -n client.admin user create --uid=test --display-name=test \
    --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >/dev/null
  log "S3 on http://127.0.0.1:$PORT (run folder $RUN_DIR)"
}

case "${1:-}" in
  start) start ;;
  stop) stop ;;
  *) echo "usage: $0 start|stop" >&2; exit 2 ;;
esac
