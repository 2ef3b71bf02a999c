// Package e2e_test drives casedesk over HTTP against the real services that
// `make test` starts: the Temporal dev server and PostgreSQL.
package e2e_test

import (
	"bytes"
	"context"
	"crypto/rand"
	"encoding/hex"
	"encoding/json"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"go.temporal.io/sdk/client"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/api"
	"github.com/casedesk/casedesk/config"
	"github.com/casedesk/casedesk/inbound"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/temporalclient"
	"github.com/casedesk/casedesk/web"
	"github.com/casedesk/casedesk/worker"
)

// system is one casedesk (API and worker) on a fresh database and its own
// task queue of the shared test Temporal server.
type system struct {
	t        testing.TB
	url      string
	handler  http.Handler // the API's router, for tests that walk its routes
	server   *api.Server  // its configuration, for tests that start another replica
	db       *postgres.DB
	temporal client.Client
	tokens   map[casedesk.Role]string
	users    map[casedesk.Role]casedesk.User
	customer casedesk.Customer
}

func randomHex(n int) string {
	b := make([]byte, n)
	_, _ = rand.Read(b)
	return hex.EncodeToString(b)
}

// Links and reply addresses of the test systems.
var (
	testSigner      = links.Signer{Secret: []byte("e2e-link-secret-of-at-least-32-bytes")}
	testReplyDomain = "reply.casedesk.test"
)

// systemOptions vary a test system.
type systemOptions struct {
	mailer   activities.Mailer      // nil: email is captured
	verifier *inbound.EventVerifier // nil: the event webhook refuses everything
	limits   api.Limits             // zero: no rate limits
	db       *postgres.DB           // nil: a fresh database of the test cluster
	// actionTimeout bounds how long a request waits for a case (0: the API's default).
	actionTimeout time.Duration
	// webhookRetryFor is how long webhooks are retried and an endpoint may
	// fail before it is disabled (0: three days).
	webhookRetryFor time.Duration
}

// testInboundSecret is the path secret of the test systems' Inbound Parse webhook.
const testInboundSecret = "e2e-inbound-secret"

func startSystem(t testing.TB, rules casedesk.Rules) *system {
	t.Helper()
	return startSystemWith(t, rules, systemOptions{})
}

func startSystemWith(t testing.TB, rules casedesk.Rules, opts systemOptions) *system {
	t.Helper()
	ctx := context.Background()
	db := opts.db
	if db == nil {
		db = testenv.DB(t)
	}
	logger := slog.New(slog.NewTextHandler(io.Discard, nil))
	if testing.Verbose() {
		logger = slog.New(slog.NewTextHandler(io.Writer(testWriter{t}), &slog.HandlerOptions{Level: slog.LevelWarn}))
	}
	tc, err := temporalclient.Dial(ctx, config.Config{
		TemporalAddress: testenv.TemporalAddress(t), TemporalNamespace: testenv.TemporalNamespace(),
	}, logger)
	if err != nil {
		t.Fatal(err)
	}
	t.Cleanup(tc.Close)
	queue := "casedesk-test-" + randomHex(4)
	w := worker.New(tc, queue, &activities.Activities{Store: db, Ledger: db, Outbox: db, Mailer: opts.mailer,
		Mail: activities.MailSettings{From: mail.Address{Email: "support@casedesk.test", Name: "casedesk support"},
			ReplyDomain: testReplyDomain, PublicURL: "http://casedesk.test", Links: testSigner}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	if opts.mailer != nil {
		startDispatcher(t, db, opts.mailer, logger)
	}
	startWebhookDispatcher(t, db, logger, opts.webhookRetryFor, opts.mailer == nil) // outgoing_webhooks_test.go
	changes := db.NewChanges(logger)
	changesCtx, stopChanges := context.WithCancel(context.Background())
	t.Cleanup(stopChanges)
	go changes.Run(changesCtx)
	presence := db.NewPresence(logger)
	go presence.Run(changesCtx)
	srv := &api.Server{
		Sessions: db, Queues: db, Changes: changes, Presence: presence, Rules: rules, Console: web.Handler(),
		Links: testSigner, ReplyDomain: testReplyDomain, InboundSecret: testInboundSecret, EventVerifier: opts.verifier,
		DB: db, Users: db, InboundLog: db, Customers: db, Macros: db, Alerts: db, CaseReads: db, Approvals: db, Feedback: db, Idempotency: db,
		Reports: db, Categories: rules.Categories, Webhooks: db,
		IsOutage: postgres.IsOutage, TokenTTL: time.Minute, Limits: opts.limits, ActionTimeout: opts.actionTimeout,
		Cases:  &temporalclient.Cases{Client: tc, Rules: rules, TaskQueue: queue, Projector: db},
		Logger: logger,
		TemporalHealth: func(ctx context.Context) error {
			_, err := tc.CheckHealth(ctx, &client.CheckHealthRequest{})
			return err
		},
	}
	handler := srv.Handler()
	hs := httptest.NewServer(handler)
	t.Cleanup(hs.Close)

	s := &system{t: t, url: hs.URL, db: db, temporal: tc, handler: handler, server: srv,
		tokens: map[casedesk.Role]string{}, users: map[casedesk.Role]casedesk.User{}}
	for _, role := range casedesk.Roles {
		token := casedesk.NewToken()
		u, err := db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: "Test " + string(role),
			Email: string(role) + "-" + randomHex(3) + "@casedesk.test", Role: role}, casedesk.HashToken(token))
		if err != nil {
			t.Fatal(err)
		}
		s.tokens[role], s.users[role] = token, u
	}
	s.customer, err = db.CreateCustomer(ctx, casedesk.Customer{ID: casedesk.NewID(casedesk.PrefixCustomer, 8),
		Name: "Jordan Rivera", Email: "jordan-" + randomHex(3) + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	return s
}

type testWriter struct{ t testing.TB }

func (w testWriter) Write(p []byte) (int, error) {
	w.t.Log(strings.TrimSpace(string(p)))
	return len(p), nil
}

// response is a decoded HTTP response.
type response struct {
	status int
	header http.Header
	body   map[string]any
	raw    []byte
}

// call sends method path with body (a string is sent as is, anything else as
// JSON) as role ("" for no token).
func (s *system) call(method, path, token string, body any, headers ...string) response {
	s.t.Helper()
	var rd io.Reader
	switch b := body.(type) {
	case nil:
	case string:
		rd = strings.NewReader(b)
	default:
		buf, err := json.Marshal(b)
		if err != nil {
			s.t.Fatal(err)
		}
		rd = bytes.NewReader(buf)
	}
	req, err := http.NewRequest(method, s.url+path, rd)
	if err != nil {
		s.t.Fatal(err)
	}
	req.Header.Set("Content-Type", "application/json")
	if token != "" {
		req.Header.Set("Authorization", "Bearer "+token)
	}
	for i := 0; i+1 < len(headers); i += 2 {
		req.Header.Set(headers[i], headers[i+1])
	}
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		s.t.Fatal(err)
	}
	defer res.Body.Close()
	raw, _ := io.ReadAll(res.Body)
	r := response{status: res.StatusCode, header: res.Header, raw: raw}
	if len(raw) > 0 && raw[0] == '{' {
		if err := json.Unmarshal(raw, &r.body); err != nil {
			s.t.Fatalf("%s %s: bad JSON %q: %v", method, path, raw, err)
		}
	}
	return r
}

func (s *system) as(role casedesk.Role) string { return s.tokens[role] }

// expect fails the test unless r has status.
func expect(t testing.TB, r response, status int) {
	t.Helper()
	if r.status != status {
		t.Fatalf("status %d, want %d: %s", r.status, status, r.raw)
	}
}

// expectProblem checks a problem+json error with status and, if field is
// set, a field error naming it.
func expectProblem(t testing.TB, r response, status int, field string) {
	t.Helper()
	expect(t, r, status)
	if ct := r.header.Get("Content-Type"); !strings.HasPrefix(ct, "application/problem+json") {
		t.Errorf("content type %q, want application/problem+json", ct)
	}
	if r.body["status"] != float64(status) || r.body["code"] == "" || r.body["detail"] == "" {
		t.Errorf("not a complete problem document: %s", r.raw)
	}
	if field == "" {
		return
	}
	errs, _ := r.body["errors"].([]any)
	for _, e := range errs {
		if m, _ := e.(map[string]any); m["field"] == field {
			return
		}
	}
	t.Errorf("no error names the field %q: %s", field, r.raw)
}

// eventually polls cond until it holds or the deadline passes.
func eventually(t testing.TB, within time.Duration, what string, cond func() bool) {
	t.Helper()
	if !poll(within, cond) {
		t.Fatalf("%s did not happen within %s", what, within)
	}
}

// poll reports whether cond came to hold within the time given.
func poll(within time.Duration, cond func() bool) bool {
	for deadline := time.Now().Add(within); !cond(); time.Sleep(50 * time.Millisecond) {
		if time.Now().After(deadline) {
			return false
		}
	}
	return true
}

func jsonUnmarshal(b []byte, v any) error { return json.Unmarshal(b, v) }
