#!/bin/sh
# Health check of the pg sidecar image (Docker HEALTHCHECK, Kubernetes probes). Unhealthy when
# the sidecar raised {coord}/{name}/dbfailed, or when the server does not accept connections
# between {name}/dbstarted and {name}/initdbupload (before, a restore may take long; after,
# the sidecar stops the server on purpose). Reads the SIDECAR_* variables the pg sidecar
# reads, with its defaults. Exit 0 when healthy, else 1 with one line on stderr.
set -eu

coord=${SIDECAR_GLOBALOPTS_COORDPOINT:-/tmp/coord}
name=${SIDECAR_DATABASE_NAME:-db}
port=${SIDECAR_DATABASE_PGPORT:-5432}

if [ -e "$coord/$name/dbfailed" ]; then
  echo "healthcheck: database '$name' failed: $(head -c 200 "$coord/$name/dbfailed")" >&2
  exit 1
fi
[ -e "$coord/$name/dbstarted" ] || exit 0
[ ! -e "$coord/$name/initdbupload" ] || exit 0
if ! pg_isready -q -h 127.0.0.1 -p "$port" -t 5; then
  echo "healthcheck: database '$name' does not accept connections on port $port" >&2
  exit 1
fi
