#!/usr/bin/env bash
# The platform under abuse and crowds (issue 16), all at once on loopback, bounded in time:
# idle live streams (20,000 asked), 1,000 submissions/s, half-sent slow request heads (5,000
# asked), a flood of login-code requests from one address, and a health probe. Reports memory per
# idle stream, the health check's p99 during the run, submissions acknowledged and shed, and checks
# in the database afterwards that every acknowledged submission is stored exactly once and no
# shed one is stored. Not part of scripts/test.sh.
#
#   scripts/bench-abuse.sh [STREAMS=20000] [SLOW=5000] [SECONDS=30]
#
# Every process here has at most `ulimit -Hn` open files; when the server cannot hold
# STREAMS + SLOW connections under it, STREAMS is lowered to fit and the report says so.
# Sources: streams from 127.0.1.x (500 per address, under the default per-address cap),
# slow heads from 127.0.2.x, submissions from 127.0.3.1-4, the flood from 127.0.4.1, the probe
# from 127.0.5.1. Limits are the defaults except: no cap on streams per user (the streams come
# from 11 demo villagers) and no per-villager bucket (the first villager submits 1,000/s).
set -euo pipefail
cd "$(dirname "$0")/.."
STREAMS="${1:-20000}"
SLOW="${2:-5000}"
LOAD_SECONDS="${3:-30}"
PORT="${HUOSHUI_BENCH_PORT:-18490}"
TARGET="${CARGO_TARGET_DIR:-target}"

HARD=$(ulimit -Hn)
ulimit -n "$HARD"
ASKED=$STREAMS
# Besides the streams and the slow heads, the server needs up to 1,000 sockets for submissions in
# flight (the generator's cap), the flood's 32, the probe, the database files and a margin.
if [ $((STREAMS + SLOW + 2000)) -gt "$HARD" ]; then
  STREAMS=$((HARD - SLOW - 2000))
  echo "# open files are capped at $HARD per process here: $STREAMS streams instead of $ASKED"
fi

# HUOSHUI_BENCH_PROFILE=debug uses the debug builds (quicker to build; figures are an upper bound).
PROFILE="${HUOSHUI_BENCH_PROFILE:-release}"
# Two builds: with `--example`, cargo builds only the example, not the `huoshui` binary.
if [ "$PROFILE" = release ]; then
  cargo build --release -p huoshui --bin huoshui >&2
  cargo build --release -p huoshui-server --example abuse >&2
else
  cargo build -p huoshui --bin huoshui >&2
  cargo build -p huoshui-server --example abuse >&2
  PROFILE=debug
fi
echo "# profile: $PROFILE"
BIN="$TARGET/$PROFILE/huoshui"
GEN="$TARGET/$PROFILE/examples/abuse"
DATA="$(mktemp -d /tmp/huoshui-bench-abuse.XXXXXX)"
LOG="$DATA/server.log"
HUOSHUI_MAX_STREAMS_PER_USER=0 HUOSHUI_RATE_PER_VILLAGER=off \
  "$BIN" --data-dir "$DATA" serve --listen "127.0.0.1:$PORT" --log-level warn >"$DATA/stdout" 2>"$LOG" &
PID=$!
PIDS=()
# HUOSHUI_BENCH_KEEP=1 keeps the data folder (the server's log, the ids) for a look afterwards.
trap 'for p in "${PIDS[@]}"; do kill "$p" 2>/dev/null || true; done; kill -TERM $PID 2>/dev/null || true; wait 2>/dev/null || true; if [ "${HUOSHUI_BENCH_KEEP:-0}" = 1 ]; then echo "# kept: $DATA"; else rm -rf "$DATA"; fi' EXIT
BASE="http://127.0.0.1:$PORT"
for _ in $(seq 1 100); do curl -sf "$BASE/v1/health" >/dev/null && break; sleep 0.1; done

login() { # phone -> token on its own line (the development code provider prints the code to the log)
  local before code
  before=$(grep -c 'code=[0-9]\{6\}' "$LOG" || true)
  curl -sf -X POST "$BASE/v1/auth/code" -H 'content-type: application/json' -d "{\"phone\":\"$1\"}" >/dev/null
  for _ in $(seq 1 50); do [ "$(grep -c 'code=[0-9]\{6\}' "$LOG" || true)" -gt "$before" ] && break; sleep 0.1; done
  code=$(grep -o 'code=[0-9]\{6\}' "$LOG" | tail -1 | cut -d= -f2)
  curl -sf -X POST "$BASE/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$1\",\"code\":\"$code\"}" | python3 -c 'import json, sys; print(json.load(sys.stdin)["token"])'
}
for i in $(seq -w 1 12); do login "138000000$i"; done >"$DATA/tokens"
SUBMITTER=$(head -1 "$DATA/tokens")
echo "signed_in_villagers=$(grep -c '^[0-9a-f]\{64\}$' "$DATA/tokens" || true)"
rss() { awk "/^$1:/ {print \$2}" "/proc/$PID/status"; }

echo "# $(nproc) cores: $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs); open files $HARD"
sleep 1
RSS0=$(rss VmRSS)
# The streams are the other eleven villagers' (idle: the submissions are the first villager's).
tail -n +2 "$DATA/tokens" >"$DATA/stream_tokens"
"$GEN" streams "127.0.0.1:$PORT" "$STREAMS" $((LOAD_SECONDS + 10)) "$DATA/stream_tokens" >"$DATA/streams.out" &
PIDS+=($!)
for _ in $(seq 1 600); do grep -q '^streams_open=' "$DATA/streams.out" && break; sleep 0.5; done
sleep 3
RSS1=$(rss VmRSS)
OPEN=$(sed -n 's/^streams_open=//p' "$DATA/streams.out")
OPEN=${OPEN:-0}
cat "$DATA/streams.out"
echo "server_rss_kib_before_streams=$RSS0 server_rss_kib_with_streams=$RSS1"
echo "memory_per_idle_stream_kib=$(( (RSS1 - RSS0) / (OPEN > 0 ? OPEN : 1) ))" \
  "(exact: $(python3 -c "print(round(($RSS1-$RSS0)/max($OPEN,1),2))"))"

echo "# $LOAD_SECONDS s at once: $OPEN streams open, $SLOW slow heads, 1,000 submissions/s, a login-code flood, health probes"
"$GEN" slow "127.0.0.1:$PORT" "$SLOW" "$LOAD_SECONDS" >"$DATA/slow.out" &
SLOW_PID=$!
PIDS+=($SLOW_PID)
"$GEN" load "127.0.0.1:$PORT" "$LOAD_SECONDS" "$SUBMITTER" psbc-jisu "$DATA/ids" | tee "$DATA/load.out"
wait "$SLOW_PID"
cat "$DATA/slow.out"
echo "server_rss_kib_peak=$(rss VmHWM)"
wait "${PIDS[0]}" || true
grep -E '^(streams_alive_at_end|stream_events_received)=' "$DATA/streams.out"

STOP_AT=$(date +%s.%N)
kill -TERM $PID
wait $PID || true
echo "graceful_stop_seconds=$(python3 -c "import time; print(round(time.time()-$STOP_AT,2))")"

python3 - "$DATA/server/platform.sqlite3" "$DATA/ids" <<'PY'
import sqlite3, sys
db = sqlite3.connect(sys.argv[1])
lines = [l.split() for l in open(sys.argv[2])]
acked = [l[1] for l in lines if l[0] == "ack"]
shed = [l[1] for l in lines if l[0] == "shed"]
other = [l[2] for l in lines if l[0] == "other"]
def stored(ids):
    n = 0
    for i in range(0, len(ids), 500):
        part = ids[i:i + 500]
        q = "SELECT count(*) FROM applications WHERE id IN (%s)" % ",".join("?" * len(part))
        n += db.execute(q, part).fetchone()[0]
    return n
rows, distinct = db.execute("SELECT count(*), count(DISTINCT id) FROM applications").fetchone()
a, s, o = stored(acked), stored(shed), stored(other)
print(f"acknowledged={len(acked)} stored={a} missing={len(acked) - a}")
print(f"shed={len(shed)} stored_anyway={s}")
print(f"other_answers={len(other)} of_which_stored={o}")
kinds = {}
for l in lines:
    if l[0] == "other":
        kinds[l[1]] = kinds.get(l[1], 0) + 1
print("other_answers_by_status_and_code=" + (" ".join(f"{k}x{v}" for k, v in sorted(kinds.items())) or "none"))
print(f"applications_in_database={rows} distinct_ids={distinct} (= acknowledged + other stored: {len(acked) + o})")
ok = len(acked) > 0 and a == len(acked) and s == 0 and rows == distinct == len(acked) + o
print("CHECK", "OK: every acknowledged submission stored exactly once, nothing shed stored" if ok else "FAILED")
sys.exit(0 if ok else 1)
PY
