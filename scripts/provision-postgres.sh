#!/usr/bin/env bash
# A private PostgreSQL cluster for the tests and for local use (NOTICE_LEDGER_URL): initdb/pg_ctl on a loopback
# port with its data in a directory of ours — never the system service. Idempotent: a cluster already running
# there is reused, one already initialised is started; concurrent callers (jest workers) take turns on a lock.
#
#   provision-postgres.sh [start]   ensure it runs; prints PG_URL=postgres://postgres@127.0.0.1:PORT/postgres
#   provision-postgres.sh stop      stop it (data kept)
#   provision-postgres.sh status    exit 0 when it answers
#
# Settings: FRONTIER_REVIEW_PG_DIR (data directory; default /tmp/frontier-review-postgres-<uid>: PostgreSQL runs
# as the unprivileged `postgres` account when we are root, so the directory must be reachable by it — root's home
# is not), FRONTIER_REVIEW_PG_PORT (default 55432), PG_BIN (the directory holding initdb and pg_ctl).
# PostgreSQL refuses to run as root; as root we run it as `postgres` (runuser), installing Debian's `postgresql`
# package first when no server is found and apt-get is at hand.
set -euo pipefail

ACTION="${1:-start}"
PORT="${FRONTIER_REVIEW_PG_PORT:-55432}"
DATA="${FRONTIER_REVIEW_PG_DIR:-/tmp/frontier-review-postgres-$(id -u)}"
LOGFILE="$DATA.log"

TAG=postgres
# shellcheck source=lib/provision-common.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib/provision-common.sh"

find_bin() {
  if [[ -n "${PG_BIN:-}" ]]; then [[ -x "$PG_BIN/initdb" ]] && { echo "$PG_BIN"; return; }; die "PG_BIN=$PG_BIN holds no initdb"; fi
  local d
  # Debian keeps the server binaries off PATH, one directory per major version: take the newest.
  for d in $(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -t/ -k5 -V -r); do [[ -x "$d/initdb" && -x "$d/pg_ctl" ]] && { echo "$d"; return; }; done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then dirname "$(command -v initdb)"; return; fi
  if command -v pg_config >/dev/null 2>&1 && [[ -x "$(pg_config --bindir)/initdb" ]]; then pg_config --bindir; return; fi
}

BIN="$(find_bin || true)"
if [[ -z "$BIN" && "$ACTION" == start ]]; then
  if [[ "$(id -u)" == 0 ]] && command -v apt-get >/dev/null 2>&1; then
    log "no PostgreSQL server found: installing Debian's postgresql package (apt-get)..."
    { apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql >&2; } \
      || die "installing the postgresql package failed; install PostgreSQL 13+ (initdb, pg_ctl) or set PG_BIN"
    BIN="$(find_bin || true)"
  fi
  [[ -n "$BIN" ]] || die "PostgreSQL's initdb and pg_ctl were not found (looked in PG_BIN, /usr/lib/postgresql/*/bin, PATH); install PostgreSQL 13+ (Debian/Ubuntu: apt-get install postgresql) or set PG_BIN"
fi
[[ -n "$BIN" ]] || die "PostgreSQL's pg_ctl was not found (nothing to $ACTION)"

# Run PostgreSQL's tools as an account it accepts: ourselves, or `postgres` when we are root.
as_owner() {
  if [[ "$(id -u)" != 0 ]]; then "$@"; return; fi
  id postgres >/dev/null 2>&1 || die "running as root and there is no 'postgres' account to run PostgreSQL as (PostgreSQL refuses root); create one (useradd --system postgres) or run as another user"
  if command -v runuser >/dev/null 2>&1; then runuser -u postgres -- "$@"; else su postgres -s /bin/sh -c "$(printf '%q ' "$@")"; fi
}

running() { as_owner "$BIN/pg_ctl" -D "$DATA" status >/dev/null 2>&1; }

case "$ACTION" in
  stop)
    if [[ -f "$DATA/PG_VERSION" ]] && running; then log "stopping the cluster in $DATA"; as_owner "$BIN/pg_ctl" -D "$DATA" -m fast -w stop >&2; else log "not running ($DATA)"; fi
    exit 0 ;;
  status) if running; then exit 0; else exit 1; fi ;;
  start) ;;
  *) die "unknown action '$ACTION' (start, stop, status)" ;;
esac

# One caller at a time from here (jest runs test files in parallel workers).
mkdir -p "$(dirname "$DATA")"
exec 9>"$DATA.lock"
flock -w 120 9 || die "another provisioning of $DATA held the lock for 2 minutes"

if [[ ! -f "$DATA/PG_VERSION" ]]; then
  log "initialising a private cluster in $DATA ($("$BIN/postgres" --version))..."
  mkdir -p "$DATA"; rm -rf "${DATA:?}"/*
  [[ "$(id -u)" == 0 ]] && chown postgres: "$DATA" "$DATA.lock" && touch "$LOGFILE" && chown postgres: "$LOGFILE"
  chmod 700 "$DATA"
  as_owner test -w "$DATA" || die "the postgres account cannot write $DATA (a parent directory is closed to it); set FRONTIER_REVIEW_PG_DIR elsewhere, e.g. under /tmp"
  # trust on loopback only: a local test and development cluster, reachable from this machine alone.
  as_owner "$BIN/initdb" -D "$DATA" -U postgres --auth=trust --encoding=UTF8 --locale=C >"$DATA.initdb.log" 2>&1 \
    || { cat "$DATA.initdb.log" >&2; die "initdb failed (log above)"; }
  cat >>"$DATA/postgresql.conf" <<CONF
# frontier-review: a private cluster on loopback
listen_addresses = '127.0.0.1'
port = $PORT
unix_socket_directories = '$DATA'
max_connections = 200
fsync = on
CONF
fi

if running; then
  log "already running: $DATA on 127.0.0.1:$PORT"
else
  if (exec 3<>"/dev/tcp/127.0.0.1/$PORT") 2>/dev/null; then die "port $PORT on 127.0.0.1 is taken by another program; set FRONTIER_REVIEW_PG_PORT"; fi
  log "starting PostgreSQL on 127.0.0.1:$PORT (log: $LOGFILE)..."
  [[ "$(id -u)" == 0 ]] && { touch "$LOGFILE"; chown postgres: "$LOGFILE"; }
  # 9>&-: the server must not inherit the lock, or it would hold it for as long as it runs.
  as_owner "$BIN/pg_ctl" -D "$DATA" -l "$LOGFILE" -o "-p $PORT" -w -t 60 start >/dev/null 9>&- \
    || { tail -20 "$LOGFILE" >&2; die "PostgreSQL did not start (last lines of $LOGFILE above)"; }
  log "started"
fi
echo "PG_URL=postgres://postgres@127.0.0.1:$PORT/postgres"
echo "PG_DATA=$DATA"
