// Command casedesk runs the case management system: the HTTP API, the
// Temporal worker, both at once for local use, migrations and demo data.
package main

import (
	"context"
	"fmt"
	"io"
	"os"
	"os/signal"
	"syscall"
)

type command struct {
	name    string
	summary string
	help    string
	run     func(ctx context.Context, args []string, stdout io.Writer) error
	// takesArgs commands parse their own arguments and flags.
	takesArgs bool
}

var commands = []command{
	{"api", "serve the HTTP API", `Usage: casedesk api

Serves the HTTP API on CASEDESK_HTTP_ADDR. Applies pending database
migrations first. Needs PostgreSQL (DATABASE_URL) and Temporal
(TEMPORAL_ADDRESS, TEMPORAL_NAMESPACE). Several replicas may run at once.
Stops gracefully on SIGINT or SIGTERM.`, runAPI, false},
	{"worker", "run the Temporal worker", `Usage: casedesk worker

Runs the case workflows and their activities on the "casedesk-cases" task
queue. Applies pending database migrations first. Several replicas may run at
once. Stops gracefully on SIGINT or SIGTERM.`, runWorker, false},
	{"dev", "run the API and the worker in one process", `Usage: casedesk dev

Runs the API and the worker in one process, for local use (make run starts
it after PostgreSQL, Temporal, migrations and demo data).`, runDev, false},
	{"migrate", "apply database migrations", `Usage: casedesk migrate

Applies the embedded SQL migrations not yet applied to DATABASE_URL and
prints the schema version. Safe to run concurrently with other processes.`, runMigrate, false},
	{"seed", "create demo users, customers, payments and invoices", `Usage: casedesk seed

Creates demo data unless it is there already: an admin, two agents, two
supervisors, a billing feed integration user and a few customers with
payments and invoices. Tokens are stored hashed, so the demo tokens are kept
in CASEDESK_DEMO_TOKENS_FILE (default .data/demo-tokens.txt) to print them
again on later runs. With
CASEDESK_ADMIN_TOKEN set, the admin's token is that value.`, runSeed, false},
	{"sla", "check the SLA configuration; compute a deadline", slaUsage, runSLA, true},
	{"fake-sendgrid", "serve a local stand-in for SendGrid's Mail Send API", fakeSendGridUsage, runFakeSendGrid, true},
	{"bench", "measure a running casedesk against bare Temporal", benchUsage, runBench, true},
	{"chaos", "drive a workload with faults through a cluster and check invariants", chaosUsage, runChaos, true},
}

func usage(w io.Writer) {
	fmt.Fprintln(w, "casedesk: case management for billing and payments customer service.")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Usage: casedesk <command> [--help]")
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Commands:")
	for _, c := range commands {
		fmt.Fprintf(w, "  %-14s %s\n", c.name, c.summary)
	}
	fmt.Fprintln(w)
	fmt.Fprintln(w, "Configuration comes from the environment; see the README.")
}

func main() {
	os.Exit(run(os.Args[1:], os.Stdout, os.Stderr))
}

func run(args []string, stdout, stderr io.Writer) int {
	if len(args) == 0 || args[0] == "-h" || args[0] == "--help" || args[0] == "help" {
		usage(stdout)
		if len(args) == 0 {
			return 2
		}
		return 0
	}
	for _, c := range commands {
		if c.name != args[0] {
			continue
		}
		rest := args[1:]
		if len(rest) == 1 && (rest[0] == "-h" || rest[0] == "--help" || rest[0] == "-help" || rest[0] == "help") {
			fmt.Fprintln(stdout, c.help)
			return 0
		}
		if !c.takesArgs && len(rest) > 0 {
			fmt.Fprintf(stderr, "casedesk %s takes no arguments; see casedesk %s --help\n", c.name, c.name)
			return 2
		}
		ctx, stop := signal.NotifyContext(context.Background(), os.Interrupt, syscall.SIGTERM)
		defer stop()
		if err := c.run(ctx, rest, stdout); err != nil {
			fmt.Fprintf(stderr, "casedesk %s: %v\n", c.name, err)
			return 1
		}
		return 0
	}
	fmt.Fprintf(stderr, "casedesk: unknown command %q\n\n", args[0])
	usage(stderr)
	return 2
}
