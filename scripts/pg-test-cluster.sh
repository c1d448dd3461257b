#!/usr/bin/env bash
# A throwaway PostgreSQL cluster for the test suite, without systemd.
#   scripts/pg-test-cluster.sh start   -> prints the EPI_TEST_POSTGRES_URL to use
#   scripts/pg-test-cluster.sh stop
# Environment: PGTEST_DIR (default /tmp/epi-pgtest), PGTEST_PORT (default 5433).
set -euo pipefail
dir=${PGTEST_DIR:-/tmp/epi-pgtest}
port=${PGTEST_PORT:-5433}
bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1)
[ -n "$bin" ] || { echo "PostgreSQL server binaries not found (apt-get install postgresql)" >&2; exit 1; }
as_postgres() { runuser -u postgres -- "$@"; }

case "${1:-}" in
  start)
    if [ -f "$dir/data/postmaster.pid" ]; then as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true; fi
    rm -rf "$dir"
    mkdir -p "$dir"
    chown postgres:postgres "$dir"
    # The postgres user must be able to reach the folder: every parent needs o+x.
    if ! as_postgres test -w "$dir"; then echo "the postgres user cannot write $dir (check its parents' permissions)" >&2; exit 1; fi
    as_postgres "$bin/initdb" -D "$dir/data" -A trust -U postgres -E UTF8 --locale=C.UTF-8 >"$dir/initdb.log" 2>&1 \
      || { cat "$dir/initdb.log" >&2; exit 1; }
    # Test databases live for seconds. Autovacuum is off because its workers are superuser processes:
    # one busy in a test database makes the non-superuser test role's DROP DATABASE … WITH (FORCE) fail.
    as_postgres "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 \
      -o "-p $port -k $dir -c listen_addresses=127.0.0.1 -c fsync=off -c synchronous_commit=off -c full_page_writes=off -c max_connections=500 -c autovacuum=off" start >/dev/null \
      || { cat "$dir/server.log" >&2; exit 1; }
    psql -q -h 127.0.0.1 -p "$port" -U postgres -v ON_ERROR_STOP=1 \
      -c "CREATE ROLE epi LOGIN PASSWORD 'epi' CREATEDB" -c "CREATE DATABASE epi_test OWNER epi" >/dev/null
    echo "postgres://epi:epi@127.0.0.1:$port/epi_test"
    ;;
  stop)
    [ -d "$dir/data" ] && as_postgres "$bin/pg_ctl" -D "$dir/data" -m fast stop >/dev/null 2>&1 || true
    ;;
  *)
    echo "usage: $0 start|stop" >&2
    exit 2
    ;;
esac
