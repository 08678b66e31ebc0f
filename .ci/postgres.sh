#!/usr/bin/env bash
# Installs PostgreSQL from Debian's packages (if missing), starts a throwaway cluster on
# 127.0.0.1:${PGPORT:-55432} and prints its URL. Used by .ci/run and by developers for the
# PostgreSQL variants of the storage tests:  export PEAQOS_TEST_POSTGRES_URL=$(bash .ci/postgres.sh)
set -euo pipefail
port="${PGPORT:-55432}"
dir="${PGDATA_DIR:-/tmp/peaqos-pg-$port}"
if ! ls /usr/lib/postgresql/*/bin/initdb >/dev/null 2>&1; then
  apt-get update -qq >&2
  DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2
fi
bin="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
as_pg() { if [ "$(id -u)" = 0 ]; then runuser -u postgres -- "$@"; else "$@"; fi; }
if ! as_pg "$bin/pg_isready" -h 127.0.0.1 -p "$port" -q 2>/dev/null; then
  if [ ! -f "$dir/PG_VERSION" ]; then
    mkdir -p "$dir"
    [ "$(id -u)" = 0 ] && chown postgres "$dir"
    as_pg "$bin/initdb" -D "$dir" -U postgres --auth=trust -E UTF8 >/dev/null
  fi
  as_pg "$bin/pg_ctl" -D "$dir" -l "$dir/log" -o "-h 127.0.0.1 -p $port -k /tmp" -w start >/dev/null
fi
echo "postgres://postgres@127.0.0.1:$port/postgres"
