# Developer entry points. The logic lives in scripts/; see each script's header.
SHELL := /bin/bash
.DEFAULT_GOAL := help

# Extra arguments for `go test` in `make test`, e.g. ARGS='-run TestOpen ./api/...'
ARGS ?=

.PHONY: help run test build stop clean-data cluster

help: ## list the targets
	@awk 'BEGIN { FS = ":.*## " } /^[a-z-]+:.*## / { printf "  make %-11s %s\n", $$1, $$2 }' $(MAKEFILE_LIST)
	@echo
	@echo "  make run: ports CASEDESK_PG_PORT=5433 CASEDESK_TEMPORAL_PORT=7233 CASEDESK_TEMPORAL_UI_PORT=8233,"
	@echo "            API on CASEDESK_HTTP_ADDR=127.0.0.1:8080; data in .data/"
	@echo "  make test ARGS='-run TestX ./api/...' narrows go test (default ./...)"

run: ## start PostgreSQL, Temporal and casedesk (API + worker) with demo data; Ctrl-C stops all
	@scripts/run.sh

cluster: ## the production topology locally: Temporal server on PostgreSQL, 2 APIs, 2 workers; Ctrl-C stops all
	@scripts/cluster.sh

test: ## gofmt, go vet and go test against throwaway PostgreSQL and Temporal
	@scripts/test.sh $(ARGS)

build: ## build .tools/bin/casedesk
	go build -o .tools/bin/casedesk ./cmd/casedesk

stop: ## stop a running make run, or services a killed one left behind
	@scripts/run.sh --stop

clean-data: ## delete make run's data (.data/: database, Temporal state, demo tokens); refuses while it runs
	@scripts/run.sh --clean-data
