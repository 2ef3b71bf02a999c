package e2e_test

import (
	"net/http"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

// The billing feed records payments and invoices with an integration user;
// staff other than admins may not, and the integration user works no cases.
func TestOnlyTheBillingFeedAndAdminsRecordPaymentsAndInvoices(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	cid := s.customer.ID
	payment := func(ref string) map[string]any {
		return map[string]any{"amount": "25.00", "currency": "USD", "method": "card", "reference": ref}
	}
	invoice := func(number string) map[string]any {
		return map[string]any{"number": number, "amount": "25.00", "currency": "USD"}
	}
	count := func(what string) int {
		t.Helper()
		r := s.call("GET", "/v1/customers/"+cid+"/"+what, s.as(casedesk.RoleAgent), nil)
		expect(t, r, http.StatusOK)
		items, _ := r.body["items"].([]any)
		return len(items)
	}

	for _, role := range []casedesk.Role{casedesk.RoleAgent, casedesk.RoleSupervisor} {
		expectProblem(t, s.call("POST", "/v1/customers/"+cid+"/payments", s.as(role), payment("ch_"+string(role))), http.StatusForbidden, "")
		expectProblem(t, s.call("POST", "/v1/customers/"+cid+"/invoices", s.as(role), invoice("INV-"+string(role))), http.StatusForbidden, "")
	}
	if n := count("payments"); n != 0 {
		t.Fatalf("%d payments recorded after refusals, want 0", n)
	}
	if n := count("invoices"); n != 0 {
		t.Fatalf("%d invoices recorded after refusals, want 0", n)
	}

	feed := s.as(casedesk.RoleIntegration)
	p := s.call("POST", "/v1/customers/"+cid+"/payments", feed, payment("ch_feed"))
	expect(t, p, http.StatusCreated)
	expect(t, s.call("POST", "/v1/customers/"+cid+"/invoices", feed, invoice("INV-FEED")), http.StatusCreated)
	expect(t, s.call("POST", "/v1/customers/"+cid+"/payments", s.as(casedesk.RoleAdmin), payment("ch_admin")), http.StatusCreated)
	expect(t, s.call("POST", "/v1/customers/"+cid+"/invoices", s.as(casedesk.RoleAdmin), invoice("INV-ADMIN")), http.StatusCreated)
	if n := count("payments"); n != 2 {
		t.Errorf("%d payments recorded, want 2", n)
	}
	if n := count("invoices"); n != 2 {
		t.Errorf("%d invoices recorded, want 2", n)
	}

	// The billing feed creates customers and reads back what it recorded.
	c := s.call("POST", "/v1/customers", feed, map[string]any{"name": "Ana Feed", "email": "ana.feed-" + randomHex(3) + "@example.com"})
	expect(t, c, http.StatusCreated)
	expect(t, s.call("GET", "/v1/customers/"+c.body["id"].(string), feed, nil), http.StatusOK)
	expect(t, s.call("GET", "/v1/customers/"+cid+"/payments", feed, nil), http.StatusOK)
	expect(t, s.call("GET", "/v1/customers/"+cid+"/invoices", feed, nil), http.StatusOK)
	expect(t, s.call("GET", "/v1/payments/"+p.body["id"].(string), feed, nil), http.StatusOK)
	expect(t, s.call("GET", "/v1/me", feed, nil), http.StatusOK)

	// It is not staff: it opens, lists and reads no cases, decides nothing.
	expectProblem(t, s.call("POST", "/v1/cases", feed, newInquiry(s)), http.StatusForbidden, "")
	expectProblem(t, s.call("GET", "/v1/cases", feed, nil), http.StatusForbidden, "")
	expectProblem(t, s.call("GET", "/v1/approvals", feed, nil), http.StatusForbidden, "")
	expectProblem(t, s.call("POST", "/v1/users", feed, map[string]any{"name": "X", "email": "x@example.com", "role": "admin"}), http.StatusForbidden, "")
	r := s.call("GET", "/v1/cases", s.as(casedesk.RoleAgent), nil)
	expect(t, r, http.StatusOK)
	if items, _ := r.body["items"].([]any); len(items) != 0 {
		t.Errorf("the integration user's refused open left %d cases", len(items))
	}
}

func TestAdminsCreateIntegrationUsers(t *testing.T) {
	s := startSystem(t, casedesk.Rules{ReopenWindow: time.Hour})
	r := s.call("POST", "/v1/users", s.as(casedesk.RoleAdmin), map[string]any{"name": "Billing feed", "email": "billing-" + randomHex(3) + "@example.com", "role": "integration"})
	expect(t, r, http.StatusCreated)
	key, _ := r.body["token"].(string)
	if key == "" || r.body["role"] != "integration" {
		t.Fatalf("created integration user: %s", r.raw)
	}
	expect(t, s.call("POST", "/v1/customers/"+s.customer.ID+"/payments", key, map[string]any{"amount": "5.00", "currency": "USD", "method": "card", "reference": "ch_new_feed"}), http.StatusCreated)
	expectProblem(t, s.call("GET", "/v1/cases", key, nil), http.StatusForbidden, "")
}
