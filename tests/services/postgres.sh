#!/usr/bin/env bash
# A throwaway PostgreSQL server for the tests that talk to a real database (libpq through P/Invoke).
#   tests/services/postgres.sh start        installs PostgreSQL and libpq if missing (apt-get, as root), creates a
#                                          cluster in a new temporary directory (trust auth, listening on 127.0.0.1
#                                          only, on a free port from 55432 up), waits until it accepts connections,
#                                          and prints, on stdout, the shell lines to eval:
#                                            export CO_TEST_PG='host=127.0.0.1 port=N user=postgres dbname=postgres'
#                                            export CO_TEST_PG_DIR=/tmp/co-test-pg.XXXXXX
#   tests/services/postgres.sh stop [DIR]   stops that server and removes its directory (DIR defaults to $CO_TEST_PG_DIR)
# Progress and errors go to stderr; a server that cannot be started is an error (exit status 1), never a silent skip.
set -euo pipefail

FIRST_PORT=55432
LAST_PORT=55531
MARKER=co-test-postgres # a file of this name marks a directory as one of ours, so stop never removes anything else

say() { echo "postgres.sh: $*" >&2; }
die() { say "$*"; exit 1; }

HERE=$(cd "$(dirname "$0")" && pwd)

# Installs PostgreSQL's server and libpq if missing (tests/services/packages.sh knows how), then prints the directory
# of its programs.
pg_bin() {
  "$HERE/packages.sh" postgresql
  "$HERE/packages.sh" --postgres-bin
}

# Runs a command as the server's owner: initdb and postgres refuse to run as root, so root runs them as "postgres".
as_owner() {
  if [ "$(id -u)" -eq 0 ]; then
    runuser -u postgres -- "$@"
  else
    "$@"
  fi
}

port_in_use() {
  (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

start() {
  local bin
  bin=$(pg_bin)
  if [ "$(id -u)" -eq 0 ] && ! id postgres >/dev/null 2>&1; then
    say "creating the system user postgres"
    useradd --system --user-group --no-create-home --home-dir /nonexistent --shell /usr/sbin/nologin postgres
  fi

  local dir
  dir=$(mktemp -d /tmp/co-test-pg.XXXXXX)
  touch "$dir/$MARKER"
  [ "$(id -u)" -ne 0 ] || chown postgres: "$dir"
  if ! as_owner "$bin/initdb" -D "$dir/data" -U postgres -A trust -E UTF8 --locale=C --no-sync --no-instructions >"$dir/initdb.log" 2>&1; then
    cat "$dir/initdb.log" >&2
    rm -rf "$dir"
    die "initdb failed"
  fi

  local port
  for ((port = FIRST_PORT; port <= LAST_PORT; port++)); do
    if port_in_use "$port"; then
      continue
    fi

    if as_owner "$bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w -t 60 -s \
      -o "-c listen_addresses=127.0.0.1 -p $port -c unix_socket_directories=$dir -c fsync=off -c max_connections=200" start >&2; then
      local tries
      for ((tries = 0; tries < 120; tries++)); do
        if "$bin/pg_isready" -q -h 127.0.0.1 -p "$port" -U postgres -d postgres; then
          say "PostgreSQL $("$bin/postgres" --version | awk '{ print $3 }') is ready on 127.0.0.1:$port (in $dir)"
          echo "export CO_TEST_PG='host=127.0.0.1 port=$port user=postgres dbname=postgres'"
          echo "export CO_TEST_PG_DIR=$dir"
          return 0
        fi
        sleep 0.5
      done

      cat "$dir/server.log" >&2 || true
      stop "$dir"
      die "the server on 127.0.0.1:$port never became ready"
    fi

    if ! grep -Eq 'could not bind|Address already in use|could not create any TCP/IP sockets' "$dir/server.log" 2>/dev/null; then
      cat "$dir/server.log" >&2 || true
      stop "$dir"
      die "the server did not start"
    fi
    rm -f "$dir/server.log" # port taken between the probe and the bind: try the next one
  done

  stop "$dir"
  die "no free port on 127.0.0.1 in $FIRST_PORT..$LAST_PORT"
}

stop() {
  local dir=${1:-${CO_TEST_PG_DIR:-}}
  [ -n "$dir" ] || die "stop: which server? (pass its directory or set CO_TEST_PG_DIR)"
  [ -d "$dir" ] || { say "stop: $dir is already gone"; return 0; }
  [ -f "$dir/$MARKER" ] || die "stop: $dir is not a directory made by postgres.sh start; leaving it alone"
  if [ -f "$dir/data/postmaster.pid" ]; then
    local bin
    bin=$("$HERE/packages.sh" --postgres-bin) || true
    if [ -z "$bin" ] || ! as_owner "$bin/pg_ctl" -D "$dir/data" -m fast -w -t 30 -s stop >&2; then
      local pid
      pid=$(head -n 1 "$dir/data/postmaster.pid" 2>/dev/null || true)
      if [ -n "$pid" ] && kill -0 "$pid" 2>/dev/null; then
        say "pg_ctl stop failed; killing the postmaster ($pid)"
        kill -KILL "$pid" || true
      fi
    fi
  fi
  rm -rf "$dir"
  say "stopped and removed $dir"
}

case "${1:-}" in
  start) start ;;
  stop) stop "${2:-}" ;;
  *)
    echo "usage: tests/services/postgres.sh start | stop [DIR]" >&2
    exit 2 ;;
esac
