package outbox_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"strings"
	"sync"
	"testing"
	"time"

	"golang.org/x/time/rate"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/outbox"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/sendgridfake"
)

const sendGridKey = "SG.outbox-test.0123456789abcdef"

var from = mail.Address{Email: "support@casedesk.test", Name: "casedesk support"}

// setup is a fresh database and the SendGrid stand-in with the real client
// pointed at it.
func setup(t *testing.T) (*postgres.DB, *sendgridfake.Server, *mail.Sender) {
	t.Helper()
	fake := sendgridfake.New(sendGridKey)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return testenv.DB(t), fake, mail.NewSender(sendGridKey, srv.URL, 5*time.Second)
}

func dispatcher(db *postgres.DB, m outbox.Mailer) *outbox.Dispatcher {
	return &outbox.Dispatcher{Store: db, Mailer: m, From: from, Log: slog.New(slog.NewTextHandler(io.Discard, nil)),
		Poll: 20 * time.Millisecond, FirstRetry: 20 * time.Millisecond, MaxBackoff: 200 * time.Millisecond,
		Lease: 2 * time.Second, Lookups: rate.NewLimiter(rate.Inf, 1)}
}

// customerMail queues n customer messages and returns their IDs.
func customerMail(t *testing.T, db *postgres.DB, n int) []string {
	t.Helper()
	var msgs []casedesk.Message
	for i := range n {
		id := fmt.Sprintf("M-C%s-%03d", t.Name()[:4], i)
		msgs = append(msgs, casedesk.Message{ID: id, Kind: casedesk.MailCaseOpened, Audience: casedesk.AudienceCustomer,
			Recipient: fmt.Sprintf("customer%d@example.com", i), RecipientName: "Customer", DedupeKey: id,
			Subject: "Your case " + id, Text: "text", HTML: "<p>html</p>", Status: casedesk.MessagePending,
			ReplyTo: "reply+" + id + "@reply.casedesk.test"})
	}
	if err := db.EnqueueMessages(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return ids(msgs)
}

// staffAlert queues one alert to n supervisors, as Notify does, and
// returns the IDs of its messages.
func staffAlert(t *testing.T, db *postgres.DB, name string, n int) []string {
	t.Helper()
	var msgs []casedesk.Message
	for i := range n {
		id := fmt.Sprintf("M-S%s-%03d", name, i)
		msgs = append(msgs, casedesk.Message{ID: id, Kind: casedesk.MailApprovalRequested, Audience: outbox.LaneStaff,
			Recipient: fmt.Sprintf("supervisor%d@casedesk.test", i), RecipientName: "Supervisor", DedupeKey: id,
			Subject: "Approval requested " + name, Text: "text", HTML: "<p>html</p>", Status: casedesk.MessagePending,
			BatchKey: "alert-" + name})
	}
	if err := db.EnqueueMessages(context.Background(), msgs); err != nil {
		t.Fatal(err)
	}
	return ids(msgs)
}

func ids(msgs []casedesk.Message) []string {
	out := make([]string, len(msgs))
	for i, m := range msgs {
		out[i] = m.ID
	}
	return out
}

// statuses returns the status of every message of the outbox by ID.
func statuses(t *testing.T, db *postgres.DB) map[string]casedesk.Message {
	t.Helper()
	rows, err := db.Pool.Query(context.Background(), `SELECT id, status, attempts, coalesce(sendgrid_message_id, ''),
		coalesce(last_error, ''), next_attempt_at FROM messages`)
	if err != nil {
		t.Fatal(err)
	}
	defer rows.Close()
	out := map[string]casedesk.Message{}
	for rows.Next() {
		var m casedesk.Message
		if err := rows.Scan(&m.ID, &m.Status, &m.Attempts, &m.SendGridID, &m.LastError, &m.NextAttemptAt); err != nil {
			t.Fatal(err)
		}
		out[m.ID] = m
	}
	return out
}

// acceptedPerMessage counts how often SendGrid accepted each outbox message.
func acceptedPerMessage(fake *sendgridfake.Server) map[string]int {
	out := map[string]int{}
	for _, a := range fake.Accepted() {
		for _, p := range a.Mail.Personalizations {
			id := p.CustomArgs[outbox.ArgMessageID]
			if id == "" {
				id = a.Mail.CustomArgs[outbox.ArgMessageID]
			}
			out[id]++
		}
	}
	return out
}

// run runs d until the test ends, and waits for it to stop.
func run(t *testing.T, d *outbox.Dispatcher) {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	done := make(chan struct{})
	go func() { _ = d.Run(ctx); close(done) }()
	t.Cleanup(func() { cancel(); <-done })
}

func eventually(t *testing.T, within time.Duration, what string, cond func() bool) {
	t.Helper()
	deadline := time.Now().Add(within)
	for !cond() {
		if time.Now().After(deadline) {
			t.Fatalf("timed out after %v waiting for %s", within, what)
		}
		time.Sleep(10 * time.Millisecond)
	}
}

func allSent(t *testing.T, db *postgres.DB, want int) func() bool {
	return func() bool {
		n := 0
		for _, m := range statuses(t, db) {
			if m.Status == casedesk.MessageSent {
				n++
			}
		}
		return n == want
	}
}

func TestAStaffAlertToFortySupervisorsIsOneRequest(t *testing.T) {
	db, fake, sender := setup(t)
	alert := staffAlert(t, db, "forty", 40)
	run(t, dispatcher(db, sender))
	eventually(t, 10*time.Second, "the alert to be sent", allSent(t, db, 40))
	if fake.Requests() != 1 || len(fake.Accepted()) != 1 || fake.Personalizations() != 40 {
		t.Fatalf("SendGrid saw %d requests, accepted %d with %d personalizations; want one request to 40",
			fake.Requests(), len(fake.Accepted()), fake.Personalizations())
	}
	a := fake.Accepted()[0]
	per := acceptedPerMessage(fake)
	got := statuses(t, db)
	for _, id := range alert {
		if per[id] != 1 || got[id].SendGridID != a.MessageID || got[id].Attempts != 1 {
			t.Errorf("%s: accepted %d times, SendGrid ID %q (want %q), attempts %d", id, per[id], got[id].SendGridID, a.MessageID, got[id].Attempts)
		}
	}
	for i, p := range a.Mail.Personalizations {
		if len(p.To) != 1 || p.To[0].Email != fmt.Sprintf("supervisor%d@casedesk.test", i) || p.CustomArgs[mail.ArgDedupeKey] == "" {
			t.Errorf("personalization %d: %+v, want one supervisor with their own custom args", i, p)
		}
	}
	if a.Mail.ReplyTo != nil || a.Mail.CustomArgs[mail.ArgKind] != casedesk.MailApprovalRequested {
		t.Errorf("staff alert: reply-to %+v, custom args %v", a.Mail.ReplyTo, a.Mail.CustomArgs)
	}
}

func TestEachMessageIsRetriedOnItsOwnAndSentOnce(t *testing.T) {
	db, fake, sender := setup(t)
	fake.FailEvery(http.StatusInternalServerError, 4)
	customers := customerMail(t, db, 30)
	staffAlert(t, db, "a", 5)
	staffAlert(t, db, "b", 5)
	d1, d2 := dispatcher(db, sender), dispatcher(db, sender) // two workers share the outbox
	run(t, d1)
	run(t, d2)
	eventually(t, 20*time.Second, "every message to be sent", allSent(t, db, 40))
	per := acceptedPerMessage(fake)
	retried := 0
	for id, m := range statuses(t, db) {
		if per[id] != 1 {
			t.Errorf("%s was accepted %d times", id, per[id])
		}
		if m.Attempts > 1 {
			retried++
		}
	}
	if retried == 0 {
		t.Error("no message needed a retry though one request in four failed")
	}
	if got := len(fake.Accepted()); got != len(customers)+2 {
		t.Errorf("SendGrid accepted %d requests, want %d (one per customer email, one per alert)", got, len(customers)+2)
	}
	if fake.Requests() <= len(fake.Accepted()) {
		t.Errorf("%d requests for %d accepted: the failures were not retried", fake.Requests(), len(fake.Accepted()))
	}
}

func TestAFailureReschedulesOnlyItsMessage(t *testing.T) {
	for _, tt := range []struct {
		status    int
		minDelay  time.Duration
		wantState string
	}{
		{http.StatusInternalServerError, 0, casedesk.MessagePending},
		{http.StatusTooManyRequests, sendgridfake.RetryAfter, casedesk.MessagePending}, // Retry-After honoured
		{http.StatusBadRequest, 0, casedesk.MessageFailed},
	} {
		t.Run(fmt.Sprint(tt.status), func(t *testing.T) {
			db, fake, sender := setup(t)
			customerMail(t, db, 2)
			d := dispatcher(db, sender)
			d.FirstRetry, d.MaxBackoff = time.Hour, 2*time.Hour // the retry stays in the future
			fake.FailNext(tt.status, 1)
			ctx := context.Background()
			for range 2 {
				msgs, err := db.ClaimDue(ctx, outbox.LaneCustomer, time.Minute)
				if err != nil || len(msgs) != 1 {
					t.Fatalf("claim: %v, %d messages", err, len(msgs))
				}
				before := time.Now()
				d.Send(ctx, msgs)
				m := statuses(t, db)[msgs[0].ID]
				if fake.Requests() == 1 {
					if m.Status != tt.wantState || !strings.Contains(m.LastError, fmt.Sprint(tt.status)) {
						t.Errorf("after %d: %s, error %q; want %s", tt.status, m.Status, m.LastError, tt.wantState)
					}
					if tt.wantState == casedesk.MessagePending && m.NextAttemptAt.Before(before.Add(max(tt.minDelay, 30*time.Minute))) {
						t.Errorf("after %d the next attempt is at %v, want at least %v from now", tt.status, m.NextAttemptAt, max(tt.minDelay, 30*time.Minute))
					}
				} else if m.Status != casedesk.MessageSent {
					t.Errorf("the other message is %s, want sent", m.Status)
				}
			}
			if msgs, _ := db.ClaimDue(ctx, outbox.LaneCustomer, time.Minute); len(msgs) != 0 {
				t.Errorf("claimed %d messages that are not due", len(msgs))
			}
		})
	}
}

func TestBackoffDoublesWithJitterAndHonoursRetryAfter(t *testing.T) {
	for _, r := range []float64{0, 0.999} {
		d := &outbox.Dispatcher{FirstRetry: time.Second, MaxBackoff: time.Minute, Rand: func() float64 { return r }}
		for _, tt := range []struct {
			attempt    int
			retryAfter time.Duration
			lo, hi     time.Duration
		}{
			{1, 0, 500 * time.Millisecond, time.Second},
			{2, 0, time.Second, 2 * time.Second},
			{4, 0, 4 * time.Second, 8 * time.Second},
			{20, 0, 30 * time.Second, time.Minute},
			{1, 10 * time.Second, 10 * time.Second, 11 * time.Second},
		} {
			if got := d.Backoff(tt.attempt, tt.retryAfter); got < tt.lo || got > tt.hi {
				t.Errorf("rand %v: Backoff(%d, %v) = %v, want within [%v, %v]", r, tt.attempt, tt.retryAfter, got, tt.lo, tt.hi)
			}
		}
	}
}

func TestAClaimLeftBySendingIsResolvedWithSendGrid(t *testing.T) {
	db, fake, sender := setup(t)
	ctx := context.Background()
	customerMail(t, db, 2)
	// A dispatcher claims both, gets the first accepted and dies before
	// marking either.
	var claimed [][]casedesk.Message
	for range 2 {
		msgs, err := db.ClaimDue(ctx, outbox.LaneCustomer, time.Millisecond)
		if err != nil || len(msgs) != 1 {
			t.Fatalf("claim: %v, %d", err, len(msgs))
		}
		claimed = append(claimed, msgs)
	}
	accepted := claimed[0][0]
	if _, err := sender.Send(ctx, mail.Message{Kind: accepted.Kind, From: from, To: []mail.Address{{Email: accepted.Recipient}},
		Subject: accepted.Subject, Text: accepted.Text, CustomArgs: map[string]string{outbox.ArgMessageID: accepted.ID}}); err != nil {
		t.Fatal(err)
	}
	eventually(t, 5*time.Second, "the 1 ms leases to run out", func() bool {
		var live int
		err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM messages WHERE status = 'sending' AND claimed_until >= now()`).Scan(&live)
		return err == nil && live == 0
	})
	run(t, dispatcher(db, sender))
	eventually(t, 10*time.Second, "both messages to be sent", allSent(t, db, 2))
	per := acceptedPerMessage(fake)
	for _, msgs := range claimed {
		if per[msgs[0].ID] != 1 {
			t.Errorf("%s was accepted %d times, want once", msgs[0].ID, per[msgs[0].ID])
		}
	}
	if got := statuses(t, db)[accepted.ID].SendGridID; got != fake.Accepted()[0].MessageID {
		t.Errorf("the message accepted before the crash has SendGrid ID %q, want %q", got, fake.Accepted()[0].MessageID)
	}
}

func TestOutboxLanesShowDepthAndAge(t *testing.T) {
	db, _, _ := setup(t)
	ctx := context.Background()
	customerMail(t, db, 3)
	staffAlert(t, db, "x", 2)
	if _, err := db.Pool.Exec(ctx, `UPDATE messages SET created_at = now() - interval '10 minutes' WHERE audience = 'customer'`); err != nil {
		t.Fatal(err)
	}
	if _, err := db.ClaimDue(ctx, outbox.LaneCustomer, time.Minute); err != nil {
		t.Fatal(err)
	}
	lanes, err := db.OutboxLanes(ctx)
	if err != nil || len(lanes) != 2 {
		t.Fatalf("lanes %+v, %v", lanes, err)
	}
	c, s := lanes[0], lanes[1]
	if c.Lane != "customer" || c.Statuses["pending"] != 2 || c.Statuses["sending"] != 1 || c.OldestPendingAge < 590 {
		t.Errorf("customer lane %+v", c)
	}
	if s.Lane != "staff" || s.Statuses["pending"] != 2 || s.OldestPendingAge > 60 {
		t.Errorf("staff lane %+v", s)
	}
}

func TestHeldAlertsGoOutAsOneDigestPerRecipient(t *testing.T) {
	db, fake, sender := setup(t)
	ctx := context.Background()
	var held []casedesk.Message
	for i := range 3 {
		id := fmt.Sprintf("M-H%d", i)
		held = append(held, casedesk.Message{ID: id, Kind: casedesk.MailSLAWarning, Audience: outbox.LaneStaff,
			Recipient: "sam@casedesk.test", RecipientName: "Sam", DedupeKey: id, Subject: fmt.Sprintf("[C-%d] SLA warning", i),
			Text: "t", HTML: "h", Status: casedesk.MessageHeld})
	}
	if err := db.EnqueueMessages(ctx, held); err != nil {
		t.Fatal(err)
	}
	build := func(h []casedesk.Message) (casedesk.Message, error) { return outbox.Digest(h, time.Now()) }
	if n, err := db.QueueDigests(ctx, time.Hour, build); err != nil || n != 0 {
		t.Fatalf("digests of alerts younger than the period: %d, %v; want none", n, err)
	}
	var wg sync.WaitGroup
	counts := make([]int, 2)
	for i := range counts { // two dispatchers at once: one digest
		wg.Go(func() { counts[i], _ = db.QueueDigests(ctx, time.Nanosecond, build) })
	}
	wg.Wait()
	if counts[0]+counts[1] != 1 {
		t.Fatalf("queued %v digests, want one", counts)
	}
	run(t, dispatcher(db, sender))
	eventually(t, 10*time.Second, "the digest to be sent", allSent(t, db, 1))
	a := fake.Accepted()
	if len(a) != 1 || a[0].Mail.Personalizations[0].To[0].Email != "sam@casedesk.test" {
		t.Fatalf("accepted %+v, want one digest to Sam", a)
	}
	for i := range 3 {
		if text := a[0].Mail.Content[0].Value; !strings.Contains(text, fmt.Sprintf("[C-%d] SLA warning", i)) {
			t.Errorf("the digest does not list alert %d:\n%s", i, text)
		}
	}
	for _, m := range statuses(t, db) {
		if strings.HasPrefix(m.ID, "M-H") && m.Status != casedesk.MessageDigested {
			t.Errorf("held %s is %s, want digested", m.ID, m.Status)
		}
	}
}
