#!/usr/bin/env bash
# Fuzzes every documented /api/v1 operation of a running server with schemathesis, as the city
# command (a token issued for the demo's city account), and fails on any 5xx or a server that stops
# answering. Usage: scripts/fuzz_api.sh BASE_URL DATABASE_FILE [SECONDS]
set -euo pipefail
base=${1:?base url}
database=${2:?database file of the running server}
seconds=${3:-180}
here=$(cd "$(dirname "$0")/.." && pwd)
bin=${EPI_BIN:-$here/.build/debug/epicommand}
token=$("$bin" user token --username tp.chihuy --name fuzz --days 1 --database "$database" | tail -n 1)
out=$(mktemp -d)
# The schemathesis CLI sits beside the python that installed it (pyenv may not have a shim for it yet).
st=$(python3 -c 'import os, sys; print(os.path.join(os.path.dirname(sys.executable), "st"))')
[ -x "$st" ] || st=st
set +e
"$st" run "$base/api/openapi.json" --url "$base" -H "Authorization: Bearer $token" \
  --checks not_a_server_error --max-time "$seconds" --workers 2 --continue-on-failure \
  --suppress-health-check all --warnings off --seed 20210910 >"$out/st.log" 2>&1
status=$?
set -e
grep -E "Operations:|generated|passed|failed|issues found|Failures|Seed" "$out/st.log" | tail -n 12
if [ "$status" -ne 0 ]; then
  echo "--- schemathesis found failures"; tail -n 120 "$out/st.log"; exit "$status"
fi
curl -fsS "$base/health" >/dev/null || { echo "the server stopped answering during the fuzz run"; exit 1; }
echo "fuzz: no 5xx in $seconds s"
