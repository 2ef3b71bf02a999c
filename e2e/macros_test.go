package e2e_test

import (
	"context"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestAMacroRepliesAndResolvesAsByHand(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent, supervisor := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	body := "Hello {{customer.name}}, the second charge on {{case.id}} is a duplicate authorisation; it falls away within 5 days. {{agent.name}}"

	t.Run("a misspelt placeholder cannot be saved", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/macros", supervisor, map[string]any{"name": "Typo", "body": "Hello {{customer.nmae}}", "shared": true}),
			http.StatusUnprocessableEntity, "body")
	})
	t.Run("an agent may not share a macro", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/macros", agent, map[string]any{"name": "Mine", "body": body, "shared": true}), http.StatusForbidden, "")
	})

	r := s.call("POST", "/v1/macros", supervisor, map[string]any{"name": "Duplicate authorisation", "body": body, "shared": true,
		"actions": map[string]any{"resolve": "answered"}})
	expect(t, r, http.StatusCreated)
	macro := r.body["id"].(string)
	want := "Hello Jordan Rivera, the second charge on %s is a duplicate authorisation; it falls away within 5 days. Test agent"

	id := s.openAssigned()
	want = strings.Replace(want, "%s", id, 1)
	r = s.call("POST", "/v1/cases/"+id+"/macros/"+macro+"/preview", agent, nil)
	expect(t, r, http.StatusOK)
	if r.body["body"] != want {
		t.Fatalf("preview %q, want %q", r.body["body"], want)
	}

	r = s.call("POST", "/v1/cases/"+id+"/macros/"+macro+"/apply", agent, nil)
	expect(t, r, http.StatusOK)
	if r.body["status"] != "resolved" || r.body["outcome"] != "answered" {
		t.Fatalf("applied: %s", r.raw)
	}

	t.Run("the timeline reads as if done by hand", func(t *testing.T) {
		ev := s.eventsOf(id)
		replied, resolved := ev["replied"], ev["resolved"]
		if len(replied) != 1 || replied[0]["actor"] != s.users[casedesk.RoleAgent].ID || replied[0]["data"].(map[string]any)["body"] != want ||
			len(resolved) != 1 || resolved[0]["actor"] != s.users[casedesk.RoleAgent].ID {
			t.Fatalf("replied %v, resolved %v", replied, resolved)
		}
	})
	t.Run("the customer gets the rendered reply", func(t *testing.T) {
		eventually(t, 20*time.Second, "the reply's message", func() bool {
			msgs, _ := s.db.CaseMessages(context.Background(), id)
			for _, m := range msgs {
				if m.Kind == "agent_reply" {
					if !strings.Contains(m.Text, "Hello Jordan Rivera") || m.Recipient != s.customer.Email {
						t.Fatalf("reply message %+v", m)
					}
					return true
				}
			}
			return false
		})
	})
	t.Run("the report counts the use", func(t *testing.T) {
		r := s.call("GET", "/v1/reports/macros", supervisor, nil)
		expect(t, r, http.StatusOK)
		items := r.body["items"].([]any)
		if len(items) != 1 || items[0].(map[string]any)["uses"] != float64(1) {
			t.Fatalf("report %s", r.raw)
		}
	})
	t.Run("a refused action is the same 409 as by hand", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/cases/"+id+"/macros/"+macro+"/apply", agent, nil), http.StatusConflict, "")
	})
}

func TestAMacroWritesAmountsForTheirCurrencyAndARetriedApplyRepliesOnce(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent, supervisor := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("120.00", "USD")
	id := s.openVerified()
	expect(t, s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "40.00")), http.StatusOK)
	eventually(t, 10*time.Second, "the refund to be posted", func() bool {
		mv, _ := s.call("GET", "/v1/cases/"+id, agent, nil).body["movements"].([]any)
		return len(mv) == 1 && mv[0].(map[string]any)["status"] == casedesk.MovementPosted
	})
	body := "We refunded {{refund.amount}} of your payment {{payment.id}} of {{payment.amount}} made on {{payment.date}}; " +
		"{{payment.refundable}} of it can still be refunded. Refunded on this case: {{refund.total}}.{{invoice.balance}}"
	r := s.call("POST", "/v1/macros", supervisor, map[string]any{"name": "Refund posted", "body": body, "shared": true})
	expect(t, r, http.StatusCreated)
	macro := r.body["id"].(string)
	want := "We refunded 40.00 USD of your payment " + p.ID + " of 120.00 USD made on " + p.PaidAt.UTC().Format("2 January 2006") +
		"; 80.00 USD of it can still be refunded. Refunded on this case: 40.00 USD."
	r = s.call("POST", "/v1/cases/"+id+"/macros/"+macro+"/preview", agent, nil)
	expect(t, r, http.StatusOK)
	if r.body["body"] != want {
		t.Fatalf("preview\n%q, want\n%q", r.body["body"], want)
	}
	expectProblem(t, s.call("POST", "/v1/macros", supervisor, map[string]any{"name": "Typo", "body": "{{refund.amonut}}"}),
		http.StatusUnprocessableEntity, "body")

	apply := func() response {
		return s.call("POST", "/v1/cases/"+id+"/macros/"+macro+"/apply", agent, nil, "Idempotency-Key", "macro-refund-1")
	}
	first := apply()
	expect(t, first, http.StatusOK)
	// The API that applied it stopped before it kept its answer: the key is
	// still in progress, so the retry runs again, and its updates are the
	// first one's.
	tag, err := s.db.Pool.Exec(context.Background(), `UPDATE idempotency_keys SET status_code = NULL, response = NULL
		WHERE actor_id = $1 AND key = 'macro-refund-1'`, s.users[casedesk.RoleAgent].ID)
	if err != nil || tag.RowsAffected() != 1 {
		t.Fatalf("resetting the key: %v, %d rows", err, tag.RowsAffected())
	}
	again := apply()
	expect(t, again, http.StatusOK)
	if again.header.Get("Idempotent-Replayed") != "" {
		t.Fatal("the retry was replayed from the store; it should have reached the case again")
	}
	if third := apply(); third.header.Get("Idempotent-Replayed") != "true" || string(third.raw) != string(again.raw) {
		t.Errorf("the third apply was not the kept answer: %s", third.raw)
	}
	replies := s.eventsOf(id)["replied"]
	if len(replies) != 1 || replies[0]["data"].(map[string]any)["body"] != want {
		t.Fatalf("%d replies in the timeline, want one with the rendered text: %v", len(replies), replies)
	}
	report := s.call("GET", "/v1/reports/macros", supervisor, nil)
	expect(t, report, http.StatusOK)
	for _, it := range report.body["items"].([]any) {
		if m := it.(map[string]any); m["id"] == macro && m["uses"] != float64(1) {
			t.Errorf("the macro counted %v uses, want one", m["uses"])
		}
	}
}
