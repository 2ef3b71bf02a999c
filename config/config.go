// Package config reads casedesk's configuration from the environment. Every
// variable has a default suited to `make run`; the README documents them.
package config

import (
	"errors"
	"fmt"
	"io"
	"log/slog"
	"os"
	"strconv"
	"strings"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/tracing"
)

// Config is the whole configuration of every casedesk process.
type Config struct {
	Env               string        // CASEDESK_ENV: development or production
	HTTPAddr          string        // CASEDESK_HTTP_ADDR
	DatabaseURL       string        // DATABASE_URL
	TemporalAddress   string        // TEMPORAL_ADDRESS
	TemporalNamespace string        // TEMPORAL_NAMESPACE
	TemporalAPIKey    string        // TEMPORAL_API_KEY (implies TLS)
	TemporalTLS       bool          // TEMPORAL_TLS
	AdminToken        string        // CASEDESK_ADMIN_TOKEN
	SendGridAPIKey    string        // SENDGRID_API_KEY
	SendGridBaseURL   string        // SENDGRID_BASE_URL
	ReopenWindow      time.Duration // CASEDESK_REOPEN_WINDOW
	SLAConfigFile     string        // CASEDESK_SLA_CONFIG
	ApprovalsFile     string        // CASEDESK_APPROVALS_CONFIG
	PublicURL         string        // CASEDESK_PUBLIC_URL: base of customer links
	MailFrom          string        // CASEDESK_MAIL_FROM
	MailFromName      string        // CASEDESK_MAIL_FROM_NAME
	ReplyDomain       string        // CASEDESK_REPLY_DOMAIN: domain of signed reply-to addresses
	LinkSecret        string        // CASEDESK_LINK_SECRET: signs customer links and reply addresses
	LinkTTL           time.Duration // CASEDESK_LINK_TTL
	InboundSecret     string        // CASEDESK_INBOUND_SECRET: path secret of the Inbound Parse webhook
	WebhookPublicKey  string        // SENDGRID_WEBHOOK_PUBLIC_KEY: verifies the Event Webhook
	WaitingReminder   time.Duration // CASEDESK_WAITING_REMINDER (business time; 0 = 3 business days)
	WaitingTimeout    time.Duration // CASEDESK_WAITING_TIMEOUT (business time; 0 = 7 business days)
	DemoTokensFile    string        // CASEDESK_DEMO_TOKENS_FILE
	SessionIdle       time.Duration // CASEDESK_SESSION_IDLE: a console session ends after this without a request
	SessionMax        time.Duration // CASEDESK_SESSION_MAX: and after this in all
	LogLevel          slog.Level    // CASEDESK_LOG_LEVEL
	LogFormat         string        // CASEDESK_LOG_FORMAT: text or json
	// Reports and operations.
	Categories  []string // CASEDESK_CATEGORIES: comma-separated case categories
	MetricsAddr string   // CASEDESK_METRICS_ADDR: the worker's /metrics listener ("" for none)
	Pprof       bool     // CASEDESK_PPROF: the metrics listener also serves /debug/pprof/
	OTLPTraces  bool     // OTEL_EXPORTER_OTLP_ENDPOINT (or its traces variant) is set: traces are exported
	// Email dispatch from the outbox.
	AlertsFile      string        // CASEDESK_ALERTS_CONFIG: who gets staff alerts, immediate or digest
	CustomerWorkers int           // CASEDESK_OUTBOX_CUSTOMER_WORKERS: concurrent sends of customer email per worker
	StaffWorkers    int           // CASEDESK_OUTBOX_STAFF_WORKERS: concurrent sends of staff alerts per worker
	OutboxLease     time.Duration // CASEDESK_OUTBOX_LEASE: how long a claimed message is its dispatcher's
	OutboxWarnAfter time.Duration // CASEDESK_OUTBOX_WARN_AFTER: a message waiting longer is logged as a warning
	// Abuse and outages.
	TokenCacheTTL    time.Duration      // CASEDESK_TOKEN_CACHE_TTL: how long the API remembers a token's user (0: never)
	RateToken        casedesk.RateLimit // CASEDESK_RATE_TOKEN: requests per API token or session
	RateCustomerLink casedesk.RateLimit // CASEDESK_RATE_CUSTOMER_LINK: customer-page posts per link and per client address
	RateInbound      casedesk.RateLimit // CASEDESK_RATE_INBOUND: Inbound Parse posts
	TrustedProxies   []string           // CASEDESK_TRUSTED_PROXIES: comma-separated proxy addresses whose X-Forwarded-For is believed
	// Outgoing webhooks.
	WebhookWorkers int           // CASEDESK_WEBHOOK_WORKERS: concurrent webhook deliveries per worker
	WebhookRetry   time.Duration // CASEDESK_WEBHOOK_RETRY: delay before a failed delivery's first retry, doubling after
	// CASEDESK_WEBHOOK_RETRY_FOR: how long a delivery is retried and an
	// endpoint may fail every attempt before it is disabled.
	WebhookRetryFor time.Duration
}

// Defaults.
const (
	DefaultHTTPAddr          = "127.0.0.1:8080"
	DefaultDatabaseURL       = "postgres://casedesk:casedesk@127.0.0.1:5433/casedesk?sslmode=disable"
	DefaultTemporalAddress   = "127.0.0.1:7233"
	DefaultTemporalNamespace = "default"
	DefaultSendGridBaseURL   = "https://api.sendgrid.com"
	DefaultReopenWindow      = 7 * 24 * time.Hour
	DefaultLinkTTL           = 30 * 24 * time.Hour
	DefaultTokenCacheTTL     = time.Minute
	DefaultSessionIdle       = 12 * time.Hour
	DefaultSessionMax        = 7 * 24 * time.Hour
	// DevLinkSecret and DevInboundSecret are for local use only; set your own.
	DevLinkSecret    = "casedesk-development-link-secret-not-for-production"
	DevInboundSecret = "casedesk-dev-inbound"
	// DevAdminToken is docker-compose.yml's former stand-in admin token.
	DevAdminToken = "casedesk-local-admin-token"
)

// The environments of CASEDESK_ENV.
const (
	EnvDevelopment = "development"
	EnvProduction  = "production"
)

// FromEnv reads the configuration from getenv (os.Getenv in production).
func FromEnv(getenv func(string) string) (Config, error) {
	get := func(name, def string) string {
		if v := strings.TrimSpace(getenv(name)); v != "" {
			return v
		}
		return def
	}
	c := Config{
		Env:               get("CASEDESK_ENV", EnvDevelopment),
		HTTPAddr:          get("CASEDESK_HTTP_ADDR", DefaultHTTPAddr),
		DatabaseURL:       get("DATABASE_URL", DefaultDatabaseURL),
		TemporalAddress:   get("TEMPORAL_ADDRESS", DefaultTemporalAddress),
		TemporalNamespace: get("TEMPORAL_NAMESPACE", DefaultTemporalNamespace),
		TemporalAPIKey:    get("TEMPORAL_API_KEY", ""),
		AdminToken:        get("CASEDESK_ADMIN_TOKEN", ""),
		SendGridAPIKey:    get("SENDGRID_API_KEY", ""),
		SendGridBaseURL:   get("SENDGRID_BASE_URL", DefaultSendGridBaseURL),
		DemoTokensFile:    get("CASEDESK_DEMO_TOKENS_FILE", ".data/demo-tokens.txt"),
		LogFormat:         get("CASEDESK_LOG_FORMAT", "text"),
		SLAConfigFile:     get("CASEDESK_SLA_CONFIG", ""),
		ApprovalsFile:     get("CASEDESK_APPROVALS_CONFIG", ""),
		PublicURL:         strings.TrimRight(get("CASEDESK_PUBLIC_URL", "http://127.0.0.1:8080"), "/"),
		MailFrom:          get("CASEDESK_MAIL_FROM", "support@casedesk.example"),
		MailFromName:      get("CASEDESK_MAIL_FROM_NAME", "casedesk support"),
		ReplyDomain:       get("CASEDESK_REPLY_DOMAIN", "reply.casedesk.example"),
		LinkSecret:        get("CASEDESK_LINK_SECRET", DevLinkSecret),
		InboundSecret:     get("CASEDESK_INBOUND_SECRET", DevInboundSecret),
		WebhookPublicKey:  get("SENDGRID_WEBHOOK_PUBLIC_KEY", ""),
	}
	var errs []string
	if c.Env != EnvDevelopment && c.Env != EnvProduction {
		errs = append(errs, "CASEDESK_ENV must be development or production")
	}
	// flag reads a true/false variable; false when unset.
	flag := func(name string) bool {
		b, err := strconv.ParseBool(get(name, "false"))
		if err != nil {
			errs = append(errs, name+" must be true or false")
		}
		return b
	}
	c.TemporalTLS = flag("TEMPORAL_TLS") || c.TemporalAPIKey != ""
	c.LinkTTL = DefaultLinkTTL
	if v := get("CASEDESK_LINK_TTL", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, "CASEDESK_LINK_TTL must be a positive duration such as 720h")
		}
		c.LinkTTL = d
	}
	if len(c.LinkSecret) < 32 {
		errs = append(errs, "CASEDESK_LINK_SECRET must be at least 32 characters")
	}
	if len(c.InboundSecret) < 12 {
		errs = append(errs, "CASEDESK_INBOUND_SECRET must be at least 12 characters")
	}
	c.ReopenWindow = DefaultReopenWindow
	if v := get("CASEDESK_REOPEN_WINDOW", ""); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil || d <= 0 {
			errs = append(errs, "CASEDESK_REOPEN_WINDOW must be a positive duration such as 168h")
		}
		c.ReopenWindow = d
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CASEDESK_WAITING_REMINDER", &c.WaitingReminder}, {"CASEDESK_WAITING_TIMEOUT", &c.WaitingTimeout}} {
		if v := get(d.name, ""); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				errs = append(errs, d.name+" must be a positive duration such as 24h")
			}
			*d.dst = x
		}
	}
	c.SessionIdle, c.SessionMax = DefaultSessionIdle, DefaultSessionMax
	for _, d := range []struct {
		name string
		dst  *time.Duration
	}{{"CASEDESK_SESSION_IDLE", &c.SessionIdle}, {"CASEDESK_SESSION_MAX", &c.SessionMax}} {
		if v := get(d.name, ""); v != "" {
			x, err := time.ParseDuration(v)
			if err != nil || x <= 0 {
				errs = append(errs, d.name+" must be a positive duration such as 12h")
			}
			*d.dst = x
		}
	}
	if c.SessionIdle > c.SessionMax {
		errs = append(errs, "CASEDESK_SESSION_IDLE must not be longer than CASEDESK_SESSION_MAX")
	}
	if c.WaitingReminder > 0 && c.WaitingTimeout > 0 && c.WaitingReminder >= c.WaitingTimeout {
		errs = append(errs, "CASEDESK_WAITING_REMINDER must be shorter than CASEDESK_WAITING_TIMEOUT")
	}
	if err := c.LogLevel.UnmarshalText([]byte(get("CASEDESK_LOG_LEVEL", "info"))); err != nil {
		errs = append(errs, "CASEDESK_LOG_LEVEL must be debug, info, warn or error")
	}
	if c.LogFormat != "text" && c.LogFormat != "json" {
		errs = append(errs, "CASEDESK_LOG_FORMAT must be text or json")
	}
	if cats, err := casedesk.ParseCategories(get("CASEDESK_CATEGORIES", "")); err != nil {
		errs = append(errs, "CASEDESK_CATEGORIES: "+fieldMessages(err))
	} else {
		c.Categories = cats
	}
	c.AlertsFile = get("CASEDESK_ALERTS_CONFIG", "")
	c.CustomerWorkers, c.StaffWorkers, c.OutboxLease, c.OutboxWarnAfter = 4, 2, time.Minute, 5*time.Minute
	for _, d := range []struct {
		name string
		dst  *int
	}{{"CASEDESK_OUTBOX_CUSTOMER_WORKERS", &c.CustomerWorkers}, {"CASEDESK_OUTBOX_STAFF_WORKERS", &c.StaffWorkers}} {
		if v := get(d.name, ""); v != "" {
			if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 64 {
				errs = append(errs, d.name+" must be a whole number from 1 to 64")
			} else {
				*d.dst = n
			}
		}
	}
	for _, d := range []struct {
		name string
		dst  *time.Duration
		min  time.Duration
	}{{"CASEDESK_OUTBOX_LEASE", &c.OutboxLease, 2 * time.Second}, {"CASEDESK_OUTBOX_WARN_AFTER", &c.OutboxWarnAfter, time.Second}} {
		if v := get(d.name, ""); v != "" {
			if x, err := time.ParseDuration(v); err != nil || x < d.min {
				errs = append(errs, fmt.Sprintf("%s must be a duration of at least %v, such as 1m", d.name, d.min))
			} else {
				*d.dst = x
			}
		}
	}
	c.TokenCacheTTL = DefaultTokenCacheTTL
	if v := get("CASEDESK_TOKEN_CACHE_TTL", ""); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < 0 || d > time.Hour {
			errs = append(errs, "CASEDESK_TOKEN_CACHE_TTL must be a duration from 0s to 1h, such as 60s")
		} else {
			c.TokenCacheTTL = d
		}
	}
	c.RateToken, c.RateCustomerLink, c.RateInbound = casedesk.DefaultTokenLimit, casedesk.DefaultCustomerLinkLimit, casedesk.DefaultInboundLimit
	for _, r := range []struct {
		name string
		dst  *casedesk.RateLimit
	}{{"CASEDESK_RATE_TOKEN", &c.RateToken}, {"CASEDESK_RATE_CUSTOMER_LINK", &c.RateCustomerLink}, {"CASEDESK_RATE_INBOUND", &c.RateInbound}} {
		if v := get(r.name, ""); v != "" {
			if l, err := casedesk.ParseRateLimit(v); err != nil {
				errs = append(errs, r.name+" must be a rate such as 20/s, 10/m or 0 (no limit)")
			} else {
				*r.dst = l
			}
		}
	}
	for _, p := range strings.Split(get("CASEDESK_TRUSTED_PROXIES", ""), ",") {
		if p = strings.TrimSpace(p); p != "" {
			c.TrustedProxies = append(c.TrustedProxies, p)
		}
	}
	c.MetricsAddr = get("CASEDESK_METRICS_ADDR", "127.0.0.1:9091")
	if c.MetricsAddr == "off" {
		c.MetricsAddr = ""
	}
	c.Pprof = flag("CASEDESK_PPROF")
	c.OTLPTraces = get("OTEL_EXPORTER_OTLP_ENDPOINT", "") != "" || get("OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "") != ""
	c.WebhookWorkers, c.WebhookRetry, c.WebhookRetryFor = 4, casedesk.DefaultWebhookRetry, casedesk.WebhookRetryFor
	if v := get("CASEDESK_WEBHOOK_WORKERS", ""); v != "" {
		if n, err := strconv.Atoi(v); err != nil || n < 1 || n > 64 {
			errs = append(errs, "CASEDESK_WEBHOOK_WORKERS must be a whole number from 1 to 64")
		} else {
			c.WebhookWorkers = n
		}
	}
	if v := get("CASEDESK_WEBHOOK_RETRY", ""); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < 100*time.Millisecond || d > time.Hour {
			errs = append(errs, "CASEDESK_WEBHOOK_RETRY must be a duration from 100ms to 1h, such as 30s")
		} else {
			c.WebhookRetry = d
		}
	}
	if v := get("CASEDESK_WEBHOOK_RETRY_FOR", ""); v != "" {
		if d, err := time.ParseDuration(v); err != nil || d < time.Second || d > 30*24*time.Hour {
			errs = append(errs, "CASEDESK_WEBHOOK_RETRY_FOR must be a duration from 1s to 720h, such as 72h")
		} else {
			c.WebhookRetryFor = d
		}
	}
	if c.AdminToken != "" && len(c.AdminToken) < 16 {
		errs = append(errs, "CASEDESK_ADMIN_TOKEN must be at least 16 characters")
	}
	if len(errs) > 0 {
		return c, fmt.Errorf("configuration: %s", strings.Join(errs, "; "))
	}
	return c, nil
}

// CheckProduction refuses, in production, the secrets that are missing or
// still the public development values, naming every such variable. It
// passes in development.
func (c Config) CheckProduction() error {
	if c.Env != EnvProduction {
		return nil
	}
	var errs []string
	for _, s := range []struct{ name, value, dev string }{
		{"CASEDESK_LINK_SECRET", c.LinkSecret, DevLinkSecret},
		{"CASEDESK_INBOUND_SECRET", c.InboundSecret, DevInboundSecret},
		{"CASEDESK_ADMIN_TOKEN", c.AdminToken, DevAdminToken},
	} {
		if s.value == "" || s.value == s.dev {
			errs = append(errs, s.name+" must be set to a secret of your own (it is missing or the public development value)")
		}
	}
	if len(errs) > 0 {
		return fmt.Errorf("configuration (CASEDESK_ENV=production): %s", strings.Join(errs, "; "))
	}
	return nil
}

// Load reads the configuration from the process environment.
func Load() (Config, error) { return FromEnv(os.Getenv) }

// Logger returns the process logger the configuration asks for.
func (c Config) Logger() *slog.Logger { return c.LoggerTo(os.Stderr) }

// LoggerTo is Logger writing to w.
func (c Config) LoggerTo(w io.Writer) *slog.Logger {
	// Card numbers never reach the logs, whatever a request carried.
	opts := &slog.HandlerOptions{Level: c.LogLevel, ReplaceAttr: casedesk.MaskLogAttr}
	// Records logged with a request's context carry its request and trace IDs.
	if c.LogFormat == "json" {
		return slog.New(tracing.LogHandler(slog.NewJSONHandler(w, opts)))
	}
	return slog.New(tracing.LogHandler(slog.NewTextHandler(w, opts)))
}

// fieldMessages joins the field messages of a validation error.
func fieldMessages(err error) string {
	var e *casedesk.Error
	if !errors.As(err, &e) {
		return ""
	}
	msgs := make([]string, len(e.Fields))
	for i, f := range e.Fields {
		msgs[i] = f.Message
	}
	return strings.Join(msgs, "; ")
}
