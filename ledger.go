package casedesk

import (
	"time"

	"github.com/shopspring/decimal"
)

// MoneyKind names what a movement of money is.
const (
	KindRefund = "refund"
	KindCredit = "credit"
)

// Hold is money set aside for a proposed refund (on a payment) or credit
// (on an invoice) until it is posted or released. Holds make the limits exact
// under concurrency: what a payment can still refund is its amount less what
// is posted and what is held.
type Hold struct {
	ID     string `json:"id"`
	Kind   string `json:"kind"` // refund or credit
	CaseID string `json:"case_id"`
	// CustomerID, when set, must own the payment or invoice.
	CustomerID  string          `json:"customer_id,omitempty"`
	PaymentID   string          `json:"payment_id,omitempty"`
	InvoiceID   string          `json:"invoice_id,omitempty"`
	Amount      decimal.Decimal `json:"amount"`
	Currency    string          `json:"currency"`
	Reason      string          `json:"reason"`
	RequestedBy string          `json:"requested_by"`
	// Authority, when set, has the store decide the level the hold needs
	// (ApprovalRules.Authority) and check the caller's identity against its
	// totals under its lock; IdentityVerified says whether the case's caller
	// is verified. Holds of cases from before cumulative authority have none.
	Authority        *ApprovalRules `json:"authority,omitempty"`
	IdentityVerified bool           `json:"identity_verified,omitempty"`
}

// Hold statuses in the store.
const (
	HoldHeld     = "held"
	HoldPosted   = "posted"
	HoldReleased = "released"
)

// LedgerEntry is money that moved: a refund of a payment or a credit on an
// invoice, posted exactly once per hold.
type LedgerEntry struct {
	ID        string          `json:"id"`
	Kind      string          `json:"kind"`
	HoldID    string          `json:"hold_id"`
	CaseID    string          `json:"case_id"`
	PaymentID string          `json:"payment_id,omitempty"`
	InvoiceID string          `json:"invoice_id,omitempty"`
	Amount    decimal.Decimal `json:"amount"`
	Currency  string          `json:"currency"`
	PostedAt  time.Time       `json:"posted_at"`
}

// PaymentBalance is what a payment has refunded and can still refund.
type PaymentBalance struct {
	Payment
	Refunded   decimal.Decimal `json:"refunded"`
	Held       decimal.Decimal `json:"held"`
	Refundable decimal.Decimal `json:"refundable"`
}

// InvoiceBalance is what an invoice has been credited and still owes.
type InvoiceBalance struct {
	Invoice
	Credited decimal.Decimal `json:"credited"`
	Held     decimal.Decimal `json:"held"`
	Balance  decimal.Decimal `json:"balance"`
}

// Balance is where a payment (for refunds) or an invoice (for credits)
// stands: its amount, what the ledger has posted against it and what is held
// for movements in flight. The store reads it with the row locked, so the
// checks below hold exactly under concurrency.
type Balance struct {
	Kind       string // KindRefund for a payment, KindCredit for an invoice
	ID         string
	CustomerID string
	Amount     decimal.Decimal
	Currency   string
	Posted     decimal.Decimal
	Held       decimal.Decimal
}

// Available is what can still move: the amount less what is posted and what
// is held. It is what a payment can still refund and what an invoice still owes.
func (b Balance) Available() decimal.Decimal { return b.Amount.Sub(b.Posted).Sub(b.Held) }

// CheckHold refuses holding h against b: the payment or invoice of another
// customer, in another currency, or unable to cover h on top of what is
// already posted and held (posted + held + h ≤ amount).
func (b Balance) CheckHold(h Hold) error {
	if h.CustomerID != "" && h.CustomerID != b.CustomerID {
		return Invalid(b.field(), "%s does not belong to the case's customer %s", b.ID, h.CustomerID)
	}
	if h.Currency != b.Currency {
		return Invalid("currency", "must be %s, the currency of %s", b.Currency, b.ID)
	}
	if left := b.Available(); h.Amount.GreaterThan(left) {
		verb := "can still refund"
		if b.Kind == KindCredit {
			verb = "still owes"
		}
		return Invalid("amount", "exceeds what %s %s: %s %s", b.ID, verb,
			FormatAmount(decimal.Max(left, decimal.Zero), b.Currency), b.Currency)
	}
	return nil
}

// CheckPost refuses posting the held h when the ledger would then have moved
// more than the amount (posted + h ≤ amount). Holds already keep it so; this
// guards the ledger itself.
func (b Balance) CheckPost(h Hold) error {
	if b.Posted.Add(h.Amount).GreaterThan(b.Amount) {
		verb, past := "refund", "refunded"
		if b.Kind == KindCredit {
			verb, past = "credit", "credited"
		}
		return Errorf(ECONFLICT, "%s has no more to %s: %s of %s %s is already %s", b.ID, verb,
			FormatAmount(b.Posted, b.Currency), FormatAmount(b.Amount, b.Currency), b.Currency, past)
	}
	return nil
}

// field is the request field that names b.
func (b Balance) field() string {
	if b.Kind == KindCredit {
		return "invoice_id"
	}
	return "payment_id"
}

// Validate refuses a hold that could never be held, naming the field: a
// kind that is neither refund nor credit, the wrong target for its kind,
// or an amount that is no amount of its currency.
func (h Hold) Validate() error {
	var v Validation
	if h.ID == "" {
		v.Add("id", "is required")
	}
	if h.CaseID == "" {
		v.Add("case_id", "is required")
	}
	switch h.Kind {
	case KindRefund:
		if h.PaymentID == "" {
			v.Add("payment_id", "is required for a refund")
		}
		if h.InvoiceID != "" {
			v.Add("invoice_id", "must be empty for a refund, which is of a payment")
		}
	case KindCredit:
		if h.InvoiceID == "" {
			v.Add("invoice_id", "is required for a credit")
		}
		if h.PaymentID != "" {
			v.Add("payment_id", "must be empty for a credit, which is on an invoice")
		}
	default:
		v.Add("kind", "must be %s or %s", KindRefund, KindCredit)
	}
	checkMoney(&v, h.Amount, h.Currency, "amount", "currency")
	return v.Err()
}

// Balance returns the balance of payment p before its posted and held sums are added.
func (p Payment) Balance() Balance {
	return Balance{Kind: KindRefund, ID: p.ID, CustomerID: p.CustomerID, Amount: p.Amount, Currency: p.Currency}
}

// Balance returns the balance of invoice inv before its posted and held sums are added.
func (inv Invoice) Balance() Balance {
	return Balance{Kind: KindCredit, ID: inv.ID, CustomerID: inv.CustomerID, Amount: inv.Amount, Currency: inv.Currency}
}
