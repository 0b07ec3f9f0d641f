#!/usr/bin/env bash
# Issue 13: idempotent submissions per second and p99 latency of `huoshui serve` (release build)
# in one run on this machine, four ways: the embedded SQLite (one node), PostgreSQL with one
# node, PostgreSQL with two nodes on one schema (each node loaded by its own wrk with half the
# connections; rates added, the worse p99 kept), and pgbench's TPC-B-like figure on the same
# PostgreSQL as the reference. Not part of the test command.
#
#   scripts/bench-nodes.sh [DURATION_SECONDS=15] [CONNECTIONS=64]
#
# Needs Debian's wrk, curl, and PostgreSQL (scripts/pg.sh starts it; pgbench comes with the
# server package). Each PostgreSQL run gets a fresh database, dropped afterwards.
# PostgreSQL is (re)started durable (fsync=on, as a county runs it; the tests run it with
# fsync=off), so both engines pay for every commit reaching the disk; it is stopped at the end
# (the test command starts it again as it needs it).
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-15}"
CONNECTIONS="${2:-64}"
TARGET="${CARGO_TARGET_DIR:-target}"
PROFILE="${HUOSHUI_BENCH_PROFILE:-release}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
bash scripts/pg.sh stop
eval "$(HUOSHUI_PG_FSYNC=on bash scripts/pg.sh start)"
PG_URL="$HUOSHUI_TEST_PG_URL"
PG_BIN="$(ls -d /usr/lib/postgresql/*/bin | sort -V | tail -n 1)"
PG_BASE="${PG_URL%/*}"
if [ "$PROFILE" = release ]; then
  cargo build --release -p huoshui >&2
  BIN="$TARGET/release/huoshui"
else
  cargo build -p huoshui >&2
  BIN="$TARGET/debug/huoshui"
fi
WORK="$(mktemp -d)"
PIDS=()
DBS=()
cleanup() {
  for pid in "${PIDS[@]}"; do kill -TERM "$pid" 2>/dev/null || true; done
  for pid in "${PIDS[@]}"; do wait "$pid" 2>/dev/null || true; done
  for db in "${DBS[@]}"; do "$PG_BIN/psql" -q "$PG_URL" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true; done
  rm -rf "$WORK"
  bash scripts/pg.sh stop
}
trap cleanup EXIT
# One villager submits thousands a second: the abuse buckets (issue 16) are off for throughput.
export HUOSHUI_RATE_PER_VILLAGER=off HUOSHUI_RATE_VILLAGERS_PER_ADDRESS=off
export HUOSHUI_SERVER__CODES__PER_PHONE_INTERVAL_SECONDS=0

fresh_db() { # sets URL to a new database's (not in a subshell: DBS must keep the name)
  local name="bench_nodes_$$_$RANDOM"
  "$PG_BIN/psql" -q "$PG_URL" -c "CREATE DATABASE $name" >/dev/null
  DBS+=("$name")
  URL="$PG_BASE/$name"
}

node() { # data-dir port [database-url]
  local extra=()
  [ -n "${3:-}" ] && extra=(--database-url "$3")
  "$BIN" --data-dir "$1" serve --listen "127.0.0.1:$2" --log-level warn "${extra[@]}" \
    >>"$1/stdout.$2" 2>>"$1/server.$2.log" &
  PIDS+=($!)
  for _ in $(seq 1 100); do curl -sf "http://127.0.0.1:$2/v1/health" >/dev/null && return; sleep 0.1; done
  echo "node on port $2 did not start: $(tail -3 "$1/server.$2.log")" >&2
  exit 1
}

login() { # data-dir port phone -> token (the development code is printed to the node's log)
  local base="http://127.0.0.1:$2"
  curl -sf -X POST "$base/v1/auth/code" -H 'content-type: application/json' -d "{\"phone\":\"$3\"}" >/dev/null
  sleep 0.2
  local code
  code=$(grep -o 'code=[0-9]\{6\}' "$1/server.$2.log" | tail -1 | cut -d= -f2)
  curl -sf -X POST "$base/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$3\",\"code\":\"$code\"}" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/'
}

load() { # port connections out-file: wrk with the submissions script
  HUOSHUI_BENCH_RUN="$(date +%s%N)" wrk -t1 -c"$2" -d"${DURATION}s" --latency \
    -s scripts/bench-server.lua "http://127.0.0.1:$1/v1/applications" >"$3"
}

rate() { sed -n 's/^submissions\/s: \([0-9]*\).*/\1/p' "$1"; }
p99() { sed -n 's/^latency p99: \([0-9.]*\) ms.*/\1/p' "$1"; }
others() { sed -n 's/.*other answers: \([0-9]*\).*/\1/p' "$1"; }

export HUOSHUI_BENCH_PRODUCT="psbc-jisu"
ROWS=()

# 1. The embedded SQLite, one node.
D="$WORK/sqlite"; mkdir -p "$D"
node "$D" 18491
export HUOSHUI_BENCH_TOKEN="$(login "$D" 18491 13800000001)"
load 18491 "$CONNECTIONS" "$D/wrk.txt"
ROWS+=("embedded SQLite, 1 node|$(rate "$D/wrk.txt")|$(p99 "$D/wrk.txt")|$(others "$D/wrk.txt")")

# 2. PostgreSQL, one node.
D="$WORK/pg1"; mkdir -p "$D"; fresh_db
node "$D" 18492 "$URL"
export HUOSHUI_BENCH_TOKEN="$(login "$D" 18492 13800000001)"
load 18492 "$CONNECTIONS" "$D/wrk.txt"
ROWS+=("PostgreSQL, 1 node|$(rate "$D/wrk.txt")|$(p99 "$D/wrk.txt")|$(others "$D/wrk.txt")")

# 3. PostgreSQL, two nodes on one database (one data folder: the same server key); the
#    session made on node A is good on node B.
D="$WORK/pg2"; mkdir -p "$D"; fresh_db
node "$D" 18493 "$URL"
node "$D" 18494 "$URL"
export HUOSHUI_BENCH_TOKEN="$(login "$D" 18493 13800000001)"
load 18493 $((CONNECTIONS / 2)) "$D/wrk.a.txt" &
WA=$!
load 18494 $((CONNECTIONS / 2)) "$D/wrk.b.txt"
wait "$WA"
RA="$(rate "$D/wrk.a.txt")"; RB="$(rate "$D/wrk.b.txt")"
PA="$(p99 "$D/wrk.a.txt")"; PB="$(p99 "$D/wrk.b.txt")"
WORST="$(printf '%s\n%s\n' "$PA" "$PB" | sort -g | tail -1)"
ROWS+=("PostgreSQL, 2 nodes|$((RA + RB)) ($RA + $RB)|$WORST|$(($(others "$D/wrk.a.txt") + $(others "$D/wrk.b.txt")))")

# 4. pgbench on the same PostgreSQL: TPC-B-like, scale 10, as many clients as the nodes' pool.
fresh_db
"$PG_BIN/pgbench" -q -i -s 10 "$URL" >/dev/null 2>&1
"$PG_BIN/pgbench" -c 16 -j 2 -T "$DURATION" "$URL" >"$WORK/pgbench.txt" 2>&1 || true
TPS="$(sed -n 's/^tps = \([0-9.]*\).*/\1/p' "$WORK/pgbench.txt" | head -1)"
LAT="$(sed -n 's/^latency average = \([0-9.]*\) ms.*/\1/p' "$WORK/pgbench.txt")"

echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); $PROFILE build; ${DURATION}s each, $CONNECTIONS connections"
echo "| setup 配置 | submissions/s 每秒提交 | p99 ms | answers other than 201 |"
echo "|---|---|---|---|"
for row in "${ROWS[@]}"; do
  IFS='|' read -r what r p o <<<"$row"
  echo "| $what | $r | $p | $o |"
done
echo "| pgbench TPC-B-like (-s 10 -c 16 -j 2), same PostgreSQL | ${TPS:-?} tps | avg ${LAT:-?} | |"
