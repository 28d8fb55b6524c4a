#!/usr/bin/env bash
# postgres.sh — a private, throw-away PostgreSQL cluster for vouch's storage tests.
#
#   scripts/postgres.sh start [DIR] [PORT]   start (creating if needed); prints the connection URL
#   scripts/postgres.sh stop  [DIR]          stop it and delete its data (it is throw-away)
#   scripts/postgres.sh restart [DIR]        restart a running cluster in fast mode, keeping its data:
#                                            open sessions end with "terminating connection due to
#                                            administrator command" (for fault tests)
#   scripts/postgres.sh url   [DIR]          print the URL of a running cluster
#   scripts/postgres.sh status [DIR]         exit 0 when running
#
# DIR (default ${TMPDIR:-/tmp}/vouch-postgres) holds the state of this cluster; PORT defaults to
# $VOUCH_PG_PORT, else the first free port from 55432 up (a port given explicitly must be free). The server listens on 127.0.0.1 only (no unix socket), with trust auth,
# and has a database and login role both named `vouch`:  postgres://vouch@127.0.0.1:PORT/vouch
#
# Installs Debian's `postgresql` with apt-get if it is missing. initdb and postgres refuse to run as
# root, so as root the cluster runs as the `postgres` OS user, and its data lives in a directory
# that user owns (DIR itself may not be reachable by it); DIR/cluster records where. Idempotent;
# concurrent calls on one DIR are serialised with flock. Only stdout carries the URL.
set -euo pipefail

log() { echo "postgres.sh: $*" >&2; }
die() { log "$*"; exit 1; }

cmd=${1:-}
DIR=${2:-${TMPDIR:-/tmp}/vouch-postgres}
PORT=${3:-${VOUCH_PG_PORT:-}}
# Without an explicit port, take the first free one from 55432 up (test runs may overlap).
AUTO_PORT=0
[[ -n $PORT ]] || { PORT=55432; AUTO_PORT=1; }
HOST=127.0.0.1
DB=vouch
USER_NAME=vouch

[[ $PORT =~ ^[0-9]+$ ]] && ((PORT > 0 && PORT < 65536)) || die "invalid port: $PORT"

pgbin() { ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1; }

ensure_installed() {
  local bin
  bin=$(pgbin)
  if [[ -n $bin && -x $bin/initdb && -x $bin/pg_ctl ]] && command -v psql >/dev/null; then return; fi
  [[ $(id -u) == 0 ]] || die "PostgreSQL is not installed; run as root or: apt-get install -y postgresql"
  log "installing postgresql with apt-get"
  export DEBIAN_FRONTEND=noninteractive
  apt-get install -y -q postgresql >&2 || { apt-get update -q >&2 && apt-get install -y -q postgresql >&2; } \
    || die "apt-get install postgresql failed"
  bin=$(pgbin)
  [[ -n $bin && -x $bin/initdb ]] || die "postgresql installed but initdb not found under /usr/lib/postgresql"
}

# as_owner CMD... — run as the cluster owner (postgres when we are root). fd 9 (the flock) is closed
# so that the long-lived server does not inherit the lock.
as_owner() {
  if [[ $(id -u) == 0 ]]; then
    runuser -u postgres -- "$@" 9>&-
  else
    "$@" 9>&-
  fi
}

cluster_dir() { cat "$DIR/cluster" 2>/dev/null || true; }

running() {
  local c
  c=$(cluster_dir)
  [[ -n $c && -f $c/data/PG_VERSION ]] && as_owner "$(pgbin)/pg_ctl" -D "$c/data" status >/dev/null 2>&1
}

port_busy() { (exec 3<>"/dev/tcp/$HOST/$1") 2>/dev/null; }

url() { echo "postgres://$USER_NAME@$HOST:$(cat "$DIR/port")/$DB"; }

psql_admin() {
  PGCONNECT_TIMEOUT=5 psql -X -q -v ON_ERROR_STOP=1 -h "$HOST" -p "$(cat "$DIR/port")" -U postgres -d postgres "$@"
}

start() {
  ensure_installed
  local bin c
  bin=$(pgbin)
  if running; then
    ((AUTO_PORT)) || [[ $(cat "$DIR/port") == "$PORT" ]] || log "already running on port $(cat "$DIR/port") (not $PORT)"
    url
    return
  fi
  if ((!AUTO_PORT)) && port_busy "$PORT"; then
    die "port $PORT on $HOST is in use by another process; pass another: $0 start $DIR PORT"
  fi
  c=$(cluster_dir)
  if [[ -z $c || ! -d $c ]]; then
    if [[ $(id -u) == 0 ]]; then
      c=$(mktemp -d "${TMPDIR:-/tmp}/vouch-pgdata.XXXXXX")
      chown postgres: "$c"
    else
      c=$DIR/cluster.d
      mkdir -p "$c"
    fi
    echo "$c" >"$DIR/cluster"
  fi
  if [[ ! -f $c/data/PG_VERSION ]]; then
    as_owner "$bin/initdb" -D "$c/data" -U postgres --auth=trust -E UTF8 --locale=C >"$DIR/initdb.log" 2>&1 \
      || { tail -n 20 "$DIR/initdb.log" >&2; die "initdb failed (log: $DIR/initdb.log)"; }
  fi
  local attempt
  for ((attempt = 0; ; attempt++)); do
    if port_busy "$PORT"; then
      ((AUTO_PORT && attempt < 100)) || die "port $PORT on $HOST is in use by another process; pass another: $0 start $DIR PORT"
      PORT=$((PORT + 1))
      continue
    fi
    echo "$PORT" >"$DIR/port"
    # fsync off: the cluster is throw-away and tests write a lot.
    if as_owner "$bin/pg_ctl" -D "$c/data" -l "$c/postgres.log" -w -t 60 \
      -o "-c listen_addresses=$HOST -p $PORT -c unix_socket_directories= -c fsync=off -c max_connections=200" start >&2; then
      break
    fi
    # Lost a race for the port with another starter: try the next one.
    if ((AUTO_PORT && attempt < 100)) && grep -q 'could not bind\|already in use' "$c/postgres.log" 2>/dev/null; then
      PORT=$((PORT + 1))
      continue
    fi
    tail -n 30 "$c/postgres.log" >&2 || true
    die "postgres did not start (log: $c/postgres.log)"
  done
  local i
  for ((i = 0; i < 100; i++)); do
    psql_admin -c 'select 1' >/dev/null 2>&1 && break
    sleep 0.1
  done
  psql_admin -c 'select 1' >/dev/null || die "postgres started but does not answer on $HOST:$PORT"
  if [[ -z $(psql_admin -tAc "select 1 from pg_roles where rolname='$USER_NAME'") ]]; then
    psql_admin -c "create role $USER_NAME login" >/dev/null
  fi
  if [[ -z $(psql_admin -tAc "select 1 from pg_database where datname='$DB'") ]]; then
    psql_admin -c "create database $DB owner $USER_NAME" >/dev/null
  fi
  url
}

stop() {
  local c
  c=$(cluster_dir)
  [[ -n $c ]] || return 0
  if [[ -f $c/data/PG_VERSION ]]; then
    if running; then
      as_owner "$(pgbin)/pg_ctl" -D "$c/data" -m fast -w -t 60 stop >&2 || die "could not stop postgres in $c/data"
    fi
  fi
  # Only ever delete the directory this script made for the cluster.
  case $c in
    "$DIR"/cluster.d | "${TMPDIR:-/tmp}"/vouch-pgdata.*) rm -rf -- "$c" ;;
  esac
  rm -f -- "$DIR/cluster" "$DIR/port"
}

restart() {
  running || die "not running (DIR $DIR)"
  # pg_ctl restart reuses the options of the previous start (postmaster.opts): same port, same settings.
  # -l: the restarted server logs to the file, not to (and holding open) this script's output.
  local c
  c=$(cluster_dir)
  as_owner "$(pgbin)/pg_ctl" -D "$c/data" -l "$c/postgres.log" -m fast -w -t 60 restart >&2 || die "could not restart postgres in $c/data"
}

case $cmd in
  start | stop | restart | url | status) ;;
  *) die "usage: $0 start|stop|restart|url|status [DIR] [PORT]" ;;
esac

mkdir -p "$DIR"
exec 9>"$DIR/.lock"
flock 9

case $cmd in
  start) start ;;
  stop) stop ;;
  restart) restart ;;
  url) running || die "not running (DIR $DIR)"; url ;;
  status) running ;;
esac
