package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// secondsPolicy is an SLA configuration whose targets are seconds long on a
// 24x7 calendar, so a live test sees warnings and breaches happen.
const secondsPolicy = `{
  "calendars": {"always": {"time_zone": "UTC", "weekly": "24x7"}},
  "policies": [
    {"type": "inquiry", "priority": "normal", "calendar": "always", "first_response": "3s", "resolution": "6s", "warning_at": 0.5},
    {"type": "inquiry", "priority": "high", "calendar": "always", "first_response": "20s", "resolution": "30s", "warning_at": 0.9}
  ]}`

func secondsRules(t *testing.T) casedesk.Rules {
	t.Helper()
	cfg, err := casedesk.ParseSLAConfig([]byte(secondsPolicy))
	if err != nil {
		t.Fatal(err)
	}
	return casedesk.Rules{ReopenWindow: time.Hour, SLA: cfg.Policies()}
}

// timeline returns the events of case id.
func (s *system) timeline(token, id string) []map[string]any {
	s.t.Helper()
	var out []map[string]any
	for _, e := range s.call("GET", "/v1/cases/"+id+"/events", token, nil).body["items"].([]any) {
		out = append(out, e.(map[string]any))
	}
	return out
}

func parseTime(t testing.TB, v any) time.Time {
	t.Helper()
	s, _ := v.(string)
	at, err := time.Parse(time.RFC3339Nano, s)
	if err != nil {
		t.Fatalf("not a time: %v", v)
	}
	return at
}

func TestALiveCaseLeftAloneIsWarnedThenBreachedOnTime(t *testing.T) {
	s := startSystem(t, secondsRules(t))
	agent := s.as(casedesk.RoleAgent)
	body := newInquiry(s)
	body["priority"] = "normal"
	r := s.call("POST", "/v1/cases", agent, body)
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	opened := parseTime(t, r.body["opened_at"])
	sla := r.body["sla"].(map[string]any)
	if d := parseTime(t, sla["first_response_due"]).Sub(opened); d != 3*time.Second {
		t.Fatalf("first response due %s after opening, want 3s", d)
	}

	want := []struct {
		typ, clock string
		due        time.Duration
	}{
		{"sla_warning", "first_response", 1500 * time.Millisecond},
		{"sla_breached", "first_response", 3 * time.Second},
		{"sla_warning", "resolution", 3 * time.Second},
		{"sla_breached", "resolution", 6 * time.Second},
	}
	eventually(t, 15*time.Second, "both breaches", func() bool {
		n := 0
		for _, e := range s.timeline(agent, id) {
			if e["type"] == "sla_breached" {
				n++
			}
		}
		return n == 2
	})
	events := s.timeline(agent, id)
	for _, w := range want {
		found := false
		for _, e := range events {
			data := e["data"].(map[string]any)
			if e["type"] != w.typ || data["clock"] != w.clock {
				continue
			}
			found = true
			late := parseTime(t, e["at"]).Sub(opened.Add(w.due))
			if late < 0 || late > 2*time.Second {
				t.Errorf("%s %s fired %s after it was due, want within 2s", w.clock, w.typ, late)
			}
			if e["actor"] != "system" {
				t.Errorf("%s by %v, want system", w.typ, e["actor"])
			}
		}
		if !found {
			t.Errorf("no %s %s in the timeline", w.clock, w.typ)
		}
	}
	c := s.call("GET", "/v1/cases/"+id, agent, nil)
	if sla := c.body["sla"].(map[string]any); sla["first_response_breached"] != true || sla["resolution_breached"] != true {
		t.Errorf("sla %v, want both breached", sla)
	}
	l := s.call("GET", "/v1/cases?needs_supervisor=true", s.as(casedesk.RoleSupervisor), nil)
	expect(t, l, http.StatusOK)
	if items := l.body["items"].([]any); len(items) != 1 || items[0].(map[string]any)["id"] != id {
		t.Errorf("the escalation queue holds %s, want the breached case", l.raw)
	}
	if l := s.call("GET", "/v1/cases?breached=false", agent, nil); len(l.body["items"].([]any)) != 0 {
		t.Errorf("breached=false lists %s", l.raw)
	}
}

func TestWaitingOnTheCustomerMovesTheResolutionDeadline(t *testing.T) {
	s := startSystem(t, secondsRules(t))
	agent := s.as(casedesk.RoleAgent)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s)) // high: resolution 30s
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	w := s.call("POST", "/v1/cases/"+id+"/request-info", agent, map[string]any{"body": "Which card?"})
	expect(t, w, http.StatusOK)
	before := parseTime(t, w.body["sla"].(map[string]any)["resolution_due"])
	if w.body["sla"].(map[string]any)["paused"] != true {
		t.Fatalf("the clock is not paused while waiting: %s", w.raw)
	}
	waitedFrom := parseTime(t, w.body["updated_at"])
	// Spend some time waiting on the customer. This orders nothing: the test
	// measures how long really passed (updated_at to updated_at) below.
	time.Sleep(3 * time.Second)
	back := s.call("POST", "/v1/cases/"+id+"/customer-reply", agent, map[string]any{"body": "Visa"})
	expect(t, back, http.StatusOK)
	waited := parseTime(t, back.body["updated_at"]).Sub(waitedFrom)
	after := parseTime(t, back.body["sla"].(map[string]any)["resolution_due"])
	if moved := after.Sub(before); moved-waited > time.Second || waited-moved > time.Second {
		t.Errorf("waited %s but the deadline moved %s", waited, moved)
	}
	types := map[string]bool{}
	for _, e := range s.timeline(agent, id) {
		types[e["type"].(string)] = true
	}
	if !types["sla_paused"] || !types["sla_resumed"] {
		t.Errorf("no pause/resume in the timeline: %v", types)
	}
}

func TestAPriorityChangeOverHTTPRecomputesTheDeadlines(t *testing.T) {
	s := startSystem(t, secondsRules(t))
	agent := s.as(casedesk.RoleAgent)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s)) // high: 20s / 30s
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	opened := parseTime(t, r.body["opened_at"])
	p := s.call("POST", "/v1/cases/"+id+"/priority", s.as(casedesk.RoleSupervisor), map[string]any{"priority": "normal"})
	expect(t, p, http.StatusOK)
	if d := parseTime(t, p.body["sla"].(map[string]any)["resolution_due"]).Sub(opened); d != 6*time.Second {
		t.Errorf("resolution due %s after opening at normal priority, want 6s", d)
	}
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/priority", agent, map[string]any{"priority": "asap"}), 422, "priority")
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/priority", agent, map[string]any{"priority": "normal"}), 409, "")
}
