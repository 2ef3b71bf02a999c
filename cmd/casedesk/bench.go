package main

import (
	"bufio"
	"context"
	"crypto/tls"
	"encoding/json"
	"errors"
	"flag"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strings"
	"time"

	"go.temporal.io/sdk/client"
	tlog "go.temporal.io/sdk/log"

	"github.com/casedesk/casedesk/bench"
	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/postgres"
)

const benchUsage = `Usage: casedesk bench [flags] SCENARIO...

Drives a running casedesk through its API and prints, for each scenario, a
table of rate, p50, p90, p99, max and errors; with --json FILE also JSON.
Where a scenario has one, its baseline on the same Temporal server runs in
the same run, interleaved with it (A B A B), on a task queue of the bench's
own with an in-process worker, so that the ratio holds on a noisy machine.

Scenarios:
  open    POST /v1/cases at --concurrency; baseline: StartWorkflow of a no-op
  act     notes, replies and assignments on --cases open cases (default
          16 x concurrency, at least 256; a case takes 10 notes a minute);
          baseline: a trivial Update of a trivial workflow
  timers  --cases chargebacks (default 1000) whose due_by deadlines fall in
          one --window (1m) starting --lead from now; reports how late each
          expired after its deadline (the timeline's chargeback_expired),
          the SLA breach lateness and the SDK's workflow task
          schedule-to-start from /metrics, then bare workflow timers due in
          the same way
  list    seeds the read model with SQL up to --cases rows (default
          1,000,000; cases without workflows: use a database of its own) and
          times GET /v1/cases with the common filters, combinations, free
          text and deep cursors, --requests each
  soak    opens --cases cases (default 100,000) in --batch batches, leaving
          them open, and samples the worker's RSS, Go heap, goroutines and
          sticky cache from --metrics after each

Flags:
  --url URL          the API (default $CASEDESK_BENCH_URL, else
                     http://$CASEDESK_HTTP_ADDR)
  --token TOKEN      an admin's API token (default $CASEDESK_BENCH_TOKEN, else
                     $CASEDESK_ADMIN_TOKEN, else the admin's in
                     $CASEDESK_DEMO_TOKENS_FILE as make run writes it)
  --metrics URL      the worker's /metrics (default URL/metrics, the worker's
                     own under casedesk dev)
  --concurrency N    requests in flight (16)
  --rate R           open, act: send R requests a second for each phase
                     instead (at most 8 x concurrency in flight), latency
                     counted from when each was due: the latency at a given
                     load, e.g. half the peak rate measured without it
  --duration D       length of each A or B phase (10s)
  --rounds N         A B pairs (2)
  --cases N          the scenario's size (see above)
  --batch N          soak's batch (10000)
  --lead D, --window D, --settle D
                     timers: first deadline after D (default 30s + 1s per 20
                     cases), deadlines spread over D (1m), wait up to D past
                     the last (5m)
  --requests N       list: requests per query (200)
  --users N          agents, and integration users, the bench creates and
                     rotates over (32 each), so that one token's rate limit
                     does not bound it
  --no-baseline      skip the baselines (no Temporal connection)
  --json FILE        also write the reports as JSON to FILE ("-": stdout)

Temporal comes from TEMPORAL_ADDRESS and TEMPORAL_NAMESPACE, the database
(list only) from DATABASE_URL, as for casedesk itself. The baseline worker
takes the CASEDESK_WORKER_* sizing of the bench's environment.
docs/performance.md has the figures and the commands behind them.`

func runBench(ctx context.Context, args []string, stdout io.Writer) error {
	fs := flag.NewFlagSet("bench", flag.ContinueOnError)
	fs.SetOutput(io.Discard)
	cfg := bench.Config{Log: os.Stderr}
	var jsonPath string
	var noBaseline bool
	fs.StringVar(&cfg.URL, "url", "", "")
	fs.StringVar(&cfg.Token, "token", "", "")
	fs.StringVar(&cfg.MetricsURL, "metrics", "", "")
	fs.IntVar(&cfg.Concurrency, "concurrency", 16, "")
	fs.Float64Var(&cfg.Rate, "rate", 0, "")
	fs.DurationVar(&cfg.Duration, "duration", 10*time.Second, "")
	fs.IntVar(&cfg.Rounds, "rounds", 2, "")
	fs.IntVar(&cfg.Cases, "cases", 0, "")
	fs.IntVar(&cfg.Batch, "batch", 10_000, "")
	fs.DurationVar(&cfg.Lead, "lead", 0, "")
	fs.DurationVar(&cfg.Window, "window", time.Minute, "")
	fs.DurationVar(&cfg.Settle, "settle", 5*time.Minute, "")
	fs.IntVar(&cfg.Requests, "requests", 200, "")
	fs.IntVar(&cfg.Users, "users", 32, "")
	fs.BoolVar(&noBaseline, "no-baseline", false, "")
	fs.StringVar(&jsonPath, "json", "", "")
	if err := fs.Parse(args); err != nil {
		if errors.Is(err, flag.ErrHelp) {
			fmt.Fprintln(stdout, benchUsage)
			return nil
		}
		return fmt.Errorf("%v (see casedesk bench --help)", err)
	}
	scenarios := fs.Args()
	if len(scenarios) == 0 {
		return fmt.Errorf("name at least one scenario: %s (see casedesk bench --help)", strings.Join(bench.Scenarios, ", "))
	}
	if cfg.Concurrency < 1 || cfg.Rounds < 1 || cfg.Duration <= 0 || cfg.Cases < 0 || cfg.Batch < 1 || cfg.Requests < 1 || cfg.Users < 1 || cfg.Rate < 0 {
		return errors.New("--concurrency, --rounds, --batch, --requests and --users must be at least 1, --duration positive, --cases and --rate not negative")
	}
	ccfg, err := config.Load()
	if err != nil {
		return err
	}
	if cfg.URL == "" {
		cfg.URL = os.Getenv("CASEDESK_BENCH_URL")
	}
	if cfg.URL == "" {
		cfg.URL = "http://" + ccfg.HTTPAddr
	}
	if cfg.Token == "" {
		cfg.Token = benchToken(ccfg)
	}
	if cfg.Token == "" {
		return errors.New("no admin token: pass --token or set CASEDESK_BENCH_TOKEN (make run prints the demo admin's)")
	}
	if !noBaseline {
		opts := client.Options{HostPort: ccfg.TemporalAddress, Namespace: ccfg.TemporalNamespace,
			Logger: tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(os.Stderr, &slog.HandlerOptions{Level: slog.LevelWarn})))}
		if ccfg.TemporalTLS {
			opts.ConnectionOptions.TLS = &tls.Config{MinVersion: tls.VersionTLS12}
		}
		if ccfg.TemporalAPIKey != "" {
			opts.Credentials = client.NewAPIKeyStaticCredentials(ccfg.TemporalAPIKey)
		}
		tc, err := client.DialContext(ctx, opts)
		if err != nil {
			return fmt.Errorf("connect to Temporal at %s for the baselines (or pass --no-baseline): %w", ccfg.TemporalAddress, err)
		}
		defer tc.Close()
		cfg.Temporal = tc
	}
	for _, s := range scenarios {
		if s == "list" {
			db, err := postgres.Open(ctx, ccfg.DatabaseURL)
			if err != nil {
				return err
			}
			defer db.Close()
			cfg.DB = db.Pool
			break
		}
	}
	reports, err := bench.Run(ctx, cfg, scenarios)
	if werr := bench.WriteTable(stdout, reports); werr != nil && err == nil {
		err = werr
	}
	if jsonPath != "" && len(reports) > 0 {
		out, jerr := json.MarshalIndent(reports, "", "  ")
		if jerr != nil {
			return jerr
		}
		out = append(out, '\n')
		if jsonPath == "-" {
			_, jerr = stdout.Write(out)
		} else {
			jerr = os.WriteFile(jsonPath, out, 0o644)
		}
		if jerr != nil && err == nil {
			err = jerr
		}
	}
	return err
}

// benchToken finds an admin token in the environment or make run's demo
// tokens file.
func benchToken(cfg config.Config) string {
	for _, v := range []string{"CASEDESK_BENCH_TOKEN", "CASEDESK_ADMIN_TOKEN"} {
		if t := strings.TrimSpace(os.Getenv(v)); t != "" {
			return t
		}
	}
	f, err := os.Open(cfg.DemoTokensFile)
	if err != nil {
		return ""
	}
	defer f.Close()
	sc := bufio.NewScanner(f)
	for sc.Scan() {
		if email, token, ok := strings.Cut(strings.TrimSpace(sc.Text()), " "); ok && email == "admin@casedesk.example" {
			return strings.TrimSpace(token)
		}
	}
	return ""
}
