#!/usr/bin/env bash
# End-to-end tests: builds cmd/api, cmd/loader and cmd/token, loads the bundled
# dataset into the Neo4j at $NEO4J_URI, makes a fresh API token, starts the API
# on a free local port with that token allowed (API_TOKENS), generates the
# client tests' TypeScript types from the running server (graphql-codegen) and
# compiles them (tsc), then runs everything in ONE `node --test`: the browser
# tests e2e/*.test.mjs (Playwright driving Debian's Chromium) and the client
# tests e2e/clients/build/*.test.js (Apollo Client, urql). The one entry point
# for CI and `make test`; see e2e/README.md.
#
#   NEO4J_URI=bolt://127.0.0.1:7687 e2e/run.sh
#
# Environment: NEO4J_URI (required), NEO4J_USER / NEO4J_PASSWORD /
# NEO4J_DATABASE (optional, passed to the loader and the API), CHROMIUM_PATH
# (default /usr/bin/chromium). The tests get API_URL, API_TOKEN and
# API_TOKEN_NAME, and TRUSTED_API_URL: a second API, started after codegen,
# with TRUSTED_DOCUMENTS=only and the manifest the client preset generated.
# Exit status: the test runner's (1 when the client build fails).
set -euo pipefail

E2E_DIR="$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)"
ROOT="$(cd "$E2E_DIR/.." && pwd)"
CLIENTS="$E2E_DIR/clients"
TOKEN_NAME="e2e"
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
# e2e/ (Playwright) and e2e/clients/ (Apollo, urql, graphql-codegen, tsc).
npm_ci() { # dir, a package that must be there, stamp file name
  local dir="$1" probe="$2" lock_sum stamp
  lock_sum="$(sha256sum "$dir/package-lock.json" | cut -d' ' -f1)"
  stamp="$dir/node_modules/$3"
  if [[ ! -e "$dir/node_modules/$probe" || ! -f "$stamp" || "$(cat "$stamp")" != "$lock_sum" ]]; then
    say "npm ci in ${dir#"$ROOT"/} (node_modules missing or stale)"
    (cd "$dir" && PLAYWRIGHT_SKIP_BROWSER_DOWNLOAD=1 npm ci --no-audit --no-fund)
    printf '%s\n' "$lock_sum" >"$stamp"
  fi
}
npm_ci "$E2E_DIR" playwright-core .e2e-lock.sha256
npm_ci "$CLIENTS" .bin/graphql-codegen .e2e-clients-lock.sha256

# --- build, load, start -------------------------------------------------------
mkdir -p "$RESULTS"
TMP="$(mktemp -d "${TMPDIR:-/tmp}/kgapi-e2e.XXXXXX")"
API_PID=""
TRUSTED_PID=""
TEST_PID=""
cleanup() {
  local status=$?
  if [[ -n "$TEST_PID" ]]; then
    kill -TERM -- "-$TEST_PID" 2>/dev/null || true
    wait "$TEST_PID" 2>/dev/null || true
  fi
  for pid in "$API_PID" "$TRUSTED_PID"; do
    if [[ -n "$pid" ]] && kill -0 "$pid" 2>/dev/null; then
      kill "$pid" 2>/dev/null || true
      for _ in $(seq 50); do kill -0 "$pid" 2>/dev/null || break; sleep 0.1; done
      kill -9 "$pid" 2>/dev/null || true
      wait "$pid" 2>/dev/null || true
    fi
  done
  rm -rf "$TMP"
  exit "$status"
}
trap cleanup EXIT
trap 'exit 130' INT
trap 'exit 143' TERM

say "building ./cmd/api, ./cmd/loader and ./cmd/token"
(cd "$ROOT" && go build -o "$TMP/api" ./cmd/api && go build -o "$TMP/loader" ./cmd/loader && go build -o "$TMP/token" ./cmd/token)

# A token for this run only: the secret goes to the tests (API_TOKEN), its
# API_TOKENS entry (name:sha256) to the API. Neither is logged.
token_out="$("$TMP/token" -name "$TOKEN_NAME")"
API_TOKEN="$(awk 'f { sub(/^[ \t]+/, ""); print; exit } /^token /{ f = 1 }' <<<"$token_out")"
TOKEN_ENTRY="$(awk 'f { sub(/^[ \t]+/, ""); print; exit } /^API_TOKENS entry/{ f = 1 }' <<<"$token_out")"
unset token_out
[[ -n "$API_TOKEN" && "$TOKEN_ENTRY" =~ ^$TOKEN_NAME:[0-9a-f]{64}$ ]] \
  || die "could not read the token and its API_TOKENS entry from 'go run ./cmd/token -name $TOKEN_NAME' (has its output changed?)"

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
say "starting the API at $API_URL with the token '$TOKEN_NAME' allowed (log: ${LOG#"$ROOT"/})"
(cd "$ROOT" && API_TOKENS="$TOKEN_ENTRY" LOG_FORMAT=console exec "$TMP/api" -listen-addr "127.0.0.1:$PORT") >"$LOG" 2>&1 &
API_PID=$!

http_status() { # prints the HTTP status of GET $1, or 000 when there is no answer
  if command -v curl >/dev/null; then
    curl -s -o /dev/null -w '%{http_code}' --max-time 3 "$1" || true
  else
    node -e 'fetch(process.argv[1], { signal: AbortSignal.timeout(3000) }).then((r) => console.log(r.status), () => console.log("000"))' "$1"
  fi
}
wait_ready() { # url, pid, log
  local deadline=$((SECONDS + 60))
  until [[ "$(http_status "$1/readyz")" == 200 ]]; do
    if ! kill -0 "$2" 2>/dev/null; then
      say "the API at $1 exited before it was ready; its log:"
      cat "$3" >&2
      exit 1
    fi
    if ((SECONDS >= deadline)); then
      say "the API at $1 was not ready (GET /readyz 200) within 60 s; its log:"
      cat "$3" >&2
      exit 1
    fi
    sleep 0.25
  done
}
wait_ready "$API_URL" "$API_PID" "$LOG"
say "API ready"

# --- client tests: types generated from the running server, then compiled ----
# graphql-codegen introspects $API_URL/graphql and checks e2e/clients/src/
# operations.graphql against it; tsc type-checks the tests with those types.
# Either failing (an API change that breaks the clients' operations) stops here.
say "generating the client types from $API_URL/graphql (graphql-codegen) and compiling the client tests (tsc)"
rm -rf "$CLIENTS/build" "$CLIENTS/src/__generated__"
if ! (cd "$CLIENTS" && API_URL="$API_URL" ./node_modules/.bin/graphql-codegen --config codegen.ts >"$RESULTS/codegen.log" 2>&1); then
  cat "$RESULTS/codegen.log" >&2
  say "FAILED: graphql-codegen: the client operations do not fit the schema the API serves (log: ${RESULTS#"$ROOT"/}/codegen.log)"
  exit 1
fi
if ! (cd "$CLIENTS" && ./node_modules/.bin/tsc -p tsconfig.json); then
  say "FAILED: tsc: the client tests do not type-check against the generated types"
  exit 1
fi

# --- a second API that runs only the trusted documents ------------------------
# TRUSTED_DOCUMENTS=only with the manifest graphql-codegen's client preset just
# wrote (src/__generated__/persisted/persisted-documents.json), on another free
# port: trusted.test.ts sends documents by id (run) and ad hoc (refused).
MANIFEST="$CLIENTS/src/__generated__/persisted/persisted-documents.json"
[[ -s "$MANIFEST" ]] || die "graphql-codegen wrote no $MANIFEST (client preset, persistedDocuments)"
TRUSTED_PORT="$(free_port)"
while [[ "$TRUSTED_PORT" == "$PORT" ]]; do TRUSTED_PORT="$(free_port)"; done
TRUSTED_API_URL="http://127.0.0.1:$TRUSTED_PORT"
TRUSTED_LOG="$RESULTS/api-trusted.log"
say "starting the API at $TRUSTED_API_URL with TRUSTED_DOCUMENTS=only and the generated manifest (log: ${TRUSTED_LOG#"$ROOT"/})"
(cd "$ROOT" && API_TOKENS="$TOKEN_ENTRY" LOG_FORMAT=console TRUSTED_DOCUMENTS=only TRUSTED_DOCUMENTS_MANIFEST="$MANIFEST" \
  exec "$TMP/api" -listen-addr "127.0.0.1:$TRUSTED_PORT") >"$TRUSTED_LOG" 2>&1 &
TRUSTED_PID=$!
wait_ready "$TRUSTED_API_URL" "$TRUSTED_PID" "$TRUSTED_LOG"
say "trusted-documents API ready"

# --- tests ----------------------------------------------------------------------
# One runner for the browser tests and the client tests, so TAP on stdout ends
# with a single "# tests N", "# pass N", "# fail N" summary.
# The runner gets a process group of its own (set -m) and is waited for in the
# background, so that on INT/TERM the trap runs at once and stops it (and,
# through Playwright's signal handlers, its Chromium) along with the API.
status=0
set -m
(cd "$E2E_DIR" && API_URL="$API_URL" TRUSTED_API_URL="$TRUSTED_API_URL" API_TOKEN="$API_TOKEN" API_TOKEN_NAME="$TOKEN_NAME" CHROMIUM_PATH="$CHROMIUM" \
  exec node --test --test-reporter=tap ./*.test.mjs clients/build/*.test.js) &
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
