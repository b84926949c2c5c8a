#!/usr/bin/env bash
# The whole suite against the Neo4j NEO4J_URI names (make test sets it up):
# Go tests (one package at a time: they share the database), then the
# headless-browser test. Prints the failures and one closing count.
set -uo pipefail
cd "$(dirname "$0")/.."
: "${NEO4J_URI:?NEO4J_URI must name the test database (make test starts one)}"
mkdir -p .devdb
log=.devdb/go-test.log

echo "==> go test ./... against $NEO4J_URI"
go test -p 1 -count=1 -v ./... >"$log" 2>&1
go_status=$?
# Package results, and the lines of any failure, without the verbose noise.
grep -E '^(ok|FAIL|panic:|---  *FAIL|--- FAIL)|^\s+.*_test\.go:[0-9]+:' "$log" || true
go_passed=$(grep -cE '^\s*--- PASS' "$log" || true)
go_failed=$(grep -cE '^\s*--- FAIL' "$log" || true)
go_skipped=$(grep -cE '^\s*--- SKIP' "$log" || true)
echo "go: $go_passed passed, $go_failed failed, $go_skipped skipped (full log: $log)"
if [[ $go_status -ne 0 && $go_failed -eq 0 ]]; then
  echo "go test exited $go_status without a failing test: build error or panic; the log ends with:"
  tail -40 "$log"
  go_failed=1
fi

echo "==> browser test (e2e)"
e2e_log=.devdb/e2e.log
bash e2e/run.sh 2>&1 | tee "$e2e_log"
e2e_status=${PIPESTATUS[0]}
e2e_passed=$(sed -nE 's/^# pass ([0-9]+)$/\1/p' "$e2e_log" | tail -1)
e2e_failed=$(sed -nE 's/^# fail ([0-9]+)$/\1/p' "$e2e_log" | tail -1)
e2e_passed=${e2e_passed:-0}
e2e_failed=${e2e_failed:-0}
if [[ $e2e_status -ne 0 && $e2e_failed -eq 0 ]]; then e2e_failed=1; fi

passed=$((go_passed + e2e_passed))
failed=$((go_failed + e2e_failed))
echo "tests: $passed passed, $failed failed"
if [[ $failed -ne 0 || $go_passed -eq 0 || $e2e_passed -eq 0 ]]; then
  exit 1
fi
