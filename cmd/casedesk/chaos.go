package main

import (
	"bufio"
	"context"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"path/filepath"
	"strconv"
	"strings"
	"time"

	"github.com/jackc/pgx/v5/pgxpool"
	"go.temporal.io/sdk/client"

	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/temporalclient"
)

const chaosUsage = `Usage: casedesk chaos --cluster DIR [flags]

Drives a mixed workload through every API replica of a cluster that
scripts/cluster.sh started (make cluster, or --dir DIR --background) while it
injects faults on a schedule, waits for the system to converge, then checks
invariants against PostgreSQL and Temporal directly and prints a JSON report.
Exits 1 when an invariant is violated.

The workload: inquiries, disputes, refunds and chargebacks opened through one
API replica and worked through the other (assign, reply, request info,
customer replies, resolve, close); refunds and credits at every approval
level, decided by two supervisors; evidence, responses and network outcomes;
SLA timers of seconds (run the cluster with testdata/chaos/*.json and the
settings in docs/deploy.md) and a SendGrid stand-in failing some sends. Every
request is retried as a client would, with its Idempotency-Key, against the
other replica.

  --cluster DIR        the cluster (reads DIR/cluster.env; faults through
                       scripts/cluster.sh --dir DIR)
  --cases N            cases to open (default 10000)
  --concurrency N      clients working cases at once (default 16)
  --faults SPEC        faults to inject, spread over the run (default
                       worker=4,api=3,temporal=1,pg-restart=1,pg-outage=1)
  --outage D           length of the PostgreSQL outage (default 30s)
  --down D             how long a killed worker or API stays down (default 5s)
  --gap D              the least time between two faults (default 15s)
  --converge D         how long to wait for the system to settle (default 5m)
  --export DIR         write a sample of the run's workflow histories there
  --export-count N     how many (default 12: the largest and a spread)
  --report FILE        also write the JSON report to FILE

The report lists each invariant with its violations; "ok" is true when there
are none.`

// chaosOptions is what casedesk chaos was asked to do.
type chaosOptions struct {
	clusterDir  string
	control     []string
	apis        []string
	adminToken  string
	databaseURL string
	temporal    string
	namespace   string
	sendgrid    string
	cases       int
	concurrency int
	faults      []faultKind
	outage      time.Duration
	down        time.Duration
	gap         time.Duration
	converge    time.Duration
	exportDir   string
	exportCount int
	reportFile  string
}

func runChaos(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("chaos", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	var o chaosOptions
	var faults string
	fs.StringVar(&o.clusterDir, "cluster", "", "")
	fs.IntVar(&o.cases, "cases", 10000, "")
	fs.IntVar(&o.concurrency, "concurrency", 16, "")
	fs.StringVar(&faults, "faults", "worker=4,api=3,temporal=1,pg-restart=1,pg-outage=1", "")
	fs.DurationVar(&o.outage, "outage", 30*time.Second, "")
	fs.DurationVar(&o.down, "down", 5*time.Second, "")
	fs.DurationVar(&o.gap, "gap", 15*time.Second, "")
	fs.DurationVar(&o.converge, "converge", 5*time.Minute, "")
	fs.StringVar(&o.exportDir, "export", "", "")
	fs.IntVar(&o.exportCount, "export-count", 12, "")
	fs.StringVar(&o.reportFile, "report", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, chaosUsage)
			return nil
		}
		return fmt.Errorf("%v (see casedesk chaos --help)", err)
	}
	if fs.NArg() > 0 {
		return fmt.Errorf("unexpected argument %q (see casedesk chaos --help)", fs.Arg(0))
	}
	if o.clusterDir == "" {
		return errors.New("--cluster DIR is required (a directory scripts/cluster.sh started)")
	}
	if o.cases < 1 || o.concurrency < 1 || o.exportCount < 0 {
		return errors.New("--cases and --concurrency must be positive and --export-count not negative")
	}
	var err error
	if o.faults, err = parseFaults(faults); err != nil {
		return err
	}
	if err := o.loadCluster(); err != nil {
		return err
	}

	log := slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelInfo}))
	db, err := pgxpool.New(ctx, o.databaseURL)
	if err != nil {
		return fmt.Errorf("database: %w", err)
	}
	defer db.Close()
	quiet := slog.New(slog.NewTextHandler(io.Discard, nil))
	tc, err := temporalclient.Dial(ctx, config.Config{TemporalAddress: o.temporal, TemporalNamespace: o.namespace}, quiet)
	if err != nil {
		return fmt.Errorf("temporal: %w", err)
	}
	defer tc.Close()

	run := newChaosRun(o, log, db, tc)
	report, err := run.execute(ctx)
	if err != nil {
		return err
	}
	buf, err := json.MarshalIndent(report, "", "  ")
	if err != nil {
		return err
	}
	fmt.Fprintln(stdout, string(buf))
	if o.reportFile != "" {
		if err := os.WriteFile(o.reportFile, append(buf, '\n'), 0o644); err != nil {
			return err
		}
	}
	if !report.OK {
		return fmt.Errorf("%d invariant(s) violated (see the report)", report.violated())
	}
	return nil
}

// loadCluster reads DIR/cluster.env, which scripts/cluster.sh writes.
func (o *chaosOptions) loadCluster() error {
	path := filepath.Join(o.clusterDir, "cluster.env")
	f, err := os.Open(path)
	if err != nil {
		return fmt.Errorf("%w (start the cluster with scripts/cluster.sh --dir %s --background)", err, o.clusterDir)
	}
	defer f.Close()
	env, err := parseClusterEnv(f)
	if err != nil {
		return fmt.Errorf("%s: %w", path, err)
	}
	for _, k := range []string{"CLUSTER_SCRIPT", "CLUSTER_DIR", "CLUSTER_API_URLS", "CLUSTER_ADMIN_TOKEN",
		"CLUSTER_DATABASE_URL", "CLUSTER_TEMPORAL_ADDRESS", "CLUSTER_SENDGRID_URL"} {
		if env[k] == "" {
			return fmt.Errorf("%s: %s is missing", path, k)
		}
	}
	o.control = []string{env["CLUSTER_SCRIPT"], "--dir", env["CLUSTER_DIR"]}
	o.apis = strings.Split(env["CLUSTER_API_URLS"], ",")
	o.adminToken = env["CLUSTER_ADMIN_TOKEN"]
	o.databaseURL = env["CLUSTER_DATABASE_URL"]
	o.temporal = env["CLUSTER_TEMPORAL_ADDRESS"]
	o.namespace = env["CLUSTER_TEMPORAL_NAMESPACE"]
	if o.namespace == "" {
		o.namespace = "default"
	}
	o.sendgrid = env["CLUSTER_SENDGRID_URL"]
	return nil
}

// parseClusterEnv reads KEY=VALUE lines, skipping blank lines and comments.
func parseClusterEnv(r io.Reader) (map[string]string, error) {
	env := map[string]string{}
	sc := bufio.NewScanner(r)
	n := 0
	for sc.Scan() {
		n++
		line := strings.TrimSpace(sc.Text())
		if line == "" || strings.HasPrefix(line, "#") {
			continue
		}
		k, v, ok := strings.Cut(line, "=")
		if !ok || k == "" {
			return nil, fmt.Errorf("line %d is not KEY=VALUE", n)
		}
		env[k] = v
	}
	return env, sc.Err()
}

// faultKind is one kind of fault the run injects.
type faultKind string

const (
	faultWorker    faultKind = "worker"
	faultAPI       faultKind = "api"
	faultTemporal  faultKind = "temporal"
	faultPGRestart faultKind = "pg-restart"
	faultPGOutage  faultKind = "pg-outage"
)

// parseFaults reads "worker=4,api=3,..." into a schedule that interleaves
// the kinds, so that each kind meets the workload at a different stage.
func parseFaults(spec string) ([]faultKind, error) {
	counts := map[faultKind]int{}
	var order []faultKind
	if strings.TrimSpace(spec) == "" || spec == "none" {
		return nil, nil
	}
	for _, part := range strings.Split(spec, ",") {
		k, v, ok := strings.Cut(strings.TrimSpace(part), "=")
		n, err := strconv.Atoi(v)
		kind := faultKind(k)
		switch {
		case !ok || err != nil || n < 0:
			return nil, fmt.Errorf("--faults: %q is not KIND=COUNT", part)
		case kind != faultWorker && kind != faultAPI && kind != faultTemporal && kind != faultPGRestart && kind != faultPGOutage:
			return nil, fmt.Errorf("--faults: unknown kind %q (worker, api, temporal, pg-restart, pg-outage)", k)
		}
		if _, seen := counts[kind]; !seen {
			order = append(order, kind)
		}
		counts[kind] += n
	}
	var out []faultKind
	for more := true; more; {
		more = false
		for _, k := range order {
			if counts[k] > 0 {
				out = append(out, k)
				counts[k]--
				more = true
			}
		}
	}
	return out, nil
}

// chaosRun is one run: its options, connections and what it observed.
type chaosRun struct {
	o        chaosOptions
	log      *slog.Logger
	db       *pgxpool.Pool
	temporal client.Client
	http     *chaosClient
}

func newChaosRun(o chaosOptions, log *slog.Logger, db *pgxpool.Pool, tc client.Client) *chaosRun {
	return &chaosRun{o: o, log: log, db: db, temporal: tc, http: newChaosClient(o.apis)}
}
