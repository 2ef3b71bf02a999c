package postgres_test

import (
	"reflect"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func TestCustomers(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("a created customer reads back by ID and by email in any case", func(t *testing.T) {
		c, err := db.CreateCustomer(ctx, casedesk.Customer{ID: "CU-READ0001", Name: "Grace Hopper", Email: "Grace@Example.com"})
		if err != nil {
			t.Fatal(err)
		}
		if c.CreatedAt.IsZero() {
			t.Fatal("CreateCustomer did not return created_at")
		}
		byID, err := db.Customer(ctx, c.ID)
		if err != nil {
			t.Fatal(err)
		}
		byEmail, err := db.CustomerByEmail(ctx, "grace@EXAMPLE.com")
		if err != nil {
			t.Fatal(err)
		}
		for _, got := range []casedesk.Customer{byID, byEmail} {
			if !reflect.DeepEqual(inUTC(got), inUTC(c)) {
				t.Fatalf("got %+v, want %+v", got, c)
			}
		}
	})

	t.Run("an email already taken, in any letter case, is a conflict", func(t *testing.T) {
		first := newCustomer(t, db)
		_, err := db.CreateCustomer(ctx, casedesk.Customer{ID: "CU-TWIN0001", Name: "Twin", Email: strings.ToUpper(first.Email)})
		wantCode(t, err, casedesk.ECONFLICT)
	})

	t.Run("an unknown customer is not found", func(t *testing.T) {
		_, err := db.Customer(ctx, "CU-NOBODY00")
		wantCode(t, err, casedesk.ENOTFOUND)
		_, err = db.CustomerByEmail(ctx, "nobody@example.com")
		wantCode(t, err, casedesk.ENOTFOUND)
	})
}

// amounts are the values money columns must give back exactly.
var amounts = []struct {
	name     string
	amount   string
	currency string
	// formatted is the amount written with the currency's decimal places.
	formatted string
}{
	{"dollars and cents", "120.50", "USD", "120.50"},
	{"a single cent", "0.01", "EUR", "0.01"},
	{"a fil, the smallest dinar unit", "0.001", "KWD", "0.001"},
	{"the smallest amount the column holds", "0.0001", "USD", "0.00"},
	{"whole yen", "1500", "JPY", "1500"},
	{"the largest amount ParseMoney accepts", "999999999999999.999", "BHD", "999999999999999.999"},
	{"a long odd fraction", "12345678.9876", "USD", "12345678.99"},
}

// paidAt has sub-second digits to show microseconds survive the round trip.
var paidAt = time.Date(2026, 3, 2, 9, 30, 15, 123456000, time.UTC)

func TestPayments(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()

	t.Run("amounts round-trip exactly", func(t *testing.T) {
		for _, a := range amounts {
			t.Run(a.name, func(t *testing.T) {
				cust := newCustomer(t, db)
				want := casedesk.Payment{
					ID: casedesk.NewID(casedesk.PrefixPayment, 8), CustomerID: cust.ID,
					Amount: decimal.RequireFromString(a.amount), Currency: a.currency, Method: "card",
					Reference: "ref " + a.name, PaidAt: paidAt,
				}
				if _, err := db.CreatePayment(ctx, want); err != nil {
					t.Fatal(err)
				}
				got, err := db.Payments(ctx, cust.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("got %d payments, want 1", len(got))
				}
				p := got[0]
				if !p.Amount.Equal(want.Amount) || p.Amount.String() != want.Amount.String() {
					t.Fatalf("amount = %s, want %s", p.Amount, a.amount)
				}
				if f := casedesk.FormatAmount(p.Amount, p.Currency); f != a.formatted {
					t.Fatalf("formatted amount = %q, want %q", f, a.formatted)
				}
				// Amounts are compared above by value: numeric(19,4) pads
				// the scale, which decimal.Decimal keeps in its exponent.
				p.Amount, want.Amount = decimal.Zero, decimal.Zero
				if !reflect.DeepEqual(inUTC(p), inUTC(want)) {
					t.Fatalf("got %+v, want %+v", p, want)
				}
			})
		}
	})

	t.Run("a reference already used is a conflict", func(t *testing.T) {
		cust, other := newCustomer(t, db), newCustomer(t, db)
		p := casedesk.Payment{ID: "PAY-DUP00001", CustomerID: cust.ID, Amount: decimal.RequireFromString("10"),
			Currency: "USD", Method: "card", Reference: "ch_3PQ", PaidAt: paidAt}
		if _, err := db.CreatePayment(ctx, p); err != nil {
			t.Fatal(err)
		}
		// Even for another customer: a reference identifies one payment.
		p.ID, p.CustomerID = "PAY-DUP00002", other.ID
		_, err := db.CreatePayment(ctx, p)
		wantCode(t, err, casedesk.ECONFLICT)
	})

	t.Run("a payment for an unknown customer is invalid", func(t *testing.T) {
		_, err := db.CreatePayment(ctx, casedesk.Payment{ID: "PAY-ORPHAN01", CustomerID: "CU-NOBODY00",
			Amount: decimal.RequireFromString("10"), Currency: "USD", Method: "card", Reference: "orphan", PaidAt: paidAt})
		wantCode(t, err, casedesk.EINVALID)
	})

	t.Run("payments list newest first and only the customer's own", func(t *testing.T) {
		cust, other := newCustomer(t, db), newCustomer(t, db)
		pay := func(id, customerID, ref string, at time.Time) {
			t.Helper()
			_, err := db.CreatePayment(ctx, casedesk.Payment{ID: id, CustomerID: customerID,
				Amount: decimal.RequireFromString("5.00"), Currency: "USD", Method: "bank_transfer", Reference: ref, PaidAt: at})
			if err != nil {
				t.Fatal(err)
			}
		}
		// Inserted out of order, so the order comes from paid_at.
		pay("PAY-MID00001", cust.ID, "order-mid", paidAt)
		pay("PAY-OLD00001", cust.ID, "order-old", paidAt.Add(-48*time.Hour))
		pay("PAY-NEW00001", cust.ID, "order-new", paidAt.Add(time.Microsecond))
		pay("PAY-OTHER001", other.ID, "order-other", paidAt.Add(time.Hour))

		got, err := db.Payments(ctx, cust.ID)
		if err != nil {
			t.Fatal(err)
		}
		if ids := paymentIDs(got); !reflect.DeepEqual(ids, []string{"PAY-NEW00001", "PAY-MID00001", "PAY-OLD00001"}) {
			t.Fatalf("payments = %v, want newest first", ids)
		}
	})

	t.Run("a customer without payments has an empty list", func(t *testing.T) {
		got, err := db.Payments(ctx, newCustomer(t, db).ID)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 {
			t.Fatalf("payments = %#v, want an empty, non-nil list", got)
		}
	})
}

func paymentIDs(ps []casedesk.Payment) []string {
	ids := make([]string, len(ps))
	for i, p := range ps {
		ids[i] = p.ID
	}
	return ids
}

func TestInvoices(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	issued := paidAt
	due := issued.AddDate(0, 0, 30)

	t.Run("amounts round-trip exactly", func(t *testing.T) {
		for _, a := range amounts {
			t.Run(a.name, func(t *testing.T) {
				cust := newCustomer(t, db)
				want := casedesk.Invoice{
					ID: casedesk.NewID(casedesk.PrefixInvoice, 8), CustomerID: cust.ID,
					Number: "2026 " + a.name, Amount: decimal.RequireFromString(a.amount),
					Currency: a.currency, IssuedAt: issued, DueAt: due,
				}
				if _, err := db.CreateInvoice(ctx, want); err != nil {
					t.Fatal(err)
				}
				got, err := db.Invoices(ctx, cust.ID)
				if err != nil {
					t.Fatal(err)
				}
				if len(got) != 1 {
					t.Fatalf("got %d invoices, want 1", len(got))
				}
				inv := got[0]
				if !inv.Amount.Equal(want.Amount) || inv.Amount.String() != want.Amount.String() {
					t.Fatalf("amount = %s, want %s", inv.Amount, a.amount)
				}
				if f := casedesk.FormatAmount(inv.Amount, inv.Currency); f != a.formatted {
					t.Fatalf("formatted amount = %q, want %q", f, a.formatted)
				}
				inv.Amount, want.Amount = decimal.Zero, decimal.Zero
				if !reflect.DeepEqual(inUTC(inv), inUTC(want)) {
					t.Fatalf("got %+v, want %+v", inv, want)
				}
			})
		}
	})

	t.Run("a number already used is a conflict", func(t *testing.T) {
		cust := newCustomer(t, db)
		inv := casedesk.Invoice{ID: "INV-DUP00001", CustomerID: cust.ID, Number: "2026-0001",
			Amount: decimal.RequireFromString("99.99"), Currency: "EUR", IssuedAt: issued, DueAt: due}
		if _, err := db.CreateInvoice(ctx, inv); err != nil {
			t.Fatal(err)
		}
		inv.ID = "INV-DUP00002"
		_, err := db.CreateInvoice(ctx, inv)
		wantCode(t, err, casedesk.ECONFLICT)
	})

	t.Run("an invoice for an unknown customer is invalid", func(t *testing.T) {
		_, err := db.CreateInvoice(ctx, casedesk.Invoice{ID: "INV-ORPHAN01", CustomerID: "CU-NOBODY00", Number: "orphan",
			Amount: decimal.RequireFromString("1"), Currency: "EUR", IssuedAt: issued, DueAt: due})
		wantCode(t, err, casedesk.EINVALID)
	})

	t.Run("invoices list newest first and only the customer's own", func(t *testing.T) {
		cust, other := newCustomer(t, db), newCustomer(t, db)
		bill := func(id, customerID, number string, at time.Time) {
			t.Helper()
			_, err := db.CreateInvoice(ctx, casedesk.Invoice{ID: id, CustomerID: customerID, Number: number,
				Amount: decimal.RequireFromString("42"), Currency: "JPY", IssuedAt: at, DueAt: at.AddDate(0, 0, 30)})
			if err != nil {
				t.Fatal(err)
			}
		}
		bill("INV-MID00001", cust.ID, "2026-MID", issued)
		bill("INV-OLD00001", cust.ID, "2026-OLD", issued.AddDate(0, -1, 0))
		bill("INV-NEW00001", cust.ID, "2026-NEW", issued.Add(time.Microsecond))
		bill("INV-OTHER001", other.ID, "2026-OTHER", issued.Add(time.Hour))

		got, err := db.Invoices(ctx, cust.ID)
		if err != nil {
			t.Fatal(err)
		}
		ids := make([]string, len(got))
		for i, inv := range got {
			ids[i] = inv.ID
		}
		if !reflect.DeepEqual(ids, []string{"INV-NEW00001", "INV-MID00001", "INV-OLD00001"}) {
			t.Fatalf("invoices = %v, want newest first", ids)
		}
	})

	t.Run("a customer without invoices has an empty list", func(t *testing.T) {
		got, err := db.Invoices(ctx, newCustomer(t, db).ID)
		if err != nil {
			t.Fatal(err)
		}
		if got == nil || len(got) != 0 {
			t.Fatalf("invoices = %#v, want an empty, non-nil list", got)
		}
	})
}
