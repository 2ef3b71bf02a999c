#!/usr/bin/env bash
# make test: checks formatting, runs go vet, staticcheck and workflowcheck and runs the tests against a
# throwaway PostgreSQL cluster and a throwaway Temporal dev server, both on
# free loopback ports in a temporary directory that is removed afterwards. It
# never touches what `make run` uses (its ports, .data/), so both can run at
# the same time.
#
#   scripts/test.sh                          go test ./...
#   scripts/test.sh -run TestOpen ./api/...  go test -run TestOpen ./api/...
#   scripts/test.sh -run TestOpen            no package given: ./... is added
#
# Arguments replace ./... in `go test -count=1 -timeout 20m ./...`; later
# flags win, so -count and -timeout may be overridden. go vet always checks
# ./... . The tests get:
#   CASEDESK_TEST_DATABASE_URL        superuser URL of the cluster's postgres
#                                     database (tests create their databases)
#   CASEDESK_TEST_TEMPORAL_ADDRESS    host:port of the Temporal dev server
#   CASEDESK_TEST_TEMPORAL_NAMESPACE  default
#   CASEDESK_REQUIRE_SERVICES         1 (missing services fail, not skip)
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CASEDESK_ROOT"

TEST_ARGS=("$@")
has_package=""
for arg in "$@"; do
	case $arg in
	. | ./* | ../* | github.com/*) has_package=1 ;;
	esac
done
[[ -n $has_package ]] || TEST_ARGS+=(./...)

TMP=""
TEMPORAL_PID=""
CLUSTER_DIR=""
PG_STARTED=""

cleanup() {
	local rc=$?
	trap '' INT TERM HUP
	if [[ -n $TEMPORAL_PID ]]; then
		stop_process "$TEMPORAL_PID" "Temporal dev server" 15
	fi
	if [[ -n $PG_STARTED ]]; then
		pg_stop "$TMP/pg/data" immediate
	fi
	if [[ -n $CLUSTER_DIR ]]; then
		scripts/cluster.sh --dir "$CLUSTER_DIR" stop >/dev/null 2>&1 || true
	fi
	if [[ -n $TMP ]]; then
		rm -rf "$TMP"
	fi
	if ((rc != 0)); then
		log "FAIL (exit status $rc)"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'log "interrupted"; exit 130' INT
trap 'log "terminated"; exit 143' TERM
trap 'exit 129' HUP

# gofmt_check fails if gofmt would change a Go file that git tracks or would
# track (untracked files that are not ignored count too).
gofmt_check() {
	local files=() f out bad
	if git rev-parse --is-inside-work-tree >/dev/null 2>&1; then
		while IFS= read -r -d '' f; do
			[[ -f $f ]] && files+=("$f")
		done < <(git ls-files -z --cached --others --exclude-standard -- '*.go')
	else
		while IFS= read -r -d '' f; do
			files+=("$f")
		done < <(find . \( -path ./.tools -o -path ./.data -o -path ./.git \) -prune -o -name '*.go' -type f -print0)
	fi
	((${#files[@]} > 0)) || return 0
	out=$(gofmt -l "${files[@]}")
	if [[ -n $out ]]; then
		log "gofmt: these files are not formatted (run: gofmt -w <file>):"
		mapfile -t bad <<<"$out"
		printf '    %s\n' "${bad[@]}" >&2
		exit 1
	fi
}

START=$(now)
ensure_go
ensure_postgres
ensure_temporal
STATICCHECK=$(ensure_go_tool staticcheck honnef.co/go/tools/cmd/staticcheck v0.8.2)
WORKFLOWCHECK=$(ensure_go_tool workflowcheck go.temporal.io/sdk/contrib/tools/workflowcheck v0.6.0)
TOOLS_TIME=$(since "$START")

t=$(now)
gofmt_check
FMT_TIME=$(since "$t")

# The throwaway directory: the postgres OS user must be able to enter it, and
# the unix socket path inside must stay short.
t=$(now)
TMP=$(mktemp -d "${TMPDIR:-/tmp}/casedesk-test.XXXXXX")
chmod 0755 "$TMP"
if ! pg_can_enter "$TMP" || ((${#TMP} > 80)); then
	rm -rf "$TMP"
	TMP=$(mktemp -d /var/tmp/casedesk-test.XXXXXX)
	chmod 0755 "$TMP"
fi

PG_PORT=$(free_port "${CASEDESK_PG_PORT:-}" "${CASEDESK_TEMPORAL_PORT:-}" "${CASEDESK_TEMPORAL_UI_PORT:-}")
TEMPORAL_PORT=$(free_port "$PG_PORT" "${CASEDESK_PG_PORT:-}" "${CASEDESK_TEMPORAL_PORT:-}" "${CASEDESK_TEMPORAL_UI_PORT:-}")

# In-memory Temporal (no --db-filename), no UI; it starts while PostgreSQL
# is being set up.
temporal_start "$TMP/temporal.log" --port "$TEMPORAL_PORT" --headless

PG_PASSWORD=$(od -An -N16 -tx1 /dev/urandom | tr -d ' \n')
pg_own_dir "$TMP/pg"
printf '%s\n' "$PG_PASSWORD" >"$TMP/pg/pwfile"
if ((EUID == 0)); then chown postgres: "$TMP/pg/pwfile"; fi
pg_initdb "$TMP/pg/data" --no-sync --auth-local=trust --auth-host=scram-sha-256 --pwfile="$TMP/pg/pwfile"
PG_STARTED=1
# Durability is pointless for a throwaway cluster; speed is not.
pg_start "$TMP/pg/data" "$PG_PORT" "$TMP/pg" "$TMP/pg/postgres.log" \
	fsync=off synchronous_commit=off full_page_writes=off max_connections=300
PG_TIME=$(since "$t")

# The console is embedded in the binary: build it (while Temporal starts)
# before anything compiles the Go package web.
t=$(now)
build_console
lint_openapi
ensure_chromium
CONSOLE_TIME=$(since "$t")

temporal_wait "127.0.0.1:$TEMPORAL_PORT" "$TEMPORAL_PID" "$TMP/temporal.log" 90
SERVICES_TIME=$(since "$t")
log "setup: tools ${TOOLS_TIME}, gofmt ${FMT_TIME}, PostgreSQL ${PG_TIME}, console ${CONSOLE_TIME}, PostgreSQL+Temporal ${SERVICES_TIME}"
log "PostgreSQL on 127.0.0.1:$PG_PORT, Temporal on 127.0.0.1:$TEMPORAL_PORT, files in $TMP"

export CASEDESK_TEST_DATABASE_URL="postgres://postgres:$PG_PASSWORD@127.0.0.1:$PG_PORT/postgres?sslmode=disable"
export CASEDESK_TEST_TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
export CASEDESK_TEST_TEMPORAL_NAMESPACE=default
export CASEDESK_REQUIRE_SERVICES=1
# Keep the tests away from make run's services and from real e-mail.
unset DATABASE_URL TEMPORAL_ADDRESS TEMPORAL_NAMESPACE TEMPORAL_API_KEY TEMPORAL_TLS \
	CASEDESK_HTTP_ADDR CASEDESK_ADMIN_TOKEN CASEDESK_DEMO_TOKENS_FILE SENDGRID_API_KEY SENDGRID_BASE_URL \
	CASEDESK_ENV

t=$(now)
log "go vet ./..."
go vet ./... </dev/null
log "staticcheck ./..."
"$STATICCHECK" ./... </dev/null
log "workflowcheck ./... (determinism of workflow code)"
"$WORKFLOWCHECK" ./... </dev/null
VET_TIME=$(since "$t")

t=$(now)
log "go test -count=1 -timeout 20m ${TEST_ARGS[*]}"
go test -count=1 -timeout 20m "${TEST_ARGS[@]}" </dev/null
TEST_TIME=$(since "$t")

# The chaos run, reduced, when the whole suite runs: the production topology
# of scripts/cluster.sh (Temporal server on PostgreSQL, two APIs, two
# workers) in the throwaway directory, a few hundred cases and one fault of
# each kind; any violated invariant fails (CASEDESK_CHAOS_CASES=0 skips it).
t=$(now)
CHAOS_CASES=${CASEDESK_CHAOS_CASES:-200}
CHAOS_TIME=skipped
if (($# == 0)) && [[ $CHAOS_CASES != 0 ]]; then
	CLUSTER_DIR="$TMP/cluster"
	log "chaos: the cluster topology, $CHAOS_CASES cases, one fault of each kind (log in $CLUSTER_DIR/log/)"
	if ! CASEDESK_SLA_CONFIG="$CASEDESK_ROOT/testdata/chaos/sla.json" \
		CASEDESK_APPROVALS_CONFIG="$CASEDESK_ROOT/testdata/chaos/approvals.json" \
		CASEDESK_WAITING_REMINDER=10s CASEDESK_WAITING_TIMEOUT=5m CASEDESK_REOPEN_WINDOW=40s CASEDESK_RATE_TOKEN=0 \
		scripts/cluster.sh --dir "$CLUSTER_DIR" --background >"$TMP/cluster.log" 2>&1 </dev/null; then
		tail_log "$TMP/cluster.log"
		die "the cluster did not start"
	fi
	if ! "$CLUSTER_DIR/bin/casedesk" chaos --cluster "$CLUSTER_DIR" --cases "$CHAOS_CASES" \
		--faults worker=1,api=1,temporal=1,pg-restart=1,pg-outage=1 --outage 15s --down 3s --gap 10s --converge 2m \
		--report "$TMP/chaos.json" >/dev/null </dev/null; then
		[[ -f $TMP/chaos.json ]] && cat "$TMP/chaos.json" >&2
		die "the chaos run found violated invariants (report above)"
	fi
	scripts/cluster.sh --dir "$CLUSTER_DIR" stop >/dev/null 2>&1 </dev/null
	CLUSTER_DIR=""
	CHAOS_TIME=$(since "$t")
fi

# Fuzz the doors hostile input comes through, briefly, when the whole suite
# runs (CASEDESK_FUZZTIME=10m scripts/test.sh -run '^$' ./... runs them longer;
# CASEDESK_FUZZTIME=0 skips them).
t=$(now)
FUZZTIME=${CASEDESK_FUZZTIME:-2s}
if [[ $FUZZTIME != 0 && ( -z $has_package || $FUZZTIME != 2s ) ]]; then
	for target in \
		./internal/strictjson:FuzzDecode \
		.:FuzzParseMoney \
		.:FuzzMaskCardNumbers \
		./inbound:FuzzParseInboundRaw \
		./inbound:FuzzParseEvents; do
		log "fuzz ${target#*:} in ${target%%:*} for $FUZZTIME"
		go test -run '^$' -fuzz "^${target#*:}\$" -fuzztime "$FUZZTIME" "${target%%:*}" </dev/null
	done
fi
log "PASS (vet, staticcheck, workflowcheck ${VET_TIME}, go test ${TEST_TIME}, chaos ${CHAOS_TIME}, fuzz $(since "$t"), total $(since "$START"))"
