package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"os"
	"path/filepath"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// replica starts a second API process on the same database and Temporal,
// with its own change and presence listeners, as a deployment with several
// replicas runs them; it returns its URL.
func (s *system) replica(t *testing.T) string {
	t.Helper()
	srv := *s.server
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	changes := s.db.NewChanges(srv.Logger)
	go changes.Run(ctx)
	presence := s.db.NewPresence(srv.Logger)
	go presence.Run(ctx)
	srv.Changes, srv.Presence = changes, presence
	hs := httptest.NewServer(srv.Handler())
	t.Cleanup(hs.Close)
	return hs.URL
}

// namedStaff creates a console user called name and returns their email.
func (s *system) namedStaff(role casedesk.Role, name, password string) string {
	s.t.Helper()
	email := string(role) + "-" + randomHex(4) + "@casedesk.test"
	expect(s.t, s.call("POST", "/v1/users", s.as(casedesk.RoleAdmin), map[string]any{
		"name": name, "email": email, "role": role, "password": password}), http.StatusCreated)
	return email
}

// TestConsoleWorkspace drives web/tests/workspace.test.mjs: two agents on
// two API replicas see each other on a case page and in the queue row (and
// who is typing); a queue sorted by next breach and filtered by channel
// keeps both in the URL; the admin reads the SLA policies, calendars and
// authority matrix in force; an agent finds a customer, corrects their
// email and reads the change in the history; a supervisor merges a
// duplicate into them.
func TestConsoleWorkspace(t *testing.T) {
	root := needBrowser(t)
	s := startSystem(t, casedesk.DefaultRules())
	second := s.replica(t)
	const password = "browser test password"
	ana := s.namedStaff(casedesk.RoleAgent, "Ana Ortega", password)
	ben := s.namedStaff(casedesk.RoleAgent, "Ben Okafor", password)
	supervisor := s.namedStaff(casedesk.RoleSupervisor, "Sam Supervisor", password)
	admin := s.namedStaff(casedesk.RoleAdmin, "Ada Admin", password)
	agentToken := s.as(casedesk.RoleAgent)

	open := func(customer, subject, priority, channel string) string {
		r := s.call("POST", "/v1/cases", agentToken, map[string]any{"type": "inquiry", "customer_id": customer,
			"subject": subject, "channel": channel, "priority": priority})
		expect(t, r, http.StatusCreated)
		return r.body["id"].(string)
	}
	watched := open(s.customer.ID, "Card declined at checkout", "normal", "phone")
	// Two social-media cases: the urgent one breaches first though opened first.
	urgent := open(s.customer.ID, "Urgent: double charge posted", "urgent", "social")
	low := open(s.customer.ID, "Question about a receipt", "low", "social")

	// A customer to find and correct, and a duplicate of them with a case.
	r := s.call("POST", "/v1/customers", agentToken, map[string]any{"name": "Grace Hopperton", "email": "grace.old@example.com"})
	expect(t, r, http.StatusCreated)
	grace := r.body["id"].(string)
	r = s.call("POST", "/v1/customers", agentToken, map[string]any{"name": "Grace Hopperton (duplicate)", "email": "g.hopperton@example.com"})
	expect(t, r, http.StatusCreated)
	duplicate := r.body["id"].(string)
	dupCase := open(duplicate, "Opened under the duplicate", "normal", "email")

	shots := filepath.Join(root, "web", "test-results", "screenshots")
	if err := os.MkdirAll(shots, 0o755); err != nil {
		t.Fatal(err)
	}
	runBrowserTests(t, root, "workspace.test.mjs", 4*time.Minute,
		"CASEDESK_URL="+s.url, "SECOND_URL="+second, "SCREENSHOTS="+shots, "PASSWORD="+password,
		"ANA_EMAIL="+ana, "BEN_EMAIL="+ben, "SUPERVISOR_EMAIL="+supervisor, "ADMIN_EMAIL="+admin,
		"WATCHED_CASE="+watched, "URGENT_CASE="+urgent, "LOW_CASE="+low,
		"GRACE="+grace, "DUPLICATE="+duplicate, "DUPLICATE_CASE="+dupCase)

	// What the browser did is what the API holds.
	r = s.call("GET", "/v1/customers/"+grace, agentToken, nil)
	expect(t, r, http.StatusOK)
	if r.body["email"] != "grace.hopperton@example.com" {
		t.Errorf("the corrected email is %v", r.body["email"])
	}
	r = s.call("GET", "/v1/cases/"+dupCase, agentToken, nil)
	expect(t, r, http.StatusOK)
	if r.body["customer_id"] != grace {
		t.Errorf("the duplicate's case belongs to %v after the merge, want %s", r.body["customer_id"], grace)
	}
}
