#!/usr/bin/env bash
# make run: starts PostgreSQL and the Temporal dev server for this checkout,
# applies migrations, loads the demo data and runs `casedesk dev` (API and
# worker) in the foreground. Ctrl-C stops everything it started. The data
# stays in .data/ between runs; `make clean-data` removes it.
#
#   scripts/run.sh               run (what `make run` does)
#   scripts/run.sh --stop        stop a running `make run`, or services left
#                                over by one that was killed hard
#   scripts/run.sh --clean-data  remove .data/ (only when nothing runs)
#
# Environment: CASEDESK_PG_PORT (5433), CASEDESK_TEMPORAL_PORT (7233),
# CASEDESK_TEMPORAL_UI_PORT (8233), CASEDESK_HTTP_ADDR (127.0.0.1:8080),
# CASEDESK_ADMIN_TOKEN, SENDGRID_API_KEY and the other casedesk settings are
# passed on to casedesk.
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CASEDESK_ROOT"

PG_PORT=${CASEDESK_PG_PORT:-5433}
TEMPORAL_PORT=${CASEDESK_TEMPORAL_PORT:-7233}
UI_PORT=${CASEDESK_TEMPORAL_UI_PORT:-8233}
HTTP_ADDR=${CASEDESK_HTTP_ADDR:-127.0.0.1:8080}

DATA="$CASEDESK_ROOT/.data"
RUN_DIR="$DATA/run"
TEMPORAL_DIR="$DATA/temporal"
TEMPORAL_DB="$TEMPORAL_DIR/temporal.db"
TEMPORAL_LOG="$TEMPORAL_DIR/temporal.log"
BIN="$CASEDESK_TOOLS/bin/casedesk"
# Where PostgreSQL's files go when the postgres OS user cannot reach .data/
# (a checkout under a directory only root may enter): one per checkout path.
FALLBACK="/var/tmp/casedesk-$(printf '%s' "$CASEDESK_ROOT" | sha256sum | cut -c1-12)"

# pg_paths sets PG_BASE, PG_DATA, PG_LOG and PG_SOCK. Keeps using an existing
# cluster; for a new one prefers .data/postgres. Does not create anything
# unless CREATE is given.
pg_paths() {
	local create=${1:-}
	if [[ -f $DATA/postgres/data/PG_VERSION ]]; then
		PG_BASE="$DATA/postgres"
	elif [[ -f $FALLBACK/postgres/data/PG_VERSION ]]; then
		PG_BASE="$FALLBACK/postgres"
	elif [[ -n $create ]]; then
		mkdir -p "$DATA"
		if pg_can_enter "$DATA"; then
			PG_BASE="$DATA/postgres"
		else
			log "the postgres OS user cannot enter $DATA; keeping PostgreSQL's files in $FALLBACK"
			mkdir -p "$FALLBACK"
			chmod 0755 "$FALLBACK"
			PG_BASE="$FALLBACK/postgres"
		fi
	else
		PG_BASE="$DATA/postgres"
	fi
	PG_DATA="$PG_BASE/data"
	PG_LOG="$PG_BASE/postgres.log"
	PG_SOCK="$PG_BASE/socket"
	# Unix socket paths are limited to 107 bytes.
	if ((${#PG_SOCK} + 20 > 107)); then
		PG_SOCK="$FALLBACK/socket"
	fi
}

# read_pid NAME prints the pid recorded in .data/run/NAME.pid.
read_pid() {
	local pid=""
	[[ -f $RUN_DIR/$1.pid ]] && pid=$(<"$RUN_DIR/$1.pid")
	[[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
	return 0
}

# active_run prints the pid of a run.sh that is running for this checkout.
active_run() {
	local pid
	pid=$(read_pid run)
	[[ -n $pid && $pid != "$$" ]] || return 0
	alive "$pid" || return 0
	[[ $(cmdline "$pid") == *run.sh* ]] || return 0
	[[ $(readlink "/proc/$pid/cwd" 2>/dev/null) == "$CASEDESK_ROOT" ]] || return 0
	printf '%s' "$pid"
}

# leftover_dev and leftover_temporal print the pid of a process an earlier run
# started that is still running (checked against its command line, in case
# the pid was reused).
leftover_dev() {
	local pid
	pid=$(read_pid dev)
	if [[ -n $pid ]] && alive "$pid" && [[ $(cmdline "$pid") == "$BIN dev"* ]]; then
		printf '%s' "$pid"
	fi
}
leftover_temporal() {
	local pid cmd
	pid=$(read_pid temporal)
	[[ -n $pid ]] && alive "$pid" || return 0
	cmd=$(cmdline "$pid")
	if [[ $cmd == *start-dev* && $cmd == *"$TEMPORAL_DB"* ]]; then
		printf '%s' "$pid"
	fi
}

# stop_leftovers stops what an earlier run that was killed hard left running.
stop_leftovers() {
	local pid
	pid=$(leftover_dev)
	if [[ -n $pid ]]; then
		log "stopping casedesk dev left over from an earlier run (pid $pid)"
		stop_process "$pid" "casedesk dev" 30
	fi
	pid=$(leftover_temporal)
	if [[ -n $pid ]]; then
		log "stopping the Temporal dev server left over from an earlier run (pid $pid)"
		stop_process "$pid" "Temporal dev server" 30
	fi
	pg_paths
	if [[ -n $PG_BIN && -d $PG_DATA ]] && pg_running "$PG_DATA"; then
		log "stopping PostgreSQL left over from an earlier run ($PG_DATA)"
		pg_stop "$PG_DATA" fast
	fi
	rm -f "$RUN_DIR/dev.pid" "$RUN_DIR/temporal.pid"
}

cmd_stop() {
	local pid i
	pid=$(active_run)
	if [[ -n $pid ]]; then
		log "stopping make run (pid $pid)"
		kill -TERM "$pid"
		for ((i = 0; i < 900; i++)); do
			alive "$pid" || break
			sleep 0.1
		done
		alive "$pid" && die "make run (pid $pid) is still running after 90s"
	fi
	[[ -d $DATA ]] || return 0
	pg_detect || PG_BIN=""
	stop_leftovers
	log "nothing of this checkout's make run is running now"
}

cmd_clean_data() {
	local pid
	pid=$(active_run)
	[[ -z $pid ]] || die "make run is running (pid $pid); stop it (Ctrl-C, or make stop) before removing its data"
	if [[ -n $(leftover_dev) || -n $(leftover_temporal) ]]; then
		die "services left over from an earlier make run are still running; run 'make stop' first"
	fi
	pg_paths
	if [[ -f $PG_DATA/postmaster.pid ]] && pg_detect && pg_running "$PG_DATA"; then
		die "PostgreSQL of this checkout is still running; run 'make stop' first"
	fi
	if [[ -d $FALLBACK ]]; then
		rm -rf "$FALLBACK"
		log "removed $FALLBACK"
	fi
	rm -rf "$DATA"
	log "removed .data/"
}

# ------------------------------------------------------------------ run --

DEV_PID=""
TEMPORAL_PID=""
PG_STARTED=""
CLEANED=""

cleanup() {
	[[ -z $CLEANED ]] || return 0
	CLEANED=1
	trap '' INT TERM HUP
	if [[ -n $DEV_PID ]]; then
		log "stopping casedesk dev"
		stop_process "$DEV_PID" "casedesk dev" 30
	fi
	if [[ -n $TEMPORAL_PID ]]; then
		log "stopping the Temporal dev server"
		stop_process "$TEMPORAL_PID" "Temporal dev server" 30
	fi
	if [[ -n $PG_STARTED ]]; then
		log "stopping PostgreSQL"
		pg_stop "$PG_DATA" fast
	fi
	if [[ $(read_pid run) == "$$" ]]; then
		rm -f "$RUN_DIR/run.pid" "$RUN_DIR/dev.pid" "$RUN_DIR/temporal.pid"
	fi
}

on_exit() {
	local rc=$?
	cleanup
	if [[ -n $DEV_PID$TEMPORAL_PID$PG_STARTED ]]; then
		log "stopped (exit status $rc)"
	fi
	exit "$rc"
}

on_signal() {
	log "received SIG$1; shutting down"
	case $1 in
	INT) exit 130 ;;
	HUP) exit 129 ;;
	*) exit 143 ;;
	esac
}

cmd_run() {
	local start http_port http_host
	start=$(now)
	check_port_number "$PG_PORT" CASEDESK_PG_PORT
	check_port_number "$TEMPORAL_PORT" CASEDESK_TEMPORAL_PORT
	check_port_number "$UI_PORT" CASEDESK_TEMPORAL_UI_PORT
	http_port=${HTTP_ADDR##*:}
	http_host=${HTTP_ADDR%:*}
	check_port_number "$http_port" "the port in CASEDESK_HTTP_ADDR"
	case $http_host in "" | 0.0.0.0 | "[::]" | localhost) http_host=127.0.0.1 ;; esac

	local pid
	pid=$(active_run)
	[[ -z $pid ]] || die "make run is already running for this checkout (pid $pid); use that one, or stop it (Ctrl-C in its terminal, or make stop)"

	mkdir -p "$RUN_DIR" "$TEMPORAL_DIR" "$CASEDESK_TOOLS/bin"
	ensure_go
	ensure_postgres
	ensure_temporal

	stop_leftovers
	require_free_port "$PG_PORT" PostgreSQL CASEDESK_PG_PORT
	require_free_port "$TEMPORAL_PORT" "the Temporal dev server" CASEDESK_TEMPORAL_PORT
	require_free_port "$UI_PORT" "the Temporal UI" CASEDESK_TEMPORAL_UI_PORT
	require_free_port "$http_port" "the casedesk API" CASEDESK_HTTP_ADDR

	trap on_exit EXIT
	trap 'on_signal INT' INT
	trap 'on_signal TERM' TERM
	trap 'on_signal HUP' HUP
	echo "$$" >"$RUN_DIR/run.pid"

	# Temporal starts in the background while PostgreSQL starts and the
	# binary builds.
	log "starting the Temporal dev server on 127.0.0.1:$TEMPORAL_PORT (UI $UI_PORT, state in ${TEMPORAL_DB#"$CASEDESK_ROOT"/})"
	temporal_start "$TEMPORAL_LOG" --port "$TEMPORAL_PORT" --ui-port "$UI_PORT" \
		--db-filename "$TEMPORAL_DB" --sqlite-pragma journal_mode=wal --sqlite-pragma synchronous=normal
	echo "$TEMPORAL_PID" >"$RUN_DIR/temporal.pid"

	pg_paths create
	pg_own_dir "$PG_BASE"
	pg_own_dir "$PG_SOCK"
	as_pg test -w "$PG_BASE" || die "the postgres OS user cannot write to $PG_BASE"
	if [[ ! -f $PG_DATA/PG_VERSION ]]; then
		log "creating the PostgreSQL $PG_VERSION_MAJOR cluster in $PG_DATA"
		pg_initdb "$PG_DATA" --auth-local=trust --auth-host=scram-sha-256
	fi
	log "starting PostgreSQL on 127.0.0.1:$PG_PORT (log ${PG_LOG#"$CASEDESK_ROOT"/})"
	PG_STARTED=1
	pg_start "$PG_DATA" "$PG_PORT" "$PG_SOCK" "$PG_LOG"
	pg_psql "$PG_SOCK" "$PG_PORT" <<'SQL'
SELECT 'CREATE ROLE casedesk LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casedesk')
\gexec
ALTER ROLE casedesk LOGIN PASSWORD 'casedesk';
SELECT 'CREATE DATABASE casedesk OWNER casedesk' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'casedesk')
\gexec
SQL

	build_console
	log "building ${BIN#"$CASEDESK_ROOT"/}"
	go build -o "$BIN" ./cmd/casedesk

	temporal_wait "127.0.0.1:$TEMPORAL_PORT" "$TEMPORAL_PID" "$TEMPORAL_LOG" 90
	log "services ready in $(since "$start")"

	export DATABASE_URL="postgres://casedesk:casedesk@127.0.0.1:$PG_PORT/casedesk?sslmode=disable"
	export TEMPORAL_ADDRESS="127.0.0.1:$TEMPORAL_PORT"
	export TEMPORAL_NAMESPACE=default
	export TEMPORAL_TLS=false
	unset TEMPORAL_API_KEY
	export CASEDESK_HTTP_ADDR="$HTTP_ADDR"
	export CASEDESK_DEMO_TOKENS_FILE="$DATA/demo-tokens.txt"
	# make run is development: the built-in development secrets are allowed.
	export CASEDESK_ENV=development

	log "applying migrations"
	"$BIN" migrate </dev/null
	log "loading demo data"
	"$BIN" seed </dev/null

	log "------------------------------------------------------------------"
	log "Console:      http://$http_host:$http_port  (sign in as a demo user with the password the seed printed above)"
	log "API:          http://$http_host:$http_port/v1"
	log "Temporal UI:  http://127.0.0.1:$UI_PORT"
	log "DATABASE_URL: $DATABASE_URL"
	log "Demo users and their API tokens are listed by the seed above"
	log "(kept in ${CASEDESK_DEMO_TOKENS_FILE#"$CASEDESK_ROOT"/})."
	log "Ctrl-C stops casedesk, Temporal and PostgreSQL."
	log "------------------------------------------------------------------"

	"$BIN" dev </dev/null &
	DEV_PID=$!
	echo "$DEV_PID" >"$RUN_DIR/dev.pid"

	local rc exited=""
	set +e
	wait -n -p exited "$DEV_PID" "$TEMPORAL_PID"
	rc=$?
	set -e
	if [[ $exited == "$TEMPORAL_PID" ]]; then
		TEMPORAL_PID=""
		tail_log "$TEMPORAL_LOG"
		die "the Temporal dev server exited unexpectedly (status $rc); stopping"
	fi
	DEV_PID=""
	log "casedesk dev exited (status $rc); stopping the services"
	exit "$rc"
}

case ${1:-} in
"") cmd_run ;;
--stop) cmd_stop ;;
--clean-data) cmd_clean_data ;;
-h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown argument '$1' (see scripts/run.sh --help)" ;;
esac
