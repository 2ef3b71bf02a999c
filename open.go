package casedesk

import (
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// OpenRequest is what an agent gives to open a case.
type OpenRequest struct {
	Type        Type     `json:"type"`
	CustomerID  string   `json:"customer_id"`
	Subject     string   `json:"subject"`
	Description string   `json:"description"`
	Channel     Channel  `json:"channel"`
	Priority    Priority `json:"priority"`
	Category    string   `json:"category"`

	// Disputes name the invoice or the payment; chargebacks the payment.
	InvoiceID string `json:"invoice_id,omitempty"`
	PaymentID string `json:"payment_id,omitempty"`
	Amount    string `json:"amount,omitempty" mask:"-"`
	Currency  string `json:"currency,omitempty"`
	// Chargebacks only.
	Network    string     `json:"network,omitempty"`
	ReasonCode string     `json:"reason_code,omitempty"`
	DueBy      *time.Time `json:"due_by,omitempty"`
	// Refunds only: why the customer gets the money back.
	Reason string `json:"reason,omitempty"`
	// FollowUpOf names the earlier case of the same customer this one
	// follows up (CheckFollowUp).
	FollowUpOf string `json:"follow_up_of,omitempty"`
}

// Normalize trims text and fills defaults (priority normal).
func (r OpenRequest) Normalize() OpenRequest {
	r.Type = Type(CleanText(string(r.Type)))
	r.CustomerID = CleanText(r.CustomerID)
	r.Subject = CleanText(r.Subject)
	r.Description = CleanText(r.Description)
	r.Channel = Channel(CleanText(string(r.Channel)))
	r.Priority = Priority(CleanText(string(r.Priority)))
	r.Category = CleanText(r.Category)
	r.InvoiceID = CleanText(r.InvoiceID)
	r.PaymentID = CleanText(r.PaymentID)
	r.Currency = CleanText(r.Currency)
	r.Network = strings.ToLower(CleanText(r.Network))
	r.ReasonCode = CleanText(r.ReasonCode)
	r.Reason = CleanText(r.Reason)
	r.FollowUpOf = strings.ToUpper(CleanText(r.FollowUpOf))
	if r.DueBy != nil {
		due := r.DueBy.UTC().Truncate(time.Microsecond)
		r.DueBy = &due
	}
	if r.Priority == "" {
		r.Priority = PriorityNormal
	}
	return r
}

// Validate checks a normalized request and names every bad field.
func (r OpenRequest) Validate() error {
	var v Validation
	switch {
	case r.Type == "":
		v.Add("type", "is required")
	case !slices.Contains(Types, r.Type):
		v.Add("type", "must be one of %s", joinStrings(Types))
	}
	if r.CustomerID == "" {
		v.Add("customer_id", "is required")
	}
	if r.Subject == "" {
		v.Add("subject", "is required")
	} else if n := len([]rune(r.Subject)); n > MaxSubjectLen {
		v.Add("subject", "is %d characters long; the limit is %d", n, MaxSubjectLen)
	}
	if n := len([]rune(r.Description)); n > MaxBodyLen {
		v.Add("description", "is %d characters long; the limit is %d", n, MaxBodyLen)
	}
	if r.Channel == "" {
		v.Add("channel", "is required")
	} else if !slices.Contains(Channels, r.Channel) {
		v.Add("channel", "must be one of %s", joinStrings(Channels))
	}
	if !slices.Contains(Priorities, r.Priority) {
		v.Add("priority", "must be one of %s", joinStrings(Priorities))
	}
	if n := len([]rune(r.Category)); n > 100 {
		v.Add("category", "is %d characters long; the limit is 100", n)
	}
	r.validateType(&v)
	return v.Err()
}

// validateType checks the fields that belong to the case's type, and that
// no other type's fields are given.
func (r OpenRequest) validateType(v *Validation) {
	money := func() {
		if _, err := ParseMoney(r.Amount, r.Currency, "amount", "currency"); err != nil {
			mergeInto(v, err)
		}
	}
	notFor := func(field string, set bool) {
		if set {
			v.Add(field, "does not belong to a %s case", r.Type)
		}
	}
	required := func(field, value string) {
		if value == "" {
			v.Add(field, "is required")
		}
	}
	if r.Type != TypeChargeback {
		notFor("network", r.Network != "")
		notFor("reason_code", r.ReasonCode != "")
		notFor("due_by", r.DueBy != nil)
	}
	switch r.Type {
	case TypeInquiry:
		notFor("invoice_id", r.InvoiceID != "")
		notFor("payment_id", r.PaymentID != "")
		notFor("amount", r.Amount != "")
		notFor("currency", r.Currency != "")
	case TypeDispute:
		switch {
		case r.InvoiceID == "" && r.PaymentID == "":
			v.Add("invoice_id", "or payment_id is required: name what the customer disputes")
		case r.InvoiceID != "" && r.PaymentID != "":
			v.Add("payment_id", "cannot be given together with invoice_id: a dispute is about one of them")
		}
		money()
	case TypeRefund:
		required("payment_id", r.PaymentID)
		notFor("invoice_id", r.InvoiceID != "")
		money()
		required("reason", CleanText(r.Reason))
	case TypeChargeback:
		required("payment_id", r.PaymentID)
		notFor("invoice_id", r.InvoiceID != "")
		money()
		validNetwork(v, r.Network, r.ReasonCode)
		if r.DueBy == nil {
			v.Add("due_by", "is required: the network's response deadline, in RFC 3339")
		}
	}
}

// Check normalizes r and checks it at now, naming every bad field: what the
// API does once, before it reserves a case for the request.
func (r OpenRequest) Check(now time.Time) (OpenRequest, error) {
	r = r.Normalize()
	if err := r.Validate(); err != nil {
		return r, err
	}
	return r, r.ValidateAt(now)
}

// Draft is the case that r opens as far as it is known before its workflow
// decides it, enough for the workflow's first search attributes.
func (r OpenRequest) Draft(id string) Case {
	return Case{ID: id, Type: r.Type, Status: StatusNew, Priority: r.Priority, Channel: r.Channel,
		CustomerID: r.CustomerID, Subject: r.Subject}
}

// ValidateAt checks what depends on the time of the request: a chargeback's
// due_by must be in the future.
func (r OpenRequest) ValidateAt(now time.Time) error {
	if r.DueBy != nil && !r.DueBy.After(now) {
		return Invalid("due_by", "is in the past")
	}
	return nil
}

// CheckReferences checks the request against the payment or invoice it
// names (nil when not found): they must exist, belong to the customer and be
// in the same currency, and the amount may not exceed theirs.
func (r OpenRequest) CheckReferences(payment *Payment, invoice *Invoice) error {
	var v Validation
	check := func(field, id, owner, currency string, total decimal.Decimal, exists bool) {
		switch {
		case !exists:
			v.Add(field, "no such %s: %s", strings.TrimSuffix(field, "_id"), id)
		case owner != r.CustomerID:
			v.Add(field, "%s does not belong to customer %s", id, r.CustomerID)
		case currency != r.Currency:
			v.Add("currency", "must be %s, the currency of %s", currency, id)
		default:
			if m, err := ParseMoney(r.Amount, r.Currency, "amount", "currency"); err == nil && m.Amount.GreaterThan(total) {
				v.Add("amount", "is more than the %s of %s (%s)", strings.TrimSuffix(field, "_id"), id, FormatAmount(total, currency))
			}
		}
	}
	if r.PaymentID != "" {
		if payment == nil {
			check("payment_id", r.PaymentID, "", "", decimal.Zero, false)
		} else {
			check("payment_id", r.PaymentID, payment.CustomerID, payment.Currency, payment.Amount, true)
		}
	}
	if r.InvoiceID != "" {
		if invoice == nil {
			check("invoice_id", r.InvoiceID, "", "", decimal.Zero, false)
		} else {
			check("invoice_id", r.InvoiceID, invoice.CustomerID, invoice.Currency, invoice.Amount, true)
		}
	}
	return v.Err()
}

// CheckChargeback refuses a chargeback on a payment that already has an
// open one (openCase, "" when none): the network disputes a payment once.
func (r OpenRequest) CheckChargeback(openCase string) error {
	if r.Type == TypeChargeback && openCase != "" {
		return Errorf(EDUPLICATECHARGEBACK, "payment %s already has an open chargeback: case %s", r.PaymentID, openCase)
	}
	return nil
}

// Open makes the first state of case id from req, opened by actor at now,
// with its case_opened event, without SLA clocks.
func Open(id string, req OpenRequest, by Actor, now time.Time) (Case, []Event, error) {
	return Rules{}.Open(id, req, by, now)
}

// Open makes the first state of case id from req, opened by actor at now,
// with its case_opened event and its SLA clocks started.
func (r Rules) Open(id string, req OpenRequest, by Actor, now time.Time) (Case, []Event, error) {
	req = req.Normalize()
	if err := req.Validate(); err != nil {
		return Case{}, nil, err
	}
	// A customer's email to a closed case opens its follow-up.
	if !by.Role.IsStaff() && (by.Role != RoleCustomer || req.FollowUpOf == "") {
		return Case{}, nil, Errorf(EFORBIDDEN, "only staff may open cases")
	}
	if err := CheckCategory(r.Categories, req.Category); err != nil {
		return Case{}, nil, err
	}
	now = now.UTC().Truncate(time.Microsecond)
	c := Case{
		ID:          id,
		Type:        req.Type,
		Status:      StatusNew,
		Priority:    req.Priority,
		Channel:     req.Channel,
		CustomerID:  req.CustomerID,
		Subject:     req.Subject,
		Description: req.Description,
		Category:    req.Category,
		FollowUpOf:  req.FollowUpOf,
		OpenedBy:    by.ID,
		OpenedAt:    now,
		UpdatedAt:   now,
		Version:     1,
		LastSeq:     1,
	}
	data := map[string]any{
		"type": string(c.Type), "priority": string(c.Priority), "channel": string(c.Channel),
		"customer_id": c.CustomerID, "subject": c.Subject,
	}
	if c.FollowUpOf != "" {
		data["follow_up_of"] = c.FollowUpOf
	}
	switch c.Type {
	case TypeDispute, TypeChargeback:
		// Validate has checked the amount.
		m, _ := ParseMoney(req.Amount, req.Currency, "amount", "currency")
		data["amount"], data["currency"] = m.Amount.StringFixed(currencyExponents[m.Currency]), m.Currency
		if c.Type == TypeDispute {
			c.Dispute = &Dispute{InvoiceID: req.InvoiceID, PaymentID: req.PaymentID, Amount: m}
			data["invoice_id"], data["payment_id"] = req.InvoiceID, req.PaymentID
		} else {
			name, _ := ReasonCodeName(req.Network, req.ReasonCode)
			c.Chargeback = &Chargeback{PaymentID: req.PaymentID, Amount: m, Network: req.Network,
				ReasonCode: req.ReasonCode, ReasonName: name, DueBy: *req.DueBy, Stage: StageNeedsResponse,
				Evidence: []Evidence{}}
			data["payment_id"], data["network"], data["reason_code"], data["due_by"] = req.PaymentID, req.Network, req.ReasonCode, *req.DueBy
		}
	}
	if c.Channel == ChannelEmail && r.approvalRules().EmailReplyVerifies {
		// Configured to trust the customer's own address for email cases.
		c.IdentityVerified = true
		c.Identity = &IdentityCheck{Method: IdentityEmailReply, Note: "opened from the customer's email", By: SystemActor.ID, At: now}
		data["identity_verified"] = IdentityEmailReply
	}
	if r.clockFor(c.Type, c.Priority) != nil {
		c.SLA.ResolutionSince = at(now)
		r.planClocks(&c, now)
	}
	if c.SLA.FirstResponseDue != nil {
		data["first_response_due"], data["resolution_due"] = c.SLA.FirstResponseDue, c.SLA.ResolutionDue
	}
	ev := Event{Seq: 1, Type: EventOpened, Actor: by.ID, At: now, Data: data}
	return c, []Event{ev}, nil
}

func joinStrings[T ~string](xs []T) string {
	s := make([]string, len(xs))
	for i, x := range xs {
		s[i] = string(x)
	}
	return strings.Join(s, ", ")
}
