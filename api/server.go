// Package api is casedesk's HTTP API: Gin route groups per role, bearer-token
// authentication, JSON bodies and RFC 9457 problem documents for errors.
package api

import (
	"context"
	"log/slog"
	"net/http"
	"time"

	"github.com/gin-gonic/gin"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/links"
)

// Cases opens cases and sends them actions (the case workflows).
type Cases interface {
	Open(ctx context.Context, id string, req casedesk.OpenRequest, by casedesk.Actor) (casedesk.Case, error)
	// Act sends cmd; a non-empty updateID deduplicates retries of one action.
	Act(ctx context.Context, id string, cmd casedesk.Command, by casedesk.Actor, updateID string) (casedesk.Case, error)
}

// Pinger checks that the database answers, for /readyz.
type Pinger interface {
	Ping(ctx context.Context) error
}

// Server holds the API's dependencies. Each store is a small interface
// declared beside the handlers that use it; one database serves them all.
type Server struct {
	DB        Pinger
	Users     UserStore
	Customers CustomerStore
	CaseReads CaseStore
	Approvals ApprovalStore
	Feedback  FeedbackStore
	Macros    MacroStore
	// Alerts keeps how staff take staff alerts; AlertRouting is the desk's
	// staff alert configuration (its default modes and digest period).
	Alerts       AlertStore
	AlertRouting casedesk.AlertRouting
	// Idempotency keeps the first response of each Idempotency-Key.
	Idempotency IdempotencyStore
	// IsOutage says whether an error means a dependency is down (503, not
	// 500); TokenTTL is how long a token's user is remembered (0: not);
	// Limits are the request rates allowed.
	IsOutage func(error) bool
	TokenTTL time.Duration
	Limits   Limits
	// TrustedProxies may set X-Forwarded-For (nil: none, the connection's
	// address is the client's).
	TrustedProxies []string
	tokens         *tokenCache
	limits         struct{ token, link, linkAddr, inbound *limiter }
	Cases          Cases
	Logger         *slog.Logger
	// TemporalHealth checks that Temporal answers, for /readyz.
	TemporalHealth func(ctx context.Context) error
	// Now is the API's clock.
	Now func() time.Time
	// ActionTimeout bounds how long a request waits for a case workflow.
	ActionTimeout time.Duration

	// Links verifies signed reply addresses on ReplyDomain and customer
	// tokens; a closed case's reply address works for LinkTTL (zero:
	// links.DefaultTTL) after it closed.
	Links       links.Signer
	ReplyDomain string
	LinkTTL     time.Duration
	// InboundSecret is the path secret of the Inbound Parse webhook.
	InboundSecret string
	// InboundLog journals inbound mail (nil: not journaled, retries
	// deduplicated by the case workflow alone).
	InboundLog InboundLog
	// EventVerifier checks the Event Webhook; nil refuses every event post.
	EventVerifier *inbound.EventVerifier

	// Reports computes KPIs and exports cases; Categories is the list a
	// case may be filed under (nil accepts any).
	Reports    ReportStore
	Categories []string

	// Sessions keeps console sign-ins; SessionPolicy their lifetimes
	// (zero: 12 h idle, 7 days in all); SecureCookies marks the cookie
	// Secure (production, behind HTTPS).
	Sessions      SessionStore
	SessionPolicy casedesk.SessionPolicy
	SecureCookies bool
	signIns       *signInLimiter

	// Queues counts the console's queues; Changes feeds GET /v1/stream
	// (nil: 503); Console serves the web console at every path the API does
	// not own (nil: 404).
	Queues  QueueStore
	Changes ChangeFeed
	Console http.Handler
	// Presence carries who views and types in which case between replicas
	// (nil: 503 on the presence routes, none in the stream).
	Presence PresenceHub
	// Rules are the case rules in force, published read-only by
	// GET /v1/config/sla and /v1/config/approvals.
	Rules casedesk.Rules

	// Webhooks keeps outgoing webhook endpoints; Production allows only
	// https endpoint URLs naming no local or private address.
	Webhooks   WebhookStore
	Production bool
}

// Handler returns the HTTP handler with every route.
func (s *Server) Handler() http.Handler {
	if s.Now == nil {
		s.Now = time.Now
	}
	if s.ActionTimeout == 0 {
		s.ActionTimeout = 30 * time.Second
	}
	s.signIns = newSignInLimiter()
	gin.SetMode(gin.ReleaseMode)
	r := gin.New()
	r.HandleMethodNotAllowed = true
	// Client addresses are the connection's unless proxies are trusted.
	_ = r.SetTrustedProxies(s.TrustedProxies)
	s.tokens = newTokenCache(s.TokenTTL)
	s.limits.token, s.limits.inbound = newLimiter(s.Limits.PerToken), newLimiter(s.Limits.Inbound)
	s.limits.link, s.limits.linkAddr = newLimiter(s.Limits.CustomerLink), newLimiter(s.Limits.CustomerLink)
	r.Use(s.observe(), s.requestID(), s.outageOf(), recovery())
	r.NoRoute(s.notFound)
	r.NoMethod(func(c *gin.Context) {
		c.Header("Content-Type", "application/problem+json")
		c.AbortWithStatusJSON(http.StatusMethodNotAllowed, Problem{Type: "about:blank", Title: "Method Not Allowed",
			Status: http.StatusMethodNotAllowed, Detail: "this method is not allowed here", Instance: c.Request.URL.Path,
			Code: "method_not_allowed", RequestID: c.GetString(ctxRequestID)})
	})

	r.GET("/healthz", func(c *gin.Context) { c.JSON(http.StatusOK, gin.H{"status": "ok"}) })
	r.GET("/readyz", s.readyz)
	r.GET("/metrics", serveMetrics)
	r.GET("/openapi.json", serveOpenAPI)

	// The customer's page of a case; the signed token is the capability.
	r.GET("/c/:token", s.customerPage)
	r.POST("/c/:token/reply", s.customerReply)
	r.POST("/c/:token/csat", s.customerCSAT)

	// SendGrid's webhooks authenticate by signature and by path secret.
	r.POST("/v1/webhooks/sendgrid/events", s.sendGridEvents)
	r.POST("/v1/webhooks/sendgrid/inbound/:secret", s.sendGridInbound)

	// Signing in is the one /v1 route without a token or a session.
	r.POST("/v1/session", s.signIn)

	v1 := r.Group("/v1", s.authenticate(), s.idempotent())
	staff := v1.Group("", require(casedesk.StaffRoles...))
	admin := v1.Group("", require(casedesk.AdminRoles...))
	supervisors := v1.Group("", require(casedesk.ApproverRoles...))
	// Integration users (the billing system) reach only these two groups.
	records := v1.Group("", require(casedesk.CustomerRecordRoles...))
	billing := v1.Group("", require(casedesk.BillingFeedRoles...))

	admin.POST("/users", s.createUser)
	records.GET("/me", s.me)
	v1.GET("/session", s.getSession)
	v1.DELETE("/session", s.signOut)
	staff.GET("/users", s.listUsers)
	alerted := v1.Group("", require(casedesk.AlertModeRoles...))
	alerted.GET("/users/me/alerts", s.myAlerts)
	alerted.PUT("/users/me/alerts", s.setMyAlerts)
	staff.PUT("/users/:id/password", s.setPassword)
	admin.POST("/users/:id/deactivate", s.deactivateUser)
	admin.POST("/webhooks/endpoints", s.createWebhookEndpoint)
	admin.GET("/webhooks/endpoints", s.listWebhookEndpoints)
	admin.GET("/webhooks/endpoints/:id", s.getWebhookEndpoint)
	admin.DELETE("/webhooks/endpoints/:id", s.deleteWebhookEndpoint)
	admin.POST("/webhooks/endpoints/:id/rotate-secret", s.rotateWebhookSecret)
	admin.POST("/webhooks/endpoints/:id/enable", s.enableWebhookEndpoint)
	admin.GET("/webhooks/endpoints/:id/deliveries", s.listWebhookDeliveries)
	admin.POST("/webhooks/deliveries/:id/redeliver", s.redeliverWebhook)
	staff.GET("/queues", s.listQueues)
	staff.GET("/stream", s.stream)
	staff.GET("/cases/:id/actions", s.caseActions)
	staff.POST("/cases/:id/presence", s.presenceBeat(false))
	staff.DELETE("/cases/:id/presence", s.presenceBeat(true))
	supervisors.GET("/config/sla", s.slaConfig)
	supervisors.GET("/config/approvals", s.approvalsConfig)

	records.POST("/customers", s.createCustomer)
	records.GET("/customers/:id", s.getCustomer)
	records.GET("/customers", s.searchCustomers)
	records.PATCH("/customers/:id", s.updateCustomer)
	records.GET("/customers/:id/history", s.customerHistory)
	supervisors.POST("/customers/:id/merge", s.mergeCustomer)
	billing.POST("/customers/:id/payments", s.createPayment)
	records.GET("/customers/:id/payments", s.listPayments)
	billing.POST("/customers/:id/invoices", s.createInvoice)
	records.GET("/customers/:id/invoices", s.listInvoices)

	staff.POST("/cases", s.openCase)
	staff.GET("/cases", s.listCases)
	staff.GET("/cases/:id", s.getCase)
	staff.GET("/cases/:id/events", s.caseEvents)
	staff.GET("/cases/:id/messages", s.caseMessages)
	staff.POST("/cases/:id/unverified-replies/:seq/accept", s.unverifiedReply(true))
	staff.POST("/cases/:id/unverified-replies/:seq/discard", s.unverifiedReply(false))
	staff.POST("/cases/:id/assign", s.assign)
	staff.POST("/cases/:id/reply", action[casedesk.Reply](s, false))
	staff.POST("/cases/:id/notes", action[casedesk.AddNote](s, false))
	staff.POST("/cases/:id/request-info", action[casedesk.RequestInfo](s, false))
	staff.POST("/cases/:id/customer-reply", action[casedesk.CustomerReply](s, false))
	staff.POST("/cases/:id/resolve", action[casedesk.Resolve](s, false))
	staff.POST("/cases/:id/reopen", action[casedesk.Reopen](s, false))
	staff.POST("/cases/:id/close", action[casedesk.Close](s, true))
	staff.POST("/cases/:id/priority", action[casedesk.SetPriority](s, false))
	staff.POST("/cases/:id/evidence", action[casedesk.AddEvidence](s, false))
	staff.POST("/cases/:id/respond", action[casedesk.Respond](s, true))
	staff.POST("/cases/:id/accept-loss", action[casedesk.AcceptLoss](s, false))
	staff.POST("/cases/:id/network-outcome", action[casedesk.NetworkOutcome](s, false))
	staff.POST("/cases/:id/escalate", action[casedesk.Escalate](s, false))
	staff.POST("/cases/:id/verify-identity", action[casedesk.VerifyIdentity](s, false))
	staff.POST("/cases/:id/refunds", action[casedesk.ProposeRefund](s, false))
	staff.POST("/cases/:id/adjustments", action[casedesk.ProposeCredit](s, false))
	records.GET("/payments/:id", s.getPayment)
	records.GET("/invoices/:id", s.getInvoice)

	staff.POST("/cases/:id/category", s.setCategory)
	staff.GET("/reports/kpis", s.reportKPIs)
	supervisors.GET("/reports/macros", s.macroReport)
	staff.GET("/macros", s.listMacros)
	staff.POST("/macros", s.createMacro)
	staff.PATCH("/macros/:id", s.updateMacro)
	staff.DELETE("/macros/:id", s.deleteMacro)
	staff.POST("/cases/:id/macros/:macro_id/preview", s.previewMacro)
	staff.POST("/cases/:id/macros/:macro_id/apply", s.applyMacro)
	staff.GET("/reports/cases.csv", s.exportCases)

	supervisors.GET("/approvals", s.listApprovals)
	supervisors.POST("/approvals/:id/approve", s.approve)
	supervisors.POST("/approvals/:id/reject", s.reject)
	return r
}

func (s *Server) readyz(c *gin.Context) {
	ctx, cancel := context.WithTimeout(c.Request.Context(), 3*time.Second)
	defer cancel()
	checks := gin.H{"postgres": "ok", "temporal": "ok"}
	ready := true
	if err := s.DB.Ping(ctx); err != nil {
		checks["postgres"], ready = "unreachable", false
		logger(c).Warn("readiness: postgres", "error", err)
	}
	if s.TemporalHealth != nil {
		if err := s.TemporalHealth(ctx); err != nil {
			checks["temporal"], ready = "unreachable", false
			logger(c).Warn("readiness: temporal", "error", err)
		}
	}
	status := http.StatusOK
	if !ready {
		status = http.StatusServiceUnavailable
	}
	c.JSON(status, gin.H{"ready": ready, "checks": checks})
}
