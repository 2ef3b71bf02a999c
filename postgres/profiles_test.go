package postgres_test

import (
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func ptr(s string) *string { return &s }

func TestCustomerProfiles(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	agent := casedesk.Actor{ID: "U-AGENT001", Role: casedesk.RoleAgent}

	t.Run("a corrected email is stored, moves the customer's email and is in the history with who and when", func(t *testing.T) {
		c := newCustomer(t, db)
		project(t, db, history(t, "C-PROF01", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: c.ID, Subject: "Bill",
			Channel: casedesk.ChannelPhone}, time.Now()))
		before := time.Now()
		got, changes, open, err := db.UpdateCustomer(ctx, c.ID, casedesk.UpdateCustomerRequest{Email: ptr("new-" + c.Email), Phone: ptr("+1 555 0100")}, agent)
		if err != nil {
			t.Fatal(err)
		}
		if got.Email != "new-"+c.Email || len(changes) != 2 || len(open) != 1 || open[0] != "C-PROF01" {
			t.Fatalf("got %+v, changes %+v, open %v", got, changes, open)
		}
		rs, err := db.Recipients(ctx, casedesk.Case{CustomerID: c.ID}, casedesk.AudienceCustomer, casedesk.StaffTarget{})
		if err != nil || len(rs) != 1 || rs[0].Email != "new-"+c.Email {
			t.Fatalf("recipients %+v, %v: want the new address", rs, err)
		}
		h, err := db.CustomerHistory(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(h) != 2 || h[0].Field != "email" || h[0].Old != c.Email || h[0].New != "new-"+c.Email || h[0].Actor != agent.ID ||
			h[0].At.Before(before.Add(-time.Minute)) || h[1].Field != "phone" {
			t.Fatalf("history %+v", h)
		}
	})

	t.Run("an email another customer has is a conflict and changes nothing", func(t *testing.T) {
		a, b := newCustomer(t, db), newCustomer(t, db)
		_, _, _, err := db.UpdateCustomer(ctx, a.ID, casedesk.UpdateCustomerRequest{Email: &b.Email, Name: ptr("Other")}, agent)
		wantCode(t, err, casedesk.ECONFLICT)
		got, _ := db.Customer(ctx, a.ID)
		h, _ := db.CustomerHistory(ctx, a.ID)
		if got.Email != a.Email || got.Name != a.Name || len(h) != 0 {
			t.Fatalf("customer %+v, history %+v after a refused change", got, h)
		}
	})

	t.Run("search finds by part of the name, the email, the phone's digits or the ID, a page at a time", func(t *testing.T) {
		c := newCustomer(t, db)
		if _, _, _, err := db.UpdateCustomer(ctx, c.ID, casedesk.UpdateCustomerRequest{Name: ptr("Ada Zyxwvut"), Phone: ptr("+44 (20) 7946-0958")}, agent); err != nil {
			t.Fatal(err)
		}
		for _, q := range []string{"zyxwv", c.Email[2:10], "7946 0958", c.ID, "ADA ZYX"} {
			got, more, err := db.SearchCustomers(ctx, casedesk.CustomerSearch{Q: q, Limit: 10})
			if err != nil || more || len(got) != 1 || got[0].ID != c.ID {
				t.Fatalf("search %q: %+v, more %v, %v", q, got, more, err)
			}
		}
		for range 2 {
			newCustomer(t, db)
		}
		first, more, err := db.SearchCustomers(ctx, casedesk.CustomerSearch{Q: "@example.com", Limit: 2})
		if err != nil || !more || len(first) != 2 {
			t.Fatalf("first page %+v, more %v, %v", first, more, err)
		}
		next, _, err := db.SearchCustomers(ctx, casedesk.CustomerSearch{Q: "@example.com", Limit: 2, After: first[1].ID})
		if err != nil || len(next) == 0 || next[0].ID <= first[1].ID {
			t.Fatalf("next page %+v, %v", next, err)
		}
		if got, _, _ := db.SearchCustomers(ctx, casedesk.CustomerSearch{Q: "%", Limit: 10}); len(got) != 0 {
			t.Fatalf("a %% matched %d customers; it is a character, not a wildcard", len(got))
		}
	})

	t.Run("a merge moves cases, payments and invoices to the survivor and is in both histories", func(t *testing.T) {
		dup, keep := newCustomer(t, db), newCustomer(t, db)
		project(t, db, history(t, "C-MRG001", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: dup.ID, Subject: "Open",
			Channel: casedesk.ChannelEmail}, time.Now()))
		project(t, db, history(t, "C-MRG002", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: dup.ID, Subject: "Done",
			Channel: casedesk.ChannelEmail}, time.Now(), casedesk.Assign{AssigneeID: agent.ID}, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered},
			casedesk.Close{}))
		if _, err := db.CreatePayment(ctx, casedesk.Payment{ID: "PA-MRG00001", CustomerID: dup.ID, Amount: decimal.RequireFromString("10"),
			Currency: "USD", Method: "card", Reference: "ref-mrg-1", PaidAt: paidAt}); err != nil {
			t.Fatal(err)
		}
		if _, err := db.CreateInvoice(ctx, casedesk.Invoice{ID: "IN-MRG00001", CustomerID: dup.ID, Number: "INV-MRG-1",
			Amount: decimal.RequireFromString("10"), Currency: "USD", IssuedAt: paidAt, DueAt: paidAt}); err != nil {
			t.Fatal(err)
		}
		open, err := db.MergeCustomers(ctx, dup.ID, keep.ID, agent)
		if err != nil {
			t.Fatal(err)
		}
		if len(open) != 1 || open[0] != "C-MRG001" {
			t.Fatalf("open cases told: %v, want C-MRG001", open)
		}
		cases, _, err := db.ListCases(ctx, casedesk.CaseFilter{CustomerID: keep.ID, Limit: 10})
		if err != nil || len(cases) != 2 {
			t.Fatalf("survivor's cases %d, %v", len(cases), err)
		}
		pays, _ := db.Payments(ctx, keep.ID)
		invs, _ := db.Invoices(ctx, keep.ID)
		if len(pays) != 1 || len(invs) != 1 {
			t.Fatalf("survivor's payments %d, invoices %d", len(pays), len(invs))
		}
		gone, err := db.Customer(ctx, dup.ID)
		if err != nil || gone.MergedInto != keep.ID {
			t.Fatalf("duplicate %+v, %v: want it readable and merged into %s", gone, err, keep.ID)
		}
		if found, _, _ := db.SearchCustomers(ctx, casedesk.CustomerSearch{Q: dup.ID, Limit: 1}); len(found) != 1 {
			t.Fatal("the duplicate's ID is no longer found")
		}
		hd, _ := db.CustomerHistory(ctx, dup.ID)
		hk, _ := db.CustomerHistory(ctx, keep.ID)
		if len(hd) != 1 || hd[0].Kind != casedesk.HistoryMergedInto || hd[0].Other != keep.ID ||
			len(hk) != 1 || hk[0].Kind != casedesk.HistoryMergedFrom || hk[0].Other != dup.ID {
			t.Fatalf("histories %+v and %+v", hd, hk)
		}
		_, err = db.MergeCustomers(ctx, dup.ID, keep.ID, agent)
		wantCode(t, err, casedesk.ECONFLICT)
		_, _, _, err = db.UpdateCustomer(ctx, dup.ID, casedesk.UpdateCustomerRequest{Name: ptr("x")}, agent)
		wantCode(t, err, casedesk.ECONFLICT)
	})
}
