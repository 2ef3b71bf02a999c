package e2e_test

import (
	"context"
	"net/http"
	"net/http/httptest"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/sendgridfake"
	"github.com/casedesk/casedesk/workflows"
)

// walkInquiry takes a new inquiry through the customer-facing steps.
func walkInquiry(t *testing.T, s *system) string {
	t.Helper()
	agent := s.as(casedesk.RoleAgent)
	id := s.openAssigned()
	for _, st := range []struct {
		action string
		body   map[string]any
	}{
		{"reply", map[string]any{"body": "We are looking into the two charges."}},
		{"notes", map[string]any{"body": "Internal: authorisation hold."}},
		{"request-info", map[string]any{"body": "Which card did you pay with?"}},
		{"customer-reply", map[string]any{"body": "My Visa."}},
		{"resolve", map[string]any{"outcome": "answered", "summary": "It was a hold, released in 3 days."}},
	} {
		expect(t, s.call("POST", "/v1/cases/"+id+"/"+st.action, agent, st.body), http.StatusOK)
	}
	return id
}

// waitForWorkflowEnd waits until the workflow of case id has completed.
func waitForWorkflowEnd(t *testing.T, s *system, id string, within time.Duration) {
	t.Helper()
	ctx, cancel := context.WithTimeout(context.Background(), within)
	defer cancel()
	var c casedesk.Case
	if err := s.temporal.GetWorkflow(ctx, workflows.WorkflowID(id), "").Get(ctx, &c); err != nil {
		t.Fatalf("the workflow of case %s did not complete within %s: %v", id, within, err)
	}
	if c.Status != casedesk.StatusClosed {
		t.Fatalf("the workflow of case %s ended with the case %s, want closed", id, c.Status)
	}
}

func TestEmailGoesOutOncePerCustomerFacingEventThroughSendGrid(t *testing.T) {
	fake := sendgridfake.New("SG.test-key")
	srv := httptest.NewServer(fake.Handler())
	t.Cleanup(srv.Close)
	fake.FailNext(http.StatusInternalServerError, 2) // SendGrid stumbles: retried, never doubled
	s := startSystemWith(t, casedesk.Rules{ReopenWindow: time.Hour}, systemOptions{
		mailer: mail.NewSender("SG.test-key", srv.URL, 5*time.Second)})
	id := walkInquiry(t, s)

	toCustomer := func() []sendgridfake.Accepted {
		var out []sendgridfake.Accepted
		for _, a := range fake.Accepted() {
			if a.Mail.Personalizations[0].To[0].Email == s.customer.Email {
				out = append(out, a)
			}
		}
		return out
	}
	// Closing the case ends its workflow, which waits for the last email to
	// reach the outbox.
	expect(t, s.call("POST", "/v1/cases/"+id+"/close", s.as(casedesk.RoleAgent), map[string]any{}), http.StatusOK)
	waitForWorkflowEnd(t, s, id, 60*time.Second)
	// The outbox dispatcher sends on its own schedule, retries included.
	eventually(t, 30*time.Second, "the customer's four emails", func() bool { return len(toCustomer()) >= 4 })
	got := toCustomer()
	var kinds []string
	for _, a := range got {
		m := a.Mail
		kinds = append(kinds, m.CustomArgs["kind"])
		subject := m.Subject
		if subject == "" {
			subject = m.Personalizations[0].Subject
		}
		if !strings.Contains(subject, id) {
			t.Errorf("subject %q does not name the case %s", subject, id)
		}
		if len(m.Content) != 2 || m.Content[0].Type != "text/plain" || m.Content[1].Type != "text/html" {
			t.Errorf("content %+v, want plain text then HTML", m.Content)
		}
		if m.From.Email != "support@casedesk.test" || m.ReplyTo == nil || !strings.HasSuffix(m.ReplyTo.Email, "@"+testReplyDomain) {
			t.Errorf("from %+v reply-to %+v", m.From, m.ReplyTo)
		}
		if strings.Contains(m.Content[0].Value, "Internal") {
			t.Error("an internal note reached the customer")
		}
	}
	slices.Sort(kinds)
	if want := []string{"agent_reply", "case_opened", "case_resolved", "info_requested"}; !slices.Equal(kinds, want) {
		t.Fatalf("the customer got %v, want exactly %v", kinds, want)
	}
	msgs, err := s.db.CaseMessages(context.Background(), id)
	if err != nil {
		t.Fatal(err)
	}
	retried := false
	for _, m := range msgs {
		if m.Audience == casedesk.AudienceCustomer && (m.Status != casedesk.MessageSent || m.SendGridID == "") {
			t.Errorf("message %s is %s (%q)", m.Kind, m.Status, m.SendGridID)
		}
		retried = retried || m.Attempts > 1
	}
	if !retried {
		t.Error("no message shows the retries after SendGrid's 500s")
	}
}

func TestWithoutAKeyEmailIsCapturedNotSent(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	id := walkInquiry(t, s)
	var msgs []casedesk.Message
	eventually(t, 20*time.Second, "the captured messages", func() bool {
		var err error
		msgs, err = s.db.CaseMessages(context.Background(), id)
		return err == nil && len(msgs) >= 4
	})
	for _, m := range msgs {
		if m.Status != casedesk.MessageCaptured || m.Subject == "" || m.Text == "" {
			t.Errorf("message %+v, want captured with subject and text", m)
		}
	}
	r := s.call("GET", "/v1/cases/"+id+"/messages", s.as(casedesk.RoleAgent), nil)
	expect(t, r, http.StatusOK)
	items := r.body["items"].([]any)
	if len(items) != len(msgs) {
		t.Fatalf("the API lists %d messages, the outbox holds %d", len(items), len(msgs))
	}
	first := items[0].(map[string]any)
	if first["kind"] != "case_opened" || first["status"] != "captured" || !strings.Contains(first["subject"].(string), id) ||
		first["recipient"] != s.customer.Email {
		t.Errorf("first message %v", first)
	}
	expectProblem(t, s.call("GET", "/v1/cases/C-NOPE00/messages", s.as(casedesk.RoleAgent), nil), 404, "")
}
