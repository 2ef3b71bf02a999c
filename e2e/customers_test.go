package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// The events of case id, by type.
func (s *system) eventsOf(id string) map[string][]map[string]any {
	s.t.Helper()
	r := s.call("GET", "/v1/cases/"+id+"/events", s.as(casedesk.RoleAgent), nil)
	expect(s.t, r, http.StatusOK)
	out := map[string][]map[string]any{}
	for _, e := range r.body["items"].([]any) {
		m := e.(map[string]any)
		out[m["type"].(string)] = append(out[m["type"].(string)], m)
	}
	return out
}

func TestAnAgentCorrectsACustomersEmailOnThePhone(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent := s.as(casedesk.RoleAgent)
	id := s.openAssigned()
	before := time.Now().Add(-time.Minute)

	r := s.call("PATCH", "/v1/customers/"+s.customer.ID, agent, map[string]any{"email": "corrected@example.com", "phone": "+1 555 0100"})
	expect(t, r, http.StatusOK)
	if r.body["email"] != "corrected@example.com" || r.body["phone"] != "+1 555 0100" {
		t.Fatalf("customer %s", r.raw)
	}

	t.Run("the case's timeline says it", func(t *testing.T) {
		ev := s.eventsOf(id)["customer_updated"]
		if len(ev) != 1 || ev[0]["actor"] != casedesk.SystemActor.ID || ev[0]["data"].(map[string]any)["email"] != "corrected@example.com" {
			t.Fatalf("customer_updated events %v", ev)
		}
	})

	t.Run("the next email of the open case goes to the new address", func(t *testing.T) {
		expect(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We found the second charge."}), http.StatusOK)
		eventually(t, 20*time.Second, "the reply's message", func() bool {
			msgs, err := s.db.CaseMessages(context.Background(), id)
			if err != nil {
				return false
			}
			for _, m := range msgs {
				if m.Kind == "agent_reply" {
					if m.Recipient != "corrected@example.com" {
						t.Fatalf("the reply went to %q", m.Recipient)
					}
					return true
				}
			}
			return false
		})
	})

	t.Run("the history shows who changed what and when", func(t *testing.T) {
		r := s.call("GET", "/v1/customers/"+s.customer.ID+"/history", agent, nil)
		expect(t, r, http.StatusOK)
		items := r.body["items"].([]any)
		if len(items) != 2 {
			t.Fatalf("history %s", r.raw)
		}
		e := items[0].(map[string]any)
		at, _ := time.Parse(time.RFC3339Nano, e["at"].(string))
		if e["field"] != "email" || e["old"] != s.customer.Email || e["new"] != "corrected@example.com" ||
			e["actor"] != s.users[casedesk.RoleAgent].ID || at.Before(before) {
			t.Fatalf("first entry %v", e)
		}
	})

	t.Run("an email another customer has is refused with 409", func(t *testing.T) {
		r := s.call("POST", "/v1/customers", agent, map[string]any{"name": "Someone Else", "email": "someone@example.com"})
		expect(t, r, http.StatusCreated)
		expectProblem(t, s.call("PATCH", "/v1/customers/"+s.customer.ID, agent, map[string]any{"email": "Someone@example.com"}), http.StatusConflict, "")
		expectProblem(t, s.call("PATCH", "/v1/customers/"+s.customer.ID, agent, map[string]any{"email": "not an address"}), http.StatusUnprocessableEntity, "email")
	})

	t.Run("the agent finds the customer by the phone number as the caller says it", func(t *testing.T) {
		r := s.call("GET", "/v1/customers?q=555-0100", agent, nil)
		expect(t, r, http.StatusOK)
		items := r.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["id"] != s.customer.ID {
			t.Fatalf("search %s", r.raw)
		}
	})
}

func TestMergingTwoCustomersKeepsEverythingReachable(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent, supervisor, billing := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor), s.as(casedesk.RoleIntegration)
	dup := s.customer
	open := s.openAssigned()
	expect(t, s.call("POST", "/v1/customers/"+dup.ID+"/payments", billing, map[string]any{
		"amount": "49.99", "currency": "USD", "method": "card", "reference": "ch_merge_1"}), http.StatusCreated)
	expect(t, s.call("POST", "/v1/customers/"+dup.ID+"/invoices", billing, map[string]any{
		"number": "INV-MERGE-1", "amount": "49.99", "currency": "USD",
		"issued_at": "2026-03-01T00:00:00Z", "due_at": "2026-03-31T00:00:00Z"}), http.StatusCreated)
	r := s.call("POST", "/v1/customers", agent, map[string]any{"name": "Ada Lovelace", "email": "ada.keep@example.com"})
	expect(t, r, http.StatusCreated)
	keep := r.body["id"].(string)

	expectProblem(t, s.call("POST", "/v1/customers/"+dup.ID+"/merge", agent, map[string]any{"into": keep}), http.StatusForbidden, "")
	r = s.call("POST", "/v1/customers/"+dup.ID+"/merge", supervisor, map[string]any{"into": keep})
	expect(t, r, http.StatusOK)
	if r.body["id"] != keep {
		t.Fatalf("merge answered %s", r.raw)
	}

	r = s.call("GET", "/v1/cases?customer_id="+keep, agent, nil)
	expect(t, r, http.StatusOK)
	if items := r.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != open {
		t.Fatalf("the survivor's cases: %s", r.raw)
	}
	r = s.call("GET", "/v1/cases/"+open, agent, nil)
	if r.body["customer_id"] != keep {
		t.Fatalf("the case's customer is %v, want %s", r.body["customer_id"], keep)
	}
	if ev := s.eventsOf(open)["customer_updated"]; len(ev) != 1 || ev[0]["data"].(map[string]any)["merged_from"] != dup.ID {
		t.Fatalf("customer_updated events %v", ev)
	}
	for _, kind := range []string{"payments", "invoices"} {
		r := s.call("GET", "/v1/customers/"+keep+"/"+kind, agent, nil)
		expect(t, r, http.StatusOK)
		if len(r.body["items"].([]any)) != 1 {
			t.Errorf("the survivor's %s: %s", kind, r.raw)
		}
	}
	r = s.call("GET", "/v1/customers/"+dup.ID, agent, nil)
	expect(t, r, http.StatusOK)
	if r.body["merged_into"] != keep {
		t.Fatalf("the duplicate: %s", r.raw)
	}
	r = s.call("GET", "/v1/customers?q="+dup.ID, agent, nil)
	if items := r.body["items"].([]any); len(items) != 1 {
		t.Fatalf("searching the duplicate's ID: %s", r.raw)
	}
	for id, kind := range map[string]string{dup.ID: "merged_into", keep: "merged_from"} {
		r := s.call("GET", "/v1/customers/"+id+"/history", agent, nil)
		items := r.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["kind"] != kind {
			t.Errorf("history of %s: %s", id, r.raw)
		}
	}
}
