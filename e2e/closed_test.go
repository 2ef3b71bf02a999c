package e2e_test

import (
	"context"
	"net/http"
	"net/url"
	"strings"
	"testing"
	"time"

	enumspb "go.temporal.io/api/enums/v1"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/workflows"
)

// closeCase resolves and closes case id and waits until its workflow has
// completed, so that what follows meets a case whose workflow is gone.
func (s *system) closeCase(id string) {
	s.t.Helper()
	agent := s.as(casedesk.RoleAgent)
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered", "summary": "Done."}), http.StatusOK)
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/close", agent, nil), http.StatusOK)
	eventually(s.t, 30*time.Second, "the closed case's workflow completes", func() bool {
		d, err := s.temporal.DescribeWorkflowExecution(context.Background(), workflows.WorkflowID(id), "")
		return err == nil && d.WorkflowExecutionInfo.Status == enumspb.WORKFLOW_EXECUTION_STATUS_COMPLETED
	})
}

func TestAClosedCaseRefusesEveryDoorClearly(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	id := s.openAssigned()
	s.closeCase(id)
	before := s.timeline(agent, id)

	t.Run("a staff action answers 409 saying the case is closed", func(t *testing.T) {
		r := s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "Too late"})
		expectProblem(t, r, http.StatusConflict, "")
		if d, _ := r.body["detail"].(string); !strings.Contains(d, "closed") {
			t.Errorf("detail %q does not say the case is closed", d)
		}
	})
	t.Run("an action on a case that never existed answers 404", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/cases/C-ZZZZZZ/notes", agent, map[string]any{"body": "Hello"}), http.StatusNotFound, "")
	})
	t.Run("an emailed reply answers 200 and opens a follow-up case linked to the old one", func(t *testing.T) {
		r := s.postInbound(testInboundSecret, testSigner.ReplyAddress(id, testReplyDomain), "Thanks again! One more question.")
		expect(t, r, http.StatusOK)
		next, _ := r.body["case_id"].(string)
		if r.body["accepted"] != true || r.body["taken_as"] != "follow_up" || r.body["follow_up_of"] != id || next == "" || next == id {
			t.Fatalf("a reply to a closed case: %s", r.raw)
		}
		c := s.call("GET", "/v1/cases/"+next, agent, nil).body
		old := s.call("GET", "/v1/cases/"+id, agent, nil).body
		if c["follow_up_of"] != id || c["customer_id"] != s.customer.ID || c["subject"] != old["subject"] ||
			c["channel"] != "email" || c["description"] != "Thanks again! One more question." || c["status"] != "new" {
			t.Errorf("follow-up %v", c)
		}
		again := s.postInbound(testInboundSecret, testSigner.ReplyAddress(id, testReplyDomain), "Thanks again! One more question.")
		if again.body["case_id"] != next {
			t.Errorf("SendGrid's retry opened %v, want %s again", again.body["case_id"], next)
		}
	})
	t.Run("another address's reply to it is not taken", func(t *testing.T) {
		r := s.postMail(id, map[string]string{"from": "someone@elsewhere.example", "text": "Hello?"})
		expect(t, r, http.StatusOK)
		if r.body["accepted"] != false {
			t.Fatalf("a stranger's reply to a closed case was taken: %s", r.raw)
		}
	})
	t.Run("a reply on the customer page shows a clear page, not an outage", func(t *testing.T) {
		token := testSigner.CaseToken(id, time.Now().Add(time.Hour))
		status, body, _ := page(t, "POST", s.url+"/c/"+token+"/reply", url.Values{"token": {token}, "body": {"One more thing"}})
		if status != http.StatusConflict || !strings.Contains(body, "no longer takes replies") {
			t.Fatalf("page %d: %s", status, body)
		}
	})
	if after := s.timeline(agent, id); len(after) != len(before) {
		t.Errorf("the closed case's timeline grew from %d to %d events", len(before), len(after))
	}
}
