# The two commands a new user needs:
#   make run    start the local Neo4j (unless NEO4J_URI is set), load the data, serve the API
#   make test   the whole suite against a real Neo4j (started for the run, stopped after)
SHELL := /bin/bash
.DEFAULT_GOAL := help

GO        ?= go
DATA      ?= data/shenzhen-2019-2025.yaml
export NEO4J_PASSWORD ?= localdev-password

.PHONY: help bench bench-planner bench-smoke soak soak-replicas schema-check token run api load db-up db-down db-reset db-status test test-go test-e2e generate check-generate vet build

help: ## list the targets
	@grep -E '^[a-z-]+:.*## ' $(MAKEFILE_LIST) | awk -F':.*## ' '{printf "  make %-15s %s\n", $$1, $$2}'

run: ## start the local Neo4j when NEO4J_URI is unset, load the bundled data, serve the API
	@if [[ -z "$${NEO4J_URI:-}" ]]; then $(MAKE) --no-print-directory db-up; fi
	NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:$${DEVDB_PORT:-7687}} $(GO) run ./cmd/loader -prune $(DATA)
	NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:$${DEVDB_PORT:-7687}} LOG_FORMAT=$${LOG_FORMAT:-console} $(GO) run ./cmd/api

api: ## serve the API only (the database must be up and loaded)
	NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:$${DEVDB_PORT:-7687}} LOG_FORMAT=$${LOG_FORMAT:-console} $(GO) run ./cmd/api

load: ## validate and load the bundled dataset (DATA=file to load another); -prune: the graph follows the file
	NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:$${DEVDB_PORT:-7687}} $(GO) run ./cmd/loader -prune $(DATA)

db-up: ## start the local Neo4j in the background (DEVDB_PORT, default 7687) and wait for Bolt
	@$(GO) run ./cmd/devdb up

db-down: ## stop the local Neo4j cleanly
	@$(GO) run ./cmd/devdb down

db-reset: ## stop the local Neo4j and wipe its data
	@$(GO) run ./cmd/devdb reset

db-status: ## say whether the local Neo4j runs
	@$(GO) run ./cmd/devdb status

test: ## the whole suite: Go tests and the browser test, against a real Neo4j started for the run
	devdb/with-test-db.sh scripts/test.sh

test-go: ## Go tests only (uses NEO4J_URI when set, else each package starts its own Neo4j)
	$(GO) test -p 1 -count=1 ./...

test-e2e: ## headless Chromium opens GraphiQL offline and runs a query (needs NEO4J_URI)
	bash e2e/run.sh

generate: ## regenerate gqlgen code from schema.graphqls
	$(GO) generate ./...

check-generate: generate ## fail when generated code is not up to date
	git diff --exit-code -- graph/ || (echo "generated code is stale: run 'make generate' and commit"; exit 1)

vet: ## go vet and gofmt
	$(GO) vet ./...
	@test -z "$$(gofmt -l $$(git ls-files '*.go'))" || (gofmt -l $$(git ls-files '*.go'); echo "gofmt needed"; exit 1)

token: ## print a new API token and its API_TOKENS entry (NAME=alice make token)
	@$(GO) run ./cmd/token -name "$${NAME:-$${USER:-editor}}"

bench: ## the benchmark: ours vs the Neo4j GraphQL Library vs hand-written Cypher, bundled/10k/100k measures (long; not in CI)
	cd bench/peer && npm ci --no-audit --no-fund
	$(GO) run ./bench/cmd/bench

bench-smoke: ## seconds: one workload against NEO4J_URI, correctness only (runs in make test too)
	$(GO) test -count=1 -run Smoke ./bench/

bench-planner: ## the planner's property test at 100,000 measures: random pages checked against a reference, each read within 200 ms (own Neo4j; ~10 min)
	TEST_DB_PORT=$${TEST_DB_PORT:-7689} TEST_DB_DATA=.devdb/bench-planner devdb/with-test-db.sh env PLANNER_MEASURES=$${PLANNER_MEASURES:-100000} PLANNER_CASES=$${PLANNER_CASES:-200} PLANNER_BUDGET_MS=$${PLANNER_BUDGET_MS:-200} $(GO) test -count=1 -timeout 60m -run TestPlannerMatchesReference -v ./store/

soak: ## a bounded soak against a running API (make run): 3 minutes at 50 req/s
	$(GO) run ./bench/soak -duration 3m -rate 50

soak-replicas: ## 3 API replicas behind a proxy on the dev Neo4j (make db-up load): 2 minutes of a write a second, then read throughput with 1-3 replicas
	NEO4J_URI=$${NEO4J_URI:-bolt://127.0.0.1:7687} NEO4J_PASSWORD=$${NEO4J_PASSWORD:-localdev-password} $(GO) run ./bench/replicas -duration $${SOAK_DURATION:-2m} -throughput $${THROUGHPUT_FOR:-10s}

schema-check: ## breaking-change check of schema.graphqls against e2e/schema/published.graphqls (node only)
	bash e2e/schema/check.sh

build: ## build the binaries into bin/
	$(GO) build -o bin/ ./cmd/...
