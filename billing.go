package casedesk

import (
	"encoding/json"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Payment is money a customer paid, as the billing system reports it.
type Payment struct {
	ID         string          `json:"id"`
	CustomerID string          `json:"customer_id"`
	Amount     decimal.Decimal `json:"amount"`
	Currency   string          `json:"currency"`
	Method     string          `json:"method"`
	Reference  string          `json:"reference"`
	PaidAt     time.Time       `json:"paid_at"`
}

// PaymentMethods lists the methods a payment can have been made with.
var PaymentMethods = []string{"card", "bank_transfer", "direct_debit", "wallet"}

// NewPaymentRequest records a payment.
type NewPaymentRequest struct {
	Amount    string     `json:"amount"`
	Currency  string     `json:"currency"`
	Method    string     `json:"method"`
	Reference string     `json:"reference"`
	PaidAt    *time.Time `json:"paid_at"`
}

// Validate checks the request and returns the payment it describes.
func (r NewPaymentRequest) Validate(id, customerID string, now time.Time) (Payment, error) {
	var v Validation
	m, err := ParseMoney(r.Amount, r.Currency, "amount", "currency")
	mergeInto(&v, err)
	method := CleanText(r.Method)
	if method == "" {
		v.Add("method", "is required")
	} else if !slices.Contains(PaymentMethods, method) {
		v.Add("method", "must be one of %s", strings.Join(PaymentMethods, ", "))
	}
	ref := MaskCardNumbers(requiredText(&v, "reference", r.Reference, 100))
	paidAt := now
	if r.PaidAt != nil {
		if r.PaidAt.After(now) {
			v.Add("paid_at", "is in the future")
		}
		paidAt = *r.PaidAt
	}
	if err := v.Err(); err != nil {
		return Payment{}, err
	}
	return Payment{ID: id, CustomerID: customerID, Amount: m.Amount, Currency: m.Currency, Method: method,
		Reference: ref, PaidAt: paidAt.UTC().Truncate(time.Microsecond)}, nil
}

// Invoice is a bill sent to a customer.
type Invoice struct {
	ID         string          `json:"id"`
	CustomerID string          `json:"customer_id"`
	Number     string          `json:"number"`
	Amount     decimal.Decimal `json:"amount"`
	Currency   string          `json:"currency"`
	IssuedAt   time.Time       `json:"issued_at"`
	DueAt      time.Time       `json:"due_at"`
}

// NewInvoiceRequest records an invoice.
type NewInvoiceRequest struct {
	Number   string     `json:"number"`
	Amount   string     `json:"amount"`
	Currency string     `json:"currency"`
	IssuedAt *time.Time `json:"issued_at"`
	DueAt    *time.Time `json:"due_at"`
}

// Validate checks the request and returns the invoice it describes.
func (r NewInvoiceRequest) Validate(id, customerID string, now time.Time) (Invoice, error) {
	var v Validation
	m, err := ParseMoney(r.Amount, r.Currency, "amount", "currency")
	mergeInto(&v, err)
	number := MaskCardNumbers(requiredText(&v, "number", r.Number, 50))
	issued := now
	if r.IssuedAt != nil {
		issued = *r.IssuedAt
	}
	due := issued.AddDate(0, 0, 30)
	if r.DueAt != nil {
		due = *r.DueAt
		if due.Before(issued) {
			v.Add("due_at", "is before issued_at")
		}
	}
	if err := v.Err(); err != nil {
		return Invoice{}, err
	}
	return Invoice{ID: id, CustomerID: customerID, Number: number, Amount: m.Amount, Currency: m.Currency,
		IssuedAt: issued.UTC().Truncate(time.Microsecond), DueAt: due.UTC().Truncate(time.Microsecond)}, nil
}

// requiredText cleans text, records on v when it is empty or longer than
// max characters, and returns it cleaned.
func requiredText(v *Validation, field, text string, max int) string {
	text = CleanText(text)
	if text == "" {
		v.Add(field, "is required")
	} else if n := len([]rune(text)); n > max {
		v.Add(field, "is %d characters long; the limit is %d", n, max)
	}
	return text
}

// mergeInto adds the field errors of err, an EINVALID *Error, to v.
func mergeInto(v *Validation, err error) {
	if e, ok := err.(*Error); ok {
		v.fields = append(v.fields, e.Fields...)
	}
}

// FormatAmount writes d with the decimal places of currency, e.g. "120.50".
func FormatAmount(d decimal.Decimal, currency string) string {
	exp, ok := currencyExponents[currency]
	if !ok {
		exp = 2
	}
	return d.StringFixed(exp)
}

// MarshalJSON writes the amount as a string with the currency's decimal places.
func (p Payment) MarshalJSON() ([]byte, error) {
	type plain Payment
	return json.Marshal(struct {
		plain
		Amount string `json:"amount"`
	}{plain(p), FormatAmount(p.Amount, p.Currency)})
}

// MarshalJSON writes the amount as a string with the currency's decimal places.
func (inv Invoice) MarshalJSON() ([]byte, error) {
	type plain Invoice
	return json.Marshal(struct {
		plain
		Amount string `json:"amount"`
	}{plain(inv), FormatAmount(inv.Amount, inv.Currency)})
}
