#!/usr/bin/env bash
# PostgreSQL for the tests, on loopback only (issue 13): Debian's PostgreSQL with its own data
# folder under target/pg (or /tmp, see below), trust authentication for the role `huoshui` only,
# listening on 127.0.0.1 on a free port with its unix socket in its own folder, and speaking
# TLS too with a certificate of a test authority of its own (HUOSHUI_TEST_PG_CA).
#
#   eval "$(bash scripts/pg.sh start)"   # installs if missing (root), inits, starts; prints
#                                        # export HUOSHUI_TEST_PG_URL=postgres://huoshui@127.0.0.1:PORT/huoshui
#   bash scripts/pg.sh stop              # stops it (the data folder stays for the next start)
#   bash scripts/pg.sh url               # prints the URL of the running server
#
# Tests run it with fsync=off (nothing to keep); HUOSHUI_PG_FSYNC=on starts it durable, as a
# county runs it (scripts/bench-nodes.sh does, to compare with SQLite's synchronous=FULL).
#
# initdb and postgres refuse to run as root: as root they run as the `postgres` user of the
# Debian package, which then owns target/pg. Everything said to the user goes to stderr; stdout
# carries only the export line.
set -euo pipefail
cd "$(dirname "$0")/.."

DIR="$(pwd)/target/pg"
# As root the server runs as `postgres`, who must be able to reach the data folder: when this
# checkout is somewhere it cannot (under /root, say), the folder moves to /tmp, named after it.
if [ "$(id -u)" = 0 ] && id postgres >/dev/null 2>&1 &&
  ! runuser -u postgres -- test -x "$(pwd)" 2>/dev/null; then
  DIR="/tmp/huoshui-pg-$(pwd | sha256sum | cut -c1-12)"
fi
DATA="$DIR/data"
SOCK="$DIR/sock"
LOG="$DIR/server.log"
ROLE=huoshui

say() { echo "pg.sh: $*" >&2; }

bindir() {
  local dir
  dir="$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -n 1 || true)"
  if [ -n "$dir" ] && [ -x "$dir/initdb" ]; then
    echo "$dir"
  fi
}

ensure_installed() {
  if [ -n "$(bindir)" ]; then
    return
  fi
  if command -v apt-get >/dev/null 2>&1 && [ "$(id -u)" = 0 ]; then
    say "installing Debian's postgresql"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends postgresql >/dev/null
  fi
  if [ -z "$(bindir)" ]; then
    say "PostgreSQL is missing: install Debian's postgresql (apt-get install postgresql)"
    exit 1
  fi
}

# Runs a PostgreSQL program as the user who may: ourselves, or `postgres` when we are root.
as_owner() {
  if [ "$(id -u)" = 0 ]; then
    (cd / && runuser -u postgres -- "$@")
  else
    "$@"
  fi
}

port_free() {
  ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null
}

running() {
  [ -f "$DATA/postmaster.pid" ] && as_owner "$(bindir)/pg_ctl" -D "$DATA" status >/dev/null 2>&1
}

init() {
  mkdir -p "$DIR" "$SOCK"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$DIR" "$SOCK"
  fi
  if [ -f "$DATA/PG_VERSION" ]; then
    return
  fi
  say "initdb in $DATA"
  as_owner "$(bindir)/initdb" -D "$DATA" -U "$ROLE" --auth=reject -E UTF8 --locale=C.UTF-8 >/dev/null
  # Only the role huoshui, only over the socket folder or 127.0.0.1.
  as_owner tee "$DATA/pg_hba.conf" >/dev/null <<EOF
local all $ROLE trust
host all $ROLE 127.0.0.1/32 trust
EOF
}

# A certificate authority of its own and a server certificate for 127.0.0.1 signed by it, so
# the tests can check TLS to PostgreSQL (HUOSHUI_TEST_PG_CA) as a county would run it.
tls_files() {
  local tls="$DIR/tls"
  if [ -f "$tls/server.key" ]; then
    return
  fi
  mkdir -p "$tls"
  openssl req -x509 -newkey rsa:2048 -nodes -days 3650 -subj "/CN=huoshui test CA" \
    -keyout "$tls/ca.key" -out "$tls/ca.pem" 2>/dev/null
  openssl req -newkey rsa:2048 -nodes -subj "/CN=127.0.0.1" \
    -keyout "$tls/server.key.new" -out "$tls/server.csr" 2>/dev/null
  printf 'subjectAltName=IP:127.0.0.1,DNS:localhost\n' >"$tls/ext"
  openssl x509 -req -in "$tls/server.csr" -CA "$tls/ca.pem" -CAkey "$tls/ca.key" \
    -CAcreateserial -days 3650 -extfile "$tls/ext" -out "$tls/server.pem" 2>/dev/null
  chmod 600 "$tls/server.key.new"
  if [ "$(id -u)" = 0 ]; then
    chown postgres "$tls/server.key.new" "$tls/server.pem"
  fi
  mv "$tls/server.key.new" "$tls/server.key"
}

exports() {
  echo "export HUOSHUI_TEST_PG_URL=$(url)"
  if [ -f "$DIR/tls-on" ]; then
    echo "export HUOSHUI_TEST_PG_CA=$DIR/tls/ca.pem"
  fi
}

start() {
  ensure_installed
  init
  if running; then
    exports
    return
  fi
  tls_files
  touch "$DIR/tls-on"
  local port=55432
  while ! port_free "$port"; do
    port=$((port + 1))
  done
  echo "$port" | as_owner tee "$DIR/port" >/dev/null
  say "starting PostgreSQL on 127.0.0.1:$port (log: $LOG)"
  as_owner "$(bindir)/pg_ctl" -D "$DATA" -l "$LOG" -w -t 60 \
    -o "-h 127.0.0.1 -p $port -k $SOCK -c fsync=${HUOSHUI_PG_FSYNC:-off} -c max_connections=200 -c ssl=on -c ssl_cert_file=$DIR/tls/server.pem -c ssl_key_file=$DIR/tls/server.key" start >/dev/null
  if ! as_owner "$(bindir)/psql" -h "$SOCK" -p "$port" -U "$ROLE" -d postgres -tAc \
    "SELECT 1 FROM pg_database WHERE datname = 'huoshui'" | grep -q 1; then
    as_owner "$(bindir)/createdb" -h "$SOCK" -p "$port" -U "$ROLE" huoshui
  fi
  exports
}

url() {
  echo "postgres://$ROLE@127.0.0.1:$(cat "$DIR/port")/huoshui"
}

stop() {
  if [ -n "$(bindir)" ] && running; then
    as_owner "$(bindir)/pg_ctl" -D "$DATA" -m fast -w stop >/dev/null
    rm -f "$DIR/tls-on"
    say "stopped"
  fi
}

case "${1:-start}" in
  start) start ;;
  stop) stop ;;
  url) url ;;
  *)
    say "usage: scripts/pg.sh [start|stop|url]"
    exit 2
    ;;
esac
