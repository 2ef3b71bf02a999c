package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"slices"
	"testing"
	"time"

	"go.temporal.io/api/workflowservice/v1"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/workflows"
)

func newInquiry(s *system) map[string]any {
	return map[string]any{"type": "inquiry", "customer_id": s.customer.ID, "subject": "Why was I charged twice?",
		"description": "Two charges of 49.99 on my card 4111 1111 1111 1111", "channel": "phone", "priority": "high"}
}

// countWorkflows counts the case workflows matching a visibility query.
func (s *system) countWorkflows(query string) int64 {
	s.t.Helper()
	res, err := s.temporal.CountWorkflow(context.Background(), &workflowservice.CountWorkflowExecutionsRequest{Query: query})
	if err != nil {
		s.t.Fatal(err)
	}
	return res.GetCount()
}

func TestAnInquiryWalksFromOpenToClosedOverHTTP(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent, supervisor := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	agentID := s.users[casedesk.RoleAgent].ID

	r := s.call("POST", "/v1/cases", agent, newInquiry(s), "Idempotency-Key", "walk-1")
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	if r.body["status"] != "new" || r.body["version"] != float64(1) || r.body["assignee_id"] != nil {
		t.Fatalf("new case: %s", r.raw)
	}
	if r.body["description"] != "Two charges of 49.99 on my card **** **** **** 1111" {
		t.Errorf("card number not masked: %v", r.body["description"])
	}
	got := s.call("GET", "/v1/cases/"+id, agent, nil)
	expect(t, got, http.StatusOK)
	if got.body["id"] != id || got.body["version"] != float64(1) {
		t.Fatalf("read after create: %s", got.raw)
	}

	t.Run("the same Idempotency-Key and body return the same case", func(t *testing.T) {
		again := s.call("POST", "/v1/cases", agent, newInquiry(s), "Idempotency-Key", "walk-1")
		expect(t, again, http.StatusCreated)
		if again.body["id"] != id {
			t.Fatalf("second case %v, want %s", again.body["id"], id)
		}
		eventually(t, 10*time.Second, "the case to be visible", func() bool {
			return s.countWorkflows(fmt.Sprintf("CustomerId = '%s'", s.customer.ID)) == 1
		})
	})
	t.Run("the same Idempotency-Key with another body is a conflict", func(t *testing.T) {
		other := newInquiry(s)
		other["subject"] = "Something else"
		expectProblem(t, s.call("POST", "/v1/cases", agent, other, "Idempotency-Key", "walk-1"), http.StatusConflict, "")
	})

	steps := []struct {
		action string
		token  string
		body   any
		status string
	}{
		{"assign", supervisor, map[string]any{"assignee_id": agentID}, "open"},
		{"reply", agent, map[string]any{"body": "We are looking into the two charges."}, "open"},
		{"notes", agent, map[string]any{"body": "One is an authorisation hold."}, "open"},
		{"request-info", agent, map[string]any{"body": "Which card did you pay with?"}, "waiting_on_customer"},
		{"customer-reply", agent, map[string]any{"body": "My Visa."}, "open"},
		{"resolve", agent, map[string]any{"outcome": "answered", "summary": "Authorisation hold, released in 3 days."}, "resolved"},
		{"reopen", supervisor, map[string]any{"reason": "The customer called back."}, "open"},
		{"resolve", agent, map[string]any{"outcome": "answered"}, "resolved"},
		{"close", agent, map[string]any{}, "closed"},
	}
	for i, st := range steps {
		r := s.call("POST", "/v1/cases/"+id+"/"+st.action, st.token, st.body)
		expect(t, r, http.StatusOK)
		if r.body["status"] != st.status || r.body["version"] != float64(i+2) {
			t.Fatalf("after %s: status %v version %v, want %s %d", st.action, r.body["status"], r.body["version"], st.status, i+2)
		}
		// A read right after the write sees it.
		if g := s.call("GET", "/v1/cases/"+id, agent, nil); g.body["version"] != r.body["version"] {
			t.Fatalf("after %s the read model has version %v, want %v", st.action, g.body["version"], r.body["version"])
		}
	}

	ev := s.call("GET", "/v1/cases/"+id+"/events", agent, nil)
	expect(t, ev, http.StatusOK)
	items := ev.body["items"].([]any)
	wantTypes := []string{"case_opened", "assigned", "replied", "note_added", "info_requested", "customer_replied",
		"resolved", "reopened", "resolved", "closed"}
	var types []string
	var prev time.Time
	for i, it := range items {
		e := it.(map[string]any)
		types = append(types, e["type"].(string))
		if e["seq"] != float64(i+1) {
			t.Errorf("event %d has seq %v", i, e["seq"])
		}
		at, err := time.Parse(time.RFC3339Nano, e["at"].(string))
		if err != nil || at.Before(prev) {
			t.Errorf("event %d at %v is not in order", i, e["at"])
		}
		prev = at
		if e["actor"] == "" {
			t.Errorf("event %d has no actor", i)
		}
	}
	if !slices.Equal(types, wantTypes) {
		t.Fatalf("timeline %v, want %v", types, wantTypes)
	}
	if a := items[1].(map[string]any)["actor"]; a != s.users[casedesk.RoleSupervisor].ID {
		t.Errorf("assigned by %v, want the supervisor", a)
	}

	t.Run("a closed case refuses further actions and stays unchanged", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "hello?"}), http.StatusConflict, "")
		if g := s.call("GET", "/v1/cases/"+id, agent, nil); g.body["version"] != float64(len(steps)+1) {
			t.Errorf("version %v after a refused action", g.body["version"])
		}
	})
	t.Run("Temporal visibility finds the closed case by its search attributes", func(t *testing.T) {
		q := fmt.Sprintf("CaseStatus = 'closed' AND CaseType = 'inquiry' AND CasePriority = 'high' AND AssigneeId = '%s' AND WorkflowId = '%s'",
			agentID, workflows.WorkflowID(id))
		eventually(t, 15*time.Second, "the closed case to be visible", func() bool { return s.countWorkflows(q) == 1 })
	})
	t.Run("the list finds the case by status, customer and text", func(t *testing.T) {
		l := s.call("GET", "/v1/cases?status=closed&customer_id="+s.customer.ID+"&q=charged", agent, nil)
		expect(t, l, http.StatusOK)
		if items := l.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
			t.Fatalf("list: %s", l.raw)
		}
	})
	recordIfAsked(t, s, id, "inquiry_history")
}

func TestAResolvedCaseClosesItselfAfterTheReopenWindow(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: 2 * time.Second})
	agent := s.as(casedesk.RoleAgent)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s))
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	res := s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered"})
	expect(t, res, http.StatusOK)
	if res.body["first_contact_resolution"] != true {
		t.Errorf("resolved at first contact but first_contact_resolution is %v", res.body["first_contact_resolution"])
	}
	eventually(t, 20*time.Second, "the automatic close", func() bool {
		return s.call("GET", "/v1/cases/"+id, agent, nil).body["status"] == "closed"
	})
	items := s.call("GET", "/v1/cases/"+id+"/events", agent, nil).body["items"].([]any)
	last := items[len(items)-1].(map[string]any)
	if last["type"] != "closed" || last["actor"] != "system" {
		t.Fatalf("last event %v by %v, want closed by system", last["type"], last["actor"])
	}
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/reopen", agent, map[string]any{"reason": "too late"}), http.StatusConflict, "")
	desc, err := s.temporal.DescribeWorkflowExecution(context.Background(), workflows.WorkflowID(id), "")
	if err != nil {
		t.Fatal(err)
	}
	if st := desc.GetWorkflowExecutionInfo().GetStatus().String(); st != "Completed" {
		t.Errorf("workflow status %s, want Completed", st)
	}
}
