package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestBadInputIsRefusedAndChangesNothing(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	agent, admin := s.as(casedesk.RoleAgent), s.as(casedesk.RoleAdmin)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s))
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)

	with := func(key string, value any) map[string]any {
		b := newInquiry(s)
		if value == nil {
			delete(b, key)
		} else {
			b[key] = value
		}
		return b
	}
	cases := []struct {
		name   string
		method string
		path   string
		token  string
		body   any
		status int
		field  string
	}{
		{"malformed JSON is a 400", "POST", "/v1/cases", agent, `{"type": "inquiry",`, 400, ""},
		{"a JSON array is a 400", "POST", "/v1/cases", agent, `[1,2]`, 400, ""},
		{"an empty body is a 400", "POST", "/v1/cases", agent, ``, 400, ""},
		{"a missing customer_id is a 422 naming it", "POST", "/v1/cases", agent, with("customer_id", nil), 422, "customer_id"},
		{"an unknown customer is a 422 naming it", "POST", "/v1/cases", agent, with("customer_id", "CU-NOPE"), 422, "customer_id"},
		{"an unknown priority is a 422 naming it", "POST", "/v1/cases", agent, with("priority", "asap"), 422, "priority"},
		{"an unknown type is a 422 naming it", "POST", "/v1/cases", agent, with("type", "complaint"), 422, "type"},
		{"an unknown channel is a 422 naming it", "POST", "/v1/cases", agent, with("channel", "fax"), 422, "channel"},
		{"a number where text belongs is a 422 naming it", "POST", "/v1/cases", agent, with("subject", 42), 422, "subject"},
		{"an unknown field is a 422 naming it", "POST", "/v1/cases", agent, with("colour", "red"), 422, "colour"},
		{"no token is a 401", "GET", "/v1/cases/" + id, "", nil, 401, ""},
		{"a wrong token is a 401", "GET", "/v1/cases/" + id, "cdk_wrong", nil, 401, ""},
		{"an agent creating a user is a 403", "POST", "/v1/users", agent, map[string]any{"name": "X", "email": "x@example.com", "role": "agent"}, 403, ""},
		{"an admin creating a user with a bad role is a 422", "POST", "/v1/users", admin, map[string]any{"name": "X", "email": "x@example.com", "role": "boss"}, 422, "role"},
		{"an unknown case is a 404", "GET", "/v1/cases/C-NOPE00", agent, nil, 404, ""},
		{"an action on an unknown case is a 404", "POST", "/v1/cases/C-NOPE00/reply", agent, map[string]any{"body": "hi"}, 404, ""},
		{"replying to an unassigned case is a 409", "POST", "/v1/cases/" + id + "/reply", agent, map[string]any{"body": "hi"}, 409, ""},
		{"resolving a new case is a 409", "POST", "/v1/cases/" + id + "/resolve", agent, map[string]any{"outcome": "answered"}, 409, ""},
		{"closing an unresolved case is a 409", "POST", "/v1/cases/" + id + "/close", agent, nil, 409, ""},
		{"an empty reply body is a 422 naming it", "POST", "/v1/cases/" + id + "/notes", agent, map[string]any{"body": ""}, 422, "body"},
		{"assigning to an unknown user is a 422 naming it", "POST", "/v1/cases/" + id + "/assign", agent, map[string]any{"assignee_id": "U-NOPE"}, 422, "assignee_id"},
		{"assigning to an admin is a 422 naming it", "POST", "/v1/cases/" + id + "/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAdmin].ID}, 422, "assignee_id"},
		{"an unknown outcome is a 422 naming it", "POST", "/v1/cases/" + id + "/resolve", agent, map[string]any{"outcome": "fixed"}, 422, "outcome"},
		{"a bad list filter is a 422 naming it", "GET", "/v1/cases?status=done", agent, nil, 422, "status"},
		{"a bad limit is a 422 naming it", "GET", "/v1/cases?limit=1000", agent, nil, 422, "limit"},
		{"a forged cursor is a 422 naming it", "GET", "/v1/cases?cursor=bm9wZQ", agent, nil, 422, "cursor"},
		{"an unknown route is a 404", "GET", "/v1/nothing", agent, nil, 404, ""},
	}
	for _, tc := range cases {
		t.Run(tc.name, func(t *testing.T) {
			expectProblem(t, s.call(tc.method, tc.path, tc.token, tc.body), tc.status, tc.field)
		})
	}
	after := s.call("GET", "/v1/cases/"+id, agent, nil)
	if after.body["version"] != float64(1) || after.body["status"] != "new" {
		t.Fatalf("refused requests changed the case: %s", after.raw)
	}
	if l := s.call("GET", "/v1/cases?customer_id="+s.customer.ID, agent, nil); len(l.body["items"].([]any)) != 1 {
		t.Fatalf("refused requests opened cases: %s", l.raw)
	}
	events := s.call("GET", "/v1/cases/"+id+"/events", agent, nil).body["items"].([]any)
	if len(events) != 1 {
		t.Fatalf("refused requests added events: %v", events)
	}
}

func TestAdminsCreateUsersWhoseTokenWorks(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	r := s.call("POST", "/v1/users", s.as(casedesk.RoleAdmin), map[string]any{"name": "New Agent", "email": "new.agent@example.com", "role": "agent"})
	expect(t, r, http.StatusCreated)
	token, _ := r.body["token"].(string)
	if token == "" || r.body["role"] != "agent" || r.body["id"] == "" {
		t.Fatalf("created user: %s", r.raw)
	}
	me := s.call("GET", "/v1/me", token, nil)
	expect(t, me, http.StatusOK)
	if me.body["id"] != r.body["id"] {
		t.Fatalf("/v1/me with the new token: %s", me.raw)
	}
	expectProblem(t, s.call("POST", "/v1/users", s.as(casedesk.RoleAdmin), map[string]any{"name": "Dup", "email": "NEW.AGENT@example.com", "role": "agent"}), http.StatusConflict, "")
	c := s.call("POST", "/v1/customers", token, map[string]any{"name": "Ana", "email": "ana@example.com"})
	expect(t, c, http.StatusCreated)
	cid := c.body["id"].(string)
	expect(t, s.call("GET", "/v1/customers/"+cid, token, nil), http.StatusOK)
	// Payments come from the billing system's integration user.
	token = s.as(casedesk.RoleIntegration)
	p := s.call("POST", "/v1/customers/"+cid+"/payments", token, map[string]any{"amount": "120.5", "currency": "USD", "method": "card", "reference": "ch_1"})
	expect(t, p, http.StatusCreated)
	if p.body["amount"] != "120.50" {
		t.Errorf("payment amount %v, want \"120.50\"", p.body["amount"])
	}
	expectProblem(t, s.call("POST", "/v1/customers/"+cid+"/payments", token, map[string]any{"amount": "10.005", "currency": "USD", "method": "card", "reference": "ch_2"}), 422, "amount")
	expectProblem(t, s.call("POST", "/v1/customers/"+cid+"/payments", token, map[string]any{"amount": "10.5", "currency": "JPY", "method": "card", "reference": "ch_3"}), 422, "amount")
	expectProblem(t, s.call("POST", "/v1/customers/"+cid+"/payments", token, map[string]any{"amount": 10, "currency": "USD", "method": "card", "reference": "ch_4"}), 422, "amount")
	expectProblem(t, s.call("GET", "/v1/customers/CU-NOPE", token, nil), 404, "")
}
