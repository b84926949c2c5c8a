#!/usr/bin/env bash
# End-to-end browser tests: builds cmd/api and cmd/loader, loads the bundled
# dataset into the Neo4j at $NEO4J_URI, starts the API on a free local port and
# runs e2e/*.test.mjs (node --test, Playwright driving Debian's Chromium)
# against it. The one entry point for CI and `make test`; see e2e/README.md.
#
#   NEO4J_URI=bolt://127.0.0.1:7687 e2e/run.sh
#
# Environment: NEO4J_URI (required), NEO4J_USER / NEO4J_PASSWORD /
# NEO4J_DATABASE (optional, passed to the loader and the API), CHROMIUM_PATH
# (default /usr/bin/chromium). Exit status: the test runner's.
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
RESULTS="$E2E_DIR/test-results"
CHROMIUM="${CHROMIUM_PATH:-/usr/bin/chromium}"

say() { printf 'e2e: %s\n' "$*" >&2; }
die() { say "error: $*"; exit 1; }

if [[ -z "${NEO4J_URI:-}" ]]; then
  die "NEO4J_URI is not set: point it at a Neo4j to load the dataset into, e.g. NEO4J_URI=bolt://127.0.0.1:7687 e2e/run.sh (start the local one with 'make db-up' or 'go run ./cmd/devdb up')"
fi
export NEO4J_URI
if [[ -n "${NEO4J_PASSWORD:-}" ]]; then pw_from="NEO4J_PASSWORD"; else pw_from="the local development default"; fi
say "Neo4j: $NEO4J_URI (user ${NEO4J_USER:-neo4j}, password: $pw_from)"

for tool in go node npm; do
  command -v "$tool" >/dev/null || die "'$tool' is not on PATH"
done

# --- Chromium (Debian's; Playwright never downloads a browser here) ----------
if [[ ! -x "$CHROMIUM" ]]; then
  if [[ "$CHROMIUM" == /usr/bin/chromium && "$(id -u)" == 0 ]]; then
    say "installing chromium with apt-get"
    export DEBIAN_FRONTEND=noninteractive
    apt-get update
    apt-get install -y chromium
  else
    die "no Chromium at $CHROMIUM: install Debian's package as root ('apt-get update && apt-get install -y chromium') or set CHROMIUM_PATH"
  fi
fi
[[ -x "$CHROMIUM" ]] || die "no Chromium at $CHROMIUM after installing it"

# --- node_modules (npm ci when missing or not matching package-lock.json) ----
lock_sum="$(sha256sum "$E2E_DIR/package-lock.json" | cut -d' ' -f1)"
stamp="$E2E_DIR/node_modules/.e2e-lock.sha256"
if [[ ! -d "$E2E_DIR/node_modules/playwright-core" || ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
  say "npm ci (node_modules missing or stale)"
  (cd "$E2E_DIR" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
  printf '%s\n' "$lock_sum" >"$stamp"
fi

# --- build, load, start -------------------------------------------------------
mkdir -p "$RESULTS"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/kgapi-e2e.XXXXXX")"
API_PID=""
TEST_PID=""
cleanup() {
  local status=$?
  if [[ -n "$TEST_PID" ]]; then
    kill -TERM -- "-$TEST_PID" 2>/dev/null || true
    wait "$TEST_PID" 2>/dev/null || true
  fi
  if [[ -n "$API_PID" ]] && kill -0 "$API_PID" 2>/dev/null; then
    kill "$API_PID" 2>/dev/null || true
    for _ in $(seq 50); do kill -0 "$API_PID" 2>/dev/null || break; sleep 0.1; done
    kill -9 "$API_PID" 2>/dev/null || true
    wait "$API_PID" 2>/dev/null || true
  fi
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building ./cmd/api and ./cmd/loader"
(cd "$ROOT" && go build -o "$TMP/api" ./cmd/api && go build -o "$TMP/loader" ./cmd/loader)

say "loading the bundled dataset"
(cd "$ROOT" && "$TMP/loader")

free_port() {
  if command -v python3 >/dev/null; then
    python3 -c 'import socket; s = socket.socket(); s.bind(("127.0.0.1", 0)); print(s.getsockname()[1]); s.close()'
  else
    node -e 'const s = require("net").createServer().listen(0, "127.0.0.1", () => { console.log(s.address().port); s.close(); })'
  fi
}
PORT="$(free_port)"
API_URL="http://127.0.0.1:$PORT"
LOG="$RESULTS/api.log"
say "starting the API at $API_URL (log: ${LOG#"$ROOT"/})"
(cd "$ROOT" && LOG_FORMAT=console exec "$TMP/api" -listen-addr "127.0.0.1:$PORT") >"$LOG" 2>&1 &
API_PID=$!

http_status() { # prints the HTTP status of GET $1, or 000 when there is no answer
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => console.log(r.status), () => console.log("000"))' "$1"
  fi
}
deadline=$((SECONDS + 60))
until [[ "$(http_status "$API_URL/readyz")" == 200 ]]; do
  if ! kill -0 "$API_PID" 2>/dev/null; then
    say "the API exited before it was ready; its log:"
    cat "$LOG" >&2
    exit 1
  fi
  if ((SECONDS >= deadline)); then
    say "the API was not ready (GET /readyz 200) within 60 s; its log:"
    cat "$LOG" >&2
    exit 1
  fi
  sleep 0.25
done
say "API ready"

# --- tests ----------------------------------------------------------------------
# TAP on stdout: ends with the "# tests N", "# pass N", "# fail N" summary lines.
# The runner gets a process group of its own (set -m) and is waited for in the
# background, so that on INT/TERM the trap runs at once and stops it (and,
# through Playwright's signal handlers, its Chromium) along with the API.
status=0
set -m
(cd "$E2E_DIR" && API_URL="$API_URL" CHROMIUM_PATH="$CHROMIUM" exec node --test --test-reporter=tap ./*.test.mjs) &
TEST_PID=$!
set +m
wait "$TEST_PID" || status=$?
TEST_PID=""
if ((status == 0)); then
  say "passed (screenshot: ${RESULTS#"$ROOT"/}/graphiql.png)"
else
  say "FAILED (exit $status); API log: ${LOG#"$ROOT"/}, screenshot: ${RESULTS#"$ROOT"/}/graphiql.png"
fi
exit "$status"
