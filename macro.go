package casedesk

import (
	"fmt"
	"regexp"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// A macro is a saved reply with optional actions: what an agent sends every
// day in one step. Applying one sends the same commands an agent would by
// hand, so the same rules, timeline and email follow.

// Limits on macros.
const MaxMacroNameLen = 100

// Macro is a saved reply, shared with the team or personal to its owner.
type Macro struct {
	ID        string       `json:"id"`
	Name      string       `json:"name"`
	Body      string       `json:"body"`
	Actions   MacroActions `json:"actions"`
	Shared    bool         `json:"shared"`
	OwnerID   string       `json:"owner_id"`
	CreatedAt time.Time    `json:"created_at"`
	UpdatedAt time.Time    `json:"updated_at"`
	// Uses counts how often the macro was applied.
	Uses int64 `json:"uses"`
}

// MacroActions are what applying a macro does besides replying.
type MacroActions struct {
	// Category and Priority, when set, are set first.
	Category string   `json:"category,omitempty"`
	Priority Priority `json:"priority,omitempty"`
	// RequestInfo sends the body as a request for information (the case
	// waits on the customer) instead of a reply.
	RequestInfo bool `json:"request_info,omitempty"`
	// Resolve, when set, resolves the case with this outcome after the reply.
	Resolve string `json:"resolve,omitempty"`
}

// MacroPlaceholders are the placeholders a body may hold, sorted. Amounts
// are written as Money.String does: the currency's decimal places and its
// code ("120.50 USD", "1500 JPY", "12.500 KWD").
//
//   - refund.amount, credit.amount: the case's latest refund or credit that
//     is still going ahead (proposed, awaiting approval, approved or posted);
//   - refund.total, credit.total: what the case has posted, per currency;
//   - payment.*: the case's payment (a chargeback's or a dispute's, else
//     that of its latest refund): its amount, date and what it can still
//     refund; invoice.*: the case's invoice (a dispute's, else that of its
//     latest credit): its amount and what it still owes (balance);
//   - dispute.amount, chargeback.amount: what is disputed or charged back.
var MacroPlaceholders = []string{
	"agent.name", "case.id", "case.subject", "chargeback.amount", "chargeback.due_by", "credit.amount", "credit.total",
	"customer.email", "customer.name", "dispute.amount", "invoice.amount", "invoice.balance", "invoice.id",
	"payment.amount", "payment.date", "payment.id", "payment.refundable", "refund.amount", "refund.total",
}

var placeholderPattern = regexp.MustCompile(`\{\{\s*([^{}]*?)\s*\}\}`)

// MacroRequest is what staff give to save a macro; PATCH leaves out what
// stays.
type MacroRequest struct {
	Name    *string       `json:"name,omitempty"`
	Body    *string       `json:"body,omitempty"`
	Actions *MacroActions `json:"actions,omitempty"`
	Shared  *bool         `json:"shared,omitempty"`
}

// Apply returns m with the request's fields.
func (r MacroRequest) Apply(m Macro) Macro {
	if r.Name != nil {
		m.Name = *r.Name
	}
	if r.Body != nil {
		m.Body = *r.Body
	}
	if r.Actions != nil {
		m.Actions = *r.Actions
	}
	if r.Shared != nil {
		m.Shared = *r.Shared
	}
	return m
}

// CheckMacro cleans and checks a macro before it is saved: a name, a body
// whose every placeholder is known, and actions the case rules know.
// Whether an action suits a particular case is decided when it is applied.
func CheckMacro(m Macro) (Macro, error) {
	var v Validation
	m.Name = MaskCardNumbers(requiredText(&v, "name", m.Name, MaxMacroNameLen))
	m.Body = MaskCardNumbers(requiredText(&v, "body", m.Body, MaxBodyLen))
	for _, match := range placeholderPattern.FindAllStringSubmatch(m.Body, -1) {
		if !slices.Contains(MacroPlaceholders, match[1]) {
			v.Add("body", "has the unknown placeholder {{%s}}; known are %s", match[1], placeholderList())
		}
	}
	a := &m.Actions
	a.Category = CleanText(a.Category)
	if a.Priority != "" && !slices.Contains(Priorities, a.Priority) {
		v.Add("actions.priority", "must be one of %s", joinStrings(Priorities))
	}
	if a.Resolve != "" {
		known := false
		for _, t := range Types {
			known = known || slices.Contains(outcomes[t], a.Resolve)
		}
		if !known {
			v.Add("actions.resolve", "is not an outcome a case is resolved with")
		}
		if a.RequestInfo {
			v.Add("actions.resolve", "cannot follow a request for information, which waits on the customer")
		}
	}
	return m, v.Err()
}

func placeholderList() string {
	out := make([]string, len(MacroPlaceholders))
	for i, p := range MacroPlaceholders {
		out[i] = "{{" + p + "}}"
	}
	return strings.Join(out, ", ")
}

// MacroContext is what a macro is rendered with: the case, its customer,
// the agent, and the case's payment and invoice (MacroPaymentID,
// MacroInvoiceID) with their balances, when it has them.
type MacroContext struct {
	Case     Case
	Customer Customer
	Agent    User
	Payment  *PaymentBalance
	Invoice  *InvoiceBalance
}

// MacroPaymentID is the payment a macro's payment.* placeholders speak of:
// the chargeback's or the dispute's, else that of the case's latest refund.
func MacroPaymentID(c Case) string {
	switch {
	case c.Chargeback != nil && c.Chargeback.PaymentID != "":
		return c.Chargeback.PaymentID
	case c.Dispute != nil && c.Dispute.PaymentID != "":
		return c.Dispute.PaymentID
	}
	if m := latestMovement(c, KindRefund); m != nil {
		return m.PaymentID
	}
	return ""
}

// MacroInvoiceID is the invoice a macro's invoice.* placeholders speak of:
// the dispute's, else that of the case's latest credit.
func MacroInvoiceID(c Case) string {
	if c.Dispute != nil && c.Dispute.InvoiceID != "" {
		return c.Dispute.InvoiceID
	}
	if m := latestMovement(c, KindCredit); m != nil {
		return m.InvoiceID
	}
	return ""
}

// latestMovement is the case's latest movement of kind that is still going
// ahead: neither refused, released nor failed.
func latestMovement(c Case, kind string) *Movement {
	for i := len(c.Movements) - 1; i >= 0; i-- {
		m := &c.Movements[i]
		if m.Kind == kind && (m.Status == MovementPending || m.Status == MovementApproved || m.Status == MovementPosted) {
			return m
		}
	}
	return nil
}

// postedTotal is what the case posted of kind, per currency in the order
// first posted, e.g. "40.00 USD" or "40.00 USD and 15.00 EUR".
func postedTotal(c Case, kind string) string {
	var order []string
	sums := map[string]decimal.Decimal{}
	for _, m := range c.Movements {
		if m.Kind != kind || m.Status != MovementPosted {
			continue
		}
		cur := m.Amount.Currency
		if _, seen := sums[cur]; !seen {
			order = append(order, cur)
		}
		sums[cur] = sums[cur].Add(m.Amount.Amount)
	}
	parts := make([]string, len(order))
	for i, cur := range order {
		parts[i] = Money{Amount: sums[cur], Currency: cur}.String()
	}
	return strings.Join(parts, " and ")
}

// Render fills the placeholders of body for ctx; amounts are written with
// their currency's decimal places and code. A placeholder with no value for
// the case (a chargeback's amount on an inquiry) renders empty.
func Render(body string, ctx MacroContext) string {
	return placeholderPattern.ReplaceAllStringFunc(body, func(s string) string {
		name := placeholderPattern.FindStringSubmatch(s)[1]
		c, cb, p, inv := ctx.Case, ctx.Case.Chargeback, ctx.Payment, ctx.Invoice
		switch name {
		case "customer.name":
			return ctx.Customer.Name
		case "customer.email":
			return ctx.Customer.Email
		case "case.id":
			return c.ID
		case "case.subject":
			return c.Subject
		case "agent.name":
			return ctx.Agent.Name
		case "chargeback.amount":
			if cb != nil {
				return cb.Amount.String()
			}
		case "chargeback.due_by":
			if cb != nil {
				return cb.DueBy.UTC().Format("2 January 2006")
			}
		case "dispute.amount":
			if c.Dispute != nil && c.Dispute.Amount.Currency != "" {
				return c.Dispute.Amount.String()
			}
		case "refund.amount", "credit.amount":
			if m := latestMovement(c, strings.TrimSuffix(name, ".amount")); m != nil {
				return m.Amount.String()
			}
		case "refund.total", "credit.total":
			return postedTotal(c, strings.TrimSuffix(name, ".total"))
		case "payment.id", "payment.amount", "payment.date", "payment.refundable":
			if p != nil {
				return paymentField(name, *p)
			}
		case "invoice.id", "invoice.amount", "invoice.balance":
			if inv != nil {
				return invoiceField(name, *inv)
			}
		default:
			return s
		}
		return ""
	})
}

func paymentField(name string, p PaymentBalance) string {
	switch name {
	case "payment.id":
		return p.ID
	case "payment.amount":
		return Money{Amount: p.Amount, Currency: p.Currency}.String()
	case "payment.date":
		return p.PaidAt.UTC().Format("2 January 2006")
	}
	return Money{Amount: p.Refundable, Currency: p.Currency}.String()
}

func invoiceField(name string, inv InvoiceBalance) string {
	switch name {
	case "invoice.id":
		return inv.ID
	case "invoice.amount":
		return Money{Amount: inv.Amount, Currency: inv.Currency}.String()
	}
	return Money{Amount: inv.Balance, Currency: inv.Currency}.String()
}

// Commands returns what applying m with the rendered body does, in order:
// category, priority, the reply or request for information, the resolution.
func (m Macro) Commands(rendered string) []Command {
	var cmds []Command
	if m.Actions.Category != "" {
		cmds = append(cmds, SetCategory{Category: m.Actions.Category})
	}
	if m.Actions.Priority != "" {
		cmds = append(cmds, SetPriority{Priority: m.Actions.Priority})
	}
	if m.Actions.RequestInfo {
		cmds = append(cmds, RequestInfo{Body: rendered})
	} else {
		cmds = append(cmds, Reply{Body: rendered})
	}
	if m.Actions.Resolve != "" {
		cmds = append(cmds, Resolve{Outcome: m.Actions.Resolve})
	}
	return cmds
}

// MacroUpdateID is the update ID of the i-th command of a macro applied
// under update ID key (one an Idempotency-Key made): each command is its own
// update of the case, the same on every retry. Without a key there is none.
func MacroUpdateID(key string, i int) string {
	if key == "" {
		return ""
	}
	return fmt.Sprintf("%s/macro/%d", key, i)
}

// CanSeeMacro reports whether by may use m: shared macros are everyone's,
// personal ones their owner's.
func CanSeeMacro(m Macro, by Actor) bool { return m.Shared || m.OwnerID == by.ID }

// CheckMacroEdit refuses a change by by to a macro that was (before) or
// becomes (after) shared, unless by is a supervisor or admin; a personal
// macro is its owner's alone.
func CheckMacroEdit(before, after Macro, by Actor) error {
	if !CanSeeMacro(before, by) {
		return Errorf(ENOTFOUND, "macro %s not found", before.ID)
	}
	if (before.Shared || after.Shared) && !by.Role.CanApprove() {
		return Errorf(EFORBIDDEN, "only supervisors and admins manage shared macros")
	}
	if !before.Shared && before.OwnerID != by.ID {
		return Errorf(EFORBIDDEN, "a personal macro is its owner's")
	}
	return nil
}
