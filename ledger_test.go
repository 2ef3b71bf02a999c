package casedesk_test

import (
	"testing"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

func dec(s string) decimal.Decimal { return decimal.RequireFromString(s) }

func TestTheRefundCapCountsWhatIsPostedAndHeld(t *testing.T) {
	pay := casedesk.Balance{Kind: casedesk.KindRefund, ID: "PAY-1", CustomerID: "CU-1", Amount: dec("100.00"), Currency: "USD"}
	hold := func(amount string) casedesk.Hold {
		return casedesk.Hold{ID: "H", Kind: casedesk.KindRefund, CaseID: "C-1", CustomerID: "CU-1", PaymentID: "PAY-1",
			Amount: dec(amount), Currency: "USD", Reason: "r", RequestedBy: "U-1"}
	}
	with := func(posted, held string) casedesk.Balance {
		b := pay
		b.Posted, b.Held = dec(posted), dec(held)
		return b
	}
	tests := []struct {
		name  string
		b     casedesk.Balance
		h     casedesk.Hold
		field string // "" means it fits
	}{
		{"the whole amount fits an untouched payment", with("0", "0"), hold("100.00"), ""},
		{"a cent more does not", with("0", "0"), hold("100.01"), "amount"},
		{"what is posted counts", with("60.00", "0"), hold("40.01"), "amount"},
		{"what is held counts", with("0", "60.00"), hold("40.01"), "amount"},
		{"posted and held together count", with("30.00", "30.00"), hold("40.00"), ""},
		{"posted and held together leave nothing more", with("30.00", "30.00"), hold("40.01"), "amount"},
		{"another currency is refused", with("0", "0"), func() casedesk.Hold { h := hold("1.00"); h.Currency = "EUR"; return h }(), "currency"},
		{"another customer's payment is refused", with("0", "0"), func() casedesk.Hold { h := hold("1.00"); h.CustomerID = "CU-2"; return h }(), "payment_id"},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			err := tt.b.CheckHold(tt.h)
			if tt.field == "" {
				if err != nil {
					t.Fatalf("CheckHold: %v", err)
				}
				return
			}
			wantFields(t, err, tt.field)
		})
	}
	t.Run("available is the amount less posted and held", func(t *testing.T) {
		if got := with("30.00", "25.50").Available(); !got.Equal(dec("44.50")) {
			t.Errorf("available %s, want 44.50", got)
		}
	})
	t.Run("posting never takes the ledger beyond the amount", func(t *testing.T) {
		if err := with("60.00", "40.00").CheckPost(hold("40.00")); err != nil {
			t.Errorf("posting the last 40.00: %v", err)
		}
		wantCode(t, with("60.01", "0").CheckPost(hold("40.00")), casedesk.ECONFLICT)
	})
	t.Run("an invoice says what it still owes", func(t *testing.T) {
		inv := casedesk.Balance{Kind: casedesk.KindCredit, ID: "INV-1", Amount: dec("10.00"), Currency: "USD", Posted: dec("10.00")}
		h := hold("0.01")
		h.Kind, h.PaymentID, h.InvoiceID, h.CustomerID = casedesk.KindCredit, "", "INV-1", ""
		wantFields(t, inv.CheckHold(h), "amount")
	})
}

func TestAHoldIsValidatedLikeAnyAmount(t *testing.T) {
	ok := casedesk.Hold{ID: "H", Kind: casedesk.KindRefund, CaseID: "C-1", PaymentID: "PAY-1", Amount: dec("1.00"), Currency: "USD"}
	if err := ok.Validate(); err != nil {
		t.Fatalf("a valid hold: %v", err)
	}
	tests := []struct {
		name  string
		edit  func(*casedesk.Hold)
		field string
	}{
		{"no kind", func(h *casedesk.Hold) { h.Kind = "" }, "kind"},
		{"a refund without a payment", func(h *casedesk.Hold) { h.PaymentID = "" }, "payment_id"},
		{"a credit on a payment", func(h *casedesk.Hold) { h.Kind = casedesk.KindCredit }, "invoice_id"},
		{"zero", func(h *casedesk.Hold) { h.Amount = decimal.Zero }, "amount"},
		{"a fraction of a cent", func(h *casedesk.Hold) { h.Amount = dec("1.001") }, "amount"},
		{"yen with decimals", func(h *casedesk.Hold) { h.Currency, h.Amount = "JPY", dec("1.5") }, "amount"},
		{"an unknown currency", func(h *casedesk.Hold) { h.Currency = "XXX" }, "currency"},
	}
	for _, tt := range tests {
		t.Run(tt.name+" is refused", func(t *testing.T) {
			h := ok
			tt.edit(&h)
			err := h.Validate()
			var e *casedesk.Error
			if err == nil || !asError(err, &e) || !hasFieldNamed(e, tt.field) {
				t.Fatalf("Validate = %v, want a problem with %s", err, tt.field)
			}
		})
	}
}

func asError(err error, e **casedesk.Error) bool {
	x, ok := err.(*casedesk.Error)
	*e = x
	return ok
}

func hasFieldNamed(e *casedesk.Error, field string) bool {
	for _, f := range e.Fields {
		if f.Field == field {
			return true
		}
	}
	return false
}
