package e2e_test

import (
	"context"
	"encoding/csv"
	"net/http"
	"net/url"
	"slices"
	"sort"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

// walk is what the test knows of one case it drove: the times of its
// status changes, from the API's own responses.
type walk struct {
	id     string
	opened time.Time
	// worked are the [from, to) intervals the case was open with an assignee.
	worked                    [][2]time.Time
	firstResponse, resolution time.Time
}

func (w walk) handling() time.Duration {
	var d time.Duration
	for _, iv := range w.worked {
		d += iv[1].Sub(iv[0])
	}
	return d
}

// percentile is PostgreSQL's percentile_cont: linear between the closest ranks.
func percentile(xs []float64, p float64) float64 {
	s := slices.Clone(xs)
	sort.Float64s(s)
	pos := p * float64(len(s)-1)
	lo := int(pos)
	if lo+1 >= len(s) {
		return s[lo]
	}
	return s[lo] + (pos-float64(lo))*(s[lo+1]-s[lo])
}

func mean(xs []float64) float64 {
	var sum float64
	for _, x := range xs {
		sum += x
	}
	return sum / float64(len(xs))
}

func TestAScriptedWeekGivesTheKPIsWorkedOutByHand(t *testing.T) {
	rules := secondsRules(t) // inquiries: normal 3s/6s, high 20s/30s on a 24x7 calendar
	rules.Categories = casedesk.DefaultCategories
	s := startSystem(t, rules)
	agent, sup := s.as(casedesk.RoleAgent), s.as(casedesk.RoleSupervisor)
	me := s.users[casedesk.RoleAgent].ID
	from := time.Now().UTC().Add(-time.Second)
	at := func(r response) time.Time { t.Helper(); return parseTime(t, r.body["updated_at"]) }
	do := func(id, action string, body any) response {
		t.Helper()
		r := s.call("POST", "/v1/cases/"+id+"/"+action, agent, body)
		expect(t, r, http.StatusOK)
		return r
	}
	open := func(body map[string]any) (string, time.Time) {
		t.Helper()
		r := s.call("POST", "/v1/cases", agent, body)
		expect(t, r, http.StatusCreated)
		return r.body["id"].(string), parseTime(t, r.body["opened_at"])
	}
	inquiry := func(priority, channel, category string) map[string]any {
		b := newInquiry(s)
		b["priority"], b["channel"] = priority, channel
		if category != "" {
			b["category"] = category
		}
		return b
	}
	assign := func(id string) time.Time { return at(do(id, "assign", map[string]any{"assignee_id": me})) }

	// D, at normal priority, is left alone until both its clocks breach.
	var d walk
	d.id, d.opened = open(inquiry("normal", "phone", ""))

	// A: one reply and resolved, the first contact. Rated 5.
	var a walk
	a.id, a.opened = open(inquiry("high", "phone", "double_charge"))
	t1 := assign(a.id)
	a.firstResponse = at(do(a.id, "reply", map[string]any{"body": "The duplicate is refunded."}))
	a.resolution = at(do(a.id, "resolve", map[string]any{"outcome": "answered"}))
	a.worked = [][2]time.Time{{t1, a.resolution}}

	// B: waits on the customer, so not the first contact. Rated 2.
	var b walk
	b.id, b.opened = open(inquiry("high", "chat", ""))
	t1 = assign(b.id)
	b.firstResponse = at(do(b.id, "request-info", map[string]any{"body": "Which card?"}))
	t3 := at(do(b.id, "customer-reply", map[string]any{"body": "The Visa"}))
	do(b.id, "category", map[string]any{"category": "billing_question"})
	b.resolution = at(do(b.id, "resolve", map[string]any{"outcome": "answered"}))
	b.worked = [][2]time.Time{{t1, b.firstResponse}, {t3, b.resolution}}

	// C: two replies, resolved, reopened and resolved again.
	var c walk
	c.id, c.opened = open(inquiry("high", "email", ""))
	t1 = assign(c.id)
	c.firstResponse = at(do(c.id, "reply", map[string]any{"body": "Looking."}))
	do(c.id, "reply", map[string]any{"body": "Found it."})
	t2 := at(do(c.id, "resolve", map[string]any{"outcome": "answered"}))
	t3 = at(do(c.id, "reopen", map[string]any{"reason": "Charged again"}))
	c.resolution = at(do(c.id, "resolve", map[string]any{"outcome": "answered"}))
	c.worked = [][2]time.Time{{t1, t2}, {t3, c.resolution}}

	// F: a credit on invoice I2, resolved with no reply (first response is the resolution).
	inv := func(n string) casedesk.Invoice {
		i, err := s.db.CreateInvoice(context.Background(), casedesk.Invoice{ID: casedesk.NewID(casedesk.PrefixInvoice, 8),
			CustomerID: s.customer.ID, Number: "N-" + n + "-" + randomHex(3), Amount: decimal.RequireFromString("200.00"),
			Currency: "USD", IssuedAt: time.Now().UTC(), DueAt: time.Now().Add(720 * time.Hour)})
		if err != nil {
			t.Fatal(err)
		}
		return i
	}
	i1, i2, _ := inv("1"), inv("2"), inv("3")
	var f walk
	f.id, f.opened = open(inquiry("high", "web", "plan_change"))
	t1 = assign(f.id)
	cr := do(f.id, "adjustments", map[string]any{"invoice_id": i2.ID, "amount": "25.00", "currency": "USD", "reason": "Goodwill"})
	if mv := cr.body["movements"].([]any)[0].(map[string]any); mv["status"] != "posted" {
		t.Fatalf("credit %v, want posted", mv["status"])
	}
	f.resolution = at(do(f.id, "resolve", map[string]any{"outcome": "answered"}))
	f.firstResponse = f.resolution
	f.worked = [][2]time.Time{{t1, f.resolution}}

	// G stays open (low priority: no SLA), the backlog.
	g, _ := open(inquiry("low", "phone", ""))
	assign(g)

	// E: a dispute of invoice I1, upheld.
	e, _ := open(map[string]any{"type": "dispute", "customer_id": s.customer.ID, "subject": "Wrong VAT", "channel": "email",
		"invoice_id": i1.ID, "amount": "20.00", "currency": "USD"})
	assign(e)
	do(e, "resolve", map[string]any{"outcome": "upheld", "summary": "VAT corrected"})

	// R: a refund case, posted and resolved by itself.
	r, _ := open(map[string]any{"type": "refund", "customer_id": s.customer.ID, "subject": "Refund", "channel": "chat",
		"payment_id": s.payment("40.00", "USD").ID, "amount": "40.00", "currency": "USD", "reason": "Charged twice"})

	// Chargebacks: one won, one lost by accepting the loss, one expired.
	cbWon, _ := open(s.chargeback(s.payment("49.99", "USD"), time.Now().Add(time.Hour)))
	assign(cbWon)
	do(cbWon, "evidence", map[string]any{"kind": "receipt", "text": "Signed receipt"})
	gate := do(cbWon, "respond", map[string]any{"summary": "Delivered"})
	approve := func(r response) {
		t.Helper()
		id := r.body["approvals"].([]any)[len(r.body["approvals"].([]any))-1].(map[string]any)["id"].(string)
		expect(t, s.call("POST", "/v1/approvals/"+id+"/approve", sup, map[string]any{"comment": "Agreed"}), http.StatusOK)
	}
	approve(gate)
	do(cbWon, "network-outcome", map[string]any{"outcome": "won"})
	cbLost, _ := open(s.chargeback(s.payment("49.99", "USD"), time.Now().Add(time.Hour)))
	assign(cbLost)
	approve(do(cbLost, "accept-loss", map[string]any{"reason": "No proof of delivery"}))
	cbExpired, _ := open(s.chargeback(s.payment("49.99", "USD"), time.Now().Add(3*time.Second)))

	// Ratings from the customer's page.
	for id, rating := range map[string]string{a.id: "5", b.id: "2"} {
		tok := testSigner.CaseToken(id, time.Now().Add(time.Hour))
		if st, _, _ := page(t, "POST", s.url+"/c/"+tok+"/csat", url.Values{"token": {tok}, "rating": {rating}}); st != http.StatusSeeOther {
			t.Fatalf("rating %s: %d", id, st)
		}
	}

	// D: both clocks breach, then it is answered once and resolved.
	eventually(t, 20*time.Second, "D's resolution breach", func() bool {
		return s.call("GET", "/v1/cases/"+d.id, agent, nil).body["sla"].(map[string]any)["resolution_breached"] == true
	})
	t1 = assign(d.id)
	d.firstResponse = at(do(d.id, "reply", map[string]any{"body": "Sorry for the wait."}))
	d.resolution = at(do(d.id, "resolve", map[string]any{"outcome": "answered"}))
	d.worked = [][2]time.Time{{t1, d.resolution}}
	eventually(t, 20*time.Second, "the chargeback to expire and the refund to resolve", func() bool {
		return s.call("GET", "/v1/cases/"+cbExpired, agent, nil).body["status"] == "resolved" &&
			s.call("GET", "/v1/cases/"+r, agent, nil).body["status"] == "resolved"
	})
	to := time.Now().UTC().Add(time.Minute) // after every due time of the week
	period := "from=" + from.Format(time.RFC3339Nano) + "&to=" + to.Format(time.RFC3339Nano)

	report := func(token, query string) map[string]any {
		t.Helper()
		res := s.call("GET", "/v1/reports/kpis?"+period+query, token, nil)
		expect(t, res, http.StatusOK)
		return res.body
	}
	fig := func(rep map[string]any, kpi, measure string) map[string]any {
		t.Helper()
		f, ok := rep["kpis"].(map[string]any)[kpi].(map[string]any)[measure].(map[string]any)
		if !ok {
			t.Fatalf("no %s.%s in %v", kpi, measure, rep["kpis"])
		}
		return f
	}
	near := func(got any, want float64) bool {
		g, ok := got.(float64)
		return ok && g-want < 1e-6 && want-g < 1e-6
	}
	listed := func(link string) []string {
		t.Helper()
		res := s.call("GET", link+"&limit=100", sup, nil)
		expect(t, res, http.StatusOK)
		var ids []string
		for _, it := range res.body["items"].([]any) {
			ids = append(ids, it.(map[string]any)["id"].(string))
		}
		sort.Strings(ids)
		return ids
	}
	want := func(rep map[string]any, kpi, measure string, value float64, count int, ids ...string) {
		t.Helper()
		f := fig(rep, kpi, measure)
		if !near(f["value"], value) || f["count"] != float64(count) {
			t.Errorf("%s.%s = %v (count %v), want %v (count %d)", kpi, measure, f["value"], f["count"], value, count)
		}
		if ids != nil {
			sort.Strings(ids)
			if got := listed(f["cases"].(string)); !slices.Equal(got, ids) {
				t.Errorf("%s.%s lists %v, want %v", kpi, measure, got, ids)
			}
		}
	}

	walks := []walk{a, b, c, d, f}
	hours := func(pick func(w walk) time.Duration) []float64 {
		var out []float64
		for _, w := range walks {
			out = append(out, pick(w).Hours())
		}
		return out
	}
	inq := report(sup, "&type=inquiry")
	all := ids(walks)
	t.Run("first contact resolution: A, D and F of five inquiries", func(t *testing.T) {
		want(inq, "first_contact_resolution", "rate", 3.0/5, 5, all...)
		want(inq, "first_contact_resolution", "resolved_at_first_contact", 3, 3, a.id, d.id, f.id)
	})
	t.Run("handling time: the intervals each case was worked", func(t *testing.T) {
		h := hours(walk.handling)
		want(inq, "average_handling_time", "mean_hours", mean(h), 5, all...)
		want(inq, "average_handling_time", "median_hours", percentile(h, 0.5), 5)
		// The 24x7 calendar: business hours are calendar hours.
		want(inq, "average_handling_time", "mean_business_hours", mean(h), 5)
	})
	t.Run("first response and resolution times", func(t *testing.T) {
		fr := hours(func(w walk) time.Duration { return w.firstResponse.Sub(w.opened) })
		want(inq, "first_response_time", "median_hours", percentile(fr, 0.5), 5, all...)
		want(inq, "first_response_time", "p90_business_hours", percentile(fr, 0.9), 5)
		res := hours(func(w walk) time.Duration { return w.resolution.Sub(w.opened) })
		want(inq, "resolution_time", "median_business_hours", percentile(res, 0.5), 5, all...)
		want(inq, "resolution_time", "p90_hours", percentile(res, 0.9), 5)
	})
	t.Run("SLA: D missed both targets, the others met them", func(t *testing.T) {
		want(inq, "sla", "first_response_met_rate", 4.0/5, 5, all...)
		want(inq, "sla", "first_response_breached", 1, 1, d.id)
		want(inq, "sla", "resolution_met_rate", 4.0/5, 5, all...)
		want(inq, "sla", "resolution_met", 4, 4, a.id, b.id, c.id, f.id)
	})
	t.Run("CSAT: a 5 and a 2 of five resolutions", func(t *testing.T) {
		want(inq, "csat", "score", 0.5, 2, a.id, b.id)
		want(inq, "csat", "mean_rating", 3.5, 2)
		want(inq, "csat", "response_rate", 2.0/5, 5, all...)
		want(inq, "csat", "satisfied", 1, 1, a.id)
	})

	tot := report(sup, "")
	t.Run("volume, backlog and reopened", func(t *testing.T) {
		want(tot, "volume", "opened", 11, 11)
		want(tot, "volume", "opened_inquiry", 6, 6, append(all, g)...)
		want(tot, "volume", "opened_chargeback", 3, 3, cbWon, cbLost, cbExpired)
		want(tot, "volume", "opened_phone", 3, 3, a.id, d.id, g)
		want(tot, "volume", "backlog", 1, 1, g)
		want(tot, "volume", "reopened", 1, 1, c.id)
	})
	t.Run("billing accuracy: one of three invoices untouched", func(t *testing.T) {
		want(tot, "billing_accuracy", "rate", 1.0/3, 3, e, f.id)
		want(tot, "billing_accuracy", "invoices_touched", 2, 2)
	})
	t.Run("money and chargebacks", func(t *testing.T) {
		want(tot, "refunds", "count", 1, 1, r)
		if v := fig(tot, "refunds", "total_USD")["value"]; v != "40.00" {
			t.Errorf("refunds total %v, want 40.00", v)
		}
		want(tot, "credits", "count", 1, 1, f.id)
		want(tot, "chargebacks", "opened", 3, 3, cbWon, cbLost, cbExpired)
		want(tot, "chargebacks", "win_rate", 1.0/3, 3, cbWon, cbLost, cbExpired)
		want(tot, "chargebacks", "expired", 1, 1, cbExpired)
	})
	t.Run("every figure's link lists as many cases as it counts", func(t *testing.T) {
		for kpi, measures := range tot["kpis"].(map[string]any) {
			if kpi == "billing_accuracy" { // counts invoices; its link lists the cases that touched them
				continue
			}
			for name, v := range measures.(map[string]any) {
				f := v.(map[string]any)
				if got := listed(f["cases"].(string)); float64(len(got)) != f["count"] {
					t.Errorf("%s.%s counts %v but its link lists %d cases", kpi, name, f["count"], len(got))
				}
			}
		}
	})
	t.Run("groups by category repeat the KPIs per category", func(t *testing.T) {
		byCat := report(sup, "&group_by=category")
		n := map[string]any{}
		for _, grp := range byCat["groups"].([]any) {
			gm := grp.(map[string]any)
			n[gm["key"].(string)] = gm["kpis"].(map[string]any)["volume"].(map[string]any)["opened"].(map[string]any)["value"]
		}
		if n["double_charge"] != float64(1) || n["billing_question"] != float64(1) || n["plan_change"] != float64(1) || n[""] != float64(8) {
			t.Errorf("opened per category %v", n)
		}
	})
	t.Run("agents see their own numbers only", func(t *testing.T) {
		mine := report(agent, "")
		if mine["filters"].(map[string]any)["agent_id"] != me {
			t.Errorf("an agent's report is filtered by %v", mine["filters"])
		}
		expectProblem(t, s.call("GET", "/v1/reports/kpis?"+period+"&agent_id="+s.users[casedesk.RoleSupervisor].ID, agent, nil), http.StatusForbidden, "")
		expectProblem(t, s.call("GET", "/v1/reports/kpis?from=2025-01-02&to=2025-01-01", sup, nil), 422, "to")
	})
	t.Run("the KPIs as CSV", func(t *testing.T) {
		res := s.call("GET", "/v1/reports/kpis?"+period+"&type=inquiry", sup, nil, "Accept", "text/csv")
		expect(t, res, http.StatusOK)
		rows, err := csv.NewReader(strings.NewReader(string(res.raw))).ReadAll()
		if err != nil || rows[0][0] != "group" {
			t.Fatalf("KPI CSV: %v %q", err, res.raw)
		}
		found := false
		for _, row := range rows {
			found = found || (row[1] == "first_contact_resolution" && row[2] == "rate" && row[3] == "0.6" && row[4] == "5")
		}
		if !found {
			t.Errorf("no FCR row of 0.6 over 5 in %q", res.raw)
		}
	})
	t.Run("the cases as CSV", func(t *testing.T) {
		res := s.call("GET", "/v1/reports/cases.csv?"+period, sup, nil)
		expect(t, res, http.StatusOK)
		rows, err := csv.NewReader(strings.NewReader(string(res.raw))).ReadAll()
		if err != nil || len(rows) != 12 {
			t.Fatalf("%d rows (%v), want a header and 11 cases: %s", len(rows), err, res.raw)
		}
		for _, row := range rows[1:] {
			if row[0] == a.id && (row[5] != "double_charge" || row[13] != "true" || row[16] != "true" || row[18] != "5") {
				t.Errorf("A's row %q", row)
			}
		}
		fcr := s.call("GET", fig(inq, "first_contact_resolution", "resolved_at_first_contact")["csv"].(string), sup, nil)
		if rows, _ := csv.NewReader(strings.NewReader(string(fcr.raw))).ReadAll(); len(rows) != 4 {
			t.Errorf("the FCR export has %d rows, want 4", len(rows))
		}
	})
	t.Run("a category outside the list is refused", func(t *testing.T) {
		expectProblem(t, s.call("POST", "/v1/cases", agent, inquiry("high", "phone", "lottery")), 422, "category")
		expectProblem(t, s.call("POST", "/v1/cases/"+g+"/category", agent, map[string]any{"category": "lottery"}), 422, "category")
	})
}

func ids(ws []walk) []string {
	var out []string
	for _, w := range ws {
		out = append(out, w.id)
	}
	return out
}
