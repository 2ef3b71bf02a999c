package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// movements returns the movements of case id by status.
func (s *system) movements(id string) map[string][]map[string]any {
	s.t.Helper()
	c := s.call("GET", "/v1/cases/"+id, s.as(casedesk.RoleAgent), nil)
	expect(s.t, c, http.StatusOK)
	out := map[string][]map[string]any{}
	for _, m := range c.body["movements"].([]any) {
		mv := m.(map[string]any)
		out[mv["status"].(string)] = append(out[mv["status"].(string)], mv)
	}
	return out
}

// pendingReasons returns the authority reasons of the pending approvals of case id.
func (s *system) pendingReasons(id string) []string {
	s.t.Helper()
	c := s.call("GET", "/v1/cases/"+id, s.as(casedesk.RoleAgent), nil)
	var out []string
	for _, a := range c.body["approvals"].([]any) {
		ap := a.(map[string]any)
		if ap["status"] == "pending" {
			auth, _ := ap["authority"].(map[string]any)
			reason, _ := auth["reason"].(string)
			out = append(out, reason)
		}
	}
	return out
}

// freshAgent creates an agent whose rolling window holds nothing yet and
// returns their token and ID.
func (s *system) freshAgent() (token, userID string) {
	s.t.Helper()
	token = casedesk.NewToken()
	u, err := s.db.CreateUser(context.Background(), casedesk.User{ID: "U-FRESH" + randomHex(2), Name: "Fresh Agent",
		Email: "fresh-" + randomHex(4) + "@casedesk.test", Role: casedesk.RoleAgent}, casedesk.HashToken(token))
	if err != nil {
		s.t.Fatal(err)
	}
	return token, u.ID
}

// openVerifiedBy opens a case assigned to the agent of token, caller verified.
func (s *system) openVerifiedBy(token, userID string) string {
	s.t.Helper()
	r := s.call("POST", "/v1/cases", token, newInquiry(s))
	expect(s.t, r, http.StatusCreated)
	id := r.body["id"].(string)
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/assign", token, map[string]any{"assignee_id": userID}), http.StatusOK)
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/verify-identity", token, map[string]any{"method": "callback"}), http.StatusOK)
	return id
}

func TestSplitRefundsAreApprovedAsTheTotalTheyMake(t *testing.T) {
	// Thirty updates at once queue on one case: give them time, within bounds.
	s := startSystemWith(t, casedesk.DefaultRules(), systemOptions{actionTimeout: 20 * time.Second})

	t.Run("fifteen 100.00 refunds on one case: one posted, the rest wait with the cumulative reason", func(t *testing.T) {
		agent, uid := s.freshAgent()
		p := s.payment("1500.00", "USD")
		id := s.openVerifiedBy(agent, uid)
		for range 15 {
			expect(t, s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "100.00")), http.StatusOK)
		}
		mv := s.movements(id)
		if len(mv["posted"]) != 1 || len(mv["pending_approval"]) != 14 {
			t.Fatalf("movements %v, want 1 posted and 14 waiting", mv)
		}
		reasons := s.pendingReasons(id)
		if len(reasons) != 14 || !strings.HasPrefix(reasons[0], "cumulative 200.00 USD on case "+id) {
			t.Fatalf("reasons %q", reasons)
		}
		c := s.call("GET", "/v1/cases/"+id, agent, nil)
		required := map[float64]int{}
		for _, a := range c.body["approvals"].([]any) {
			required[a.(map[string]any)["required"].(float64)]++
		}
		// 200.00 … 1,000.00 need one supervisor, 1,100.00 … 1,500.00 two.
		if required[1] != 9 || required[2] != 5 {
			t.Errorf("approvals by required %v, want 9 for one and 5 for two", required)
		}
		if b := s.call("GET", "/v1/payments/"+p.ID, agent, nil); b.body["refunded"] != "100.00" {
			t.Errorf("payment %s, want only 100.00 refunded", b.raw)
		}
	})
	t.Run("the same split across three cases on one payment is caught by the payment's total", func(t *testing.T) {
		agents := [3][2]string{}
		for i := range agents {
			agents[i][0], agents[i][1] = s.freshAgent()
		}
		p := s.payment("1500.00", "USD")
		for i := range 3 {
			// Three agents, so that only the payment's total counts.
			agent := agents[i][0]
			id := s.openVerifiedBy(agent, agents[i][1])
			r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "100.00"))
			expect(t, r, http.StatusOK)
			if i > 0 && (r.body["status"] != "pending_approval" || !strings.Contains(s.pendingReasons(id)[0], "on payment "+p.ID)) {
				t.Fatalf("refund %d: %s", i+1, r.raw)
			}
		}
	})
	t.Run("three payments refunded by one agent inside the window are caught by the agent's total", func(t *testing.T) {
		token, uid := s.freshAgent()
		for i := range 3 {
			id := s.openVerifiedBy(token, uid)
			r := s.call("POST", "/v1/cases/"+id+"/refunds", token, refundBody(s.payment("500.00", "USD"), "60.00"))
			expect(t, r, http.StatusOK)
			if want := i > 0; (r.body["status"] == "pending_approval") != want {
				t.Fatalf("refund %d by one agent: %s", i+1, r.raw)
			}
			if i > 0 && !strings.Contains(s.pendingReasons(id)[0], "requested by "+uid+" in 24 h") {
				t.Fatalf("reason %q", s.pendingReasons(id))
			}
		}
	})
	t.Run("thirty concurrent 60.00 proposals on one case never auto-approve more than 100.00", func(t *testing.T) {
		agent, uid := s.freshAgent()
		p := s.payment("5000.00", "USD")
		id := s.openVerifiedBy(agent, uid)
		var wg sync.WaitGroup
		var mu sync.Mutex
		accepted, unanswered := 0, 0
		for range 30 {
			wg.Go(func() {
				r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "60.00"))
				mu.Lock()
				defer mu.Unlock()
				switch r.status {
				case http.StatusOK:
					accepted++
				case http.StatusUnprocessableEntity: // a case holds at most so many pending approvals
				case http.StatusServiceUnavailable:
					// Temporal takes a few updates of one workflow at a time and
					// makes the rest wait; one that waits too long is answered
					// 503 and may still be applied.
					unanswered++
				default:
					t.Errorf("proposal: %d %s", r.status, r.raw)
				}
			})
		}
		wg.Wait()
		// The first proposal is posted once its hold is; the rest wait.
		var mv map[string][]map[string]any
		eventually(t, time.Minute, "the auto-approved proposal to be posted", func() bool {
			mv = s.movements(id)
			return len(mv["posted"]) >= 1 && len(mv["approved"]) == 0
		})
		auto := decimal.Zero
		for _, m := range mv["posted"] {
			auto = auto.Add(decimal.RequireFromString(m["amount"].(map[string]any)["amount"].(string)))
		}
		held := len(mv["posted"]) + len(mv["pending_approval"])
		if auto.GreaterThan(decimal.NewFromInt(100)) || len(mv["posted"]) != 1 || held < accepted || held > accepted+unanswered {
			t.Fatalf("%s posted without approval (%d posted, %d waiting; %d accepted, %d unanswered), want one 60.00", auto,
				len(mv["posted"]), len(mv["pending_approval"]), accepted, unanswered)
		}
	})
}

func TestARefundOfADisputedPaymentWaitsForTheChargeback(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("49.99", "USD")
	cb := s.call("POST", "/v1/cases", agent, s.chargeback(p, time.Now().Add(72*time.Hour)))
	expect(t, cb, http.StatusCreated)
	cbID := cb.body["id"].(string)

	id := s.openAssigned()
	r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "49.99"))
	expectProblem(t, r, http.StatusConflict, "")
	if r.body["code"] != casedesk.EDISPUTED {
		t.Fatalf("code %v, want %s: %s", r.body["code"], casedesk.EDISPUTED, r.raw)
	}
	if b := s.call("GET", "/v1/payments/"+p.ID, agent, nil); b.body["held"] != "0.00" || b.body["refundable"] != "49.99" {
		t.Fatalf("a refused refund held money: %s", b.raw)
	}
	second := s.call("POST", "/v1/cases", agent, s.chargeback(p, time.Now().Add(72*time.Hour)))
	if expectProblem(t, second, http.StatusConflict, ""); second.body["code"] != casedesk.EDUPLICATECHARGEBACK {
		t.Fatalf("a second chargeback: %s", second.raw)
	}

	// The chargeback is won: the payment may be refunded again.
	expect(t, s.call("POST", "/v1/cases/"+cbID+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+cbID+"/evidence", agent, map[string]any{"kind": "receipt", "text": "Signed receipt"}), http.StatusOK)
	gated := s.call("POST", "/v1/cases/"+cbID+"/respond", agent, map[string]any{"summary": "Delivered"})
	expect(t, gated, http.StatusOK)
	aid := gated.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
	expect(t, s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{}), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+cbID+"/network-outcome", agent, map[string]any{"outcome": "won"}), http.StatusOK)
	r = s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "49.99"))
	expect(t, r, http.StatusOK)
	if mv := s.movements(id); len(mv["posted"]) != 1 {
		t.Fatalf("after the chargeback was won: %v", mv)
	}
}

func TestMoneyMovesAboveTheLimitOnlyForAVerifiedCaller(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("500.00", "USD")
	id := s.openAssigned()
	r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "150.00"))
	if expectProblem(t, r, http.StatusConflict, ""); r.body["code"] != casedesk.EIDENTITY {
		t.Fatalf("an unverified 150.00 refund: %s", r.raw)
	}
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/verify-identity", agent, map[string]any{"method": "palm_reading"}), 422, "method")
	v := s.call("POST", "/v1/cases/"+id+"/verify-identity", agent, map[string]any{"method": "one_time_code", "note": "Code sent to the phone on file"})
	expect(t, v, http.StatusOK)
	if v.body["identity_verified"] != true {
		t.Fatalf("after verifying: %s", v.raw)
	}
	expect(t, s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "150.00")), http.StatusOK)
	var verified map[string]any
	for _, e := range s.timeline(agent, id) {
		if e["type"] == "identity_verified" {
			verified = e
		}
	}
	if verified == nil || verified["actor"] != s.users[casedesk.RoleAgent].ID || verified["at"] == nil ||
		verified["data"].(map[string]any)["method"] != "one_time_code" {
		t.Fatalf("identity event %v", verified)
	}
}

func TestARetriedWriteWithTheSameKeyHappensOnce(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("900.00", "USD")
	id := s.openVerified()

	t.Run("a refund sent twice is one movement and the same response", func(t *testing.T) {
		first := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"), "Idempotency-Key", "refund-1")
		again := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"), "Idempotency-Key", "refund-1")
		expect(t, first, http.StatusOK)
		expect(t, again, http.StatusOK)
		if string(first.raw) != string(again.raw) || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("the retry got another answer:\n%s\n%s", first.raw, again.raw)
		}
		if mv := s.movements(id); len(mv["pending_approval"]) != 1 {
			t.Fatalf("movements %v, want one", mv)
		}
		other := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "400.00"), "Idempotency-Key", "refund-1")
		expectProblem(t, other, http.StatusConflict, "")
	})
	t.Run("a note sent twice is one note", func(t *testing.T) {
		body := map[string]any{"body": "Called the bank"}
		expect(t, s.call("POST", "/v1/cases/"+id+"/notes", agent, body, "Idempotency-Key", "note-1"), http.StatusOK)
		again := s.call("POST", "/v1/cases/"+id+"/notes", agent, body, "Idempotency-Key", "note-1")
		expect(t, again, http.StatusOK)
		notes := 0
		for _, e := range s.timeline(agent, id) {
			if e["type"] == "note_added" {
				notes++
			}
		}
		if notes != 1 || again.header.Get("Idempotent-Replayed") != "true" {
			t.Fatalf("%d notes, replayed %q", notes, again.header.Get("Idempotent-Replayed"))
		}
		expectProblem(t, s.call("POST", "/v1/cases/"+id+"/notes", agent, map[string]any{"body": "Another"}, "Idempotency-Key", "note-1"), http.StatusConflict, "")
	})
	t.Run("an approval sent twice is decided once", func(t *testing.T) {
		aid := s.call("GET", "/v1/cases/"+id, agent, nil).body["approvals"].([]any)[0].(map[string]any)["id"].(string)
		first := s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{"comment": "ok"}, "Idempotency-Key", "approve-1")
		again := s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{"comment": "ok"}, "Idempotency-Key", "approve-1")
		expect(t, first, http.StatusOK)
		expect(t, again, http.StatusOK)
		if string(first.raw) != string(again.raw) {
			t.Fatalf("the retried approval answered differently:\n%s\n%s", first.raw, again.raw)
		}
		if mv := s.movements(id); len(mv["posted"]) != 1 {
			t.Fatalf("movements %v, want one posted", mv)
		}
	})
	t.Run("a payment recorded twice by the billing feed is one payment", func(t *testing.T) {
		feed := s.as(casedesk.RoleIntegration)
		body := map[string]any{"amount": "10.00", "currency": "USD", "method": "card", "reference": "ch_idem_" + randomHex(3)}
		first := s.call("POST", "/v1/customers/"+s.customer.ID+"/payments", feed, body, "Idempotency-Key", "pay-1")
		again := s.call("POST", "/v1/customers/"+s.customer.ID+"/payments", feed, body, "Idempotency-Key", "pay-1")
		expect(t, first, http.StatusCreated)
		expect(t, again, http.StatusCreated)
		if first.body["id"] != again.body["id"] {
			t.Fatalf("two payments: %v and %v", first.body["id"], again.body["id"])
		}
	})
}

func TestAnActionOnAVersionSinceChangedIsRefusedAsStale(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	id := s.openAssigned()
	seen := s.call("GET", "/v1/cases/"+id, agent, nil)
	version := seen.body["version"].(float64)
	if etag := seen.header.Get("ETag"); etag != fmt.Sprintf("%q", fmt.Sprint(version)) {
		t.Fatalf("ETag %q for version %v", etag, version)
	}
	// Someone else writes first.
	expect(t, s.call("POST", "/v1/cases/"+id+"/notes", sup, map[string]any{"body": "Called the bank", "expected_version": version}), http.StatusOK)
	stale := s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We refunded you", "expected_version": version})
	if expectProblem(t, stale, http.StatusConflict, ""); stale.body["code"] != casedesk.ESTALE {
		t.Fatalf("a reply on version %v after another change: %s", version, stale.raw)
	}
	headerStale := s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We refunded you"}, "If-Match", fmt.Sprintf("%q", fmt.Sprint(version)))
	if expectProblem(t, headerStale, http.StatusConflict, ""); headerStale.body["code"] != casedesk.ESTALE {
		t.Fatalf("If-Match on an old version: %s", headerStale.raw)
	}
	for _, e := range s.timeline(agent, id) {
		if e["type"] == "replied" {
			t.Fatal("a stale reply reached the timeline")
		}
	}
	now := s.call("GET", "/v1/cases/"+id, agent, nil).body["version"]
	expect(t, s.call("POST", "/v1/cases/"+id+"/reply", agent, map[string]any{"body": "We refunded you", "expected_version": now}), http.StatusOK)
}
