#!/bin/bash
# Per-request cost of four routes on the demo, over HTTP from a second process:
#   GET /health (the middleware stack, no sign-in), GET /api/v1/me (a bearer token),
#   POST /api/v1/movement/checks (a checkpoint officer checks a demo permit's QR: valid on the demo's day),
#   POST /api/v1/certificates/verify (a demo certificate).
# Usage: scripts/request_costs.sh BINARY [WORKDIR]   (SECS=8 CONNECTIONS=16 PORT=8090 to change)
# Needs sqlite3 and python3. Compare the columns as fractions of /health measured in the same run.
set -euo pipefail
BIN=$1; WORK=${2:-/tmp/request-costs}; PORT=${PORT:-8090}; SECS=${SECS:-8}; CONNECTIONS=${CONNECTIONS:-16}
mkdir -p "$WORK"; rm -f "$WORK"/d.sqlite*
DB=$WORK/d.sqlite
EPI_VERIFY_RATE_LIMIT=100000000 "$BIN" serve --demo --port "$PORT" --database "$DB" > "$WORK/server.log" 2>&1 &
SERVER=$!
trap 'kill $SERVER 2>/dev/null || true' EXIT
for _ in $(seq 1 120); do curl -fsS "http://127.0.0.1:$PORT/health" >/dev/null 2>&1 && break; sleep 1; done
TOKEN=$("$BIN" user token --username chot.minhkhai --name request-costs --days 1 --database "$DB" | tail -1)
PERMIT=$(sqlite3 "$DB" "SELECT code FROM permits WHERE status = 'issued' AND code IS NOT NULL ORDER BY number LIMIT 1")
CERT=$(sqlite3 "$DB" "SELECT payload FROM vaccine_certificates LIMIT 1")
python3 - "$WORK" "$TOKEN" "$PERMIT" "$CERT" <<'PY'
import json, sys
work, token, permit, cert = sys.argv[1:5]
auth = [["Authorization", "Bearer " + token]]
json_type = [["Content-Type", "application/json"]]
requests = {
    "health": {"method": "GET", "path": "/health"},
    "me": {"method": "GET", "path": "/api/v1/me", "headers": auth},
    "check": {"method": "POST", "path": "/api/v1/movement/checks", "headers": auth + json_type, "body": json.dumps({"code": permit, "direction": "out"})},
    "verify": {"method": "POST", "path": "/api/v1/certificates/verify", "headers": json_type, "body": json.dumps({"code": cert})},
}
for name, request in requests.items():
    json.dump(request, open(f"{work}/{name}.json", "w"))
PY
for r in health me check verify; do
  "$BIN" bench http-client --port "$PORT" --request-file "$WORK/$r.json" --connections "$CONNECTIONS" --seconds "$SECS" | grep RESULT \
    | python3 -c "import json,sys; d=json.loads(sys.stdin.read().split('RESULT ',1)[1]); print('$r', round(d['requests']/d['seconds']), 'req/s', 'p99', round(d['p99'], 2), 'ms', d['statuses'])"
done
echo "checks logged by verdict: $(sqlite3 "$DB" "SELECT group_concat(result || ' ' || n, ', ') FROM (SELECT result, COUNT(*) AS n FROM checkpoint_checks WHERE officer = 'chot.minhkhai' GROUP BY result)")"
