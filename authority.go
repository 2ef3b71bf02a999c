package casedesk

import (
	"fmt"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// The authority matrix counts cumulatively: the level a refund or credit
// needs is decided by the total it makes together with what is already
// pending, approved or posted on the same case, on the same payment or
// invoice, and by the same requester within a rolling window, each total
// against the matrix; the highest level wins. Splitting a refund into small
// ones therefore buys nothing. The store reads the totals with the payment
// or invoice (and the requester) locked, so two concurrent proposals can
// never both slip under a limit.

// Cumulative says which totals count and the requester's window.
type Cumulative struct {
	// Case, Target and Requester turn each total on.
	Case      bool `json:"case"`
	Target    bool `json:"payment_or_invoice"`
	Requester bool `json:"requester"`
	// Window is how far back the requester's total reaches.
	Window time.Duration `json:"window"`
}

// DefaultCumulative counts every total, the requester's over 24 hours.
func DefaultCumulative() Cumulative {
	return Cumulative{Case: true, Target: true, Requester: true, Window: 24 * time.Hour}
}

// Exposure is what a proposal adds to, each in the proposal's currency:
// what is held or posted on its case, on its payment or invoice, and what
// its requester proposed within the window. A proposal never counts itself.
type Exposure struct {
	Case      decimal.Decimal `json:"case"`
	Target    decimal.Decimal `json:"target"`
	Requester decimal.Decimal `json:"requester"`
}

// Authority is the level a proposal needs: how many distinct supervisors
// must approve it, and why, in words a supervisor reads on the approval.
type Authority struct {
	Required int    `json:"required"`
	Reason   string `json:"reason,omitempty"`
}

// total is one cumulative total and how to name it.
type total struct {
	sum  decimal.Decimal
	what string
}

// totals returns the totals h makes, each with its words, in a fixed order.
func (r ApprovalRules) totals(h Hold, e Exposure) []total {
	out := []total{{h.Amount, ""}}
	c := r.Cumulative
	amount := func(d decimal.Decimal) string { return Money{Amount: d, Currency: h.Currency}.Pretty() }
	if c.Case && e.Case.IsPositive() {
		sum := h.Amount.Add(e.Case)
		out = append(out, total{sum, fmt.Sprintf("cumulative %s on case %s", amount(sum), h.CaseID)})
	}
	if c.Target && e.Target.IsPositive() {
		sum := h.Amount.Add(e.Target)
		what, id := "payment", h.PaymentID
		if h.Kind == KindCredit {
			what, id = "invoice", h.InvoiceID
		}
		out = append(out, total{sum, fmt.Sprintf("cumulative %s on %s %s", amount(sum), what, id)})
	}
	if c.Requester && e.Requester.IsPositive() {
		sum := h.Amount.Add(e.Requester)
		out = append(out, total{sum, fmt.Sprintf("cumulative %s requested by %s in %s", amount(sum), h.RequestedBy, windowWords(c.Window))})
	}
	return out
}

// Authority decides the level h needs given what it adds to: the highest
// level any counted total reaches, with the total that set it as the reason.
func (r ApprovalRules) Authority(h Hold, e Exposure) Authority {
	var a Authority
	for _, t := range r.totals(h, e) {
		if n := r.Required(Money{Amount: t.sum, Currency: h.Currency}); n > a.Required {
			a = Authority{Required: n, Reason: t.what}
		}
	}
	if a.Required > 0 && a.Reason == "" {
		a.Reason = fmt.Sprintf("%s is above what is approved at once", Money{Amount: h.Amount, Currency: h.Currency}.Pretty())
	}
	return a
}

// CheckIdentity refuses h on a case whose caller is not verified when h,
// alone or with what is held or posted on its case or its payment or
// invoice, goes above the identity limit of its currency.
func (r ApprovalRules) CheckIdentity(h Hold, e Exposure, verified bool) error {
	limit := r.limits(h.Currency).IdentityAbove
	if verified || limit == nil {
		return nil
	}
	for _, t := range r.totals(h, Exposure{Case: e.Case, Target: e.Target}) {
		if t.sum.GreaterThan(*limit) {
			return Errorf(EIDENTITY, "verify the caller's identity on case %s first: %s is above %s",
				h.CaseID, Money{Amount: t.sum, Currency: h.Currency}.Pretty(),
				Money{Amount: *limit, Currency: h.Currency}.Pretty())
		}
	}
	return nil
}

// caseExposure is what is pending, approved or posted on c in currency,
// the case's own share of an Exposure, known without the store.
func caseExposure(c Case, currency string) decimal.Decimal {
	sum := decimal.Zero
	for _, m := range c.Movements {
		if m.Amount.Currency == currency && slices.Contains([]string{MovementPending, MovementApproved, MovementPosted}, m.Status) {
			sum = sum.Add(m.Amount.Amount)
		}
	}
	return sum
}

func windowWords(d time.Duration) string {
	if d%time.Hour == 0 {
		return fmt.Sprintf("%d h", int(d/time.Hour))
	}
	return d.String()
}

// Pretty writes m for people: "1,200.00 USD".
func (m Money) Pretty() string {
	s := FormatAmount(m.Amount, m.Currency)
	whole, frac, _ := strings.Cut(s, ".")
	var b strings.Builder
	for i, r := range whole {
		if i > 0 && (len(whole)-i)%3 == 0 {
			b.WriteByte(',')
		}
		b.WriteRune(r)
	}
	if frac != "" {
		b.WriteString("." + frac)
	}
	return b.String() + " " + m.Currency
}

// AmountAuthority is the level of a movement of m by its amount alone, the
// rule of cases whose workflows began before cumulative authority.
func (r ApprovalRules) AmountAuthority(m Money) Authority {
	return Authority{Required: r.Required(m)}
}

// authority is the level a proposal needs: decided by the store under its
// lock when the workflow held the money, or, while an update is only being
// validated, from what the case itself holds.
func (d *decision) authority(r Rules, cmd Proposal, mv Movement) (Authority, error) {
	if a := cmd.authority(); a != nil {
		return *a, nil
	}
	ar := r.approvalRules()
	h := mv.Hold(d.c.ID)
	h.RequestedBy = d.by.ID
	e := Exposure{Case: caseExposure(d.c, mv.Amount.Currency)}
	if err := ar.CheckIdentity(h, e, d.c.IdentityVerified); err != nil {
		return Authority{}, err
	}
	return ar.Authority(h, e), nil
}
