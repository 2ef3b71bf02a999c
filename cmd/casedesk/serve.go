package main

import (
	"context"
	"errors"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"os"
	"time"

	"go.temporal.io/sdk/client"
	"golang.org/x/sync/errgroup"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/api"
	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/metrics"
	"github.com/casedesk/casedesk/outbox"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/temporalclient"
	"github.com/casedesk/casedesk/tracing"
	"github.com/casedesk/casedesk/web"
	"github.com/casedesk/casedesk/worker"
	"github.com/casedesk/casedesk/workflows"
)

// deps are the connections every long-running command needs.
type deps struct {
	cfg       config.Config
	sla       *casedesk.SLAConfig
	approvals casedesk.ApprovalRules
	log       *slog.Logger
	db        *postgres.DB
	temporal  client.Client
	// traces flushes and stops the trace exporter.
	traces func(context.Context) error
}

// connect is where api, worker and dev start: production refuses the
// development secrets here, before any connection is made.
func connect(ctx context.Context) (*deps, error) {
	cfg, err := config.Load()
	if err != nil {
		return nil, err
	}
	if err := cfg.CheckProduction(); err != nil {
		return nil, err
	}
	log := cfg.Logger()
	slog.SetDefault(log)
	sla, err := casedesk.LoadSLAConfig(cfg.SLAConfigFile)
	if err != nil {
		return nil, slaConfigError{"CASEDESK_SLA_CONFIG=" + cfg.SLAConfigFile, err}
	}
	approvals, err := casedesk.LoadApprovalRules(cfg.ApprovalsFile)
	if err != nil {
		return nil, slaConfigError{"CASEDESK_APPROVALS_CONFIG=" + cfg.ApprovalsFile, err}
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return nil, err
	}
	version, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return nil, err
	}
	log.Info("database ready", "schema_version", version)
	// Tracing is set up before the Temporal client, whose interceptor
	// takes the tracer provider installed here.
	traces, err := tracing.Setup(ctx, cfg.OTLPTraces, "casedesk")
	if err != nil {
		db.Close()
		return nil, err
	}
	if cfg.OTLPTraces {
		log.Info("traces are exported by OTLP")
	}
	tc, err := temporalclient.Dial(ctx, cfg, log)
	if err != nil {
		db.Close()
		return nil, err
	}
	// Webhook payloads show cases as the API does.
	db.WebhookView = api.CaseView
	return &deps{cfg: cfg, sla: sla, approvals: approvals, log: log, db: db, temporal: tc, traces: traces}, nil
}

func (d *deps) close() {
	d.temporal.Close()
	d.db.Close()
	flush, cancel := context.WithTimeout(context.Background(), 5*time.Second)
	defer cancel()
	_ = d.traces(flush)
}

func (d *deps) rules() casedesk.Rules {
	return casedesk.Rules{
		ReopenWindow:    d.cfg.ReopenWindow,
		SLA:             d.sla.Policies(),
		WaitingReminder: d.cfg.WaitingReminder,
		WaitingTimeout:  d.cfg.WaitingTimeout,
		Approvals:       &d.approvals,
		Categories:      d.cfg.Categories,
	}
}

func runAPI(ctx context.Context, _ []string, _ io.Writer) error { return withDeps(ctx, serveAPI) }

func runWorker(ctx context.Context, _ []string, _ io.Writer) error {
	return withDeps(ctx, runCaseWorker)
}

// withDeps connects to everything, runs fn and disconnects.
func withDeps(ctx context.Context, fn func(context.Context, *deps) error) error {
	d, err := connect(ctx)
	if err != nil {
		return err
	}
	defer d.close()
	return fn(ctx, d)
}

func runDev(ctx context.Context, _ []string, _ io.Writer) error {
	d, err := connect(ctx)
	if err != nil {
		return err
	}
	defer d.close()
	g, ctx := errgroup.WithContext(ctx)
	g.Go(func() error { return runCaseWorker(ctx, d) })
	g.Go(func() error { return serveAPI(ctx, d) })
	return g.Wait()
}

func (d *deps) mailSettings() activities.MailSettings {
	return activities.MailSettings{
		From:        mail.Address{Email: d.cfg.MailFrom, Name: d.cfg.MailFromName},
		ReplyDomain: d.cfg.ReplyDomain,
		PublicURL:   d.cfg.PublicURL,
		Links:       links.Signer{Secret: []byte(d.cfg.LinkSecret)},
		LinkTTL:     d.cfg.LinkTTL,
	}
}

func runCaseWorker(ctx context.Context, d *deps) error {
	// Case facts are measured in the business hours of each case's calendar.
	d.db.Calendars = d.sla
	alerts, err := casedesk.LoadAlertRouting(d.cfg.AlertsFile)
	if err != nil {
		return slaConfigError{"CASEDESK_ALERTS_CONFIG=" + d.cfg.AlertsFile, err}
	}
	acts := &activities.Activities{Store: d.db, Ledger: d.db, Outbox: d.db, Mail: d.mailSettings(), Alerts: alerts}
	var dispatcher *outbox.Dispatcher
	if d.cfg.SendGridAPIKey != "" {
		// A send gives up well within its claim, so no other dispatcher
		// takes a message while it may still be on its way.
		sender := mail.NewSender(d.cfg.SendGridAPIKey, d.cfg.SendGridBaseURL, min(15*time.Second, d.cfg.OutboxLease/3))
		acts.Mailer = sender
		dispatcher = &outbox.Dispatcher{Store: d.db, Mailer: sender, From: acts.Mail.From, Log: d.log,
			CustomerWorkers: d.cfg.CustomerWorkers, StaffWorkers: d.cfg.StaffWorkers, Lease: d.cfg.OutboxLease,
			WarnAfter: d.cfg.OutboxWarnAfter, DigestEvery: alerts.Every()}
		d.log.Info("email is sent through SendGrid", "base_url", d.cfg.SendGridBaseURL)
	} else {
		d.log.Info("no SENDGRID_API_KEY: email is captured in the outbox, not sent; read it at GET /v1/cases/{id}/messages")
	}
	wopts, err := worker.OptionsFromEnv(os.Getenv)
	if err != nil {
		return err
	}
	w := worker.NewWithOptions(d.temporal, workflows.TaskQueue, acts, wopts)
	if err := w.Start(); err != nil {
		return fmt.Errorf("start worker: %w", err)
	}
	d.log.Info("worker started", "task_queue", workflows.TaskQueue, "namespace", d.cfg.TemporalNamespace,
		"sticky_cache", wopts.StickyCacheSize, "workflow_slots", wopts.WorkflowTaskSlots, "activity_slots", wopts.ActivitySlots)
	metrics.WatchOutbox(d.db.OutboxLanes, d.log)
	if d.cfg.MetricsAddr != "" {
		addr, err := metrics.Serve(ctx, d.cfg.MetricsAddr, d.log, d.cfg.Pprof)
		if err != nil {
			w.Stop()
			return err
		}
		d.log.Info("worker metrics listening", "addr", "http://"+addr.String()+"/metrics")
	}
	dispatched := make(chan struct{})
	go func() {
		defer close(dispatched)
		if dispatcher != nil {
			_ = dispatcher.Run(ctx) // returns once ctx ends and the sends in flight are recorded
		}
	}()
	hooks := &outbox.WebhookDispatcher{Store: d.db, Production: d.cfg.Env == config.EnvProduction,
		Workers: d.cfg.WebhookWorkers, RetryFirst: d.cfg.WebhookRetry, RetryFor: d.cfg.WebhookRetryFor,
		Capture: d.cfg.SendGridAPIKey == "", Log: d.log}
	hooked := make(chan struct{})
	go func() {
		defer close(hooked)
		_ = hooks.Run(ctx) // returns once ctx ends and the deliveries in flight are recorded
	}()
	<-ctx.Done()
	w.Stop()
	<-dispatched
	<-hooked
	d.log.Info("worker stopped")
	return nil
}

func serveAPI(ctx context.Context, d *deps) error {
	var verifier *inbound.EventVerifier
	if d.cfg.WebhookPublicKey != "" {
		v, err := inbound.NewEventVerifier(d.cfg.WebhookPublicKey)
		if err != nil {
			return fmt.Errorf("SENDGRID_WEBHOOK_PUBLIC_KEY: %w", err)
		}
		verifier = v
	}
	alerts, err := casedesk.LoadAlertRouting(d.cfg.AlertsFile)
	if err != nil {
		return slaConfigError{"CASEDESK_ALERTS_CONFIG=" + d.cfg.AlertsFile, err}
	}
	// Live updates: one connection LISTENs for the projection's notifications.
	changes := d.db.NewChanges(d.log)
	go changes.Run(ctx)
	// Presence (who views and types in which case) travels the same way.
	presence := d.db.NewPresence(d.log)
	go presence.Run(ctx)
	if !web.Built() {
		d.log.Warn("the web console was not built into this binary; / answers 503 (make run builds it)")
	}
	srv := &api.Server{
		Links:         links.Signer{Secret: []byte(d.cfg.LinkSecret)},
		ReplyDomain:   d.cfg.ReplyDomain,
		LinkTTL:       d.cfg.LinkTTL,
		InboundSecret: d.cfg.InboundSecret,
		InboundLog:    d.db,
		IsOutage:      postgres.IsOutage,
		TokenTTL:      d.cfg.TokenCacheTTL,
		Limits: api.Limits{PerToken: d.cfg.RateToken, CustomerLink: d.cfg.RateCustomerLink,
			Inbound: d.cfg.RateInbound},
		TrustedProxies: d.cfg.TrustedProxies,
		EventVerifier:  verifier,
		DB:             d.db,
		Users:          d.db,
		Customers:      d.db,
		Macros:         d.db,
		Alerts:         d.db,
		AlertRouting:   alerts,
		CaseReads:      d.db,
		Approvals:      d.db,
		Feedback:       d.db,
		Idempotency:    d.db,
		Sessions:       d.db,
		SessionPolicy:  casedesk.SessionPolicy{Idle: d.cfg.SessionIdle, Absolute: d.cfg.SessionMax},
		// Behind HTTPS in production: the cookie never travels in clear.
		SecureCookies: d.cfg.Env == config.EnvProduction,
		Webhooks:      d.db,
		Production:    d.cfg.Env == config.EnvProduction,
		Queues:        d.db,
		Changes:       changes,
		Presence:      presence,
		Rules:         d.rules(),
		Console:       web.Handler(),
		Reports:       d.db,
		Categories:    d.cfg.Categories,
		Cases:         &temporalclient.Cases{Client: d.temporal, Rules: d.rules(), Projector: d.db},
		Logger:        d.log,
		TemporalHealth: func(ctx context.Context) error {
			_, err := d.temporal.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}
	hs := &http.Server{
		Addr:              d.cfg.HTTPAddr,
		Handler:           srv.Handler(),
		ReadHeaderTimeout: 10 * time.Second,
		ReadTimeout:       30 * time.Second,
		WriteTimeout:      60 * time.Second,
		IdleTimeout:       120 * time.Second,
	}
	errc := make(chan error, 1)
	go func() { errc <- hs.ListenAndServe() }()
	go srv.SweepIdempotencyKeys(ctx, time.Hour)
	d.log.Info("api listening", "addr", "http://"+d.cfg.HTTPAddr)
	select {
	case err := <-errc:
		return fmt.Errorf("serve %s: %w", d.cfg.HTTPAddr, err)
	case <-ctx.Done():
	}
	shutdown, cancel := context.WithTimeout(context.WithoutCancel(ctx), 15*time.Second)
	defer cancel()
	if err := hs.Shutdown(shutdown); err != nil && !errors.Is(err, http.ErrServerClosed) {
		return err
	}
	d.log.Info("api stopped")
	return nil
}

func runMigrate(ctx context.Context, _ []string, stdout io.Writer) error {
	_, db, v, err := openMigrated(ctx)
	if err != nil {
		return err
	}
	defer db.Close()
	fmt.Fprintf(stdout, "database schema at version %d\n", v)
	return nil
}

// openMigrated loads the configuration, opens the database and migrates it
// to the schema this binary expects.
func openMigrated(ctx context.Context) (config.Config, *postgres.DB, int32, error) {
	cfg, err := config.Load()
	if err != nil {
		return cfg, nil, 0, err
	}
	db, err := postgres.Open(ctx, cfg.DatabaseURL)
	if err != nil {
		return cfg, nil, 0, err
	}
	v, err := db.Migrate(ctx)
	if err != nil {
		db.Close()
		return cfg, nil, 0, err
	}
	return cfg, db, v, nil
}
