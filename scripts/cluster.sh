#!/usr/bin/env bash
# make cluster: casedesk in its production topology on one machine, without
# Docker. PostgreSQL holds casedesk's database and Temporal's persistence and
# visibility; the Temporal server v1.29.1 (not the dev server) runs on it
# with several history shards, the default namespace and the case search
# attributes registered through the operator API; then the SendGrid
# stand-in, two `casedesk worker` and two `casedesk api` processes, each on
# its own port with one configuration (the environment in casedesk.env,
# production mode with secrets of its own). It prints where everything is;
# Ctrl-C stops all. The data stays in .data/cluster/ between runs.
#
#   scripts/cluster.sh                            run in the foreground (make cluster)
#   scripts/cluster.sh --dir DIR --background     start everything in DIR on free
#                                                 ports and return (the chaos run)
#   scripts/cluster.sh --dir DIR kill NAME        kill -9 one process
#   scripts/cluster.sh --dir DIR start NAME       start it again (after kill)
#   scripts/cluster.sh --dir DIR restart NAME     stop it gracefully, start it again
#   scripts/cluster.sh --dir DIR pg-restart       restart PostgreSQL (fast shutdown)
#   scripts/cluster.sh --dir DIR pg-stop|pg-start a PostgreSQL outage (immediate stop)
#   scripts/cluster.sh --dir DIR status           which processes run
#   scripts/cluster.sh --dir DIR stop             stop everything
#
# NAME is temporal, sendgrid, worker-1, worker-2, api-1 or api-2. DIR/cluster.env
# lists the addresses, tokens and the control command (read by `casedesk
# chaos --cluster DIR`); DIR/log/ holds each process's log.
#
# Environment: CASEDESK_CLUSTER_PG_PORT (5434), CASEDESK_CLUSTER_TEMPORAL_PORT
# (7333; the server's other services take the next ports), and
# CASEDESK_CLUSTER_API_PORTS ("8081 8082") for the foreground run;
# CASEDESK_CLUSTER_BIN runs that casedesk binary instead of building one. Every other
# CASEDESK_*, SENDGRID_*, OTEL_* variable set when the cluster starts is part
# of its configuration (e.g. CASEDESK_SLA_CONFIG).
set -euo pipefail

# shellcheck source-path=SCRIPTDIR source=lib.sh
source "$(dirname "${BASH_SOURCE[0]}")/lib.sh"
cd "$CASEDESK_ROOT"

# Pinned Temporal server and its SQL schema tool (one module version).
TEMPORAL_SERVER_VERSION="v1.29.1"
TEMPORAL_SERVER_MODULE="go.temporal.io/server"
# History shards are fixed when the schema is created; a real cluster sizes
# them for its peak (docs/deploy.md).
TEMPORAL_HISTORY_SHARDS=8
CLUSTER_PROCS=(sendgrid worker-1 worker-2 api-1 api-2)

# ------------------------------------------------------------- binaries --

# ensure_temporal_server sets TEMPORAL_SERVER_BIN and TEMPORAL_SQL_BIN,
# building both with go install the first time on a machine (a few minutes)
# and caching them by version in the first GOPATH entry's bin directory.
ensure_temporal_server() {
	ensure_go
	local gopath bindir lockfile
	gopath=$(go env GOPATH)
	bindir="${gopath%%:*}/bin"
	TEMPORAL_SERVER_BIN="$bindir/temporal-server-$TEMPORAL_SERVER_VERSION"
	TEMPORAL_SQL_BIN="$bindir/temporal-sql-tool-$TEMPORAL_SERVER_VERSION"
	[[ -x $TEMPORAL_SERVER_BIN && -x $TEMPORAL_SQL_BIN ]] && return 0
	mkdir -p "$bindir"
	lockfile="$bindir/.temporal-server-$TEMPORAL_SERVER_VERSION.lock"
	(
		if command -v flock >/dev/null 2>&1; then
			exec 8>"$lockfile"
			if ! flock -n 8; then
				log "waiting for another build of the Temporal server to finish"
				flock 8
			fi
		fi
		[[ -x $TEMPORAL_SERVER_BIN && -x $TEMPORAL_SQL_BIN ]] && exit 0
		local tmp start
		tmp=$(mktemp -d "${TMPDIR:-/tmp}/casedesk-temporal-server.XXXXXX")
		# shellcheck disable=SC2064 # expand $tmp now
		trap "rm -rf '$tmp'" EXIT
		start=$(now)
		log "building the Temporal server and SQL tool $TEMPORAL_SERVER_VERSION (go install; a few minutes the first time)"
		(cd "$tmp" && GOBIN="$tmp" go install \
			"$TEMPORAL_SERVER_MODULE/cmd/server@$TEMPORAL_SERVER_VERSION" \
			"$TEMPORAL_SERVER_MODULE/cmd/tools/sql@$TEMPORAL_SERVER_VERSION" </dev/null) ||
			die "building the Temporal server failed"
		cp "$tmp/server" "$TEMPORAL_SERVER_BIN.tmp.$$" && mv -f "$TEMPORAL_SERVER_BIN.tmp.$$" "$TEMPORAL_SERVER_BIN"
		cp "$tmp/sql" "$TEMPORAL_SQL_BIN.tmp.$$" && mv -f "$TEMPORAL_SQL_BIN.tmp.$$" "$TEMPORAL_SQL_BIN"
		log "built the Temporal server in $(since "$start"); cached at $TEMPORAL_SERVER_BIN"
	) || exit 1
}

# temporal_schema_dir prints the server module's schema/postgresql/v12.
temporal_schema_dir() {
	local dir
	dir="$(go env GOMODCACHE)/$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION/schema/postgresql/v12"
	if [[ ! -d $dir ]]; then
		(cd / && go mod download "$TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION" </dev/null) ||
			die "could not download $TEMPORAL_SERVER_MODULE@$TEMPORAL_SERVER_VERSION for its SQL schema"
	fi
	[[ -d $dir/temporal/versioned && -d $dir/visibility/versioned ]] || die "no PostgreSQL schema in $dir"
	printf '%s' "$dir"
}

# --------------------------------------------------------------- layout --

# cluster_paths DIR sets the paths of a cluster directory.
cluster_paths() {
	DIR=$1
	[[ $DIR != *[[:space:]]* ]] || die "the cluster directory may not contain spaces: $DIR"
	RUN="$DIR/run"
	LOGS="$DIR/log"
	BIN="$DIR/bin/casedesk"
	PG_DATA="$DIR/pg/data"
	PG_SOCK="$DIR/pg"
	PG_LOG="$DIR/log/postgres.log"
	STATE="$DIR/cluster.env"
}

# load_state reads what the start recorded in cluster.env.
load_state() {
	[[ -f $STATE ]] || die "no cluster in $DIR (no cluster.env); start one with scripts/cluster.sh --dir $DIR --background"
	# shellcheck disable=SC1090
	source "$STATE"
	PG_BIN=$CLUSTER_PG_BIN
	TEMPORAL_BIN=$CLUSTER_TEMPORAL_CLI
}

pid_of() {
	local pid=""
	[[ -f $RUN/$1.pid ]] && pid=$(<"$RUN/$1.pid")
	[[ $pid =~ ^[0-9]+$ ]] && printf '%s' "$pid"
	return 0
}

# running NAME succeeds if the process NAME started is alive (checked
# against its command line, in case the pid was reused).
running() {
	local pid
	pid=$(pid_of "$1")
	[[ -n $pid ]] && alive "$pid" && [[ $(cmdline "$pid") == *"$DIR"* ]]
}

# proc_cmd NAME sets CMD to the command line of process NAME and ENVFILE to
# the configuration it runs with.
proc_cmd() {
	ENVFILE="$DIR/casedesk.env"
	case $1 in
	temporal)
		ENVFILE=""
		CMD=("$CLUSTER_TEMPORAL_SERVER_BIN" --root "$DIR/temporal" --config config --env development --allow-no-auth start)
		;;
	sendgrid) CMD=("$BIN" fake-sendgrid --addr "127.0.0.1:$CLUSTER_SENDGRID_PORT") ;;
	worker-1) CMD=(env "CASEDESK_METRICS_ADDR=127.0.0.1:$CLUSTER_WORKER1_METRICS_PORT" "$BIN" worker) ;;
	worker-2) CMD=(env "CASEDESK_METRICS_ADDR=127.0.0.1:$CLUSTER_WORKER2_METRICS_PORT" "$BIN" worker) ;;
	api-1) CMD=(env "CASEDESK_HTTP_ADDR=127.0.0.1:$CLUSTER_API1_PORT" "$BIN" api) ;;
	api-2) CMD=(env "CASEDESK_HTTP_ADDR=127.0.0.1:$CLUSTER_API2_PORT" "$BIN" api) ;;
	*) die "unknown process '$1' (one of temporal ${CLUSTER_PROCS[*]})" ;;
	esac
}

# start_proc NAME starts process NAME in a session of its own, its output
# appended to log/NAME.log, and waits until it serves.
start_proc() {
	local name=$1
	running "$name" && return 0
	proc_cmd "$name"
	(
		if [[ -n $ENVFILE ]]; then
			set -a
			# shellcheck disable=SC1090
			source "$ENVFILE"
			set +a
		fi
		exec setsid "${CMD[@]}" </dev/null >>"$LOGS/$name.log" 2>&1
	) &
	echo "$!" >"$RUN/$name.pid"
	wait_ready "$name"
}

# wait_ready NAME [TIMEOUT] waits until process NAME answers.
wait_ready() {
	local name=$1 timeout=${2:-120} start=$SECONDS url="" pid
	pid=$(pid_of "$name")
	case $name in
	sendgrid) url="http://127.0.0.1:$CLUSTER_SENDGRID_PORT/_fake/messages" ;;
	worker-1) url="http://127.0.0.1:$CLUSTER_WORKER1_METRICS_PORT/metrics" ;;
	worker-2) url="http://127.0.0.1:$CLUSTER_WORKER2_METRICS_PORT/metrics" ;;
	api-1) url="http://127.0.0.1:$CLUSTER_API1_PORT/readyz" ;;
	api-2) url="http://127.0.0.1:$CLUSTER_API2_PORT/readyz" ;;
	esac
	while ((SECONDS - start < timeout)); do
		if ! alive "$pid"; then
			tail_log "$LOGS/$name.log"
			die "$name exited during startup; its log is $LOGS/$name.log"
		fi
		if [[ $name == temporal ]]; then
			temporal_cli "$CLUSTER_TEMPORAL_ADDRESS" operator cluster health >/dev/null 2>&1 && return 0
		elif curl -fsS -o /dev/null --max-time 2 "$url" 2>/dev/null; then
			return 0
		fi
		sleep 0.2
	done
	tail_log "$LOGS/$name.log"
	die "$name did not become ready within ${timeout}s; its log is $LOGS/$name.log"
}

# wait_pollers waits until matching has both workers' workflow pollers on
# the case task queue: the whole path from the frontend to a worker serves.
wait_pollers() {
	local start=$SECONDS n
	while ((SECONDS - start < 90)); do
		n=$(temporal_cli "$CLUSTER_TEMPORAL_ADDRESS" task-queue describe -n default --task-queue casedesk-cases -o json 2>/dev/null |
			grep -c '"taskQueueType": "workflow"' || true)
		((n >= 2)) && return 0
		sleep 0.5
	done
	die "the workers do not poll the casedesk-cases task queue after 90s; see $LOGS/worker-1.log"
}

# kill_proc NAME: kill -9, and wait until it is gone.
kill_proc() {
	local pid i
	pid=$(pid_of "$1")
	running "$1" || return 0
	kill -KILL "$pid" 2>/dev/null || true
	for ((i = 0; i < 100; i++)); do
		alive "$pid" || return 0
		sleep 0.05
	done
	die "$1 (pid $pid) is still alive after kill -9"
}

stop_proc() {
	running "$1" || return 0
	stop_process "$(pid_of "$1")" "$1" "${2:-30}"
}

# --------------------------------------------------------------- setup --

# gen_secret prints 32 random hex digits.
gen_secret() { od -An -N16 -tx1 /dev/urandom | tr -d ' \n'; }

# assign_ports sets the ports: fixed defaults in the foreground, free ones
# for a background cluster.
assign_ports() {
	local background=$1 base used=()
	if [[ -z $background ]]; then
		PG_PORT=${CASEDESK_CLUSTER_PG_PORT:-5434}
		base=${CASEDESK_CLUSTER_TEMPORAL_PORT:-7333}
		check_port_number "$PG_PORT" CASEDESK_CLUSTER_PG_PORT
		check_port_number "$base" CASEDESK_CLUSTER_TEMPORAL_PORT
		local api_ports
		read -r -a api_ports <<<"${CASEDESK_CLUSTER_API_PORTS:-8081 8082}"
		((${#api_ports[@]} == 2)) || die "CASEDESK_CLUSTER_API_PORTS must list two ports"
		API1_PORT=${api_ports[0]}
		API2_PORT=${api_ports[1]}
		T_FRONTEND=$base T_HISTORY=$((base + 1)) T_MATCHING=$((base + 2)) T_WORKER=$((base + 3))
		T_HTTP=$((base + 4)) T_FRONTEND_M=$((base + 5)) T_HISTORY_M=$((base + 6)) T_MATCHING_M=$((base + 7))
		T_WORKER_M=$((base + 8))
		SENDGRID_PORT=$((base + 9)) W1_METRICS=$((base + 10)) W2_METRICS=$((base + 11))
		local p
		for p in "$PG_PORT" "$API1_PORT" "$API2_PORT" $(seq "$base" $((base + 11))); do
			check_port_number "$p" "a cluster port"
			require_free_port "$p" "make cluster" CASEDESK_CLUSTER_TEMPORAL_PORT
		done
		return 0
	fi
	local v
	for v in PG_PORT T_FRONTEND T_HISTORY T_MATCHING T_WORKER T_HTTP T_FRONTEND_M T_HISTORY_M T_MATCHING_M \
		T_WORKER_M SENDGRID_PORT W1_METRICS W2_METRICS API1_PORT API2_PORT; do
		printf -v "$v" '%s' "$(free_port "${used[@]}")"
		used+=("${!v}")
	done
}

write_temporal_config() {
	mkdir -p "$DIR/temporal/config"
	cat >"$DIR/temporal/config/development.yaml" <<YAML
# Written by scripts/cluster.sh: the Temporal server of make cluster.
log:
  stdout: true
  level: warn
persistence:
  defaultStore: default
  visibilityStore: visibility
  numHistoryShards: $TEMPORAL_HISTORY_SHARDS
  datastores:
    default:
      sql:
        pluginName: postgres12
        databaseName: temporal
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$TEMPORAL_DB_PASSWORD"
        maxConns: 20
        maxIdleConns: 20
        maxConnLifetime: 1h
    visibility:
      sql:
        pluginName: postgres12
        databaseName: temporal_visibility
        connectAddr: "127.0.0.1:$PG_PORT"
        connectProtocol: tcp
        user: temporal
        password: "$TEMPORAL_DB_PASSWORD"
        maxConns: 10
        maxIdleConns: 10
        maxConnLifetime: 1h
global:
  membership:
    maxJoinDuration: 30s
    broadcastAddress: 127.0.0.1
services:
  frontend:
    rpc: {grpcPort: $T_FRONTEND, membershipPort: $T_FRONTEND_M, bindOnLocalHost: true, httpPort: $T_HTTP}
  history:
    rpc: {grpcPort: $T_HISTORY, membershipPort: $T_HISTORY_M, bindOnLocalHost: true}
  matching:
    rpc: {grpcPort: $T_MATCHING, membershipPort: $T_MATCHING_M, bindOnLocalHost: true}
  worker:
    rpc: {grpcPort: $T_WORKER, membershipPort: $T_WORKER_M, bindOnLocalHost: true}
clusterMetadata:
  enableGlobalNamespace: false
  failoverVersionIncrement: 10
  masterClusterName: active
  currentClusterName: active
  clusterInformation:
    active:
      enabled: true
      initialFailoverVersion: 1
      rpcName: frontend
      rpcAddress: "127.0.0.1:$T_FRONTEND"
      httpAddress: "127.0.0.1:$T_HTTP"
dcRedirectionPolicy:
  policy: noop
dynamicConfigClient:
  filepath: "$DIR/temporal/dynamicconfig.yaml"
  pollInterval: 10s
YAML
	# One partition for the case task queue: on one machine more partitions
	# only spread few pollers thin (docs/deploy.md says when to add some).
	cat >"$DIR/temporal/dynamicconfig.yaml" <<'YAML'
matching.numTaskqueueReadPartitions:
  - value: 1
    constraints: {taskQueueName: casedesk-cases}
matching.numTaskqueueWritePartitions:
  - value: 1
    constraints: {taskQueueName: casedesk-cases}
limit.maxIDLength:
  - value: 255
YAML
}

# write_casedesk_env writes the one configuration of every casedesk
# process: what a deployment sets, pointed at this cluster, and the caller's
# own casedesk settings.
write_casedesk_env() {
	local v
	{
		printf '# Written by scripts/cluster.sh: the configuration of every casedesk process.\n'
		printf '%s=%q\n' \
			CASEDESK_ENV production \
			DATABASE_URL "postgres://casedesk:$CASEDESK_DB_PASSWORD@127.0.0.1:$PG_PORT/casedesk?sslmode=disable" \
			TEMPORAL_ADDRESS "127.0.0.1:$T_FRONTEND" \
			TEMPORAL_NAMESPACE default \
			TEMPORAL_TLS false \
			CASEDESK_ADMIN_TOKEN "$ADMIN_TOKEN" \
			CASEDESK_LINK_SECRET "$LINK_SECRET" \
			CASEDESK_INBOUND_SECRET "$INBOUND_SECRET" \
			SENDGRID_API_KEY "$SENDGRID_KEY" \
			SENDGRID_BASE_URL "http://127.0.0.1:$SENDGRID_PORT" \
			CASEDESK_PUBLIC_URL "http://127.0.0.1:$API1_PORT" \
			CASEDESK_DEMO_TOKENS_FILE "$DIR/demo-tokens.txt"
		while IFS= read -r v; do
			case $v in
			CASEDESK_ENV | CASEDESK_ADMIN_TOKEN | CASEDESK_LINK_SECRET | CASEDESK_INBOUND_SECRET | CASEDESK_PUBLIC_URL | \
				CASEDESK_DEMO_TOKENS_FILE | CASEDESK_HTTP_ADDR | CASEDESK_METRICS_ADDR | SENDGRID_API_KEY | SENDGRID_BASE_URL | \
				CASEDESK_CLUSTER_* | CASEDESK_TEST_* | CASEDESK_REQUIRE_SERVICES | CASEDESK_FUZZTIME | CASEDESK_CHAOS_*) ;;
			CASEDESK_* | SENDGRID_* | OTEL_*) printf '%s=%q\n' "$v" "${!v}" ;;
			esac
		done < <(compgen -e)
	} >"$DIR/casedesk.env"
	chmod 0600 "$DIR/casedesk.env"
}

write_state() {
	{
		printf '# Written by scripts/cluster.sh: where everything of this cluster is.\n'
		printf '%s=%s\n' \
			CLUSTER_DIR "$DIR" \
			CLUSTER_SCRIPT "$CASEDESK_ROOT/scripts/cluster.sh" \
			CLUSTER_PG_BIN "$PG_BIN" \
			CLUSTER_PG_PORT "$PG_PORT" \
			CLUSTER_DATABASE_URL "postgres://casedesk:$CASEDESK_DB_PASSWORD@127.0.0.1:$PG_PORT/casedesk?sslmode=disable" \
			CLUSTER_TEMPORAL_ADDRESS "127.0.0.1:$T_FRONTEND" \
			CLUSTER_TEMPORAL_NAMESPACE default \
			CLUSTER_TEMPORAL_SERVER_BIN "$TEMPORAL_SERVER_BIN" \
			CLUSTER_TEMPORAL_CLI "$TEMPORAL_BIN" \
			CLUSTER_API1_PORT "$API1_PORT" \
			CLUSTER_API2_PORT "$API2_PORT" \
			CLUSTER_API_URLS "http://127.0.0.1:$API1_PORT,http://127.0.0.1:$API2_PORT" \
			CLUSTER_SENDGRID_PORT "$SENDGRID_PORT" \
			CLUSTER_SENDGRID_URL "http://127.0.0.1:$SENDGRID_PORT" \
			CLUSTER_WORKER1_METRICS_PORT "$W1_METRICS" \
			CLUSTER_WORKER2_METRICS_PORT "$W2_METRICS" \
			CLUSTER_ADMIN_TOKEN "$ADMIN_TOKEN"
	} >"$STATE"
	chmod 0600 "$STATE"
}

# setup_postgres creates (once) and starts the cluster's PostgreSQL with the
# casedesk and temporal roles and databases.
setup_postgres() {
	local background=$1 settings=(max_connections=300)
	# A throwaway cluster skips flushing to disk (the machine does not crash
	# in a test; PostgreSQL does): fsync off, but synchronous_commit stays on,
	# or a PostgreSQL crash would lose commits it acknowledged, Temporal's too.
	[[ -n $background ]] && settings+=(fsync=off full_page_writes=off)
	pg_own_dir "$DIR/pg"
	if [[ ! -f $PG_DATA/PG_VERSION ]]; then
		printf '%s\n' "$(gen_secret)" >"$DIR/pg/pwfile"
		if ((EUID == 0)); then chown postgres: "$DIR/pg/pwfile"; fi
		pg_initdb "$PG_DATA" --auth-local=trust --auth-host=scram-sha-256 --pwfile="$DIR/pg/pwfile" \
			${background:+--no-sync}
		rm -f "$DIR/pg/pwfile"
	fi
	printf '%s\n' "${settings[@]}" >"$DIR/pg/settings"
	pg_running "$PG_DATA" && pg_stop "$PG_DATA" fast
	pg_start "$PG_DATA" "$PG_PORT" "$PG_SOCK" "$PG_LOG" "${settings[@]}"
	pg_psql "$PG_SOCK" "$PG_PORT" -v casedesk_pw="$CASEDESK_DB_PASSWORD" -v temporal_pw="$TEMPORAL_DB_PASSWORD" <<'SQL'
SELECT 'CREATE ROLE casedesk LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'casedesk')
\gexec
ALTER ROLE casedesk LOGIN PASSWORD :'casedesk_pw';
SELECT 'CREATE ROLE temporal LOGIN' WHERE NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'temporal')
\gexec
ALTER ROLE temporal LOGIN PASSWORD :'temporal_pw';
SELECT 'CREATE DATABASE casedesk OWNER casedesk' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'casedesk')
\gexec
SELECT 'CREATE DATABASE temporal OWNER temporal' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal')
\gexec
SELECT 'CREATE DATABASE temporal_visibility OWNER temporal' WHERE NOT EXISTS (SELECT FROM pg_database WHERE datname = 'temporal_visibility')
\gexec
SQL
}

# setup_temporal_schema creates Temporal's tables (once) and brings them to
# the server's version with the server's own SQL tool.
setup_temporal_schema() {
	local schema db sub
	schema=$(temporal_schema_dir)
	for db in temporal temporal_visibility; do
		sub=temporal
		[[ $db == temporal_visibility ]] && sub=visibility
		local sql=("$TEMPORAL_SQL_BIN" --plugin postgres12 --endpoint 127.0.0.1 --port "$PG_PORT"
			--user temporal --password "$TEMPORAL_DB_PASSWORD" --database "$db")
		if [[ ! -f $DIR/temporal/$db.schema ]]; then
			"${sql[@]}" setup-schema -v 0.0 >>"$LOGS/schema.log" 2>&1 </dev/null ||
				{
					tail_log "$LOGS/schema.log"
					die "setting up Temporal's $db schema failed"
				}
			: >"$DIR/temporal/$db.schema"
		fi
		"${sql[@]}" update-schema -d "$schema/$sub/versioned" >>"$LOGS/schema.log" 2>&1 </dev/null ||
			{
				tail_log "$LOGS/schema.log"
				die "updating Temporal's $db schema failed"
			}
	done
}

# setup_namespace registers the default namespace and the case search
# attributes through the operator API, as on any self-hosted cluster.
setup_namespace() {
	local a="$CLUSTER_TEMPORAL_ADDRESS" sa start=$SECONDS
	if ! temporal_cli "$a" operator namespace describe -n default >/dev/null 2>&1; then
		temporal_cli "$a" operator namespace create -n default --retention 72h >/dev/null ||
			die "could not create the default namespace"
	fi
	# The frontend learns of a new namespace when it refreshes its cache.
	until temporal_cli "$a" workflow list -n default --limit 1 >/dev/null 2>&1; do
		((SECONDS - start < 90)) || die "the default namespace is not served after 90s"
		sleep 0.5
	done
	for sa in "${CASEDESK_SEARCH_ATTRIBUTES[@]}"; do
		until temporal_cli "$a" operator search-attribute list -n default 2>/dev/null | grep -qw "$sa"; do
			temporal_cli "$a" operator search-attribute create -n default --name "$sa" --type Keyword >/dev/null 2>&1 || true
			((SECONDS - start < 90)) || die "could not register the search attribute $sa"
			sleep 0.5
		done
	done
}

print_where() {
	local tokens="$DIR/demo-tokens.txt"
	log "------------------------------------------------------------------"
	log "API replicas:   http://127.0.0.1:$API1_PORT  http://127.0.0.1:$API2_PORT  (console at either)"
	log "Workers:        worker-1 metrics http://127.0.0.1:$W1_METRICS/metrics, worker-2 http://127.0.0.1:$W2_METRICS/metrics"
	log "Temporal:       127.0.0.1:$T_FRONTEND (server $TEMPORAL_SERVER_VERSION, $TEMPORAL_HISTORY_SHARDS history shards, namespace default; no UI)"
	log "                $TEMPORAL_BIN workflow list --address 127.0.0.1:$T_FRONTEND"
	log "PostgreSQL:     127.0.0.1:$PG_PORT (databases casedesk, temporal, temporal_visibility)"
	log "SendGrid stand-in: http://127.0.0.1:$SENDGRID_PORT/_fake/messages"
	log "Configuration:  $DIR/casedesk.env (every casedesk process); logs in $DIR/log/"
	log "Admin token:    $ADMIN_TOKEN; demo users' tokens in $tokens"
	log "Control:        scripts/cluster.sh --dir $DIR kill|start NAME, pg-restart, status, stop"
	log "Chaos:          $BIN chaos --cluster $DIR --cases 10000"
	log "------------------------------------------------------------------"
}

# cmd_up [BACKGROUND] brings the whole topology up in DIR.
cmd_up() {
	local background=${1:-} start
	start=$(now)
	mkdir -p "$DIR" "$RUN" "$LOGS" "$DIR/bin"
	chmod 0755 "$DIR"
	ensure_go
	ensure_postgres
	ensure_temporal
	ensure_temporal_server
	pg_can_enter "$DIR" || die "the postgres OS user cannot enter $DIR; choose a directory under /tmp or /var/tmp"
	((${#PG_SOCK} + 20 <= 107)) || die "$DIR is too long a path for PostgreSQL's socket; choose a shorter one"
	if [[ -f $STATE ]]; then
		load_state
		local n
		for n in temporal "${CLUSTER_PROCS[@]}"; do
			running "$n" && die "the cluster in $DIR is already running ($n); stop it first: scripts/cluster.sh --dir $DIR stop"
		done
	fi

	# Secrets are made once per cluster directory and kept.
	if [[ ! -f $DIR/secrets.env ]]; then
		{
			printf 'ADMIN_TOKEN=cdk_%s\n' "$(gen_secret)"
			printf 'LINK_SECRET=%s%s\n' "$(gen_secret)" "$(gen_secret)"
			printf 'INBOUND_SECRET=%s\n' "$(gen_secret)"
			printf 'SENDGRID_KEY=SG.%s\n' "$(gen_secret)"
			printf 'CASEDESK_DB_PASSWORD=%s\n' "$(gen_secret)"
			printf 'TEMPORAL_DB_PASSWORD=%s\n' "$(gen_secret)"
		} >"$DIR/secrets.env"
		chmod 0600 "$DIR/secrets.env"
	fi
	# shellcheck disable=SC1091
	source "$DIR/secrets.env"
	assign_ports "$background"
	# The state first, so that `stop` stops whatever started before a failure.
	write_temporal_config
	write_casedesk_env
	write_state
	load_state

	setup_postgres "$background"
	setup_temporal_schema

	if [[ -n ${CASEDESK_CLUSTER_BIN:-} ]]; then
		cp "$CASEDESK_CLUSTER_BIN" "$BIN.tmp"
	else
		log "building $BIN"
		go build -o "$BIN.tmp" ./cmd/casedesk </dev/null
	fi
	mv -f "$BIN.tmp" "$BIN"

	log "starting the Temporal server $TEMPORAL_SERVER_VERSION on 127.0.0.1:$T_FRONTEND"
	start_proc temporal
	setup_namespace

	(
		set -a
		# shellcheck disable=SC1091
		source "$DIR/casedesk.env"
		set +a
		"$BIN" migrate >>"$LOGS/setup.log" 2>&1 </dev/null || {
			tail_log "$LOGS/setup.log"
			die "casedesk migrate failed"
		}
		"$BIN" seed >"$DIR/seed.txt" 2>>"$LOGS/setup.log" </dev/null || {
			tail_log "$LOGS/setup.log"
			die "casedesk seed failed"
		}
	)
	local n
	for n in "${CLUSTER_PROCS[@]}"; do
		log "starting $n"
		start_proc "$n"
	done
	wait_pollers
	log "cluster up in $(since "$start")"
}

cmd_stop() {
	load_state
	local n
	for n in api-2 api-1 worker-2 worker-1 sendgrid temporal; do
		stop_proc "$n" 30
	done
	pg_stop "$PG_DATA" fast
}

cmd_status() {
	load_state
	local n
	for n in temporal "${CLUSTER_PROCS[@]}"; do
		if running "$n"; then
			printf '%-10s running (pid %s)\n' "$n" "$(pid_of "$n")"
		else
			printf '%-10s stopped\n' "$n"
		fi
	done
	if pg_running "$PG_DATA"; then
		printf '%-10s running\n' postgres
	else
		printf '%-10s stopped\n' postgres
	fi
}

pg_settings() { mapfile -t PG_SETTINGS <"$DIR/pg/settings"; }

cmd_control() {
	local what=$1 name=${2:-}
	load_state
	case $what in
	kill) kill_proc "$name" ;;
	start) start_proc "$name" ;;
	restart)
		stop_proc "$name" 30
		start_proc "$name"
		;;
	pg-restart)
		pg_stop "$PG_DATA" fast
		pg_settings
		pg_start "$PG_DATA" "$CLUSTER_PG_PORT" "$PG_SOCK" "$PG_LOG" "${PG_SETTINGS[@]}"
		;;
	pg-stop) pg_stop "$PG_DATA" immediate ;;
	pg-start)
		pg_settings
		pg_start "$PG_DATA" "$CLUSTER_PG_PORT" "$PG_SOCK" "$PG_LOG" "${PG_SETTINGS[@]}"
		;;
	esac
}

# ------------------------------------------------------------ foreground --

STOPPING=""
on_exit() {
	local rc=$?
	[[ -z $STOPPING ]] || exit "$rc"
	STOPPING=1
	trap '' INT TERM HUP
	if [[ -f $STATE ]]; then
		log "stopping the cluster"
		cmd_stop || true
	fi
	log "stopped"
	exit "$rc"
}

cmd_foreground() {
	trap on_exit EXIT
	trap 'log "interrupted"; exit 130' INT
	trap 'exit 143' TERM
	trap 'exit 129' HUP
	build_console
	cmd_up ""
	cat "$DIR/seed.txt" >&2
	print_where
	log "Ctrl-C stops everything."
	while :; do
		sleep 2 &
		wait $! || true
	done
}

# ---------------------------------------------------------------- main --

cluster_paths "$CASEDESK_ROOT/.data/cluster"
if [[ ${1:-} == --dir ]]; then
	[[ -n ${2:-} ]] || die "--dir needs a directory"
	mkdir -p "$2"
	cluster_paths "$(cd "$2" && pwd -P)"
	shift 2
fi
case ${1:-} in
"") cmd_foreground ;;
--background)
	if ! cmd_up 1; then
		exit 1
	fi
	print_where
	;;
kill | start | restart)
	[[ -n ${2:-} ]] || die "$1 needs a process name"
	cmd_control "$1" "$2"
	;;
pg-restart | pg-stop | pg-start) cmd_control "$1" ;;
status) cmd_status ;;
stop) cmd_stop ;;
-h | --help) sed -n '2,/^set -euo/p' "${BASH_SOURCE[0]}" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown argument '$1' (see scripts/cluster.sh --help)" ;;
esac
