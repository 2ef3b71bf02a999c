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
