#!/usr/bin/env bash
# Issue 17: schemathesis against a live server, once per role (anonymous, worker, requester,
# operator), failing on any 500, any status or content type the OpenAPI document does not
# declare, and any response that breaks its schema. Bounded: ST_MAX_EXAMPLES examples per
# operation and ST_MAX_TIME seconds per role (defaults keep the whole run near two minutes).
set -euo pipefail
cd "$(dirname "$0")/.."
BIN="${BIN:-.venv/bin}"
examples="${ST_MAX_EXAMPLES:-8}"
budget="${ST_MAX_TIME:-20}"
port="${ST_PORT:-8765}"

work="$(mktemp -d)"
export CROWDSET_DATABASE_URL="sqlite:///$work/schemathesis.db"
export CROWDSET_PASSWORD_HASH_TIME_COST=1 CROWDSET_PASSWORD_HASH_MEMORY_KIB=1024
export CROWDSET_LOGIN_FREE_FAILURES=1000  # the fuzzer logs in wrongly all the time
"$BIN/crowdset" init --demo > "$work/demo.txt"
"$BIN/crowdset" serve --port "$port" > "$work/server.log" 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true; rm -rf "$work"' EXIT
for _ in $(seq 60); do
    curl -sf "http://127.0.0.1:$port/api/v1/health" > /dev/null && break
    sleep 0.5
done

token_of() {
    "$BIN/crowdset" token create "$1" | grep -o 'cs_[A-Za-z0-9_-]*' | head -1
}

status=0
for role in anonymous worker requester operator; do
    token="cs_not-a-token"  # anonymous: what a caller without a valid token gets
    if [ "$role" != anonymous ]; then
        token="$(token_of "$role@demo.crowdset")"
    fi
    echo "== schemathesis as $role"
    # no 500, every status and content type declared, every body as its schema says (data
    # the schema allows but a rule of the specification refuses is a declared 422)
    if ! "$BIN/st" run "http://127.0.0.1:$port/api/v1/openapi.json" \
        -H "Authorization: Bearer $token" \
        --checks not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance \
        --max-examples "$examples" --max-time "$budget" --seed 17 \
        --request-timeout 20 --workers 1 --no-shrink \
        --suppress-health-check all --warnings off; then
        status=1
    fi
done
if [ "$status" != 0 ]; then
    echo "server log:"; tail -50 "$work/server.log"
fi
exit "$status"
