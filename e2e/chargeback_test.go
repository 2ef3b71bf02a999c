package e2e_test

import (
	"context"
	"net/http"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

func (s *system) payment(amount, currency string) casedesk.Payment {
	s.t.Helper()
	p, err := s.db.CreatePayment(context.Background(), casedesk.Payment{ID: casedesk.NewID(casedesk.PrefixPayment, 8),
		CustomerID: s.customer.ID, Amount: decimal.RequireFromString(amount), Currency: currency, Method: "card",
		Reference: "ch_" + randomHex(6), PaidAt: time.Now().Add(-24 * time.Hour)})
	if err != nil {
		s.t.Fatal(err)
	}
	return p
}

func (s *system) chargeback(p casedesk.Payment, due time.Time) map[string]any {
	return map[string]any{"type": "chargeback", "customer_id": s.customer.ID, "subject": "Visa chargeback 13.1",
		"channel": "email", "payment_id": p.ID, "amount": "49.99", "currency": p.Currency, "network": "visa",
		"reason_code": "13.1", "due_by": due.UTC().Format(time.RFC3339Nano)}
}

func TestAChargebackWithNoResponseIsLostWhenItsDeadlinePasses(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("49.99", "USD")
	due := time.Now().Add(4 * time.Second)
	lonely := s.call("POST", "/v1/cases", agent, s.chargeback(p, due))
	expect(t, lonely, http.StatusCreated)
	id := lonely.body["id"].(string)
	cb := lonely.body["chargeback"].(map[string]any)
	if cb["stage"] != "needs_response" || cb["reason_name"] != "Merchandise or services not received" {
		t.Fatalf("chargeback %v", cb)
	}

	// A payment is disputed once at a time.
	expectProblem(t, s.call("POST", "/v1/cases", agent, s.chargeback(p, due)), http.StatusConflict, "")

	// A second one, on another payment, is answered in time and does not expire.
	answered := s.call("POST", "/v1/cases", agent, s.chargeback(s.payment("49.99", "USD"), due))
	expect(t, answered, http.StatusCreated)
	aid := answered.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+aid+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	expectProblem(t, s.call("POST", "/v1/cases/"+aid+"/respond", agent, nil), http.StatusConflict, "") // no evidence yet
	expectProblem(t, s.call("POST", "/v1/cases/"+aid+"/evidence", agent, map[string]any{"kind": "selfie", "text": "x"}), 422, "kind")
	expect(t, s.call("POST", "/v1/cases/"+aid+"/evidence", agent, map[string]any{"kind": "receipt", "text": "Signed receipt 4111 1111 1111 1111"}), http.StatusOK)
	gated := s.call("POST", "/v1/cases/"+aid+"/respond", agent, map[string]any{"summary": "Delivered"})
	expect(t, gated, http.StatusOK)
	if gated.body["status"] != "pending_approval" || gated.body["chargeback"].(map[string]any)["stage"] != "needs_response" {
		t.Fatalf("a response waits for a supervisor: %s", gated.raw)
	}
	expectProblem(t, s.call("POST", "/v1/cases/"+aid+"/respond", agent, map[string]any{}), http.StatusConflict, "")
	aprID := gated.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
	expect(t, s.call("POST", "/v1/approvals/"+aprID+"/approve", s.as(casedesk.RoleSupervisor), map[string]any{"comment": "Good evidence"}), http.StatusOK)
	resp := s.call("GET", "/v1/cases/"+aid, agent, nil)
	if st := resp.body["chargeback"].(map[string]any)["stage"]; st != "under_review" || resp.body["status"] != "open" {
		t.Errorf("after the approval: stage %v status %v", st, resp.body["status"])
	}
	if ev := resp.body["chargeback"].(map[string]any)["evidence"].([]any)[0].(map[string]any); ev["text"] != "Signed receipt **** **** **** 1111" {
		t.Errorf("evidence text %v: card number not masked", ev["text"])
	}
	expectProblem(t, s.call("POST", "/v1/cases/"+aid+"/respond", agent, map[string]any{}), http.StatusConflict, "")

	eventually(t, 15*time.Second, "the unanswered chargeback to expire", func() bool {
		return s.call("GET", "/v1/cases/"+id, agent, nil).body["status"] == "resolved"
	})
	c := s.call("GET", "/v1/cases/"+id, agent, nil)
	if c.body["outcome"] != "expired" || c.body["chargeback"].(map[string]any)["stage"] != "lost" {
		t.Errorf("expired chargeback: %s", c.raw)
	}
	for _, e := range s.timeline(agent, id) {
		if e["type"] == "chargeback_expired" {
			if late := parseTime(t, e["at"]).Sub(due); late < 0 || late > 2*time.Second {
				t.Errorf("expired %s after due_by, want within 2s", late)
			}
		}
	}
	if c.body["chargeback"].(map[string]any)["escalated"] != true || c.body["needs_supervisor"] != false {
		t.Error("a chargeback a day from its deadline is escalated to supervisors, and leaves their queue once lost")
	}
	a := s.call("GET", "/v1/cases/"+aid, agent, nil)
	if a.body["status"] == "resolved" || a.body["outcome"] != nil {
		t.Errorf("the answered chargeback changed: %s", a.raw)
	}
	won := s.call("POST", "/v1/cases/"+aid+"/network-outcome", agent, map[string]any{"outcome": "won"})
	expect(t, won, http.StatusOK)
	if won.body["status"] != "resolved" || won.body["outcome"] != "won" {
		t.Errorf("after the network decided: %s", won.raw)
	}
	expect(t, s.call("POST", "/v1/cases/"+aid+"/close", agent, nil), http.StatusOK)
	expect(t, s.call("POST", "/v1/cases/"+id+"/close", agent, nil), http.StatusOK)
	recordIfAsked(t, s, id, "chargeback_expired_history")
	recordIfAsked(t, s, aid, "chargeback_won_history")
}

func TestChargebacksAndDisputesRefuseBadInput(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("49.99", "USD")
	due := time.Now().Add(72 * time.Hour)
	with := func(key string, value any) map[string]any {
		b := s.chargeback(p, due)
		if value == nil {
			delete(b, key)
		} else {
			b[key] = value
		}
		return b
	}
	cases := []struct {
		name  string
		body  map[string]any
		field string
	}{
		{"an unknown network", with("network", "amex"), "network"},
		{"a reason code of another network", with("reason_code", "4853"), "reason_code"},
		{"an unknown Visa reason code", with("reason_code", "14.1"), "reason_code"},
		{"a due_by in the past", with("due_by", time.Now().Add(-time.Hour).Format(time.RFC3339)), "due_by"},
		{"no due_by", with("due_by", nil), "due_by"},
		{"no payment", with("payment_id", nil), "payment_id"},
		{"an unknown payment", with("payment_id", "PAY-NOPE"), "payment_id"},
		{"a currency other than the payment's", with("currency", "EUR"), "currency"},
		{"more than the payment", with("amount", "50.00"), "amount"},
		{"an amount with too many decimals", with("amount", "10.005"), "amount"},
		{"a negative amount", with("amount", "-5"), "amount"},
		{"an exponent", with("amount", "1e3"), "amount"},
	}
	for _, tc := range cases {
		t.Run("a chargeback with "+tc.name+" is a 422 naming "+tc.field, func(t *testing.T) {
			expectProblem(t, s.call("POST", "/v1/cases", agent, tc.body), 422, tc.field)
		})
	}
	t.Run("a dispute naming both an invoice and a payment is a 422", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/cases", agent, map[string]any{"type": "dispute", "customer_id": s.customer.ID,
			"subject": "Wrong amount", "channel": "email", "payment_id": p.ID, "invoice_id": "INV-1", "amount": "10.00", "currency": "USD"}), 422, "payment_id")
	})
	t.Run("evidence on an inquiry is a 409", func(t *testing.T) {
		r := s.call("POST", "/v1/cases", agent, newInquiry(s))
		expect(t, r, http.StatusCreated)
		expectProblem(t, s.call("POST", "/v1/cases/"+r.body["id"].(string)+"/evidence", agent, map[string]any{"kind": "receipt", "text": "x"}), 409, "")
	})
	if l := s.call("GET", "/v1/cases?type=chargeback", agent, nil); len(l.body["items"].([]any)) != 0 {
		t.Errorf("refused requests opened chargebacks: %s", l.raw)
	}
}

func TestADisputeIsInvestigatedAndRejectedWithAnExplanation(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("120.50", "USD")
	r := s.call("POST", "/v1/cases", agent, map[string]any{"type": "dispute", "customer_id": s.customer.ID,
		"subject": "I was charged for a cancelled plan", "channel": "phone", "payment_id": p.ID, "amount": "120.50", "currency": "USD"})
	expect(t, r, http.StatusCreated)
	id := r.body["id"].(string)
	if d := r.body["dispute"].(map[string]any); d["payment_id"] != p.ID || d["amount"].(map[string]any)["amount"] != "120.50" {
		t.Fatalf("dispute %v", d)
	}
	expect(t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "rejected"}), 422, "summary")
	expectProblem(t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered", "summary": "x"}), 422, "outcome")
	res := s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "rejected", "summary": "The plan was cancelled after the billing date."})
	expect(t, res, http.StatusOK)
	if res.body["outcome"] != "rejected" || res.body["dispute"].(map[string]any)["explanation"] != "The plan was cancelled after the billing date." {
		t.Errorf("resolved dispute: %s", res.raw)
	}
}
