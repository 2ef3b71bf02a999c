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
