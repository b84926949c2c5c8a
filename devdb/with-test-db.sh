#!/usr/bin/env bash
# Runs a command against a fresh local Neo4j started for it, then stops it.
#   devdb/with-test-db.sh go test ./...
# When NEO4J_URI is already set, the command runs against that database instead.
# Knobs: TEST_DB_PORT (default 7688), TEST_DB_DATA (default .devdb/test).
set -euo pipefail
root="$(cd "$(dirname "$0")/.." && pwd)"
cd "$root"
if [[ -n "${NEO4J_URI:-}" ]]; then
  echo "with-test-db: using NEO4J_URI=$NEO4J_URI"
  exec "$@"
fi
port="${TEST_DB_PORT:-7688}"
data="${TEST_DB_DATA:-.devdb/test}"
devdb=(go run ./cmd/devdb -port "$port" -data "$data")
"${devdb[@]}" reset >/dev/null
stop() { "${devdb[@]}" down || true; rm -rf "$data"; }
trap stop EXIT
"${devdb[@]}" up
export NEO4J_URI="bolt://127.0.0.1:$port" NEO4J_USER=neo4j NEO4J_PASSWORD="${NEO4J_PASSWORD:-localdev-password}"
"$@"
