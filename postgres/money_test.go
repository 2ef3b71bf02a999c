package postgres_test

import (
	"fmt"
	"reflect"
	"sync"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

var postedAt = time.Date(2025, 3, 14, 9, 30, 0, 123456000, time.UTC)

// newPaymentOf stores a payment of amount in currency for a new customer.
func newPaymentOf(t *testing.T, db *postgres.DB, amount, currency string) casedesk.Payment {
	t.Helper()
	id := casedesk.NewID(casedesk.PrefixPayment, 8)
	p, err := db.CreatePayment(t.Context(), casedesk.Payment{ID: id, CustomerID: newCustomer(t, db).ID,
		Amount: decimal.RequireFromString(amount), Currency: currency, Method: "card", Reference: "ref-" + id,
		PaidAt: time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)})
	if err != nil {
		t.Fatalf("create payment: %v", err)
	}
	return p
}

// newInvoiceOf stores an invoice of amount in currency for a new customer.
func newInvoiceOf(t *testing.T, db *postgres.DB, amount, currency string) casedesk.Invoice {
	t.Helper()
	id := casedesk.NewID(casedesk.PrefixInvoice, 8)
	issued := time.Date(2025, 3, 1, 10, 0, 0, 0, time.UTC)
	inv, err := db.CreateInvoice(t.Context(), casedesk.Invoice{ID: id, CustomerID: newCustomer(t, db).ID,
		Number: "N-" + id, Amount: decimal.RequireFromString(amount), Currency: currency,
		IssuedAt: issued, DueAt: issued.AddDate(0, 0, 30)})
	if err != nil {
		t.Fatalf("create invoice: %v", err)
	}
	return inv
}

// holdCounter makes hold IDs unique across the tests of the package.
var holdCounter struct {
	sync.Mutex
	n int
}

func nextHoldID() string {
	holdCounter.Lock()
	defer holdCounter.Unlock()
	holdCounter.n++
	return fmt.Sprintf("C-MONEY1-M%d", holdCounter.n)
}

// refund is a hold of amount on payment p, in p's currency.
func refund(p casedesk.Payment, amount string) casedesk.Hold {
	return casedesk.Hold{ID: nextHoldID(), Kind: casedesk.KindRefund, CaseID: "C-MONEY1", PaymentID: p.ID,
		Amount: decimal.RequireFromString(amount), Currency: p.Currency, Reason: "double charge", RequestedBy: "U-AGENT001"}
}

// credit is a hold of amount on invoice inv, in inv's currency.
func credit(inv casedesk.Invoice, amount string) casedesk.Hold {
	return casedesk.Hold{ID: nextHoldID(), Kind: casedesk.KindCredit, CaseID: "C-MONEY1", InvoiceID: inv.ID,
		Amount: decimal.RequireFromString(amount), Currency: inv.Currency, Reason: "service outage", RequestedBy: "U-AGENT001"}
}

func mustHold(t *testing.T, db *postgres.DB, h casedesk.Hold) casedesk.Hold {
	t.Helper()
	if err := holdErr(db.HoldMoney(t.Context(), h)); err != nil {
		t.Fatalf("hold %s of %s: %v", h.ID, h.Amount, err)
	}
	return h
}

func mustPost(t *testing.T, db *postgres.DB, holdID string) casedesk.LedgerEntry {
	t.Helper()
	e, err := db.PostHold(t.Context(), holdID, "L-"+holdID, postedAt)
	if err != nil {
		t.Fatalf("post %s: %v", holdID, err)
	}
	return e
}

// wantInvalid fails the test unless err is EINVALID with exactly one field
// error, on field, saying msg.
func wantInvalid(t *testing.T, err error, field, msg string) {
	t.Helper()
	wantCode(t, err, casedesk.EINVALID)
	want := []casedesk.FieldError{{Field: field, Message: msg}}
	if got := err.(*casedesk.Error).Fields; !reflect.DeepEqual(got, want) {
		t.Fatalf("field errors = %+v, want %+v", got, want)
	}
}

// wantConflict fails the test unless err is ECONFLICT saying msg.
func wantConflict(t *testing.T, err error, msg string) {
	t.Helper()
	wantCode(t, err, casedesk.ECONFLICT)
	if got := casedesk.ErrorMessage(err); got != msg {
		t.Fatalf("message = %q, want %q", got, msg)
	}
}

// wantPaymentBalance fails the test unless payment id shows these figures.
func wantPaymentBalance(t *testing.T, db *postgres.DB, id, refunded, held, refundable string) {
	t.Helper()
	b, err := db.PaymentBalance(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got := [3]string{casedesk.FormatAmount(b.Refunded, b.Currency), casedesk.FormatAmount(b.Held, b.Currency),
		casedesk.FormatAmount(b.Refundable, b.Currency)}
	if want := [3]string{refunded, held, refundable}; got != want {
		t.Fatalf("payment %s refunded/held/refundable = %v, want %v", id, got, want)
	}
}

// wantInvoiceBalance fails the test unless invoice id shows these figures.
func wantInvoiceBalance(t *testing.T, db *postgres.DB, id, credited, held, balance string) {
	t.Helper()
	b, err := db.InvoiceBalance(t.Context(), id)
	if err != nil {
		t.Fatal(err)
	}
	got := [3]string{casedesk.FormatAmount(b.Credited, b.Currency), casedesk.FormatAmount(b.Held, b.Currency),
		casedesk.FormatAmount(b.Balance, b.Currency)}
	if want := [3]string{credited, held, balance}; got != want {
		t.Fatalf("invoice %s credited/held/balance = %v, want %v", id, got, want)
	}
}

func TestHoldMoney(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("holds within what the payment can still refund succeed and are held", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		a := mustHold(t, db, refund(p, "30.00"))
		mustHold(t, db, refund(p, "20.50"))
		wantPaymentBalance(t, db, p.ID, "0.00", "50.50", "49.50")

		got, status, err := db.Hold(ctx, a.ID)
		if err != nil {
			t.Fatal(err)
		}
		if status != casedesk.HoldHeld || got.ID != a.ID || got.Kind != a.Kind || got.CaseID != a.CaseID ||
			got.PaymentID != a.PaymentID || got.InvoiceID != "" || !got.Amount.Equal(a.Amount) ||
			got.Currency != a.Currency || got.Reason != a.Reason || got.RequestedBy != a.RequestedBy {
			t.Fatalf("Hold = %+v %s, want %+v held", got, status, a)
		}
	})

	t.Run("the whole payment can be held and one cent more is refused", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		mustHold(t, db, refund(p, "100.00"))
		wantInvalid(t, holdErr(db.HoldMoney(ctx, refund(p, "0.01"))), "amount",
			"exceeds what "+p.ID+" can still refund: 0.00 USD")
		wantPaymentBalance(t, db, p.ID, "0.00", "100.00", "0.00")
	})

	t.Run("a hold one cent over what is left is refused with what is left", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		mustHold(t, db, refund(p, "80.00"))
		wantInvalid(t, holdErr(db.HoldMoney(ctx, refund(p, "20.01"))), "amount",
			"exceeds what "+p.ID+" can still refund: 20.00 USD")
		mustHold(t, db, refund(p, "20.00"))
		wantPaymentBalance(t, db, p.ID, "0.00", "100.00", "0.00")
	})

	t.Run("posted refunds count against what is left like held ones", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		mustPost(t, db, mustHold(t, db, refund(p, "60.00")).ID)
		mustHold(t, db, refund(p, "30.00"))
		wantInvalid(t, holdErr(db.HoldMoney(ctx, refund(p, "10.01"))), "amount",
			"exceeds what "+p.ID+" can still refund: 10.00 USD")
		wantPaymentBalance(t, db, p.ID, "60.00", "30.00", "10.00")
	})

	t.Run("a released hold gives its money back", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "100.00"))
		if err := db.ReleaseHold(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "100.00")
		mustHold(t, db, refund(p, "100.00"))
	})

	t.Run("a hold in another currency than the payment's is invalid", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := refund(p, "10.00")
		h.Currency = "EUR"
		wantInvalid(t, holdErr(db.HoldMoney(ctx, h)), "currency", "must be USD, the currency of "+p.ID)
		wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "100.00")
	})

	t.Run("a hold on an unknown payment is invalid", func(t *testing.T) {
		h := refund(casedesk.Payment{ID: "PAY-NOSUCH01", Currency: "USD"}, "10.00")
		wantInvalid(t, holdErr(db.HoldMoney(ctx, h)), "payment_id", "no such payment PAY-NOSUCH01")
		_, _, err := db.Hold(ctx, h.ID)
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("holding the same hold again is a no-op, even when nothing is left", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "100.00"))
		again := h
		again.Amount = decimal.RequireFromString("100.0000") // the same amount, written otherwise
		for range 3 {
			if err := holdErr(db.HoldMoney(ctx, again)); err != nil {
				t.Fatalf("hold again: %v", err)
			}
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "100.00", "0.00")
	})

	t.Run("a hold ID reused for different money is a conflict", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "10.00"))
		other := newPaymentOf(t, db, "100.00", "USD")
		for name, change := range map[string]func(*casedesk.Hold){
			"amount":       func(h *casedesk.Hold) { h.Amount = decimal.RequireFromString("10.01") },
			"payment":      func(h *casedesk.Hold) { h.PaymentID = other.ID },
			"reason":       func(h *casedesk.Hold) { h.Reason = "goodwill" },
			"case":         func(h *casedesk.Hold) { h.CaseID = "C-OTHER1" },
			"requested by": func(h *casedesk.Hold) { h.RequestedBy = "U-AGENT002" },
		} {
			t.Run("with another "+name, func(t *testing.T) {
				changed := h
				change(&changed)
				wantConflict(t, holdErr(db.HoldMoney(ctx, changed)), "hold "+h.ID+" already exists with a different content")
			})
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "10.00", "90.00")
		wantPaymentBalance(t, db, other.ID, "0.00", "0.00", "100.00")
	})

	t.Run("a malformed hold is invalid and names the field", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		inv := newInvoiceOf(t, db, "100.00", "USD")
		for _, tc := range []struct {
			name         string
			change       func(*casedesk.Hold)
			field, error string
		}{
			{"an unknown kind", func(h *casedesk.Hold) { h.Kind = "chargeback" }, "kind", "must be refund or credit"},
			{"a refund naming an invoice too", func(h *casedesk.Hold) { h.InvoiceID = inv.ID }, "invoice_id", "must be empty for a refund, which is of a payment"},
			{"a refund without a payment", func(h *casedesk.Hold) { h.PaymentID = "" }, "payment_id", "is required for a refund"},
			{"a zero amount", func(h *casedesk.Hold) { h.Amount = decimal.Zero }, "amount", "must be greater than zero"},
			{"a negative amount", func(h *casedesk.Hold) { h.Amount = decimal.RequireFromString("-5.00") }, "amount", "must be greater than zero"},
			{"fractions of a cent", func(h *casedesk.Hold) { h.Amount = decimal.RequireFromString("1.005") }, "amount", "has more decimal places than USD allows (2)"},
			{"an unknown currency", func(h *casedesk.Hold) { h.Currency = "XXX" }, "currency", "must be an ISO 4217 code we support, such as USD, EUR or JPY"},
			{"no ID", func(h *casedesk.Hold) { h.ID = "" }, "id", "is required"},
			{"no case", func(h *casedesk.Hold) { h.CaseID = "" }, "case_id", "is required"},
		} {
			h := refund(p, "10.00")
			tc.change(&h)
			if err := holdErr(db.HoldMoney(ctx, h)); casedesk.ErrorCode(err) != casedesk.EINVALID {
				t.Errorf("%s: err = %v, want invalid", tc.name, err)
			} else {
				wantInvalid(t, err, tc.field, tc.error)
			}
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "100.00")
	})
}

func TestConcurrentHolds(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("50 holds of 10.00 racing on a payment of 100.00: exactly 10 succeed", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		errs := race(50, func(int) error { return holdErr(db.HoldMoney(ctx, refund(p, "10.00"))) })
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			wantInvalid(t, err, "amount", "exceeds what "+p.ID+" can still refund: 0.00 USD")
		}
		if ok != 10 {
			t.Fatalf("%d holds succeeded, want 10", ok)
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "100.00", "0.00")
	})

	t.Run("the same hold sent 20 times at once is held once", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := refund(p, "60.00")
		for i, err := range race(20, func(int) error { return holdErr(db.HoldMoney(ctx, h)) }) {
			if err != nil {
				t.Errorf("attempt %d: %v", i, err)
			}
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "60.00", "40.00")
	})

	t.Run("one hold ID sent at once for different payments is held once, the others conflict", func(t *testing.T) {
		payments := make([]casedesk.Payment, 8)
		for i := range payments {
			payments[i] = newPaymentOf(t, db, "100.00", "USD")
		}
		id := nextHoldID()
		errs := race(len(payments), func(i int) error {
			h := refund(payments[i], "10.00")
			h.ID = id
			return holdErr(db.HoldMoney(ctx, h))
		})
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
			} else {
				wantConflict(t, err, "hold "+id+" already exists with a different content")
			}
		}
		h, _, err := db.Hold(ctx, id)
		if ok != 1 || err != nil {
			t.Fatalf("%d holds succeeded (hold %+v, %v), want 1", ok, h, err)
		}
		for _, p := range payments {
			if p.ID == h.PaymentID {
				wantPaymentBalance(t, db, p.ID, "0.00", "10.00", "90.00")
			} else {
				wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "100.00")
			}
		}
	})

	t.Run("credits racing on an invoice never take its balance below zero", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "USD")
		errs := race(30, func(int) error { return holdErr(db.HoldMoney(ctx, credit(inv, "25.00"))) })
		ok := 0
		for _, err := range errs {
			if err == nil {
				ok++
				continue
			}
			wantInvalid(t, err, "amount", "exceeds what "+inv.ID+" still owes: 0.00 USD")
		}
		if ok != 10 {
			t.Fatalf("%d credits succeeded, want 10", ok)
		}
		wantInvoiceBalance(t, db, inv.ID, "0.00", "250.00", "0.00")
	})

	t.Run("holds and posts racing on one payment keep it exact", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		first := make([]casedesk.Hold, 5)
		for i := range first {
			first[i] = mustHold(t, db, refund(p, "10.00"))
		}
		// Posting and releasing the first five while 20 more try to hold.
		errs := race(30, func(i int) error {
			switch {
			case i < 5:
				_, err := db.PostHold(ctx, first[i].ID, "L-"+first[i].ID, postedAt)
				return err
			case i < 10:
				return db.ReleaseHold(ctx, first[i-5].ID)
			}
			err := holdErr(db.HoldMoney(ctx, refund(p, "10.00")))
			if casedesk.ErrorCode(err) == casedesk.EINVALID {
				return nil
			}
			return err
		})
		for i, err := range errs {
			if err != nil && casedesk.ErrorCode(err) != casedesk.ECONFLICT {
				t.Errorf("worker %d: %v", i, err)
			}
		}
		b, err := db.PaymentBalance(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.Refundable.IsNegative() || !b.Refunded.Add(b.Held).Add(b.Refundable).Equal(b.Amount) {
			t.Fatalf("balance %+v does not add up", b)
		}
	})
}

// race runs fn n times at once and returns the errors by index.
func race(n int, fn func(i int) error) []error {
	errs := make([]error, n)
	start := make(chan struct{})
	var wg sync.WaitGroup
	for i := range n {
		wg.Go(func() {
			<-start
			errs[i] = fn(i)
		})
	}
	close(start)
	wg.Wait()
	return errs
}

func TestPostHold(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("posting a hold writes one ledger entry and moves the money from held to refunded", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "40.00"))
		mustHold(t, db, refund(p, "10.00"))
		e := mustPost(t, db, h.ID)
		want := casedesk.LedgerEntry{ID: "L-" + h.ID, Kind: casedesk.KindRefund, HoldID: h.ID, CaseID: h.CaseID,
			PaymentID: p.ID, Amount: e.Amount, Currency: "USD", PostedAt: postedAt}
		if !reflect.DeepEqual(inUTC(e), want) || !e.Amount.Equal(h.Amount) {
			t.Fatalf("entry = %+v, want %+v", e, want)
		}
		if _, status, err := db.Hold(ctx, h.ID); err != nil || status != casedesk.HoldPosted {
			t.Fatalf("hold status = %q (%v), want posted", status, err)
		}
		wantPaymentBalance(t, db, p.ID, "40.00", "10.00", "50.00")
		entries, err := db.LedgerEntries(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(entries, []casedesk.LedgerEntry{e}) {
			t.Fatalf("ledger = %+v, want %+v", entries, e)
		}
	})

	t.Run("posting again returns the same entry whatever entry ID is given", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "40.00"))
		first := mustPost(t, db, h.ID)
		again, err := db.PostHold(ctx, h.ID, "L-SOMETHING-ELSE", postedAt.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(again, first) {
			t.Fatalf("second post = %+v, want %+v", again, first)
		}
		wantPaymentBalance(t, db, p.ID, "40.00", "0.00", "60.00")
	})

	t.Run("10 posts of one hold at once write one entry and all return it", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "100.00"))
		entries := make([]casedesk.LedgerEntry, 10)
		errs := race(10, func(i int) error {
			var err error
			entries[i], err = db.PostHold(ctx, h.ID, fmt.Sprintf("L-%s-%d", h.ID, i), postedAt.Add(time.Duration(i)*time.Second))
			return err
		})
		for i, err := range errs {
			if err != nil {
				t.Fatalf("post %d: %v", i, err)
			}
			if !reflect.DeepEqual(entries[i], entries[0]) {
				t.Fatalf("post %d returned %+v, post 0 %+v", i, entries[i], entries[0])
			}
		}
		ledger, err := db.LedgerEntries(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if len(ledger) != 1 || !reflect.DeepEqual(ledger[0], entries[0]) {
			t.Fatalf("ledger = %+v, want only %+v", ledger, entries[0])
		}
		wantPaymentBalance(t, db, p.ID, "100.00", "0.00", "0.00")
	})

	t.Run("a released hold cannot be posted", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "40.00"))
		if err := db.ReleaseHold(ctx, h.ID); err != nil {
			t.Fatal(err)
		}
		_, err := db.PostHold(ctx, h.ID, "L-"+h.ID, postedAt)
		wantConflict(t, err, "hold "+h.ID+" was released")
		if entries, err := db.LedgerEntries(ctx, p.ID); err != nil || len(entries) != 0 {
			t.Fatalf("ledger = %+v (%v), want empty", entries, err)
		}
		wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "100.00")
	})

	t.Run("a posted hold cannot be released", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "40.00"))
		mustPost(t, db, h.ID)
		wantConflict(t, db.ReleaseHold(ctx, h.ID), "hold "+h.ID+" was posted and cannot be released")
		if _, status, err := db.Hold(ctx, h.ID); err != nil || status != casedesk.HoldPosted {
			t.Fatalf("hold status = %q (%v), want posted", status, err)
		}
		wantPaymentBalance(t, db, p.ID, "40.00", "0.00", "60.00")
	})

	t.Run("releasing twice, or a hold never made, is a no-op", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "40.00"))
		for range 2 {
			if err := db.ReleaseHold(ctx, h.ID); err != nil {
				t.Fatal(err)
			}
		}
		if _, status, err := db.Hold(ctx, h.ID); err != nil || status != casedesk.HoldReleased {
			t.Fatalf("hold status = %q (%v), want released", status, err)
		}
		if err := db.ReleaseHold(ctx, "C-NEVER1-M1"); err != nil {
			t.Fatalf("release of an unknown hold: %v", err)
		}
	})

	t.Run("an unknown hold cannot be posted or read", func(t *testing.T) {
		_, err := db.PostHold(ctx, "C-NEVER1-M2", "L-C-NEVER1-M2", postedAt)
		wantCode(t, err, casedesk.ENOTFOUND)
		_, _, err = db.Hold(ctx, "C-NEVER1-M2")
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("posting re-checks the ledger against the payment", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		h := mustHold(t, db, refund(p, "80.00"))
		// A hold written around the store's checks.
		if _, err := db.Pool.Exec(ctx, `
			INSERT INTO holds (id, kind, case_id, payment_id, amount, currency, reason, requested_by)
			VALUES ('C-ROGUE1-M1', 'refund', 'C-ROGUE1', $1, 50, 'USD', 'rogue', 'U-ROGUE001')`, p.ID); err != nil {
			t.Fatal(err)
		}
		mustPost(t, db, "C-ROGUE1-M1")
		_, err := db.PostHold(ctx, h.ID, "L-"+h.ID, postedAt)
		wantConflict(t, err, p.ID+" has no more to refund: 50.00 of 100.00 USD is already refunded")
		if _, status, err := db.Hold(ctx, h.ID); err != nil || status != casedesk.HoldHeld {
			t.Fatalf("hold status = %q (%v), want still held", status, err)
		}
	})

	t.Run("an entry ID already used by another hold is a conflict", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		a, b := mustHold(t, db, refund(p, "10.00")), mustHold(t, db, refund(p, "10.00"))
		mustPost(t, db, a.ID)
		_, err := db.PostHold(ctx, b.ID, "L-"+a.ID, postedAt)
		wantCode(t, err, casedesk.ECONFLICT)
		wantPaymentBalance(t, db, p.ID, "10.00", "10.00", "80.00")
	})
}

func TestCredits(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("credits up to what the invoice owes are held, one cent more is refused", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "USD")
		mustHold(t, db, credit(inv, "200.00"))
		mustHold(t, db, credit(inv, "50.00"))
		wantInvalid(t, holdErr(db.HoldMoney(ctx, credit(inv, "0.01"))), "amount",
			"exceeds what "+inv.ID+" still owes: 0.00 USD")
		wantInvoiceBalance(t, db, inv.ID, "0.00", "250.00", "0.00")
	})

	t.Run("a credit over what is owed names what is owed", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "USD")
		mustPost(t, db, mustHold(t, db, credit(inv, "100.00")).ID)
		wantInvalid(t, holdErr(db.HoldMoney(ctx, credit(inv, "150.01"))), "amount",
			"exceeds what "+inv.ID+" still owes: 150.00 USD")
		wantInvoiceBalance(t, db, inv.ID, "100.00", "0.00", "150.00")
	})

	t.Run("posted credits are in the ledger of the invoice and lower its balance", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "USD")
		h := mustHold(t, db, credit(inv, "75.25"))
		held := mustHold(t, db, credit(inv, "24.75"))
		e := mustPost(t, db, h.ID)
		if e.Kind != casedesk.KindCredit || e.InvoiceID != inv.ID || e.PaymentID != "" || !e.Amount.Equal(h.Amount) {
			t.Fatalf("entry = %+v", e)
		}
		wantInvoiceBalance(t, db, inv.ID, "75.25", "24.75", "150.00")
		if err := db.ReleaseHold(ctx, held.ID); err != nil {
			t.Fatal(err)
		}
		wantInvoiceBalance(t, db, inv.ID, "75.25", "0.00", "174.75")
		entries, err := db.LedgerEntries(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(entries, []casedesk.LedgerEntry{e}) {
			t.Fatalf("ledger = %+v, want %+v", entries, e)
		}
	})

	t.Run("a credit in another currency or on an unknown invoice is invalid", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "EUR")
		h := credit(inv, "10.00")
		h.Currency = "USD"
		wantInvalid(t, holdErr(db.HoldMoney(ctx, h)), "currency", "must be EUR, the currency of "+inv.ID)
		wantInvalid(t, holdErr(db.HoldMoney(ctx, credit(casedesk.Invoice{ID: "INV-NOSUCH01", Currency: "EUR"}, "10.00"))),
			"invoice_id", "no such invoice INV-NOSUCH01")
		h = credit(inv, "10.00")
		h.PaymentID = newPaymentOf(t, db, "10.00", "EUR").ID
		wantInvalid(t, holdErr(db.HoldMoney(ctx, h)), "payment_id", "must be empty for a credit, which is on an invoice")
	})

	t.Run("posting a credit twice at once writes one entry", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "250.00", "USD")
		h := mustHold(t, db, credit(inv, "250.00"))
		entries := make([]casedesk.LedgerEntry, 10)
		for i, err := range race(10, func(i int) error {
			var err error
			entries[i], err = db.PostHold(ctx, h.ID, fmt.Sprintf("L-%d", i), postedAt)
			return err
		}) {
			if err != nil || !reflect.DeepEqual(entries[i], entries[0]) {
				t.Fatalf("post %d: %+v (%v), want %+v", i, entries[i], err, entries[0])
			}
		}
		if ledger, err := db.LedgerEntries(ctx, inv.ID); err != nil || len(ledger) != 1 {
			t.Fatalf("ledger = %+v (%v), want one entry", ledger, err)
		}
		wantInvoiceBalance(t, db, inv.ID, "250.00", "0.00", "0.00")
	})

	t.Run("the balance of an unknown invoice is not found", func(t *testing.T) {
		_, err := db.InvoiceBalance(ctx, "INV-NOSUCH01")
		wantCode(t, err, casedesk.ENOTFOUND)
	})
}

func TestMoneyInJPY(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	p := newPaymentOf(t, db, "5000", "JPY")

	h := mustHold(t, db, refund(p, "1200"))
	wantPaymentBalance(t, db, p.ID, "0", "1200", "3800")
	wantInvalid(t, holdErr(db.HoldMoney(ctx, refund(p, "0.5"))), "amount", "has more decimal places than JPY allows (0)")
	wantInvalid(t, holdErr(db.HoldMoney(ctx, refund(p, "3801"))), "amount", "exceeds what "+p.ID+" can still refund: 3800 JPY")
	mustHold(t, db, refund(p, "3800"))
	mustPost(t, db, h.ID)
	wantPaymentBalance(t, db, p.ID, "1200", "3800", "0")

	wrong := refund(p, "100")
	wrong.Currency = "USD"
	wantInvalid(t, holdErr(db.HoldMoney(ctx, wrong)), "currency", "must be JPY, the currency of "+p.ID)
}

func TestBalances(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("a payment's balance carries the payment and its figures", func(t *testing.T) {
		p := newPaymentOf(t, db, "1234.56", "USD")
		wantPaymentBalance(t, db, p.ID, "0.00", "0.00", "1234.56")
		mustPost(t, db, mustHold(t, db, refund(p, "200.00")).ID)
		mustPost(t, db, mustHold(t, db, refund(p, "34.56")).ID)
		mustHold(t, db, refund(p, "500.00"))
		if err := db.ReleaseHold(ctx, mustHold(t, db, refund(p, "400.00")).ID); err != nil {
			t.Fatal(err)
		}
		b, err := db.PaymentBalance(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.ID != p.ID || b.CustomerID != p.CustomerID || b.Reference != p.Reference || b.Method != p.Method ||
			!b.PaidAt.Equal(p.PaidAt) || !b.Amount.Equal(p.Amount) || b.Currency != p.Currency {
			t.Fatalf("payment = %+v, want %+v", b.Payment, p)
		}
		wantPaymentBalance(t, db, p.ID, "234.56", "500.00", "500.00")
	})

	t.Run("an invoice's balance carries the invoice and its figures", func(t *testing.T) {
		inv := newInvoiceOf(t, db, "99.99", "GBP")
		mustPost(t, db, mustHold(t, db, credit(inv, "9.99")).ID)
		mustHold(t, db, credit(inv, "40.00"))
		b, err := db.InvoiceBalance(ctx, inv.ID)
		if err != nil {
			t.Fatal(err)
		}
		if b.ID != inv.ID || b.Number != inv.Number || b.CustomerID != inv.CustomerID || !b.IssuedAt.Equal(inv.IssuedAt) ||
			!b.DueAt.Equal(inv.DueAt) || !b.Amount.Equal(inv.Amount) || b.Currency != "GBP" {
			t.Fatalf("invoice = %+v, want %+v", b.Invoice, inv)
		}
		wantInvoiceBalance(t, db, inv.ID, "9.99", "40.00", "50.00")
	})

	t.Run("the balance of an unknown payment is not found", func(t *testing.T) {
		_, err := db.PaymentBalance(ctx, "PAY-NOSUCH01")
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("the ledger lists a payment's entries oldest first and nothing for an unknown ID", func(t *testing.T) {
		p := newPaymentOf(t, db, "100.00", "USD")
		late, early := mustHold(t, db, refund(p, "1.00")), mustHold(t, db, refund(p, "2.00"))
		l, err := db.PostHold(ctx, late.ID, "L-LATE", postedAt.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		e, err := db.PostHold(ctx, early.ID, "L-EARLY", postedAt)
		if err != nil {
			t.Fatal(err)
		}
		entries, err := db.LedgerEntries(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(entries, []casedesk.LedgerEntry{e, l}) {
			t.Fatalf("ledger = %+v, want %+v then %+v", entries, e, l)
		}
		none, err := db.LedgerEntries(ctx, "PAY-NOSUCH01")
		if err != nil || none == nil || len(none) != 0 {
			t.Fatalf("ledger of an unknown payment = %#v (%v), want an empty list", none, err)
		}
	})
}

func TestLedgerIsAppendOnly(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	p := newPaymentOf(t, db, "100.00", "USD")
	h := mustHold(t, db, refund(p, "40.00"))
	e := mustPost(t, db, h.ID)
	released := mustHold(t, db, refund(p, "10.00"))
	if err := db.ReleaseHold(ctx, released.ID); err != nil {
		t.Fatal(err)
	}

	t.Run("the ledger refuses updates, deletes and truncation", func(t *testing.T) {
		for _, sql := range []string{
			`UPDATE ledger_entries SET amount = 1 WHERE id = $1`,
			`UPDATE ledger_entries SET posted_at = now() WHERE id = $1`,
			`DELETE FROM ledger_entries WHERE id = $1`,
			`TRUNCATE ledger_entries`,
		} {
			args := []any{e.ID}
			if sql == `TRUNCATE ledger_entries` {
				args = nil
			}
			_, err := db.Pool.Exec(ctx, sql, args...)
			wantPgError(t, err, "P0001", "ledger_entries is append-only")
		}
		entries, err := db.LedgerEntries(ctx, p.ID)
		if err != nil {
			t.Fatal(err)
		}
		if !reflect.DeepEqual(entries, []casedesk.LedgerEntry{e}) {
			t.Fatalf("ledger changed: %+v, was %+v", entries, e)
		}
	})

	t.Run("holds are never deleted, their money never changes and posted or released is final", func(t *testing.T) {
		for _, tc := range []struct{ sql, id, msg string }{
			{`DELETE FROM holds WHERE id = $1`, h.ID, "holds are never deleted"},
			{`UPDATE holds SET status = 'held' WHERE id = $1`, h.ID, "is already posted"},
			{`UPDATE holds SET status = 'posted' WHERE id = $1`, released.ID, "is already released"},
			{`UPDATE holds SET amount = 5 WHERE id = $1`, mustHold(t, db, refund(p, "1.00")).ID, "cannot be changed"},
		} {
			_, err := db.Pool.Exec(ctx, tc.sql, tc.id)
			wantPgError(t, err, "P0001", tc.msg)
		}
		wantPaymentBalance(t, db, p.ID, "40.00", "1.00", "59.00")
	})
}

// holdErr is the error of a HoldMoney, for tests about the hold itself.
func holdErr(_ casedesk.Authority, err error) error { return err }
