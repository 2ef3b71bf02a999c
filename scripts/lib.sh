# shellcheck shell=bash
# Shared helpers for scripts/run.sh and scripts/test.sh: logging, installing
# PostgreSQL and the Temporal CLI when missing, starting and stopping them.
# Source it; it does not run anything by itself.

# Pinned Temporal CLI (dev server). Bump both together.
TEMPORAL_CLI_VERSION="v1.5.1"
TEMPORAL_CLI_PKG="github.com/temporalio/cli/cmd/temporal"

# Search attributes the workflows and the API rely on.
CASEDESK_SEARCH_ATTRIBUTES=(CaseType CaseStatus CasePriority CustomerId AssigneeId)

CASEDESK_ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd -P)"
CASEDESK_TOOLS="$CASEDESK_ROOT/.tools"

# ---------------------------------------------------------------- logging --

log() { printf '[casedesk] %s\n' "$*" >&2; }
warn() { printf '[casedesk] warning: %s\n' "$*" >&2; }
die() {
	printf '[casedesk] error: %s\n' "$*" >&2
	exit 1
}

# now prints the time in seconds with microseconds; since START prints the
# seconds elapsed since START with one decimal.
now() { printf '%s' "${EPOCHREALTIME/,/.}"; }
since() { awk -v a="$1" -v b="$(now)" 'BEGIN { printf "%.1fs", b - a }'; }

# tail_log FILE prints the end of a log file, indented, to help explain a
# failure.
tail_log() {
	local file=$1 lines=${2:-40}
	if [[ -s $file ]]; then
		log "last $lines lines of $file:"
		tail -n "$lines" "$file" | sed 's/^/    /' >&2
	else
		log "$file is empty or missing"
	fi
}

# ------------------------------------------------------------- processes --

# alive PID succeeds if the process exists and is not a zombie.
alive() {
	local pid=$1 state
	[[ $pid =~ ^[0-9]+$ ]] || return 1
	kill -0 "$pid" 2>/dev/null || return 1
	state=$(awk '{ print $3 }' "/proc/$pid/stat" 2>/dev/null) || return 1
	[[ $state != Z ]]
}

# cmdline PID prints the process's command line, arguments separated by
# spaces.
cmdline() { tr '\0' ' ' <"/proc/$1/cmdline" 2>/dev/null; }

# stop_process PID NAME [TIMEOUT]: SIGTERM, wait up to TIMEOUT seconds, then
# SIGKILL. Reaps the process if it is our child.
stop_process() {
	local pid=$1 name=$2 timeout=${3:-20} i
	alive "$pid" || {
		wait "$pid" 2>/dev/null || true
		return 0
	}
	kill -TERM "$pid" 2>/dev/null || true
	for ((i = 0; i < timeout * 10; i++)); do
		alive "$pid" || break
		sleep 0.1
	done
	if alive "$pid"; then
		warn "$name (pid $pid) did not stop within ${timeout}s; killing it"
		kill -KILL "$pid" 2>/dev/null || true
		sleep 0.2
	fi
	wait "$pid" 2>/dev/null || true
}

# ----------------------------------------------------------------- ports --

# port_in_use PORT succeeds if something listens on the TCP port on any
# address.
port_in_use() {
	local port=$1
	if command -v ss >/dev/null 2>&1; then
		[[ -n $(ss -Hltn "sport = :$port" 2>/dev/null) ]]
	else
		(exec 3<>"/dev/tcp/127.0.0.1/$port") 2>/dev/null
	fi
}

# port_owner PORT prints what listens on the port, when ss can tell.
port_owner() {
	local port=$1 out=""
	if command -v ss >/dev/null 2>&1; then
		out=$(ss -Hltnp "sport = :$port" 2>/dev/null | awk '{ print $4, $6 }' | sort -u)
	fi
	printf '%s' "${out:-unknown process}"
}

# require_free_port PORT WHAT ENVVAR fails with a clear message if the port is
# taken.
require_free_port() {
	local port=$1 what=$2 var=$3
	if port_in_use "$port"; then
		die "port $port (for $what) is already in use by something this script did not start: $(port_owner "$port")
           stop it, or choose another port with $var=<port>"
	fi
}

# free_port [EXCLUDED...] prints a TCP port nobody listens on, below the
# kernel's ephemeral range so that other programs' random ports rarely collide
# with it, and never one of the make run defaults or EXCLUDED.
free_port() {
	local port i x skip
	for ((i = 0; i < 200; i++)); do
		port=$((20000 + RANDOM % 12000))
		skip=
		for x in 5433 7233 8233 8080 "$@"; do
			[[ $port == "$x" ]] && skip=1
		done
		[[ -n $skip ]] && continue
		port_in_use "$port" || {
			printf '%s' "$port"
			return 0
		}
	done
	die "could not find a free TCP port"
}

check_port_number() {
	local value=$1 var=$2
	if ! [[ $value =~ ^[0-9]+$ ]] || ((10#$value < 1 || 10#$value > 65535)); then
		die "$var must be a TCP port number, not '$value'"
	fi
}

# ---------------------------------------------------------------- install --

# as_root CMD...: runs a command as root (directly, or with non-interactive
# sudo).
as_root() {
	if ((EUID == 0)); then
		"$@"
	elif command -v sudo >/dev/null 2>&1 && sudo -n true 2>/dev/null; then
		sudo -n "$@"
	else
		die "need root to run: $*  (run it yourself, then retry)"
	fi
}

ensure_go() {
	if ! command -v go >/dev/null 2>&1 && [[ -x /usr/local/go/bin/go ]]; then
		PATH="$PATH:/usr/local/go/bin"
		export PATH
	fi
	command -v go >/dev/null 2>&1 || die "Go is not installed (https://go.dev/dl/); it is needed to build casedesk"
}

# pg_find_bin prints the newest /usr/lib/postgresql/*/bin that has the server
# binaries.
pg_find_bin() {
	local d best="" bestv=0 v
	for d in /usr/lib/postgresql/*/bin; do
		[[ -x $d/pg_ctl && -x $d/initdb && -x $d/postgres ]] || continue
		v=$(basename "$(dirname "$d")")
		[[ $v =~ ^[0-9]+$ ]] || continue
		if ((v > bestv)); then
			best=$d
			bestv=$v
		fi
	done
	[[ -n $best ]] && printf '%s' "$best"
}

# pg_detect sets PG_BIN and PG_VERSION_MAJOR if PostgreSQL is installed.
pg_detect() {
	PG_BIN=$(pg_find_bin) || return 1
	PG_VERSION_MAJOR=$(basename "$(dirname "$PG_BIN")")
}

# ensure_postgres sets PG_BIN, installing the Debian postgresql package if no
# server binaries are there.
ensure_postgres() {
	if ! pg_detect; then
		command -v apt-get >/dev/null 2>&1 ||
			die "PostgreSQL server binaries not found under /usr/lib/postgresql/*/bin and apt-get is not available; install PostgreSQL 15 or later"
		log "installing PostgreSQL (apt-get install postgresql)"
		as_root apt-get update -qq </dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq postgresql </dev/null >/dev/null
		pg_detect || die "PostgreSQL was installed but no server binaries were found under /usr/lib/postgresql/*/bin"
	fi
	if ((EUID == 0)); then
		id -u postgres >/dev/null 2>&1 ||
			die "PostgreSQL refuses to run as root and there is no 'postgres' OS user to run it as"
		command -v runuser >/dev/null 2>&1 || die "runuser (util-linux) is needed to run PostgreSQL as the postgres user"
	fi
}

# as_pg CMD...: runs a command as the OS user that runs PostgreSQL: postgres
# when we are root (PostgreSQL refuses to run as root), else ourselves. Runs
# it from / since the postgres user may not be able to enter the current
# directory (so pass absolute paths).
as_pg() {
	if ((EUID == 0)); then
		(cd / && runuser -u postgres -- "$@")
	else
		"$@"
	fi
}

# pg_can_enter DIR succeeds if the PostgreSQL OS user can reach DIR (enter
# it and every directory above it).
pg_can_enter() { as_pg test -d "$1" -a -x "$1" 2>/dev/null; }

# pg_own_dir DIR: creates DIR for PostgreSQL's use (owned by it, mode 0700).
pg_own_dir() {
	mkdir -p "$1"
	if ((EUID == 0)); then
		chown postgres: "$1"
	fi
	chmod 0700 "$1"
}

# temporal_cache_path prints where the Temporal CLI is cached outside the
# repository: the first GOPATH entry's bin directory.
temporal_cache_path() {
	local gopath
	gopath=$(go env GOPATH)
	printf '%s/bin/temporal-%s' "${gopath%%:*}" "$TEMPORAL_CLI_VERSION"
}

# ensure_temporal sets TEMPORAL_BIN to .tools/temporal-<version>, copying it
# from the GOPATH cache or building it (a few minutes, once per machine).
ensure_temporal() {
	TEMPORAL_BIN="$CASEDESK_TOOLS/temporal-$TEMPORAL_CLI_VERSION"
	[[ -x $TEMPORAL_BIN ]] && return 0
	ensure_go
	local cache lockfile
	cache=$(temporal_cache_path)
	mkdir -p "$CASEDESK_TOOLS" "$(dirname "$cache")"
	lockfile="$(dirname "$cache")/.temporal-$TEMPORAL_CLI_VERSION.lock"
	(
		# One build per machine at a time: a second make run/test waits for it.
		if command -v flock >/dev/null 2>&1; then
			exec 8>"$lockfile"
			if ! flock -n 8; then
				log "waiting for another build of the Temporal CLI to finish"
				flock 8
			fi
		fi
		if [[ ! -x $cache ]]; then
			local tmp start
			tmp=$(mktemp -d "${TMPDIR:-/tmp}/casedesk-temporal-build.XXXXXX")
			# shellcheck disable=SC2064 # expand $tmp now
			trap "rm -rf '$tmp'" EXIT
			start=$(now)
			log "building the Temporal CLI $TEMPORAL_CLI_VERSION (go install; takes a few minutes the first time)"
			(cd "$tmp" && GOBIN="$tmp" go install "$TEMPORAL_CLI_PKG@$TEMPORAL_CLI_VERSION") ||
				die "building the Temporal CLI failed"
			cp "$tmp/temporal" "$cache.tmp.$$"
			mv -f "$cache.tmp.$$" "$cache"
			log "built the Temporal CLI in $(since "$start"); cached at $cache"
		fi
	) || exit 1
	cp "$cache" "$TEMPORAL_BIN.tmp.$$"
	chmod 0755 "$TEMPORAL_BIN.tmp.$$"
	mv -f "$TEMPORAL_BIN.tmp.$$" "$TEMPORAL_BIN"
	log "installed the Temporal CLI at ${TEMPORAL_BIN#"$CASEDESK_ROOT"/}"
}

# ensure_go_tool NAME PKG VERSION: prints the path of .tools/NAME-VERSION,
# copying it from the GOPATH bin cache or building it with go install (under
# a minute) the first time on a machine.
ensure_go_tool() {
	local name=$1 pkg=$2 version=$3 bin cache gopath tmp
	bin="$CASEDESK_TOOLS/$name-$version"
	if [[ ! -x $bin ]]; then
		gopath=$(go env GOPATH)
		cache="${gopath%%:*}/bin/$name-$version"
		if [[ ! -x $cache ]]; then
			log "building $name $version (go install, once per machine)"
			tmp=$(mktemp -d "${TMPDIR:-/tmp}/casedesk-tool.XXXXXX")
			(cd "$tmp" && GOBIN="$tmp" go install "$pkg@$version" </dev/null) || {
				rm -rf "$tmp"
				die "building $name failed"
			}
			mkdir -p "$(dirname "$cache")"
			cp "$tmp/$name" "$cache.tmp.$$" && mv -f "$cache.tmp.$$" "$cache"
			rm -rf "$tmp"
		fi
		mkdir -p "$CASEDESK_TOOLS"
		cp "$cache" "$bin.tmp.$$" && mv -f "$bin.tmp.$$" "$bin"
	fi
	printf '%s' "$bin"
}

# ------------------------------------------------------------- PostgreSQL --

# pg_initdb DATADIR [INITDB ARGS...]: creates a cluster at DATADIR unless one
# is there. Builds it next to DATADIR and renames it, so an interrupted
# initdb never leaves a half-made cluster behind.
pg_initdb() {
	local datadir=$1 tmp
	shift
	if [[ -f $datadir/PG_VERSION ]]; then
		local have
		have=$(<"$datadir/PG_VERSION")
		[[ $have == "$PG_VERSION_MAJOR" ]] ||
			die "$datadir holds a PostgreSQL $have cluster but the server found is version $PG_VERSION_MAJOR ($PG_BIN); remove the data (make clean-data) to start afresh"
		return 0
	fi
	[[ -e $datadir ]] && die "$datadir exists but is not a PostgreSQL cluster; remove it"
	tmp="$datadir.initdb"
	rm -rf "$tmp"
	local locale=()
	if locale -a 2>/dev/null | grep -qix 'c\.utf-\?8'; then
		locale=(--locale=C.UTF-8)
	else
		locale=(--no-locale)
	fi
	if ! as_pg "$PG_BIN/initdb" -D "$tmp" -U postgres -E UTF8 "${locale[@]}" "$@" >"$tmp.log" 2>&1 </dev/null; then
		tail_log "$tmp.log"
		rm -rf "$tmp"
		die "initdb failed"
	fi
	rm -f "$tmp.log"
	mv "$tmp" "$datadir"
}

# pg_running DATADIR succeeds if a postmaster runs on the cluster.
pg_running() {
	[[ -f $1/postmaster.pid ]] && as_pg "$PG_BIN/pg_ctl" -D "$1" status >/dev/null 2>&1
}

# pg_start DATADIR PORT SOCKETDIR LOGFILE [SETTING=VALUE...]: starts the
# cluster listening on 127.0.0.1:PORT only and waits until it accepts
# connections.
pg_start() {
	local datadir=$1 port=$2 sockdir=$3 logfile=$4 opts s
	shift 4
	opts=$(printf '%q ' -p "$port" -k "$sockdir" -c listen_addresses=127.0.0.1 -c unix_socket_permissions=0700)
	for s in "$@"; do
		opts+=$(printf -- '-c %q ' "$s")
	done
	if [[ ! -e $logfile ]]; then
		: >"$logfile"
		if ((EUID == 0)); then chown postgres: "$logfile"; fi
	fi
	if ! as_pg "$PG_BIN/pg_ctl" -D "$datadir" -l "$logfile" -o "$opts" -w -t 60 start >/dev/null 2>&1 </dev/null; then
		tail_log "$logfile"
		die "PostgreSQL did not start (data $datadir, port $port); its log is $logfile"
	fi
	local i
	for ((i = 0; i < 100; i++)); do
		"$PG_BIN/pg_isready" -q -h 127.0.0.1 -p "$port" -t 1 && return 0
		sleep 0.1
	done
	tail_log "$logfile"
	die "PostgreSQL started but does not accept connections on 127.0.0.1:$port"
}

# pg_stop DATADIR [MODE]: stops the cluster if it runs (default mode fast).
pg_stop() {
	local datadir=$1 mode=${2:-fast}
	pg_running "$datadir" || return 0
	as_pg "$PG_BIN/pg_ctl" -D "$datadir" -m "$mode" -w -t 60 stop >/dev/null 2>&1 </dev/null ||
		as_pg "$PG_BIN/pg_ctl" -D "$datadir" -m immediate -w -t 30 stop >/dev/null 2>&1 </dev/null ||
		warn "could not stop PostgreSQL at $datadir"
}

# pg_psql SOCKETDIR PORT [PSQL ARGS...]: psql as the superuser over the
# private unix socket; reads SQL from stdin unless given -c or -f.
pg_psql() {
	local sockdir=$1 port=$2
	shift 2
	as_pg "$PG_BIN/psql" -X -q -v ON_ERROR_STOP=1 -h "$sockdir" -p "$port" -U postgres -d postgres "$@"
}

# --------------------------------------------------------------- Temporal --

# temporal_cli ADDRESS ARGS...: the Temporal CLI as a client of the server at
# ADDRESS, ignoring the user's Temporal CLI profile and TEMPORAL_* variables.
temporal_cli() {
	local address=$1
	shift
	"$TEMPORAL_BIN" "$@" --address "$address" --disable-config-file --disable-config-env \
		--command-timeout 5s --color never </dev/null
}

# temporal_start LOGFILE ARGS...: starts `temporal server start-dev` with the
# casedesk search attributes in its own session (so that Ctrl-C in the
# terminal reaches it only through our cleanup) and sets TEMPORAL_PID.
# Task queues get one partition: the dev server's default of four makes a
# single worker's polls miss tasks that wait on another partition, which costs
# seconds at the tail (docs/performance.md); a cluster keeps several.
temporal_start() {
	local logfile=$1 sa args=()
	shift
	for sa in "${CASEDESK_SEARCH_ATTRIBUTES[@]}"; do
		args+=(--search-attribute "$sa=Keyword")
	done
	args+=(--dynamic-config-value matching.numTaskqueueReadPartitions=1
		--dynamic-config-value matching.numTaskqueueWritePartitions=1)
	setsid "$TEMPORAL_BIN" server start-dev --ip 127.0.0.1 --log-level warn --color never \
		"${args[@]}" "$@" </dev/null >"$logfile" 2>&1 &
	# shellcheck disable=SC2034 # used by the sourcing script
	TEMPORAL_PID=$!
}

# temporal_wait ADDRESS PID LOGFILE [TIMEOUT]: waits until the server at
# ADDRESS serves the default namespace.
temporal_wait() {
	local address=$1 pid=$2 logfile=$3 timeout=${4:-60} start
	start=$SECONDS
	while ((SECONDS - start < timeout)); do
		if ! alive "$pid"; then
			tail_log "$logfile"
			die "the Temporal dev server exited during startup; its log is $logfile"
		fi
		if temporal_cli "$address" operator cluster health >/dev/null 2>&1 &&
			temporal_cli "$address" operator namespace describe -n default >/dev/null 2>&1; then
			return 0
		fi
		sleep 0.2
	done
	tail_log "$logfile"
	die "the Temporal dev server at $address was not ready after ${timeout}s; its log is $logfile"
}

# ---------------------------------------------------------------- console --

# ensure_node checks for Node.js (20.19+) and npm, installing Debian's
# nodejs and npm with apt-get when missing.
ensure_node() {
	if ! command -v node >/dev/null 2>&1 || ! command -v npm >/dev/null 2>&1; then
		command -v apt-get >/dev/null 2>&1 || die "Node.js 20.19+ and npm are needed to build the web console"
		log "installing Node.js and npm (apt-get install nodejs npm)"
		as_root apt-get update -qq </dev/null
		as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq nodejs npm </dev/null >/dev/null
	fi
	local v
	v=$(node -p 'process.versions.node' 2>/dev/null) || die "node does not run"
	node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' ||
		die "the web console needs Node.js 20.19 or later; this is $v"
}

# ensure_chromium installs Debian's chromium for the browser tests when
# /usr/bin/chromium is missing (Playwright drives it; nothing downloads a
# browser of its own).
ensure_chromium() {
	[[ -x /usr/bin/chromium ]] && return 0
	command -v apt-get >/dev/null 2>&1 || die "the browser tests need Chromium at /usr/bin/chromium"
	log "installing Chromium for the browser tests (apt-get install chromium; a few minutes the first time)"
	as_root apt-get update -qq </dev/null
	as_root env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq chromium </dev/null >/dev/null
	[[ -x /usr/bin/chromium ]] || die "chromium was installed but /usr/bin/chromium is missing"
}

# build_console installs the console's npm packages (npm ci, kept in
# .tools/node/<lockfile hash> and linked as web/node_modules, so a second run
# installs nothing) and builds it into web/dist/app, which the Go package
# web embeds. Generating the API types from api/openapi.json and
# type-checking are part of the build: it fails when the two drift apart.
build_console() {
	ensure_node
	local web="$CASEDESK_ROOT/web" hash cache start
	start=$(now)
	hash=$(cat "$web/package.json" "$web/package-lock.json" | sha256sum | cut -c1-16)
	cache="$CASEDESK_TOOLS/node/$hash"
	if [[ ! -d $cache/node_modules ]]; then
		log "installing the console's npm packages (npm ci; cached in ${cache#"$CASEDESK_ROOT"/})"
		local tmp="$cache.tmp.$$"
		rm -rf "$tmp"
		mkdir -p "$tmp"
		cp "$web/package.json" "$web/package-lock.json" "$tmp/"
		(cd "$tmp" && npm ci --no-audit --no-fund --loglevel=error </dev/null) || die "npm ci failed"
		rm -rf "$cache"
		mv "$tmp" "$cache"
		# Older installs are of no use once the lockfile moved on.
		find "$CASEDESK_TOOLS/node" -mindepth 1 -maxdepth 1 -not -name "$hash" -exec rm -rf {} + 2>/dev/null || true
	fi
	if [[ -d $web/node_modules && ! -L $web/node_modules ]]; then
		warn "web/node_modules is a directory of its own (npm install by hand?); using it as it is"
	else
		ln -sfn "$cache/node_modules" "$web/node_modules"
	fi
	(cd "$web" && npm run --silent build </dev/null) || die "building the web console failed"
	log "built the web console in $(since "$start")"
}

# lint_openapi lints api/openapi.json with Redocly CLI's recommended rules
# (web/scripts/lint-api.mjs) and fails on any error or warning. Run it after
# build_console, which installs the CLI with the console's packages.
lint_openapi() {
	(cd "$CASEDESK_ROOT/web" && npm run --silent lint:api </dev/null) || die "api/openapi.json is not lint-clean (cd web && npm run lint:api)"
}
