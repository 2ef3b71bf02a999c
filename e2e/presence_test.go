package e2e_test

import (
	"bufio"
	"context"
	"encoding/json"
	"net/http"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// sseReader reads one GET /v1/stream as a list of (event, data) pairs.
type sseReader struct {
	t      *testing.T
	events chan [2]string
}

func (s *system) streamAt(t *testing.T, url, token string) *sseReader {
	t.Helper()
	ctx, cancel := context.WithCancel(context.Background())
	t.Cleanup(cancel)
	req, err := http.NewRequestWithContext(ctx, "GET", url+"/v1/stream", nil)
	if err != nil {
		t.Fatal(err)
	}
	req.Header.Set("Authorization", "Bearer "+token)
	res, err := http.DefaultClient.Do(req)
	if err != nil {
		t.Fatal(err)
	}
	if res.StatusCode != http.StatusOK {
		t.Fatalf("GET /v1/stream: %d", res.StatusCode)
	}
	r := &sseReader{t: t, events: make(chan [2]string, 64)}
	go func() {
		defer res.Body.Close()
		sc := bufio.NewScanner(res.Body)
		var event string
		for sc.Scan() {
			line := sc.Text()
			switch {
			case strings.HasPrefix(line, "event: "):
				event = strings.TrimPrefix(line, "event: ")
			case strings.HasPrefix(line, "data: "):
				r.events <- [2]string{event, strings.TrimPrefix(line, "data: ")}
			}
		}
		close(r.events)
	}()
	return r
}

// presence waits for a "presence" event of case id that satisfies ok.
func (r *sseReader) presence(id string, ok func(casedesk.CasePresence) bool) casedesk.CasePresence {
	r.t.Helper()
	timeout := time.After(10 * time.Second)
	for {
		select {
		case ev, open := <-r.events:
			if !open {
				r.t.Fatal("the stream ended")
			}
			var p casedesk.CasePresence
			if ev[0] == "presence" && json.Unmarshal([]byte(ev[1]), &p) == nil && p.CaseID == id && ok(p) {
				return p
			}
		case <-timeout:
			r.t.Fatalf("no presence event of %s as expected within 10s", id)
		}
	}
}

// TestPresenceAcrossReplicas: a heartbeat sent to one API replica reaches
// the stream of another (PostgreSQL NOTIFY), typing included, and leaving
// empties the case's viewers there; a new stream starts with who is there.
func TestPresenceAcrossReplicas(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	second := s.replica(t)
	agent, supervisor := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	r := s.call("POST", "/v1/cases", agent, map[string]any{"type": "inquiry", "customer_id": s.customer.ID,
		"subject": "Presence", "channel": "chat"})
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	name := s.users[casedesk.RoleAgent].Name

	watch := s.streamAt(t, second, supervisor)
	expect(t, s.call("POST", "/v1/cases/"+id+"/presence", agent, map[string]any{"typing": false}), http.StatusOK)
	watch.presence(id, func(p casedesk.CasePresence) bool {
		return len(p.Viewers) == 1 && p.Viewers[0].Name == name && !p.Viewers[0].Typing
	})
	expect(t, s.call("POST", "/v1/cases/"+id+"/presence", agent, map[string]any{"typing": true}), http.StatusOK)
	watch.presence(id, func(p casedesk.CasePresence) bool { return len(p.Viewers) == 1 && p.Viewers[0].Typing })

	// A stream opened now hears at once who is there.
	late := s.streamAt(t, second, supervisor)
	late.presence(id, func(p casedesk.CasePresence) bool { return len(p.Viewers) == 1 && p.Viewers[0].Name == name })

	expect(t, s.call("DELETE", "/v1/cases/"+id+"/presence", agent, nil), http.StatusOK)
	watch.presence(id, func(p casedesk.CasePresence) bool { return len(p.Viewers) == 0 })

	t.Run("refused", func(t *testing.T) {
		expect(t, s.call("POST", "/v1/cases/C-NOSUCH/presence", agent, map[string]any{"typing": false}), http.StatusNotFound)
		expect(t, s.call("POST", "/v1/cases/"+id+"/presence", agent, map[string]any{}), http.StatusUnprocessableEntity)
		expect(t, s.call("POST", "/v1/cases/"+id+"/presence", s.as(casedesk.RoleIntegration), map[string]any{"typing": false}), http.StatusForbidden)
	})
}

// TestConfigInForce: supervisors and admins read the SLA policies and the
// authority matrix the server runs with; agents may not.
func TestConfigInForce(t *testing.T) {
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	r := s.call("GET", "/v1/config/sla", s.as(casedesk.RoleSupervisor), nil)
	expect(t, r, http.StatusOK)
	policies := r.body["policies"].([]any)
	if len(policies) != len(casedesk.DefaultRules().SLA) {
		t.Fatalf("%d policies, the server runs with %d", len(policies), len(casedesk.DefaultRules().SLA))
	}
	want := casedesk.DefaultSLAConfig().Policy(casedesk.TypeChargeback, casedesk.PriorityUrgent)
	found := false
	for _, p := range policies {
		p := p.(map[string]any)
		if p["type"] == "chargeback" && p["priority"] == "urgent" {
			found = p["first_response"] == want.FirstResponse.String() && p["resolution"] == want.Resolution.String() &&
				p["calendar"] == want.CalendarName
		}
	}
	if !found {
		t.Errorf("the urgent chargeback policy is not %v in %s", want, r.raw)
	}
	if cals := r.body["calendars"].([]any); len(cals) == 0 || cals[0].(map[string]any)["name"] != want.CalendarName {
		t.Errorf("calendars = %v", cals)
	}
	r = s.call("GET", "/v1/config/approvals", s.as(casedesk.RoleAdmin), nil)
	expect(t, r, http.StatusOK)
	def := r.body["limits"].([]any)[0].(map[string]any)
	if def["currency"] != "" || def["auto_approve_up_to"] != "100" || def["one_supervisor_up_to"] != "1000" {
		t.Errorf("default limits = %v", def)
	}
	expect(t, s.call("GET", "/v1/config/sla", s.as(casedesk.RoleAgent), nil), http.StatusForbidden)
	expect(t, s.call("GET", "/v1/config/approvals", s.as(casedesk.RoleAgent), nil), http.StatusForbidden)
}
