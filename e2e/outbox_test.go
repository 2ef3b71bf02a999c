package e2e_test

import (
	"context"
	"fmt"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"os"
	"slices"
	"strconv"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/outbox"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/sendgridfake"
)

// startDispatcher sends the outbox of db through m until the test ends,
// as `casedesk worker` does.
func startDispatcher(t testing.TB, db *postgres.DB, m activities.Mailer, log *slog.Logger) {
	t.Helper()
	mailer, ok := m.(outbox.Mailer)
	if !ok {
		t.Fatalf("mailer %T cannot look messages up at SendGrid", m)
	}
	d := &outbox.Dispatcher{Store: db, Mailer: mailer, Log: log, Poll: 50 * time.Millisecond,
		From: mail.Address{Email: "support@casedesk.test", Name: "casedesk support"}, Lookups: rate.NewLimiter(rate.Inf, 1)}
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

// percentile returns the p-th percentile (0 < p <= 1) of sorted durations.
func delayPercentile(sorted []time.Duration, p float64) time.Duration {
	if len(sorted) == 0 {
		return 0
	}
	i := int(float64(len(sorted))*p+0.999999) - 1
	return sorted[min(max(i, 0), len(sorted)-1)]
}

// TestEmailKeepsUpWithAFlakySendGridAndFortySupervisors walks cases through
// opening, a reply and a refund that needs a supervisor's approval, with a
// SendGrid that fails one request in four and 40 supervisors, and measures
// the time from each event to SendGrid accepting its email.
// CASEDESK_OUTBOX_E2E_CASES sets how many cases (12 by default; the figures
// in docs/email.md are from 300).
func TestEmailKeepsUpWithAFlakySendGridAndFortySupervisors(t *testing.T) {
	cases := 12
	if v, err := strconv.Atoi(os.Getenv("CASEDESK_OUTBOX_E2E_CASES")); err == nil && v > 0 {
		cases = v
	}
	fake := sendgridfake.New("SG.test-key")
	fake.FailEvery(http.StatusInternalServerError, 4)
	fake.SetLatency(20 * time.Millisecond)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	s := startSystemWith(t, casedesk.DefaultRules(), systemOptions{mailer: mail.NewSender("SG.test-key", srv.URL, 5*time.Second)})
	ctx := context.Background()
	second := ""
	for i := range 39 { // and the system's own: 40
		token := casedesk.NewToken()
		if _, err := s.db.CreateUser(ctx, casedesk.User{ID: fmt.Sprintf("U-SUP%02d%s", i, randomHex(2)), Name: fmt.Sprintf("Supervisor %d", i),
			Email: fmt.Sprintf("sup%d-%s@casedesk.test", i, randomHex(3)), Role: casedesk.RoleSupervisor}, casedesk.HashToken(token)); err != nil {
			t.Fatal(err)
		}
		second = token
	}
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("1000000.00", "USD")
	for range cases {
		id := s.openVerified()
		expect(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We are on it."}), http.StatusOK)
		r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"))
		expect(t, r, http.StatusOK)
		aid := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
		a := s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{})
		expect(t, a, http.StatusOK)
		if a.body["status"] == "pending" { // the agent's refunds add up: a second supervisor
			expect(t, s.call("POST", "/v1/approvals/"+aid+"/approve", second, map[string]any{}), http.StatusOK)
		}
	}
	kinds := []string{casedesk.MailCaseOpened, casedesk.MailAgentReply, casedesk.MailRefundIssued, casedesk.MailApprovalRequested}
	want := cases * (3 + 40)
	if !poll(20*time.Second, func() bool { return fake.Personalizations() >= want }) {
		var counts []string
		rows, _ := s.db.Pool.Query(ctx, `SELECT kind || ' ' || status || ' ' || count(*) FROM messages GROUP BY kind, status`)
		for rows.Next() {
			var c string
			_ = rows.Scan(&c)
			counts = append(counts, c)
		}
		rows.Close()
		t.Fatalf("SendGrid accepted %d of %d emails; the outbox holds %v", fake.Personalizations(), want, counts)
	}

	// Event time per message, from the timeline.
	rows, err := s.db.Pool.Query(ctx, `SELECT m.id, m.kind, e.at FROM messages m JOIN case_events e ON e.case_id = m.case_id AND e.seq = m.event_seq`)
	if err != nil {
		t.Fatal(err)
	}
	eventAt := map[string]time.Time{}
	kindOf := map[string]string{}
	for rows.Next() {
		var id, kind string
		var at time.Time
		if err := rows.Scan(&id, &kind, &at); err != nil {
			t.Fatal(err)
		}
		eventAt[id], kindOf[id] = at, kind
	}
	rows.Close()
	delays := map[string][]time.Duration{}
	perMessage := map[string]int{}
	alertRequests := 0
	for _, a := range fake.Accepted() {
		if a.Mail.CustomArgs[mail.ArgKind] == casedesk.MailApprovalRequested {
			alertRequests++
			if len(a.Mail.Personalizations) != 40 {
				t.Errorf("an approval alert went to %d supervisors in one request, want 40", len(a.Mail.Personalizations))
			}
		}
		for _, pz := range a.Mail.Personalizations {
			id := pz.CustomArgs[outbox.ArgMessageID]
			if id == "" {
				id = a.Mail.CustomArgs[outbox.ArgMessageID]
			}
			perMessage[id]++
			if at, ok := eventAt[id]; ok {
				delays[kindOf[id]] = append(delays[kindOf[id]], a.Received.Sub(at))
			}
		}
	}
	if alertRequests != cases {
		t.Errorf("%d requests for %d approval alerts, want one each", alertRequests, cases)
	}
	for id, n := range perMessage {
		if n != 1 {
			t.Errorf("message %s was accepted %d times", id, n)
		}
	}
	for _, kind := range kinds {
		d := delays[kind]
		slices.Sort(d)
		limit := 30 * time.Second
		if kind == casedesk.MailApprovalRequested {
			limit = 60 * time.Second
		}
		t.Logf("%-18s n=%4d p50=%v p99=%v max=%v", kind, len(d), delayPercentile(d, 0.5).Round(time.Millisecond),
			delayPercentile(d, 0.99).Round(time.Millisecond), delayPercentile(d, 1).Round(time.Millisecond))
		if len(d) == 0 || delayPercentile(d, 1) > limit {
			t.Errorf("%s: %d emails, the slowest after %v; want every one within %v", kind, len(d), delayPercentile(d, 1), limit)
		}
	}
	t.Logf("SendGrid: %d requests, %d accepted, %d personalizations", fake.Requests(), len(fake.Accepted()), fake.Personalizations())
}
