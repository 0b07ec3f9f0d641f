#!/usr/bin/env bash
# Load benchmark of the county platform: idempotent submissions per second and latency
# percentiles against `huoshui serve` (release build, embedded SQLite, synchronous=FULL) on this
# machine. Needs Debian's `wrk` (apt-get install wrk) and curl.
#
#   scripts/bench-server.sh [DURATION_SECONDS=20] [CONNECTIONS=64] [THREADS=2]
#
# Starts the server on a free loopback port with a fresh data folder, logs in as a demo
# villager, runs wrk with scripts/bench-server.lua (one new Idempotency-Key per request), then
# checks through the administrator's figures that every 201 made exactly one application.
set -euo pipefail
cd "$(dirname "$0")/.."
DURATION="${1:-20}"
CONNECTIONS="${2:-64}"
THREADS="${3:-2}"
PORT="${HUOSHUI_BENCH_PORT:-18480}"
TARGET="${CARGO_TARGET_DIR:-target}"

command -v wrk >/dev/null || { echo "wrk is missing: apt-get install wrk" >&2; exit 2; }
cargo build --release -p huoshui >&2
BIN="$TARGET/release/huoshui"
DATA="$(mktemp -d)"
LOG="$DATA/server.log"
# One villager submits thousands a second: the per-villager and per-address buckets (issue 16)
# are off for this throughput figure (scripts/bench-abuse.sh runs with the limits on).
export HUOSHUI_RATE_PER_VILLAGER=off HUOSHUI_RATE_VILLAGERS_PER_ADDRESS=off
"$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" --log-level warn >"$DATA/stdout" 2>"$LOG" &
PID=$!
trap 'kill -TERM $PID 2>/dev/null || true; wait $PID 2>/dev/null || true; rm -rf "$DATA"' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$BASE/v1/health" >/dev/null && break; sleep 0.1; done

login() { # phone -> token (the development code provider prints the code to the log)
  curl -sf -X POST "$BASE/v1/auth/code" -H 'content-type: application/json' -d "{\"phone\":\"$1\"}" >/dev/null
  sleep 0.2
  local code
  code=$(grep -o 'code=[0-9]\{6\}' "$LOG" | tail -1 | cut -d= -f2)
  curl -sf -X POST "$BASE/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$1\",\"code\":\"$code\"}" | sed 's/.*"token":"\([0-9a-f]*\)".*/\1/'
}
export HUOSHUI_BENCH_TOKEN="$(login 13800000001)"
export HUOSHUI_BENCH_PRODUCT="psbc-jisu"
export HUOSHUI_BENCH_RUN="$(date +%s)"
echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs)"
echo "# wrk -t$THREADS -c$CONNECTIONS -d${DURATION}s --latency -s scripts/bench-server.lua $BASE/v1/applications"
wrk -t"$THREADS" -c"$CONNECTIONS" -d"${DURATION}s" --latency -s scripts/bench-server.lua "$BASE/v1/applications" | tee "$DATA/wrk.txt"
CREATED=$(sed -n 's/^submissions created (201): \([0-9]*\).*/\1/p' "$DATA/wrk.txt")

ADMIN="$(login 13700000001)"
TOTAL=$(curl -sf "$BASE/v1/admin/figures" -H "authorization: Bearer $ADMIN" | sed 's/.*"total":\([0-9]*\).*/\1/')
echo "applications in the database: $TOTAL (wrk counted $CREATED answers; up to $CONNECTIONS more were in flight when wrk stopped)"
if [ "$TOTAL" -lt "$CREATED" ] || [ "$TOTAL" -gt $((CREATED + CONNECTIONS)) ]; then
  echo "MISMATCH: acknowledged submissions and stored applications disagree" >&2
  exit 1
fi
