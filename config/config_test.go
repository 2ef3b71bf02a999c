package config_test

import (
	"log/slog"
	"reflect"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/config"
)

// variables are every environment variable the configuration reads.
var variables = []string{
	"CASEDESK_HTTP_ADDR", "DATABASE_URL", "TEMPORAL_ADDRESS", "TEMPORAL_NAMESPACE", "TEMPORAL_API_KEY",
	"TEMPORAL_TLS", "CASEDESK_ADMIN_TOKEN", "SENDGRID_API_KEY", "SENDGRID_BASE_URL", "CASEDESK_REOPEN_WINDOW",
	"CASEDESK_SLA_CONFIG", "CASEDESK_APPROVALS_CONFIG", "CASEDESK_PUBLIC_URL", "CASEDESK_MAIL_FROM",
	"CASEDESK_MAIL_FROM_NAME", "CASEDESK_REPLY_DOMAIN", "CASEDESK_LINK_SECRET", "CASEDESK_LINK_TTL",
	"CASEDESK_INBOUND_SECRET", "SENDGRID_WEBHOOK_PUBLIC_KEY", "CASEDESK_WAITING_REMINDER",
	"CASEDESK_WAITING_TIMEOUT", "CASEDESK_DEMO_TOKENS_FILE", "CASEDESK_LOG_LEVEL", "CASEDESK_LOG_FORMAT",
	"CASEDESK_ENV", "CASEDESK_CATEGORIES", "CASEDESK_METRICS_ADDR", "OTEL_EXPORTER_OTLP_ENDPOINT",
	"OTEL_EXPORTER_OTLP_TRACES_ENDPOINT", "CASEDESK_TOKEN_CACHE_TTL", "CASEDESK_RATE_TOKEN",
	"CASEDESK_RATE_CUSTOMER_LINK", "CASEDESK_RATE_INBOUND", "CASEDESK_TRUSTED_PROXIES",
	"CASEDESK_SESSION_IDLE", "CASEDESK_SESSION_MAX", "CASEDESK_ALERTS_CONFIG", "CASEDESK_OUTBOX_CUSTOMER_WORKERS",
	"CASEDESK_OUTBOX_STAFF_WORKERS", "CASEDESK_OUTBOX_LEASE", "CASEDESK_OUTBOX_WARN_AFTER",
	"CASEDESK_WEBHOOK_WORKERS", "CASEDESK_WEBHOOK_RETRY", "CASEDESK_WEBHOOK_RETRY_FOR",
}

// setEnv empties every variable of the configuration (an empty variable
// counts as unset), then sets env, for the rest of the test.
func setEnv(t *testing.T, env map[string]string) {
	t.Helper()
	for _, name := range variables {
		t.Setenv(name, "")
	}
	for name, value := range env {
		t.Setenv(name, value)
	}
}

// defaults is the configuration of an empty environment.
func defaults() config.Config {
	return config.Config{
		Env:               config.EnvDevelopment,
		HTTPAddr:          config.DefaultHTTPAddr,
		DatabaseURL:       config.DefaultDatabaseURL,
		TemporalAddress:   config.DefaultTemporalAddress,
		TemporalNamespace: config.DefaultTemporalNamespace,
		SendGridBaseURL:   config.DefaultSendGridBaseURL,
		ReopenWindow:      config.DefaultReopenWindow,
		PublicURL:         "http://127.0.0.1:8080",
		MailFrom:          "support@casedesk.example",
		MailFromName:      "casedesk support",
		ReplyDomain:       "reply.casedesk.example",
		LinkSecret:        config.DevLinkSecret,
		LinkTTL:           config.DefaultLinkTTL,
		InboundSecret:     config.DevInboundSecret,
		DemoTokensFile:    ".data/demo-tokens.txt",
		LogLevel:          slog.LevelInfo,
		LogFormat:         "text",
		Categories:        casedesk.DefaultCategories,
		MetricsAddr:       "127.0.0.1:9091",
		TokenCacheTTL:     config.DefaultTokenCacheTTL,
		RateToken:         casedesk.DefaultTokenLimit,
		RateCustomerLink:  casedesk.DefaultCustomerLinkLimit,
		RateInbound:       casedesk.DefaultInboundLimit,
		SessionIdle:       config.DefaultSessionIdle,
		SessionMax:        config.DefaultSessionMax,
		CustomerWorkers:   4,
		StaffWorkers:      2,
		OutboxLease:       time.Minute,
		OutboxWarnAfter:   5 * time.Minute,
		WebhookWorkers:    4,
		WebhookRetry:      30 * time.Second,
		WebhookRetryFor:   72 * time.Hour,
	}
}

func TestAnEmptyEnvironmentGivesTheDefaults(t *testing.T) {
	setEnv(t, nil)
	c, err := config.Load()
	if err != nil {
		t.Fatalf("Load: %v", err)
	}
	if want := defaults(); !reflect.DeepEqual(c, want) {
		t.Errorf("config\n got %+v\nwant %+v", c, want)
	}
	if c.TemporalTLS || c.WaitingReminder != 0 || c.WaitingTimeout != 0 {
		t.Errorf("TLS %v, waiting reminder %s, timeout %s: want off and the business-day defaults (0)",
			c.TemporalTLS, c.WaitingReminder, c.WaitingTimeout)
	}
}

func TestEachVariableIsRead(t *testing.T) {
	const secret = "a-link-secret-of-more-than-32-characters"
	tests := []struct {
		env  map[string]string
		want func(*config.Config)
	}{
		{map[string]string{"CASEDESK_HTTP_ADDR": "0.0.0.0:9090"}, func(c *config.Config) { c.HTTPAddr = "0.0.0.0:9090" }},
		{map[string]string{"DATABASE_URL": "postgres://u:p@db:5432/cd"}, func(c *config.Config) { c.DatabaseURL = "postgres://u:p@db:5432/cd" }},
		{map[string]string{"TEMPORAL_ADDRESS": "temporal:7233"}, func(c *config.Config) { c.TemporalAddress = "temporal:7233" }},
		{map[string]string{"TEMPORAL_NAMESPACE": "billing"}, func(c *config.Config) { c.TemporalNamespace = "billing" }},
		{map[string]string{"TEMPORAL_TLS": "true"}, func(c *config.Config) { c.TemporalTLS = true }},
		{map[string]string{"TEMPORAL_TLS": "0"}, func(c *config.Config) {}},
		{map[string]string{"TEMPORAL_API_KEY": "tcld-key"}, func(c *config.Config) { c.TemporalAPIKey, c.TemporalTLS = "tcld-key", true }},
		{map[string]string{"TEMPORAL_API_KEY": "tcld-key", "TEMPORAL_TLS": "false"}, func(c *config.Config) {
			c.TemporalAPIKey, c.TemporalTLS = "tcld-key", true // an API key implies TLS
		}},
		{map[string]string{"CASEDESK_ADMIN_TOKEN": "cdk_0123456789abcdef"}, func(c *config.Config) { c.AdminToken = "cdk_0123456789abcdef" }},
		{map[string]string{"CASEDESK_ENV": "production"}, func(c *config.Config) { c.Env = config.EnvProduction }},
		{map[string]string{"SENDGRID_API_KEY": "SG.key"}, func(c *config.Config) { c.SendGridAPIKey = "SG.key" }},
		{map[string]string{"SENDGRID_BASE_URL": "http://127.0.0.1:8025"}, func(c *config.Config) { c.SendGridBaseURL = "http://127.0.0.1:8025" }},
		{map[string]string{"CASEDESK_REOPEN_WINDOW": "36h"}, func(c *config.Config) { c.ReopenWindow = 36 * time.Hour }},
		{map[string]string{"CASEDESK_SLA_CONFIG": "/etc/casedesk/sla.json"}, func(c *config.Config) { c.SLAConfigFile = "/etc/casedesk/sla.json" }},
		{map[string]string{"CASEDESK_APPROVALS_CONFIG": "approvals.json"}, func(c *config.Config) { c.ApprovalsFile = "approvals.json" }},
		{map[string]string{"CASEDESK_PUBLIC_URL": "https://help.example.com/"}, func(c *config.Config) { c.PublicURL = "https://help.example.com" }},
		{map[string]string{"CASEDESK_MAIL_FROM": "billing@example.com"}, func(c *config.Config) { c.MailFrom = "billing@example.com" }},
		{map[string]string{"CASEDESK_MAIL_FROM_NAME": "Billing"}, func(c *config.Config) { c.MailFromName = "Billing" }},
		{map[string]string{"CASEDESK_REPLY_DOMAIN": "reply.example.com"}, func(c *config.Config) { c.ReplyDomain = "reply.example.com" }},
		{map[string]string{"CASEDESK_LINK_SECRET": secret}, func(c *config.Config) { c.LinkSecret = secret }},
		{map[string]string{"CASEDESK_LINK_TTL": "48h"}, func(c *config.Config) { c.LinkTTL = 48 * time.Hour }},
		{map[string]string{"CASEDESK_INBOUND_SECRET": "inbound-0123456"}, func(c *config.Config) { c.InboundSecret = "inbound-0123456" }},
		{map[string]string{"SENDGRID_WEBHOOK_PUBLIC_KEY": "MFkwEw=="}, func(c *config.Config) { c.WebhookPublicKey = "MFkwEw==" }},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "24h"}, func(c *config.Config) { c.WaitingReminder = 24 * time.Hour }},
		{map[string]string{"CASEDESK_WAITING_TIMEOUT": "90m"}, func(c *config.Config) { c.WaitingTimeout = 90 * time.Minute }},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "1h", "CASEDESK_WAITING_TIMEOUT": "2h"}, func(c *config.Config) {
			c.WaitingReminder, c.WaitingTimeout = time.Hour, 2*time.Hour
		}},
		{map[string]string{"CASEDESK_DEMO_TOKENS_FILE": "/tmp/tokens"}, func(c *config.Config) { c.DemoTokensFile = "/tmp/tokens" }},
		{map[string]string{"CASEDESK_LOG_LEVEL": "debug"}, func(c *config.Config) { c.LogLevel = slog.LevelDebug }},
		{map[string]string{"CASEDESK_LOG_LEVEL": "WARN"}, func(c *config.Config) { c.LogLevel = slog.LevelWarn }},
		{map[string]string{"CASEDESK_LOG_LEVEL": "error"}, func(c *config.Config) { c.LogLevel = slog.LevelError }},
		{map[string]string{"CASEDESK_LOG_FORMAT": "json"}, func(c *config.Config) { c.LogFormat = "json" }},
		{map[string]string{"CASEDESK_CATEGORIES": "billing_question, other"}, func(c *config.Config) { c.Categories = []string{"billing_question", "other"} }},
		{map[string]string{"CASEDESK_METRICS_ADDR": "off"}, func(c *config.Config) { c.MetricsAddr = "" }},
		{map[string]string{"CASEDESK_PPROF": "true"}, func(c *config.Config) { c.Pprof = true }},
		{map[string]string{"OTEL_EXPORTER_OTLP_ENDPOINT": "http://127.0.0.1:4318"}, func(c *config.Config) { c.OTLPTraces = true }},
		{map[string]string{"CASEDESK_TOKEN_CACHE_TTL": "0s"}, func(c *config.Config) { c.TokenCacheTTL = 0 }},
		{map[string]string{"CASEDESK_RATE_TOKEN": "5/s"}, func(c *config.Config) { c.RateToken = casedesk.RateLimit{Rate: 5, Burst: 25} }},
		{map[string]string{"CASEDESK_RATE_CUSTOMER_LINK": "0"}, func(c *config.Config) { c.RateCustomerLink = casedesk.RateLimit{} }},
		{map[string]string{"CASEDESK_RATE_INBOUND": "60/m"}, func(c *config.Config) { c.RateInbound = casedesk.RateLimit{Rate: 1, Burst: 60} }},
		{map[string]string{"CASEDESK_TRUSTED_PROXIES": "10.0.0.1, 10.0.0.2"}, func(c *config.Config) { c.TrustedProxies = []string{"10.0.0.1", "10.0.0.2"} }},
		{map[string]string{"CASEDESK_SESSION_IDLE": "1h", "CASEDESK_SESSION_MAX": "24h"}, func(c *config.Config) { c.SessionIdle, c.SessionMax = time.Hour, 24*time.Hour }},
		{map[string]string{"CASEDESK_ALERTS_CONFIG": "alerts.json"}, func(c *config.Config) { c.AlertsFile = "alerts.json" }},
		{map[string]string{"CASEDESK_OUTBOX_CUSTOMER_WORKERS": "8", "CASEDESK_OUTBOX_STAFF_WORKERS": "3"}, func(c *config.Config) { c.CustomerWorkers, c.StaffWorkers = 8, 3 }},
		{map[string]string{"CASEDESK_OUTBOX_LEASE": "30s", "CASEDESK_OUTBOX_WARN_AFTER": "2m"}, func(c *config.Config) { c.OutboxLease, c.OutboxWarnAfter = 30*time.Second, 2*time.Minute }},
		{map[string]string{"CASEDESK_WEBHOOK_WORKERS": "8", "CASEDESK_WEBHOOK_RETRY": "250ms"}, func(c *config.Config) { c.WebhookWorkers, c.WebhookRetry = 8, 250*time.Millisecond }},
		{map[string]string{"CASEDESK_WEBHOOK_RETRY_FOR": "2s"}, func(c *config.Config) { c.WebhookRetryFor = 2 * time.Second }},
		// Surrounding space is ignored, and a blank variable is unset.
		{map[string]string{"TEMPORAL_NAMESPACE": "  billing\n", "CASEDESK_HTTP_ADDR": "   "}, func(c *config.Config) { c.TemporalNamespace = "billing" }},
	}
	covered := map[string]bool{}
	for _, tt := range tests {
		want := defaults()
		tt.want(&want)
		got, def := reflect.ValueOf(want), reflect.ValueOf(defaults())
		for i := range got.NumField() {
			if !reflect.DeepEqual(got.Field(i).Interface(), def.Field(i).Interface()) {
				covered[got.Type().Field(i).Name] = true
			}
		}
		t.Run(names(tt.env)+"="+values(tt.env), func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := config.Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			if !reflect.DeepEqual(c, want) {
				t.Errorf("config\n got %+v\nwant %+v", c, want)
			}
		})
	}
	for _, f := range reflect.VisibleFields(reflect.TypeFor[config.Config]()) {
		if !covered[f.Name] {
			t.Errorf("no case sets Config.%s from its variable", f.Name)
		}
	}
}

func TestBadValuesAreRefusedNamingTheVariable(t *testing.T) {
	tests := []struct {
		env  map[string]string
		want []string // variables the error must name
	}{
		{map[string]string{"TEMPORAL_TLS": "maybe"}, []string{"TEMPORAL_TLS"}},
		{map[string]string{"CASEDESK_PPROF": "sometimes"}, []string{"CASEDESK_PPROF"}},
		{map[string]string{"CASEDESK_LINK_TTL": "a month"}, []string{"CASEDESK_LINK_TTL"}},
		{map[string]string{"CASEDESK_LINK_TTL": "-1h"}, []string{"CASEDESK_LINK_TTL"}},
		{map[string]string{"CASEDESK_LINK_TTL": "0s"}, []string{"CASEDESK_LINK_TTL"}},
		{map[string]string{"CASEDESK_LINK_SECRET": "too-short"}, []string{"CASEDESK_LINK_SECRET"}},
		{map[string]string{"CASEDESK_INBOUND_SECRET": "short"}, []string{"CASEDESK_INBOUND_SECRET"}},
		{map[string]string{"CASEDESK_REOPEN_WINDOW": "7d"}, []string{"CASEDESK_REOPEN_WINDOW"}},
		{map[string]string{"CASEDESK_REOPEN_WINDOW": "-168h"}, []string{"CASEDESK_REOPEN_WINDOW"}},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "3 days"}, []string{"CASEDESK_WAITING_REMINDER"}},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "0s"}, []string{"CASEDESK_WAITING_REMINDER"}},
		{map[string]string{"CASEDESK_WAITING_TIMEOUT": "forever"}, []string{"CASEDESK_WAITING_TIMEOUT"}},
		{map[string]string{"CASEDESK_WAITING_TIMEOUT": "-1m"}, []string{"CASEDESK_WAITING_TIMEOUT"}},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "48h", "CASEDESK_WAITING_TIMEOUT": "24h"},
			[]string{"CASEDESK_WAITING_REMINDER", "CASEDESK_WAITING_TIMEOUT"}},
		{map[string]string{"CASEDESK_WAITING_REMINDER": "24h", "CASEDESK_WAITING_TIMEOUT": "24h"},
			[]string{"CASEDESK_WAITING_REMINDER", "CASEDESK_WAITING_TIMEOUT"}},
		{map[string]string{"CASEDESK_LOG_LEVEL": "loud"}, []string{"CASEDESK_LOG_LEVEL"}},
		{map[string]string{"CASEDESK_WEBHOOK_WORKERS": "0", "CASEDESK_WEBHOOK_RETRY": "1ms"}, []string{"CASEDESK_WEBHOOK_WORKERS", "CASEDESK_WEBHOOK_RETRY"}},
		{map[string]string{"CASEDESK_WEBHOOK_RETRY_FOR": "10ms"}, []string{"CASEDESK_WEBHOOK_RETRY_FOR"}},
		{map[string]string{"CASEDESK_LOG_FORMAT": "xml"}, []string{"CASEDESK_LOG_FORMAT"}},
		{map[string]string{"CASEDESK_ADMIN_TOKEN": "short-token"}, []string{"CASEDESK_ADMIN_TOKEN"}},
		{map[string]string{"CASEDESK_ENV": "staging"}, []string{"CASEDESK_ENV"}},
		{map[string]string{"CASEDESK_ENV": "Production"}, []string{"CASEDESK_ENV"}},
		// Every problem is named at once, not only the first.
		{map[string]string{"TEMPORAL_TLS": "yes please", "CASEDESK_LOG_FORMAT": "xml", "CASEDESK_LINK_TTL": "soon"},
			[]string{"TEMPORAL_TLS", "CASEDESK_LOG_FORMAT", "CASEDESK_LINK_TTL"}},
	}
	for _, tt := range tests {
		t.Run(names(tt.env)+"="+values(tt.env), func(t *testing.T) {
			setEnv(t, tt.env)
			_, err := config.Load()
			if err == nil {
				t.Fatal("Load accepted the environment")
			}
			for _, name := range tt.want {
				if !strings.Contains(err.Error(), name) {
					t.Errorf("error %q does not name %s", err, name)
				}
			}
			for _, name := range variables {
				if _, set := tt.env[name]; !set && strings.Contains(err.Error(), name+" ") && !slices.Contains(tt.want, name) {
					t.Errorf("error %q names %s, which was not set", err, name)
				}
			}
		})
	}
}

func TestTheLoggerFollowsTheFormat(t *testing.T) {
	for _, tt := range []struct {
		format string
		want   string // how a line starts
	}{{"text", "time="}, {"json", `{"time":`}} {
		setEnv(t, map[string]string{"CASEDESK_LOG_FORMAT": tt.format, "CASEDESK_LOG_LEVEL": "warn"})
		c, err := config.Load()
		if err != nil {
			t.Fatal(err)
		}
		var buf strings.Builder
		log := c.LoggerTo(&buf)
		log.Info("not shown at warn")
		log.Warn("shown", "card", "4111 1111 1111 1111")
		out := buf.String()
		if !strings.HasPrefix(out, tt.want) || strings.Count(out, "\n") != 1 || strings.Contains(out, "not shown") {
			t.Errorf("format %s: level warn wrote %q", tt.format, out)
		}
		if strings.Contains(out, "4111 1111 1111 1111") || !strings.Contains(out, "**** **** **** 1111") {
			t.Errorf("format %s: the card number is not masked: %q", tt.format, out)
		}
	}
}

// names lists the variables of env, sorted, for subtest names.
func names(env map[string]string) string {
	var out []string
	for _, name := range variables {
		if _, ok := env[name]; ok {
			out = append(out, name)
		}
	}
	return strings.Join(out, "+")
}

// values lists the values of env in the order of names.
func values(env map[string]string) string {
	var out []string
	for _, name := range variables {
		if v, ok := env[name]; ok {
			out = append(out, v)
		}
	}
	return strings.Join(out, "+")
}

// Production refuses the public development secrets and missing ones,
// naming every offending variable at once.
func TestProductionRefusesDevelopmentSecrets(t *testing.T) {
	const (
		link    = "a-production-link-secret-of-32-bytes-or-more"
		inbound = "production-inbound-secret"
		admin   = "cdk_production_admin_token"
	)
	all := []string{"CASEDESK_LINK_SECRET", "CASEDESK_INBOUND_SECRET", "CASEDESK_ADMIN_TOKEN"}
	tests := []struct {
		name string
		env  map[string]string
		want []string // variables the error names; none: the check passes
	}{
		{"development with the defaults", nil, nil},
		{"development with the development values",
			map[string]string{"CASEDESK_ENV": "development", "CASEDESK_ADMIN_TOKEN": config.DevAdminToken}, nil},
		{"production with nothing set", map[string]string{"CASEDESK_ENV": "production"}, all},
		{"production with the development values", map[string]string{"CASEDESK_ENV": "production",
			"CASEDESK_LINK_SECRET": config.DevLinkSecret, "CASEDESK_INBOUND_SECRET": config.DevInboundSecret,
			"CASEDESK_ADMIN_TOKEN": config.DevAdminToken}, all},
		{"production missing only the admin token", map[string]string{"CASEDESK_ENV": "production",
			"CASEDESK_LINK_SECRET": link, "CASEDESK_INBOUND_SECRET": inbound}, []string{"CASEDESK_ADMIN_TOKEN"}},
		{"production with the development link secret", map[string]string{"CASEDESK_ENV": "production",
			"CASEDESK_LINK_SECRET": config.DevLinkSecret, "CASEDESK_INBOUND_SECRET": inbound, "CASEDESK_ADMIN_TOKEN": admin},
			[]string{"CASEDESK_LINK_SECRET"}},
		{"production with the development inbound secret", map[string]string{"CASEDESK_ENV": "production",
			"CASEDESK_LINK_SECRET": link, "CASEDESK_INBOUND_SECRET": config.DevInboundSecret, "CASEDESK_ADMIN_TOKEN": admin},
			[]string{"CASEDESK_INBOUND_SECRET"}},
		{"production with secrets of its own", map[string]string{"CASEDESK_ENV": "production",
			"CASEDESK_LINK_SECRET": link, "CASEDESK_INBOUND_SECRET": inbound, "CASEDESK_ADMIN_TOKEN": admin}, nil},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			setEnv(t, tt.env)
			c, err := config.Load()
			if err != nil {
				t.Fatalf("Load: %v", err)
			}
			err = c.CheckProduction()
			if len(tt.want) == 0 {
				if err != nil {
					t.Fatalf("CheckProduction: %v", err)
				}
				return
			}
			if err == nil {
				t.Fatal("CheckProduction accepted the environment")
			}
			for _, name := range all {
				if named := strings.Contains(err.Error(), name); named != slices.Contains(tt.want, name) {
					t.Errorf("error %q: names %s is %v, want %v", err, name, named, !named)
				}
			}
		})
	}
}
