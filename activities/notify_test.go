package activities_test

import (
	"context"
	"errors"
	"io"
	"log/slog"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
	"go.temporal.io/sdk/temporal"
	"go.temporal.io/sdk/testsuite"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/links"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/postgres"
	"github.com/casedesk/casedesk/sendgridfake"
)

const (
	sendGridKey = "SG.activities-test.0123456789abcdef"
	replyDomain = "reply.casedesk.test"
	publicURL   = "http://casedesk.test"
)

var signer = links.Signer{Secret: []byte("activities-test-link-secret-32-bytes")}

// hourPolicy is an SLA configuration on a 24x7 calendar: first response in
// an hour (warned at half an hour), resolution in eight hours.
const hourPolicy = `{
  "calendars": {"always": {"time_zone": "UTC", "weekly": "24x7"}},
  "policies": [
    {"type": "inquiry", "priority": "normal", "calendar": "always", "first_response": "1h", "resolution": "8h", "warning_at": 0.5}
  ]}`

// notifyCase is a case in a fresh database, with its assignee, two
// supervisors and its customer, and the events of its life so far.
type notifyCase struct {
	db          *postgres.DB
	c           casedesk.Case
	events      []casedesk.Event
	customer    casedesk.Customer
	assignee    casedesk.User
	supervisors []casedesk.User
}

// newDB returns a migrated store on a fresh database of the test cluster
// (CASEDESK_TEST_DATABASE_URL, which `make test` sets).
func newDB(t *testing.T) *postgres.DB {
	t.Helper()
	return testenv.DB(t)
}

// newNotifyCase opens an inquiry, assigns it, lets its first-response clock
// warn and breach and has the agent reply, then projects the case so that
// the outbox can refer to it. Its events call for six emails: case_opened
// and agent_reply to the customer, sla_warning to the assignee and
// sla_breach to both supervisors and the assignee.
func newNotifyCase(t *testing.T) *notifyCase {
	t.Helper()
	ctx := context.Background()
	db := newDB(t)
	n := &notifyCase{db: db}
	user := func(role casedesk.Role, name string) casedesk.User {
		u, err := db.CreateUser(ctx, casedesk.User{ID: casedesk.NewID(casedesk.PrefixUser, 8), Name: name,
			Email: strings.ToLower(strings.ReplaceAll(name, " ", ".")) + "@casedesk.test", Role: role},
			casedesk.HashToken(casedesk.NewToken()))
		if err != nil {
			t.Fatal(err)
		}
		return u
	}
	n.assignee = user(casedesk.RoleAgent, "Alex Agent")
	n.supervisors = []casedesk.User{user(casedesk.RoleSupervisor, "Sam Supervisor"), user(casedesk.RoleSupervisor, "Kim Supervisor")}
	var err error
	n.customer, err = db.CreateCustomer(ctx, casedesk.Customer{ID: casedesk.NewID(casedesk.PrefixCustomer, 8),
		Name: "Jordan Rivera", Email: "Jordan.Rivera@example.com"})
	if err != nil {
		t.Fatal(err)
	}

	cfg, err := casedesk.ParseSLAConfig([]byte(hourPolicy))
	if err != nil {
		t.Fatal(err)
	}
	rules := casedesk.Rules{ReopenWindow: time.Hour, SLA: cfg.Policies()}
	agent := n.assignee.Actor()
	opened := time.Now().UTC().Add(-3 * time.Hour)
	c, events, err := rules.Open(casedesk.NewCaseID(), casedesk.OpenRequest{Type: casedesk.TypeInquiry,
		CustomerID: n.customer.ID, Subject: "Charged twice for March", Channel: casedesk.ChannelEmail}, agent, opened)
	if err != nil {
		t.Fatal(err)
	}
	for _, step := range []struct {
		cmd casedesk.Command
		by  casedesk.Actor
		at  time.Duration
	}{
		{casedesk.Assign{AssigneeID: n.assignee.ID}, agent, time.Minute},
		{casedesk.Tick{}, casedesk.SystemActor, 2 * time.Hour}, // first response warned and breached
		{casedesk.Reply{Body: "We are looking into the two charges."}, agent, 2*time.Hour + time.Minute},
	} {
		var more []casedesk.Event
		c, more, err = rules.Decide(c, step.cmd, step.by, opened.Add(step.at))
		if err != nil {
			t.Fatalf("%s: %v", step.cmd.Name(), err)
		}
		events = append(events, more...)
	}
	n.c, n.events = c, events
	if err := db.ProjectCase(ctx, c, events); err != nil {
		t.Fatal(err)
	}
	return n
}

// emailEvents returns the events that call for email, as the workflow hands them to Notify.
func (n *notifyCase) emailEvents() []casedesk.Event {
	var out []casedesk.Event
	for _, e := range n.events {
		if len(casedesk.Notices(n.c, e)) > 0 {
			out = append(out, e)
		}
	}
	return out
}

// wantMessages are the (kind, recipient) pairs the case's events call for, sorted.
func (n *notifyCase) wantMessages() []string {
	out := []string{
		casedesk.MailCaseOpened + " " + n.customer.Email,
		casedesk.MailAgentReply + " " + n.customer.Email,
		casedesk.MailSLAWarning + " " + n.assignee.Email,
		casedesk.MailSLABreach + " " + n.assignee.Email,
	}
	for _, s := range n.supervisors {
		out = append(out, casedesk.MailSLABreach+" "+s.Email)
	}
	slices.Sort(out)
	return out
}

// messages returns every message of the case in the outbox.
func (n *notifyCase) messages(t *testing.T) []casedesk.Message {
	t.Helper()
	msgs, err := n.db.CaseMessages(context.Background(), n.c.ID)
	if err != nil {
		t.Fatal(err)
	}
	return msgs
}

// kindsAndRecipients returns the sorted (kind, recipient) pairs of msgs.
func kindsAndRecipients(msgs []casedesk.Message) []string {
	var out []string
	for _, m := range msgs {
		out = append(out, m.Kind+" "+m.Recipient)
	}
	slices.Sort(out)
	return out
}

// notifier runs the Notify activity of acts the way a worker does, in the
// SDK's activity environment: the input goes through the data converter and
// an error comes back as the failure Temporal would record.
type notifier struct {
	env  *testsuite.TestActivityEnvironment
	acts *activities.Activities
}

func newNotifier(db *postgres.DB, mailer activities.Mailer) *notifier {
	var suite testsuite.WorkflowTestSuite
	suite.SetLogger(tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil))))
	acts := &activities.Activities{Store: db, Ledger: db, Outbox: db, Mailer: mailer, Mail: activities.MailSettings{
		From:        mail.Address{Email: "support@casedesk.test", Name: "casedesk support"},
		ReplyDomain: replyDomain, PublicURL: publicURL, Links: signer, LinkTTL: 24 * time.Hour,
	}}
	env := suite.NewTestActivityEnvironment()
	env.RegisterActivity(acts)
	return &notifier{env: env, acts: acts}
}

func (nt *notifier) notify(c casedesk.Case, events []casedesk.Event) error {
	_, err := nt.env.ExecuteActivity(nt.acts.Notify, activities.NotifyInput{Case: c, Events: events})
	return err
}

// startSendGrid runs the SendGrid stand-in for the test and returns it, its
// URL and the real SendGrid client pointed at it with the right key.
func startSendGrid(t *testing.T) (*sendgridfake.Server, string, *mail.Sender) {
	t.Helper()
	fake := sendgridfake.New(sendGridKey)
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	return fake, srv.URL, mail.NewSender(sendGridKey, srv.URL, 5*time.Second)
}

func TestNotifyPutsEachMessageInTheOutboxOnceWhateverTheRetries(t *testing.T) {
	n := newNotifyCase(t)
	nt := newNotifier(n.db, nil)
	events := n.emailEvents()

	// The first batch (the opening), handed over twice: a retried activity.
	for range 2 {
		if err := nt.notify(n.c, events[:1]); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	first := n.messages(t)
	if got := kindsAndRecipients(first); !slices.Equal(got, []string{casedesk.MailCaseOpened + " " + n.customer.Email}) {
		t.Fatalf("after the opening twice the outbox holds %v, want the case_opened email once", got)
	}

	// Every event, twice more: what was there stays, the rest comes once.
	for range 2 {
		if err := nt.notify(n.c, events); err != nil {
			t.Fatalf("Notify: %v", err)
		}
	}
	msgs := n.messages(t)
	if got, want := kindsAndRecipients(msgs), n.wantMessages(); !slices.Equal(got, want) {
		t.Fatalf("the outbox holds\n %v\nwant once each\n %v", got, want)
	}
	keys := map[string]bool{}
	for _, m := range msgs {
		keys[m.DedupeKey] = true
		if m.ID == first[0].ID && (m.Subject != first[0].Subject || m.Text != first[0].Text) {
			t.Errorf("the case_opened message was rendered again: %+v", m)
		}
		if m.Status != casedesk.MessageCaptured || m.Attempts != 0 || m.SendGridID != "" || m.SentAt != nil {
			t.Errorf("%s to %s is %s (attempts %d, sent %v), want captured and never sent", m.Kind, m.Recipient, m.Status, m.Attempts, m.SentAt)
		}
		if !strings.Contains(m.Subject, n.c.ID) || !strings.Contains(m.Text, n.c.ID) || m.HTML == "" {
			t.Errorf("%s to %s: subject %q and text do not name the case %s, or no HTML", m.Kind, m.Recipient, m.Subject, n.c.ID)
		}
		wantAudience := "staff"
		if m.Recipient == n.customer.Email {
			wantAudience = casedesk.AudienceCustomer
			if !strings.Contains(m.Text, publicURL+"/c/") {
				t.Errorf("%s to the customer has no signed link to the case:\n%s", m.Kind, m.Text)
			}
		}
		if m.Audience != wantAudience {
			t.Errorf("%s to %s has audience %s, want %s", m.Kind, m.Recipient, m.Audience, wantAudience)
		}
	}
	if len(keys) != len(msgs) {
		t.Errorf("%d messages share %d dedupe keys", len(msgs), len(keys))
	}
	// Captured messages are for people to read: nothing is waiting to be sent.
	if pending, err := n.db.OutboxMessages(context.Background(), n.c.ID); err != nil || len(pending) != 0 {
		t.Errorf("outbox to send: %d messages (%v), want none without a mailer", len(pending), err)
	}
}

func TestNotifySendsThroughSendGridAndMarksEachMessageSent(t *testing.T) {
	n := newNotifyCase(t)
	fake, _, sender := startSendGrid(t)
	nt := newNotifier(n.db, sender)
	before := time.Now()
	if err := nt.notify(n.c, n.emailEvents()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	accepted := fake.Accepted()
	msgs := n.messages(t)
	if got, want := kindsAndRecipients(msgs), n.wantMessages(); !slices.Equal(got, want) {
		t.Fatalf("the outbox holds %v, want %v", got, want)
	}
	if len(accepted) != len(msgs) {
		t.Fatalf("SendGrid accepted %d emails for %d messages", len(accepted), len(msgs))
	}
	byID := map[string]sendgridfake.Accepted{}
	for _, a := range accepted {
		byID[a.Mail.CustomArgs["message_id"]] = a
	}
	for _, m := range msgs {
		a, ok := byID[m.ID]
		if !ok {
			t.Errorf("%s to %s never reached SendGrid", m.Kind, m.Recipient)
			continue
		}
		if m.Status != casedesk.MessageSent || m.SendGridID != a.MessageID || m.Attempts != 1 || m.LastError != "" ||
			m.SentAt == nil || m.SentAt.Before(before.Add(-time.Second)) {
			t.Errorf("%s to %s: status %s, SendGrid ID %q (SendGrid answered %q), attempts %d, error %q, sent %v",
				m.Kind, m.Recipient, m.Status, m.SendGridID, a.MessageID, m.Attempts, m.LastError, m.SentAt)
		}
		p := a.Mail.Personalizations
		if len(p) != 1 || len(p[0].To) != 1 || p[0].To[0].Email != m.Recipient {
			t.Errorf("%s went to %+v, want %s alone", m.Kind, p, m.Recipient)
		}
		if a.Mail.Subject != m.Subject || a.Mail.From.Email != "support@casedesk.test" {
			t.Errorf("%s: subject %q from %q, want %q from support@casedesk.test", m.Kind, a.Mail.Subject, a.Mail.From.Email, m.Subject)
		}
		if args := a.Mail.CustomArgs; args[mail.ArgCaseID] != n.c.ID || args[mail.ArgKind] != m.Kind || args[mail.ArgDedupeKey] != m.DedupeKey {
			t.Errorf("%s: custom_args %v do not name the case, kind and dedupe key", m.Kind, args)
		}
		if c := a.Mail.Content; len(c) != 2 || c[0].Type != "text/plain" || c[0].Value != m.Text || c[1].Type != "text/html" {
			t.Errorf("%s: content %+v, want the plain text then HTML", m.Kind, c)
		}
		if m.Audience == casedesk.AudienceCustomer {
			if a.Mail.ReplyTo == nil || a.Mail.ReplyTo.Email != signer.ReplyAddress(n.c.ID, replyDomain) {
				t.Errorf("%s to the customer: reply-to %+v, want the case's signed reply address", m.Kind, a.Mail.ReplyTo)
			}
		} else if a.Mail.ReplyTo != nil {
			t.Errorf("%s to staff has a reply-to %+v", m.Kind, a.Mail.ReplyTo)
		}
	}

	// The activity again (a retry, or the next batch): nothing sent is sent twice.
	if err := nt.notify(n.c, n.emailEvents()); err != nil {
		t.Fatalf("Notify again: %v", err)
	}
	if got := len(fake.Accepted()); got != len(msgs) {
		t.Errorf("after a second run SendGrid has %d emails, want still %d", got, len(msgs))
	}
	for _, m := range n.messages(t) {
		if m.Status != casedesk.MessageSent || m.Attempts != 1 {
			t.Errorf("after a second run %s to %s is %s after %d attempts", m.Kind, m.Recipient, m.Status, m.Attempts)
		}
	}
}

func TestARetryableSendGridFailureLeavesTheMessageForTheRetry(t *testing.T) {
	closed := httptest.NewServer(http.NotFoundHandler())
	closed.Close() // nothing listens here any more
	for _, tt := range []struct {
		name   string
		status int // armed on the stand-in; 0: SendGrid is unreachable
		reason string
	}{
		{"500", http.StatusInternalServerError, "500"},
		{"503", http.StatusServiceUnavailable, "503"},
		{"429", http.StatusTooManyRequests, "429"},
		{"unreachable", 0, "sending failed"},
	} {
		t.Run(tt.name, func(t *testing.T) {
			n := newNotifyCase(t)
			fake, _, sender := startSendGrid(t)
			var mailer activities.Mailer = sender
			if tt.status != 0 {
				fake.FailNext(tt.status, 1)
			} else {
				mailer = mail.NewSender(sendGridKey, closed.URL, 2*time.Second)
			}
			nt := newNotifier(n.db, mailer)
			err := nt.notify(n.c, n.emailEvents())
			if err == nil {
				t.Fatal("Notify succeeded though SendGrid failed")
			}
			var ae *temporal.ApplicationError
			if !errors.As(err, &ae) || ae.NonRetryable() || !strings.Contains(err.Error(), tt.reason) {
				t.Fatalf("Notify returned %v, want a retryable failure naming %q", err, tt.reason)
			}
			msgs := n.messages(t)
			if got, want := kindsAndRecipients(msgs), n.wantMessages(); !slices.Equal(got, want) {
				t.Fatalf("the outbox holds %v, want %v", got, want)
			}
			var tried []casedesk.Message
			for _, m := range msgs {
				if m.Status != casedesk.MessagePending || m.SendGridID != "" || m.SentAt != nil {
					t.Errorf("%s to %s is %s (%q) after the failure, want pending", m.Kind, m.Recipient, m.Status, m.SendGridID)
				}
				if m.Attempts > 0 {
					tried = append(tried, m)
				}
			}
			if len(tried) != 1 || tried[0].Attempts != 1 || !strings.Contains(tried[0].LastError, tt.reason) {
				t.Fatalf("tried %+v, want one message tried once with an error naming %q", tried, tt.reason)
			}
			if len(fake.Accepted()) != 0 {
				t.Fatalf("SendGrid accepted %d emails", len(fake.Accepted()))
			}

			// Temporal retries the activity against a SendGrid that is back.
			nt = newNotifier(n.db, sender)
			if err := nt.notify(n.c, n.emailEvents()); err != nil {
				t.Fatalf("the retry: %v", err)
			}
			perMessage := map[string]int{}
			for _, a := range fake.Accepted() {
				perMessage[a.Mail.CustomArgs["message_id"]]++
			}
			for _, m := range n.messages(t) {
				wantAttempts := 1
				if m.ID == tried[0].ID {
					wantAttempts = 2
				}
				if m.Status != casedesk.MessageSent || m.Attempts != wantAttempts || m.LastError != "" || perMessage[m.ID] != 1 {
					t.Errorf("after the retry %s to %s is %s after %d attempts (want %d), error %q, accepted %d times",
						m.Kind, m.Recipient, m.Status, m.Attempts, wantAttempts, m.LastError, perMessage[m.ID])
				}
			}
		})
	}
}

func TestAPermanentSendGridFailureMarksTheMessageFailed(t *testing.T) {
	t.Run("a refused message fails alone", func(t *testing.T) {
		n := newNotifyCase(t)
		fake, _, sender := startSendGrid(t)
		fake.FailNext(http.StatusBadRequest, 1) // the first send is refused
		nt := newNotifier(n.db, sender)
		if err := nt.notify(n.c, n.emailEvents()); err != nil {
			t.Fatalf("Notify returned %v: a refused message must not make the activity retry", err)
		}
		msgs := n.messages(t)
		var failed []casedesk.Message
		for _, m := range msgs {
			switch m.Status {
			case casedesk.MessageFailed:
				failed = append(failed, m)
			case casedesk.MessageSent:
			default:
				t.Errorf("%s to %s is %s, want sent or failed", m.Kind, m.Recipient, m.Status)
			}
		}
		if len(failed) != 1 || failed[0].Attempts != 1 || !strings.Contains(failed[0].LastError, "400") || failed[0].SentAt != nil {
			t.Fatalf("failed messages %+v, want one failed once with SendGrid's 400", failed)
		}
		if got := len(fake.Accepted()); got != len(msgs)-1 {
			t.Fatalf("SendGrid accepted %d emails, want the %d others", got, len(msgs)-1)
		}
		// Another run of the activity does not try the failed message again.
		if err := nt.notify(n.c, n.emailEvents()); err != nil {
			t.Fatal(err)
		}
		if got := len(fake.Accepted()); got != len(msgs)-1 {
			t.Errorf("after another run SendGrid accepted %d emails, want still %d", got, len(msgs)-1)
		}
		for _, m := range n.messages(t) {
			if m.ID == failed[0].ID && (m.Status != casedesk.MessageFailed || m.Attempts != 1) {
				t.Errorf("the failed message is now %s after %d attempts", m.Status, m.Attempts)
			}
		}
	})

	t.Run("a wrong API key fails every message", func(t *testing.T) {
		n := newNotifyCase(t)
		fake, url, _ := startSendGrid(t)
		nt := newNotifier(n.db, mail.NewSender("SG.not-the-key-of-this-account", url, 5*time.Second))
		if err := nt.notify(n.c, n.emailEvents()); err != nil {
			t.Fatalf("Notify returned %v: a refused key must not make the activity retry", err)
		}
		for _, m := range n.messages(t) {
			if m.Status != casedesk.MessageFailed || m.Attempts != 1 || !strings.Contains(m.LastError, "401") {
				t.Errorf("%s to %s: %s after %d attempts, error %q; want failed with SendGrid's 401", m.Kind, m.Recipient, m.Status, m.Attempts, m.LastError)
			}
		}
		if fake.Requests() != len(n.wantMessages()) || len(fake.Accepted()) != 0 {
			t.Errorf("SendGrid saw %d requests and accepted %d, want %d refused", fake.Requests(), len(fake.Accepted()), len(n.wantMessages()))
		}
	})
}
