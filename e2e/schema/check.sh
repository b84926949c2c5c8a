#!/usr/bin/env bash
# Breaking-change check of schema.graphqls against the published baseline
# e2e/schema/published.graphqls (@graphql-inspector/core). Node only, no
# database, no server; offline once node_modules is installed (it runs
# `npm ci` in e2e/schema when node_modules is missing or stale).
#
#   bash e2e/schema/check.sh                      # schema.graphqls vs published.graphqls
#   bash e2e/schema/check.sh other.graphqls       # another candidate schema
#
# Exit status: 0 no breaking change, 1 breaking changes (listed), 2 a schema
# does not load.
set -euo pipefail

DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"

command -v node >/dev/null || { echo "schema check: 'node' is not on PATH" >&2; exit 2; }

lock_sum="$(sha256sum "$DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$DIR/node_modules/.schema-lock.sha256"
if [[ ! -d "$DIR/node_modules/@graphql-inspector/core" || ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  echo "schema check: npm ci (node_modules missing or stale)" >&2
  (cd "$DIR" && npm ci --no-audit --no-fund --loglevel=error >&2)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

exec node "$DIR/check.mjs" "$@"
