package activities_test

import (
	"context"
	"fmt"
	"io"
	"log/slog"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	tlog "go.temporal.io/sdk/log"
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
	if err := db.ProjectCase(ctx, c, events, casedesk.ProjectionOrigin{}); err != nil {
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

func TestNotifyQueuesEmailForTheDispatcherAndSendsNothing(t *testing.T) {
	n := newNotifyCase(t)
	fake, _, sender := startSendGrid(t)
	nt := newNotifier(n.db, sender)
	if err := nt.notify(n.c, n.emailEvents()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	if fake.Requests() != 0 {
		t.Fatalf("Notify made %d requests to SendGrid; sending is the dispatcher's", fake.Requests())
	}
	msgs := n.messages(t)
	if got, want := kindsAndRecipients(msgs), n.wantMessages(); !slices.Equal(got, want) {
		t.Fatalf("the outbox holds %v, want %v", got, want)
	}
	batches := map[string][]string{}
	for _, m := range msgs {
		if m.Status != casedesk.MessagePending || m.Attempts != 0 {
			t.Errorf("%s to %s is %s after %d attempts, want pending and untried", m.Kind, m.Recipient, m.Status, m.Attempts)
		}
		if m.Audience == casedesk.AudienceCustomer {
			if m.ReplyTo != signer.ReplyAddress(n.c.ID, replyDomain) || m.BatchKey != "" {
				t.Errorf("%s to the customer: reply-to %q, batch %q; want the signed reply address, alone", m.Kind, m.ReplyTo, m.BatchKey)
			}
			continue
		}
		if m.ReplyTo != "" || m.BatchKey == "" || m.UserID == "" {
			t.Errorf("%s to %s: reply-to %q, batch %q, user %q", m.Kind, m.Recipient, m.ReplyTo, m.BatchKey, m.UserID)
		}
		batches[m.BatchKey] = append(batches[m.BatchKey], m.Kind)
	}
	// sla_warning to the assignee; sla_breach to both supervisors and the assignee in one request.
	var sizes []int
	for _, kinds := range batches {
		sizes = append(sizes, len(kinds))
	}
	slices.Sort(sizes)
	if !slices.Equal(sizes, []int{1, 3}) {
		t.Errorf("staff batches %v, want the warning alone and the breach's three recipients together", batches)
	}
}

func TestNotifyRoutesStaffAlertsAsConfiguredAndHoldsDigests(t *testing.T) {
	n := newNotifyCase(t)
	_, _, sender := startSendGrid(t)
	nt := newNotifier(n.db, sender)
	// Only the first supervisor's team takes inquiries; the second takes
	// breaches as a digest (but gets no breach: not on the team).
	nt.acts.Alerts = casedesk.AlertRouting{
		Routes: map[string]string{casedesk.MailSLABreach: casedesk.RouteTeam},
		Teams:  []casedesk.Team{{Name: "inquiries", Types: []casedesk.Type{casedesk.TypeInquiry}, Supervisors: []string{n.supervisors[0].ID}}},
	}
	if err := n.db.SetAlertMode(context.Background(), n.assignee.ID, casedesk.MailSLAWarning, casedesk.AlertDigest); err != nil {
		t.Fatal(err)
	}
	if err := nt.notify(n.c, n.emailEvents()); err != nil {
		t.Fatalf("Notify: %v", err)
	}
	got := map[string]string{}
	for _, m := range n.messages(t) {
		if m.Audience != casedesk.AudienceCustomer {
			got[m.Kind+" "+m.Recipient] = m.Status
		}
	}
	want := map[string]string{
		casedesk.MailSLAWarning + " " + n.assignee.Email:      casedesk.MessageHeld,
		casedesk.MailSLABreach + " " + n.assignee.Email:       casedesk.MessagePending,
		casedesk.MailSLABreach + " " + n.supervisors[0].Email: casedesk.MessagePending,
	}
	if fmt.Sprint(got) != fmt.Sprint(want) {
		t.Errorf("staff messages %v, want %v", got, want)
	}
}
