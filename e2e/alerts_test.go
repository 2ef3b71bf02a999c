package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"net/http/httptest"
	"strings"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/outbox"
	"github.com/casedesk/casedesk/sendgridfake"
)

// alertsTo returns the requests the stand-in accepted of kind with a
// personalization to email.
func alertsTo(fake *sendgridfake.Server, kind, email string) []sendgridfake.Accepted {
	var out []sendgridfake.Accepted
	for _, a := range fake.Accepted() {
		if a.Mail.CustomArgs[mail.ArgKind] != kind {
			continue
		}
		for _, p := range a.Mail.Personalizations {
			if len(p.To) == 1 && strings.EqualFold(p.To[0].Email, email) {
				out = append(out, a)
			}
		}
	}
	return out
}

func alertSetting(t *testing.T, r response, kind string) map[string]any {
	t.Helper()
	items, _ := r.body["alerts"].([]any)
	for _, it := range items {
		if s := it.(map[string]any); s["kind"] == kind {
			return s
		}
	}
	t.Fatalf("no setting of %s in %s", kind, r.raw)
	return nil
}

func TestADigestSupervisorGetsOneDigestWhileAnImmediateOneGetsEachAlert(t *testing.T) {
	fake := sendgridfake.New("SG.alerts-key")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	sender := mail.NewSender("SG.alerts-key", srv.URL, 5*time.Second)
	s := startSystemWith(t, casedesk.DefaultRules(), systemOptions{mailer: sender})
	ctx := context.Background()
	immediate := s.users[casedesk.RoleSupervisor]
	digestToken := casedesk.NewToken()
	digester, err := s.db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: "Dana Digest",
		Email: fmt.Sprintf("digest-%s@casedesk.test", randomHex(3)), Role: casedesk.RoleSupervisor}, casedesk.HashToken(digestToken))
	if err != nil {
		t.Fatal(err)
	}

	gone, err := s.db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: "Gone Supervisor",
		Email: fmt.Sprintf("gone-%s@casedesk.test", randomHex(3)), Role: casedesk.RoleSupervisor}, casedesk.HashToken(casedesk.NewToken()))
	if err != nil {
		t.Fatal(err)
	}
	if _, err := s.db.Pool.Exec(ctx, `UPDATE users SET deactivated_at = now() WHERE id = $1`, gone.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("who may choose, and what", func(t *testing.T) {
		for _, role := range []casedesk.Role{casedesk.RoleAgent, casedesk.RoleIntegration} {
			expectProblem(t, s.call("PUT", "/v1/users/me/alerts", s.as(role), map[string]any{"sla_warning": "digest"}), http.StatusForbidden, "")
			expectProblem(t, s.call("GET", "/v1/users/me/alerts", s.as(role), nil), http.StatusForbidden, "")
		}
		expectProblem(t, s.call("PUT", "/v1/users/me/alerts", digestToken, map[string]any{"case_opened": "digest"}), http.StatusUnprocessableEntity, "case_opened")
		expectProblem(t, s.call("PUT", "/v1/users/me/alerts", digestToken, map[string]any{"sla_warning": "weekly"}), http.StatusUnprocessableEntity, "sla_warning")
		expectProblem(t, s.call("PUT", "/v1/users/me/alerts", digestToken, `{"sla_warning": 3}`), http.StatusUnprocessableEntity, "sla_warning")
		expectProblem(t, s.call("PUT", "/v1/users/me/alerts", digestToken, `[]`), http.StatusBadRequest, "")
	})

	r := s.call("PUT", "/v1/users/me/alerts", digestToken, map[string]any{"approval_requested": "digest", "sla_warning": "digest"})
	expect(t, r, http.StatusOK)
	if st := alertSetting(t, r, casedesk.MailApprovalRequested); st["mode"] != "digest" || st["chosen"] != true || st["default"] != "immediate" {
		t.Fatalf("after choosing a digest: %s", r.raw)
	}
	// A choice withdrawn is the desk's default again; breaches are immediate.
	r = s.call("PUT", "/v1/users/me/alerts", digestToken, map[string]any{"sla_warning": nil})
	expect(t, r, http.StatusOK)
	if st := alertSetting(t, r, casedesk.MailSLAWarning); st["mode"] != "immediate" || st["chosen"] != false {
		t.Errorf("a withdrawn choice: %s", r.raw)
	}
	mine := s.call("GET", "/v1/users/me/alerts", s.as(casedesk.RoleSupervisor), nil)
	expect(t, mine, http.StatusOK)
	if st := alertSetting(t, mine, casedesk.MailApprovalRequested); st["mode"] != "immediate" || st["chosen"] != false {
		t.Errorf("another supervisor's settings: %s", mine.raw)
	}
	if st := alertSetting(t, mine, casedesk.MailSLABreach); st["mode"] != "immediate" || mine.body["digest_every"] != "30m0s" {
		t.Errorf("breaches and the digest period: %s", mine.raw)
	}

	// Two refunds that need a supervisor: two approval alerts.
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("5000.00", "USD")
	var cases []string
	for range 2 {
		id := s.openVerified()
		r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"))
		expect(t, r, http.StatusOK)
		if r.body["status"] != string(casedesk.StatusPendingApproval) {
			t.Fatalf("a refund of 500.00 did not wait for approval: %s", r.raw)
		}
		cases = append(cases, id)
	}
	eventually(t, 20*time.Second, "each alert to reach the immediate supervisor", func() bool {
		return len(alertsTo(fake, casedesk.MailApprovalRequested, immediate.Email)) == 2
	})
	held := func() (n int) {
		if err := s.db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE recipient = $1 AND status = 'held'`, digester.Email).Scan(&n); err != nil {
			t.Fatal(err)
		}
		return n
	}
	eventually(t, 10*time.Second, "both alerts to wait for the digest", func() bool { return held() == 2 })
	if got := alertsTo(fake, casedesk.MailApprovalRequested, digester.Email); len(got) != 0 {
		t.Fatalf("the digest supervisor got %d alerts by themselves", len(got))
	}
	if got := alertsTo(fake, casedesk.MailApprovalRequested, gone.Email); len(got) != 0 {
		t.Errorf("a deactivated supervisor got %d alerts", len(got))
	}

	// The digest goes out on its period (half a second here).
	d := &outbox.Dispatcher{Store: s.db, Mailer: sender, Poll: 50 * time.Millisecond, DigestEvery: 500 * time.Millisecond,
		From: mail.Address{Email: "support@casedesk.test", Name: "casedesk support"}, Lookups: rate.NewLimiter(rate.Inf, 1)}
	dctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(dctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
	eventually(t, 20*time.Second, "the digest", func() bool { return len(alertsTo(fake, casedesk.MailDigest, digester.Email)) > 0 })
	digests := alertsTo(fake, casedesk.MailDigest, digester.Email)
	if len(digests) != 1 || len(digests[0].Mail.Personalizations) != 1 {
		t.Fatalf("%d digests, want one to the digest supervisor alone", len(digests))
	}
	text := ""
	for _, c := range digests[0].Mail.Content {
		if c.Type == "text/plain" {
			text = c.Value
		}
	}
	for _, id := range cases {
		if !strings.Contains(text, id) {
			t.Errorf("the digest does not list the alert of %s:\n%s", id, text)
		}
	}
	if !strings.Contains(digests[0].Mail.Subject, "2 alerts") {
		t.Errorf("digest subject %q", digests[0].Mail.Subject)
	}
	if held() != 0 || len(alertsTo(fake, casedesk.MailDigest, immediate.Email)) != 0 {
		t.Error("alerts still held after the digest, or a digest to the immediate supervisor")
	}
	if got := alertsTo(fake, casedesk.MailApprovalRequested, digester.Email); len(got) != 0 {
		t.Errorf("the digest supervisor got %d alerts by themselves", len(got))
	}
}
