package e2e_test

import (
	"context"
	"fmt"
	"net/http"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/postgres"
)

// openAssigned opens an inquiry assigned to the agent and returns its ID.
func (s *system) openAssigned() string {
	s.t.Helper()
	agent := s.as(casedesk.RoleAgent)
	r := s.call("POST", "/v1/cases", agent, newInquiry(s))
	expect(s.t, r, http.StatusCreated)
	id := r.body["id"].(string)
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	return id
}

// openVerified opens an assigned case whose caller the agent verified, so
// that money above the identity limit may move.
func (s *system) openVerified() string {
	s.t.Helper()
	id := s.openAssigned()
	expect(s.t, s.call("POST", "/v1/cases/"+id+"/verify-identity", s.as(casedesk.RoleAgent),
		map[string]any{"method": "kba", "note": "Answered two account questions"}), http.StatusOK)
	return id
}

// lockWaiters counts the PostgreSQL sessions whose statement (containing
// query) is waiting for a lock that the session holder holds.
func lockWaiters(t testing.TB, db *postgres.DB, holder int, query string) int {
	t.Helper()
	var n int
	if err := db.Pool.QueryRow(context.Background(), `SELECT count(*) FROM pg_stat_activity
		WHERE wait_event_type = 'Lock' AND $1::int = ANY(pg_blocking_pids(pid)) AND strpos(query, $2) > 0`,
		holder, query).Scan(&n); err != nil {
		t.Fatal(err)
	}
	return n
}

func refundBody(p casedesk.Payment, amount string) map[string]any {
	return map[string]any{"payment_id": p.ID, "amount": amount, "currency": p.Currency, "reason": "Charged twice"}
}

func TestRefundsFollowTheAuthorityMatrix(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	p := s.payment("10000.00", "USD")

	t.Run("100.00 is approved at once and posted", func(t *testing.T) {
		id := s.openVerified()
		r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "100.00"))
		expect(t, r, http.StatusOK)
		mv := r.body["movements"].([]any)[0].(map[string]any)
		if mv["status"] != "posted" || r.body["status"] != "open" {
			t.Fatalf("refund %v on a %v case, want posted and open", mv["status"], r.body["status"])
		}
	})
	t.Run("500.00 waits for one supervisor", func(t *testing.T) {
		id := s.openVerified()
		r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"))
		expect(t, r, http.StatusOK)
		if r.body["status"] != "pending_approval" {
			t.Fatalf("status %v, want pending_approval", r.body["status"])
		}
		aid := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
		q := s.call("GET", "/v1/approvals?status=pending", sup, nil)
		expect(t, q, http.StatusOK)
		found := false
		for _, it := range q.body["items"].([]any) {
			a := it.(map[string]any)
			if a["id"] == aid {
				found = a["amount"] == "500.00" && a["currency"] == "USD" && a["required"] == float64(1) && a["kind"] == "refund"
			}
		}
		if !found {
			t.Fatalf("the queue does not show %s as a 500.00 USD refund needing one: %s", aid, q.raw)
		}
		expectProblem(t, s.call("POST", "/v1/approvals/"+aid+"/approve", agent, map[string]any{}), http.StatusForbidden, "")
		a := s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{"comment": "Statement checked"})
		expect(t, a, http.StatusOK)
		if a.body["status"] != "approved" {
			t.Fatalf("approval %s", a.raw)
		}
		c := s.call("GET", "/v1/cases/"+id, agent, nil)
		if mv := c.body["movements"].([]any)[0].(map[string]any); mv["status"] != "posted" || c.body["status"] != "open" {
			t.Fatalf("after approval: refund %v, case %v", mv["status"], c.body["status"])
		}
		expectProblem(t, s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{}), http.StatusConflict, "")
		expect(t, s.call("POST", "/v1/cases/"+id+"/resolve", agent, map[string]any{"outcome": "answered"}), http.StatusOK)
		expect(t, s.call("POST", "/v1/cases/"+id+"/close", agent, nil), http.StatusOK)
		recordIfAsked(t, s, id, "refund_approved_history")
	})
	t.Run("5,000.00 waits for two distinct supervisors and nobody approves their own", func(t *testing.T) {
		ctx := context.Background()
		token2 := casedesk.NewToken()
		if _, err := s.db.CreateUser(ctx, casedesk.User{ID: "U-SUP2" + randomHex(2), Name: "Second", Email: "sup2-" + randomHex(3) + "@casedesk.test",
			Role: casedesk.RoleSupervisor}, casedesk.HashToken(token2)); err != nil {
			t.Fatal(err)
		}
		id := s.openVerified()
		// The supervisor proposes it: they cannot approve it themselves.
		r := s.call("POST", "/v1/cases/"+id+"/refunds", sup, refundBody(p, "5000.00"))
		expect(t, r, http.StatusOK)
		aid := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
		expectProblem(t, s.call("POST", "/v1/approvals/"+aid+"/approve", sup, map[string]any{}), http.StatusForbidden, "")
		first := s.call("POST", "/v1/approvals/"+aid+"/approve", token2, map[string]any{})
		expect(t, first, http.StatusOK)
		if first.body["status"] != "pending" {
			t.Fatalf("after one of two: %s", first.raw)
		}
		expectProblem(t, s.call("POST", "/v1/approvals/"+aid+"/approve", token2, map[string]any{}), http.StatusConflict, "")
		admin := s.call("POST", "/v1/approvals/"+aid+"/approve", s.as(casedesk.RoleAdmin), map[string]any{"comment": "ok"})
		expect(t, admin, http.StatusOK)
		if admin.body["status"] != "approved" {
			t.Fatalf("after two: %s", admin.raw)
		}
	})
	bal := s.call("GET", "/v1/payments/"+p.ID, agent, nil)
	expect(t, bal, http.StatusOK)
	if bal.body["refunded"] != "5600.00" || bal.body["refundable"] != "4400.00" {
		t.Errorf("payment balance %s, want 5600.00 refunded and 4400.00 refundable", bal.raw)
	}
}

func TestBadAmountsAreRefusedAndChangeNothing(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("100.00", "USD")
	id := s.openVerified()
	for _, tc := range []struct {
		amount, currency, field string
	}{
		{"10.005", "USD", "amount"}, {"-5", "USD", "amount"}, {"0", "USD", "amount"}, {"1e3", "USD", "amount"},
		{"abc", "USD", "amount"}, {"10.5", "JPY", "amount"}, {"10.00", "EUR", "currency"}, {"100.01", "USD", "amount"},
	} {
		t.Run(fmt.Sprintf("%s %s is a 422 naming %s", tc.amount, tc.currency, tc.field), func(t *testing.T) {
			expectProblem(t, s.call("POST", "/v1/cases/"+id+"/refunds", agent,
				map[string]any{"payment_id": p.ID, "amount": tc.amount, "currency": tc.currency, "reason": "x"}), 422, tc.field)
		})
	}
	c := s.call("GET", "/v1/cases/"+id, agent, nil)
	if len(c.body["movements"].([]any)) != 0 || c.body["version"] != float64(3) {
		t.Errorf("refused refunds changed the case: %s", c.raw)
	}
	if b := s.call("GET", "/v1/payments/"+p.ID, agent, nil); b.body["refundable"] != "100.00" {
		t.Errorf("refused refunds changed the payment: %s", b.raw)
	}
}

func TestFiftyConcurrentRefundsNeverExceedThePayment(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("100.00", "USD")
	cases := make([]string, 5)
	for i := range cases {
		cases[i] = s.openVerified()
	}
	var wg sync.WaitGroup
	var mu sync.Mutex
	statuses := map[int]int{}
	reasons := map[string]int{}
	for i := range 50 {
		wg.Add(1)
		go func() {
			defer wg.Done()
			r := s.call("POST", "/v1/cases/"+cases[i%len(cases)]+"/refunds", agent, refundBody(p, "10.00"))
			mu.Lock()
			defer mu.Unlock()
			statuses[r.status]++
			if r.status != http.StatusOK {
				reasons[fmt.Sprint(r.body["detail"], r.body["errors"])]++
			}
		}()
	}
	wg.Wait()
	if statuses[http.StatusOK] != 10 || statuses[http.StatusUnprocessableEntity] != 40 {
		t.Fatalf("statuses %v (reasons %v), want 10 accepted and 40 refused", statuses, reasons)
	}
	b := s.call("GET", "/v1/payments/"+p.ID, agent, nil)
	if b.body["refunded"] != "100.00" || b.body["refundable"] != "0.00" {
		t.Errorf("payment %s, want 100.00 refunded", b.raw)
	}
	entries, err := s.db.LedgerEntries(context.Background(), p.ID)
	if err != nil {
		t.Fatal(err)
	}
	total := decimal.Zero
	for _, e := range entries {
		total = total.Add(e.Amount)
	}
	if len(entries) != 10 || !total.Equal(decimal.NewFromInt(100)) {
		t.Errorf("ledger: %d entries totalling %s, want 10 totalling 100", len(entries), total)
	}
}

func TestAnApprovalLeftAloneExpiresAndTheCaseReturnsToItsAssignee(t *testing.T) {
	rules := secondsRules(t)
	rules.Approvals = &casedesk.ApprovalRules{Default: casedesk.DefaultApprovalRules().Default, RemindAfter: time.Second, ExpireAfter: 3 * time.Second}
	s := startSystem(t, rules)
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("900.00", "USD")
	id := s.openVerified()
	r := s.call("POST", "/v1/cases/"+id+"/refunds", agent, refundBody(p, "500.00"))
	expect(t, r, http.StatusOK)
	a := r.body["approvals"].([]any)[0].(map[string]any)
	expires := parseTime(t, a["expires_at"])
	eventually(t, 15*time.Second, "the approval to expire", func() bool {
		return s.call("GET", "/v1/cases/"+id, agent, nil).body["status"] == "open"
	})
	// The case returns to its assignee first; the hold is released after.
	eventually(t, 15*time.Second, "the expired refund's money to be released", func() bool {
		for _, e := range s.timeline(agent, id) {
			if e["type"] == "money_released" {
				return true
			}
		}
		return false
	})
	var expired, reminded, released bool
	for _, e := range s.timeline(agent, id) {
		switch e["type"] {
		case "approval_expired":
			expired = true
			if late := parseTime(t, e["at"]).Sub(expires); late < 0 || late > 2*time.Second {
				t.Errorf("expired %s after it was due", late)
			}
		case "approval_reminder":
			reminded = true
		case "money_released":
			released = true
		}
	}
	if !expired || !reminded || !released {
		t.Errorf("timeline: expired %v reminded %v released %v", expired, reminded, released)
	}
	if b := s.call("GET", "/v1/payments/"+p.ID, agent, nil); b.body["refundable"] != "900.00" {
		t.Errorf("the expired refund still holds money: %s", b.raw)
	}
}

func TestKillingCasedeskBetweenApprovalAndPostingPostsOnce(t *testing.T) {
	d := startDevSystem(t)
	s, db, ctx := d.system, d.db, context.Background()
	p := s.payment("900.00", "USD")
	id := s.openVerified()
	r := s.call("POST", "/v1/cases/"+id+"/refunds", s.as(casedesk.RoleAgent), refundBody(p, "500.00"))
	expect(t, r, http.StatusOK)
	aid := r.body["approvals"].([]any)[0].(map[string]any)["id"].(string)
	hold := r.body["movements"].([]any)[0].(map[string]any)["id"].(string)

	// Hold the hold's row so that posting blocks after the approval is recorded.
	tx, err := db.Pool.Begin(ctx)
	if err != nil {
		t.Fatal(err)
	}
	if _, err := tx.Exec(ctx, "SELECT 1 FROM holds WHERE id = $1 FOR UPDATE", hold); err != nil {
		t.Fatal(err)
	}
	var lockHolder int
	if err := tx.QueryRow(ctx, "SELECT pg_backend_pid()").Scan(&lockHolder); err != nil {
		t.Fatal(err)
	}
	done := make(chan struct{})
	go func() {
		defer close(done)
		client := &http.Client{Timeout: 5 * time.Second}
		req, _ := http.NewRequest("POST", s.url+"/v1/approvals/"+aid+"/approve", nil)
		req.Header.Set("Authorization", "Bearer "+s.as(casedesk.RoleSupervisor))
		if res, err := client.Do(req); err == nil {
			res.Body.Close()
		}
	}()
	eventually(t, 10*time.Second, "the approval to be recorded", func() bool {
		a, err := db.Approval(ctx, aid)
		return err == nil && a.Status == casedesk.ApprovalApproved
	})
	eventually(t, 10*time.Second, "the posting activity to wait on the hold's lock", func() bool {
		return lockWaiters(t, db, lockHolder, "FROM holds") > 0
	})
	d.dev.kill()
	<-done
	if err := tx.Rollback(ctx); err != nil {
		t.Fatal(err)
	}
	d.start(t)
	eventually(t, 40*time.Second, "the refund to be posted after the restart", func() bool {
		c := s.call("GET", "/v1/cases/"+id, s.as(casedesk.RoleAgent), nil)
		return c.body["movements"].([]any)[0].(map[string]any)["status"] == "posted"
	})
	entries, err := db.LedgerEntries(ctx, p.ID)
	if err != nil {
		t.Fatal(err)
	}
	if len(entries) != 1 || !entries[0].Amount.Equal(decimal.NewFromInt(500)) {
		t.Fatalf("ledger entries %+v, want exactly one of 500.00", entries)
	}
	issued := 0
	for _, e := range s.timeline(s.as(casedesk.RoleAgent), id) {
		if e["type"] == "refund_issued" {
			issued++
		}
	}
	if issued != 1 {
		t.Errorf("%d refund_issued events, want 1", issued)
	}
}

func TestARefundCaseProposesItsRefundAndResolvesWhenPosted(t *testing.T) {
	s := startSystem(t, casedesk.DefaultRules())
	agent := s.as(casedesk.RoleAgent)
	p := s.payment("120.50", "USD")
	open := func(amount string) map[string]any {
		return map[string]any{"type": "refund", "customer_id": s.customer.ID, "subject": "Refund the duplicate charge",
			"channel": "chat", "payment_id": p.ID, "amount": amount, "currency": "USD", "reason": "Charged twice"}
	}
	small := s.call("POST", "/v1/cases", agent, open("50.00"))
	expect(t, small, http.StatusCreated)
	id := small.body["id"].(string)
	eventually(t, 10*time.Second, "the small refund to be posted and the case resolved", func() bool {
		return s.call("GET", "/v1/cases/"+id, agent, nil).body["status"] == "resolved"
	})
	c := s.call("GET", "/v1/cases/"+id, agent, nil)
	if c.body["outcome"] != "refunded" || c.body["movements"].([]any)[0].(map[string]any)["status"] != "posted" {
		t.Errorf("refund case: %s", c.raw)
	}
	// More than is left: the case opens and records why its refund was refused.
	big := s.call("POST", "/v1/cases", agent, open("80.00"))
	expect(t, big, http.StatusCreated)
	refused := false
	for _, e := range s.timeline(agent, big.body["id"].(string)) {
		refused = refused || e["type"] == "money_refused"
	}
	if !refused {
		t.Error("no money_refused event on the refund case asking for too much")
	}
	if b := s.call("GET", "/v1/payments/"+p.ID, agent, nil); b.body["refundable"] != "70.50" || b.body["refunded"] != "50.00" {
		t.Errorf("payment after both: %s", b.raw)
	}
	other, err := s.db.CreateCustomer(context.Background(), casedesk.Customer{ID: casedesk.NewID(casedesk.PrefixCustomer, 8), Name: "Other", Email: "other-" + randomHex(3) + "@example.com"})
	if err != nil {
		t.Fatal(err)
	}
	inquiry := newInquiry(s)
	inquiry["customer_id"] = other.ID
	r := s.call("POST", "/v1/cases", agent, inquiry)
	expect(t, r, http.StatusCreated)
	oid := r.body["id"].(string)
	expect(t, s.call("POST", "/v1/cases/"+oid+"/assign", agent, map[string]any{"assignee_id": s.users[casedesk.RoleAgent].ID}), http.StatusOK)
	expectProblem(t, s.call("POST", "/v1/cases/"+oid+"/refunds", agent, refundBody(s.payment("10.00", "USD"), "5.00")), 422, "payment_id")
}
