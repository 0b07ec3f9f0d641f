#!/usr/bin/env bash
# The schema-driven API fuzzer: schemathesis runs against a real `huoshui serve` on loopback,
# generating requests from /v1/openapi.json (valid and invalid ones) as a villager and as an
# account manager, and checks every answer: no 5xx, only documented status codes, content types
# and bodies that match their schemas, no request valid by the document refused for a reason the
# document does not state (scripts/api-fuzz/checks.py), required headers enforced, undocumented
# methods answered 405. Bounded: well under 3 minutes on 2 cores. Exits non-zero on any failure.
#
#   bash scripts/api-fuzz.sh                 # HUOSHUI_FUZZ_EXAMPLES=N: cases per operation (default 15)
#
# Left out, with reason: POST /v1/auth/logout (it would end the session the run uses; tested in
# server/tests) and GET /v1/events (an endless stream; tested in server/tests/live.rs).
set -euo pipefail
cd "$(dirname "$0")/.."

VENV=target/api-fuzz-venv
ST_VERSION=4.32.5
EXAMPLES=${HUOSHUI_FUZZ_EXAMPLES:-15}

if [ ! -x "$VENV/bin/st" ] || ! "$VENV/bin/st" --version 2>/dev/null | grep -q "$ST_VERSION"; then
  echo "== installing schemathesis $ST_VERSION into $VENV"
  python3 -m venv "$VENV"
  "$VENV/bin/pip" install -q --disable-pip-version-check "schemathesis==$ST_VERSION"
fi

echo "== building huoshui"
cargo build -q -p huoshui

WORK=$(mktemp -d)
PID=""
cleanup() {
  if [ -n "$PID" ]; then
    kill "$PID" 2>/dev/null || true
    wait "$PID" 2>/dev/null || true
  fi
  rm -rf "$WORK"
}
trap cleanup EXIT

PORT=$(python3 -c 'import socket; s=socket.socket(); s.bind(("127.0.0.1",0)); print(s.getsockname()[1]); s.close()')
# Thousands of requests from one address: the fair limits (issue 16, tested in
# server/tests/abuse.rs) are off for the fuzzer, so every case reaches its handler.
export HUOSHUI_RATE_ANONYMOUS_PER_ADDRESS=off HUOSHUI_RATE_VILLAGERS_PER_ADDRESS=off \
  HUOSHUI_RATE_PER_VILLAGER=off HUOSHUI_RATE_PER_STAFF=off
# The fuzzer asks for thousands of codes from one address: the login-code limits (429, tested in
# server/tests/code_limits.rs) are lifted here so that every case reaches the handler.
HUOSHUI_SERVER__CODES__PER_PHONE_INTERVAL_SECONDS=0 HUOSHUI_SERVER__CODES__PER_PHONE_PER_DAY=1000000 \
HUOSHUI_SERVER__CODES__PER_CLIENT_PER_HOUR=1000000 \
target/debug/huoshui --data-dir "$WORK/data" --json serve --listen "127.0.0.1:$PORT" \
  >"$WORK/serve.json" 2>"$WORK/serve.log" &
PID=$!
for _ in $(seq 1 100); do
  [ -s "$WORK/serve.json" ] && break
  kill -0 "$PID" 2>/dev/null || { cat "$WORK/serve.log" >&2; exit 1; }
  sleep 0.1
done
BASE=$(python3 -c 'import json,sys; print(json.loads(open(sys.argv[1]).readline())["listening"])' "$WORK/serve.json")
echo "== platform at $BASE"

# Logs in as a demo account: asks for a code, reads it from the development provider's one log
# line (masked phone), logs in; prints the token.
login() {
  local phone=$1 masked="${1:0:3}****${1:7:4}" code=""
  curl -sf -X POST "$BASE/v1/auth/code" -H 'content-type: application/json' -d "{\"phone\":\"$phone\"}" >/dev/null
  for _ in $(seq 1 50); do
    code=$(grep "DEV ONLY" "$WORK/serve.log" | grep -F "$masked" | tail -1 | sed -E 's/.*code=([0-9]{6}).*/\1/' || true)
    [ -n "$code" ] && break
    sleep 0.1
  done
  curl -sf -X POST "$BASE/v1/auth/login" -H 'content-type: application/json' \
    -d "{\"phone\":\"$phone\",\"code\":\"$code\"}" \
    | python3 -c 'import json,sys; print(json.load(sys.stdin)["token"])'
}
VILLAGER=$(login 13800000001)
OTHER_VILLAGER=$(login 13800000002)
MANAGER=$(login 13900000101)
ADMIN=$(login 13700000001)

# Records for the runs that reach past "not found": an application of v002 (routed to the
# manager m-runchang-1, ties by id) and one of v001 with an open upload.
post() { # token path body [extra header]
  curl -sf -X POST "$BASE$2" -H "authorization: Bearer $1" -H 'content-type: application/json' ${4:+-H "$4"} -d "$3"
}
field() { python3 -c "import json,sys; print(json.load(sys.stdin)['$1'])"; }
SUBMIT='{"product_id":"runchang-suli","amount_fen":50000000,"months":60}'
MANAGERS_APP=$(post "$OTHER_VILLAGER" /v1/applications "$SUBMIT" "idempotency-key: fuzz-1" | field id)
VILLAGERS_APP=$(post "$VILLAGER" /v1/applications "$SUBMIT" "idempotency-key: fuzz-2" | field id)
UPLOAD=$(post "$VILLAGER" "/v1/applications/$VILLAGERS_APP/documents" \
  "{\"kind\":\"lease\",\"size\":300000,\"sha256\":\"$(printf '%064d' 0)\"}" | field upload_id)

curl -sf "$BASE/v1/openapi.json" -o "$WORK/openapi.json"
export HUOSHUI_OPENAPI_FILE="$WORK/openapi.json"
export SCHEMATHESIS_HOOKS="$PWD/scripts/api-fuzz/checks.py"

# A configuration whose path parameters are those records.
records() { # application upload
  cp scripts/api-fuzz/schemathesis.toml "$WORK/records.toml"
  printf '\n[parameters]\n"path.id" = "%s"\n"path.upload" = "%s"\n' "$1" "$2" >>"$WORK/records.toml"
  echo "$WORK/records.toml"
}

CHECKS=not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,positive_data_acceptance,negative_data_rejection,missing_required_header,unsupported_method,ignored_auth,refusal_is_documented

fuzz() { # name config token [filters...]
  local who=$1 config=$2 token=$3
  shift 3
  echo "== schemathesis: $who"
  "$VENV/bin/st" --config-file "$config" run "$BASE/v1/openapi.json" \
    --header "Authorization: Bearer $token" \
    --checks "$CHECKS" \
    --exclude-path /v1/auth/logout --exclude-path /v1/events \
    --max-examples "$EXAMPLES" --workers 2 --seed 8 \
    --phases examples,coverage,fuzzing \
    --request-timeout 10 --no-color --warnings off --generation-database none \
    --report junit --report-junit-path "$WORK/junit-$who.xml" \
    "$@" >"$WORK/st-$who.log" 2>&1
  local rc=$?
  if [ $rc -ne 0 ]; then sed -n '/^=* FAILURES =*$/,/^=* SUMMARY =*$/p' "$WORK/st-$who.log"; fi
  sed -n '/^=* SUMMARY =*$/,$p' "$WORK/st-$who.log" | grep -E "Failures|❌|generated|passed|failed|issues" || true
  return $rc
}

BASE_CONFIG=scripts/api-fuzz/schemathesis.toml
RUNS=(villager manager manager-records villager-records administrator)
status=0
# Every operation as a villager, with made-up ids (and so, mostly, "not found").
fuzz villager "$BASE_CONFIG" "$VILLAGER" || status=1
# The manager's operations and the shared ones, with made-up ids, then on their real application.
fuzz manager "$BASE_CONFIG" "$MANAGER" --include-tag manager --include-tag applications --include-tag documents || status=1
fuzz manager-records "$(records "$MANAGERS_APP" "$UPLOAD")" "$MANAGER" \
  --include-tag manager --include-tag applications --include-path-regex '\{id\}' || status=1
# The villager's own application and upload (documents, then the villager's commands).
fuzz villager-records "$(records "$VILLAGERS_APP" "$UPLOAD")" "$VILLAGER" \
  --include-tag documents --include-tag villager --include-tag applications --include-path-regex '\{(id|upload)\}' || status=1
# Supervision, on the manager's application.
fuzz administrator "$(records "$MANAGERS_APP" "$UPLOAD")" "$ADMIN" --include-tag administrator || status=1

total=0
for who in "${RUNS[@]}"; do
  n=$(grep -Eo '[0-9]+ generated' "$WORK/st-$who.log" | tail -1 | grep -Eo '[0-9]+' || echo 0)
  echo "   $who: $n test cases"
  total=$((total + n))
done
echo "== $total test cases in all"

if grep -q "internal fault" "$WORK/serve.log"; then
  echo "the server logged an internal fault:" >&2
  grep "internal fault" "$WORK/serve.log" | head -5 >&2
  status=1
fi
[ $status -eq 0 ] && echo "== API fuzzer: no failure" || echo "== API fuzzer: FAILED" >&2
exit $status
