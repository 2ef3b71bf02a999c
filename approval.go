package casedesk

import (
	"fmt"
	"os"
	"slices"
	"strings"
	"time"

	"github.com/shopspring/decimal"
)

// Approval kinds. The approval of a refund or credit has the movement's kind.
const (
	ApprovalRefund             = KindRefund
	ApprovalCredit             = KindCredit
	ApprovalChargebackResponse = "chargeback_response"
	ApprovalChargebackLoss     = "chargeback_loss"
	ApprovalEscalation         = "escalation"
)

// Approval statuses.
const (
	ApprovalPending   = "pending"
	ApprovalApproved  = "approved"
	ApprovalRejected  = "rejected"
	ApprovalExpired   = "expired"
	ApprovalWithdrawn = "withdrawn"
)

// ApprovalStatuses lists every approval status.
var ApprovalStatuses = []string{ApprovalPending, ApprovalApproved, ApprovalRejected, ApprovalExpired, ApprovalWithdrawn}

// CheckApprovalStatus checks a status filter of the approval queue ("" for all).
func CheckApprovalStatus(status string) error {
	var v Validation
	oneOf(&v, "status", status, ApprovalStatuses)
	return v.Err()
}

// Approval is a request for supervisors to decide, owned by its case.
type Approval struct {
	ID          string             `json:"id"`
	CaseID      string             `json:"case_id"`
	Kind        string             `json:"kind"`
	Amount      *Money             `json:"amount,omitempty"`
	Required    int                `json:"required"`
	Decisions   []ApprovalDecision `json:"decisions"`
	RequestedBy string             `json:"requested_by"`
	RequestedAt time.Time          `json:"requested_at"`
	Reason      string             `json:"reason"`
	Status      string             `json:"status"`
	RemindAt    time.Time          `json:"remind_at"`
	Reminded    bool               `json:"reminded"`
	ExpiresAt   time.Time          `json:"expires_at"`
	DecidedAt   *time.Time         `json:"decided_at"`
	// MovementID is the refund or credit the approval is for.
	MovementID string `json:"movement_id,omitempty"`
	// ReturnTo is the status the case goes back to when the approval ends.
	ReturnTo Status `json:"return_to"`
	// Authority says, for money, why it needs this many supervisors.
	Authority *Authority `json:"authority,omitempty"`
}

// ApprovalDecision is one supervisor's decision.
type ApprovalDecision struct {
	By      string    `json:"by"`
	Approve bool      `json:"approve"`
	Comment string    `json:"comment"`
	At      time.Time `json:"at"`
}

// approvals counts the approving decisions.
func (a Approval) approvals() int {
	n := 0
	for _, d := range a.Decisions {
		if d.Approve {
			n++
		}
	}
	return n
}

// Movement statuses: a refund or credit proposed on a case.
const (
	MovementPending  = "pending_approval"
	MovementApproved = "approved" // to be posted
	MovementPosted   = "posted"
	MovementFailed   = "failed"   // could not be posted; its hold is released
	MovementRefused  = "refused"  // rejected, expired or withdrawn; to be released
	MovementReleased = "released" // refused and its hold released
)

// Movement is a refund of a payment or a credit on an invoice proposed on a
// case. Its money is held in the store from the proposal on.
type Movement struct {
	ID         string `json:"id"` // also the hold's ID
	Kind       string `json:"kind"`
	PaymentID  string `json:"payment_id,omitempty"`
	InvoiceID  string `json:"invoice_id,omitempty"`
	Amount     Money  `json:"amount"`
	Reason     string `json:"reason"`
	Status     string `json:"status"`
	ApprovalID string `json:"approval_id,omitempty"`
	EntryID    string `json:"entry_id,omitempty"`
	Failure    string `json:"failure,omitempty"`
	// HoldReleased records that a failed movement's money was given back.
	HoldReleased bool       `json:"hold_released,omitempty"`
	RequestedBy  string     `json:"requested_by"`
	RequestedAt  time.Time  `json:"requested_at"`
	PostedAt     *time.Time `json:"posted_at"`
}

// Hold returns the store hold of m on case caseID.
func (m Movement) Hold(caseID string) Hold {
	return Hold{ID: m.ID, Kind: m.Kind, CaseID: caseID, PaymentID: m.PaymentID, InvoiceID: m.InvoiceID,
		Amount: m.Amount.Amount, Currency: m.Amount.Currency, Reason: m.Reason, RequestedBy: m.RequestedBy}
}

// Limits are the authority limits of one currency: amounts up to AutoUpTo
// are approved at once, up to OneUpTo by one supervisor, above by two.
// Above IdentityAbove (nil: never) money moves only for a caller whose
// identity was verified on the case.
type Limits struct {
	AutoUpTo      decimal.Decimal  `json:"auto_approve_up_to"`
	OneUpTo       decimal.Decimal  `json:"one_supervisor_up_to"`
	IdentityAbove *decimal.Decimal `json:"identity_required_above,omitempty"`
}

// ApprovalRules are the authority matrix and the approval timers.
type ApprovalRules struct {
	// Limits per currency; Default for currencies not listed.
	Limits  map[string]Limits `json:"limits,omitempty"`
	Default Limits            `json:"default"`
	// RemindAfter and ExpireAfter are business time of the case's calendar.
	RemindAfter time.Duration `json:"remind_after"`
	ExpireAfter time.Duration `json:"expire_after"`
	// Cumulative says which totals the matrix counts (authority.go). The
	// rules of cases opened before it existed count nothing cumulatively.
	Cumulative Cumulative `json:"cumulative"`
	// EmailReplyVerifies makes a case opened from the email channel count
	// as verified by the customer's own address (method email_reply).
	EmailReplyVerifies bool `json:"email_reply_verifies,omitempty"`
}

// DefaultApprovalRules returns DESIGN.md's matrix: auto up to 100.00, one
// supervisor up to 1,000.00, two above; a reminder after 8 business hours and
// expiry after 3 business days (24 business hours).
func DefaultApprovalRules() ApprovalRules {
	identity := decimal.NewFromInt(100)
	return ApprovalRules{
		Default:     Limits{AutoUpTo: decimal.NewFromInt(100), OneUpTo: decimal.NewFromInt(1000), IdentityAbove: &identity},
		RemindAfter: 8 * time.Hour,
		ExpireAfter: 24 * time.Hour,
		Cumulative:  DefaultCumulative(),
	}
}

// limits returns the limits of currency.
func (r ApprovalRules) limits(currency string) Limits {
	if l, ok := r.Limits[currency]; ok {
		return l
	}
	return r.Default
}

// Required returns how many distinct supervisors must approve a movement of m.
func (r ApprovalRules) Required(m Money) int {
	l := r.limits(m.Currency)
	switch {
	case m.Amount.LessThanOrEqual(l.AutoUpTo):
		return 0
	case m.Amount.LessThanOrEqual(l.OneUpTo):
		return 1
	}
	return 2
}

// approvalFile is the JSON shape of CASEDESK_APPROVALS_CONFIG.
type approvalFile struct {
	Default     *limitsFile           `json:"default"`
	Currencies  map[string]limitsFile `json:"currencies"`
	RemindAfter string                `json:"remind_after"`
	ExpireAfter string                `json:"expire_after"`
	Cumulative  *cumulativeFile       `json:"cumulative"`
	// EmailReplyVerifies: see ApprovalRules.
	EmailReplyVerifies bool `json:"email_reply_verifies"`
}

type limitsFile struct {
	AutoUpTo string `json:"auto_approve_up_to"`
	OneUpTo  string `json:"one_supervisor_up_to"`
	// IdentityAbove is an amount, or "none" for no identity limit.
	IdentityAbove string `json:"identity_required_above"`
}

type cumulativeFile struct {
	Case      *bool  `json:"case"`
	Target    *bool  `json:"payment_or_invoice"`
	Requester *bool  `json:"requester"`
	Window    string `json:"window"`
}

// ParseApprovalRules reads an approvals configuration over the defaults.
func ParseApprovalRules(data []byte) (ApprovalRules, error) {
	r := DefaultApprovalRules()
	var f approvalFile
	if field, msg := decodeStrict(data, &f); field == "" && msg != "" {
		return r, Errorf(EINVALID, "the approvals configuration %s", msg)
	} else if msg != "" {
		return r, retitle(Invalid(field, "%s", msg), "the approvals configuration is invalid")
	}
	var v Validation
	parse := func(field string, lf limitsFile, base Limits) Limits {
		out := base
		for _, x := range []struct {
			name string
			text string
			dst  *decimal.Decimal
		}{{"auto_approve_up_to", lf.AutoUpTo, &out.AutoUpTo}, {"one_supervisor_up_to", lf.OneUpTo, &out.OneUpTo}} {
			if x.text == "" {
				continue
			}
			d, ok := parsePlainDecimal(x.text)
			if !ok {
				v.Add(field+"."+x.name, "must be a non-negative decimal such as \"100.00\"")
				continue
			}
			*x.dst = d
		}
		if out.OneUpTo.LessThan(out.AutoUpTo) {
			v.Add(field+".one_supervisor_up_to", "must not be less than auto_approve_up_to")
		}
		switch d, ok := parsePlainDecimal(lf.IdentityAbove); {
		case lf.IdentityAbove == "":
		case lf.IdentityAbove == "none":
			out.IdentityAbove = nil
		case !ok:
			v.Add(field+".identity_required_above", "must be a non-negative decimal such as \"100.00\", or \"none\"")
		default:
			out.IdentityAbove = &d
		}
		return out
	}
	if f.Default != nil {
		r.Default = parse("default", *f.Default, r.Default)
	}
	for _, cur := range sortedKeys(f.Currencies) {
		if _, ok := currencyExponents[cur]; !ok {
			v.Add("currencies."+cur, "is not a currency we support")
			continue
		}
		if r.Limits == nil {
			r.Limits = map[string]Limits{}
		}
		r.Limits[cur] = parse("currencies."+cur, f.Currencies[cur], r.Default)
	}
	for _, x := range []struct {
		name, text string
		dst        *time.Duration
	}{{"remind_after", f.RemindAfter, &r.RemindAfter}, {"expire_after", f.ExpireAfter, &r.ExpireAfter}} {
		if x.text == "" {
			continue
		}
		d, err := time.ParseDuration(x.text)
		if err != nil || d <= 0 {
			v.Add(x.name, "must be a positive duration such as 8h")
			continue
		}
		*x.dst = d
	}
	if r.RemindAfter >= r.ExpireAfter {
		v.Add("remind_after", "must be shorter than expire_after")
	}
	r.EmailReplyVerifies = f.EmailReplyVerifies
	if c := f.Cumulative; c != nil {
		for _, x := range []struct {
			set *bool
			dst *bool
		}{{c.Case, &r.Cumulative.Case}, {c.Target, &r.Cumulative.Target}, {c.Requester, &r.Cumulative.Requester}} {
			if x.set != nil {
				*x.dst = *x.set
			}
		}
		if c.Window != "" {
			if d, err := time.ParseDuration(c.Window); err != nil || d <= 0 {
				v.Add("cumulative.window", "must be a positive duration such as 24h")
			} else {
				r.Cumulative.Window = d
			}
		}
	}
	if err := v.Err(); err != nil {
		return r, err
	}
	return r, nil
}

// LoadApprovalRules reads path ("" for the defaults).
func LoadApprovalRules(path string) (ApprovalRules, error) {
	if path == "" {
		return DefaultApprovalRules(), nil
	}
	data, err := os.ReadFile(path)
	if err != nil {
		return DefaultApprovalRules(), fmt.Errorf("read %s: %w", path, err)
	}
	return ParseApprovalRules(data)
}

// The approval and money commands.
type (
	// ProposeRefund proposes refunding (part of) a payment.
	ProposeRefund struct {
		Expect
		PaymentID string `json:"payment_id"`
		Amount    string `json:"amount" mask:"-"`
		Currency  string `json:"currency"`
		Reason    string `json:"reason"`
		// HoldID is set by the workflow once the money is held, and
		// Authority with the level the store decided.
		HoldID    string     `json:"-"`
		Authority *Authority `json:"-"`
	}
	// ProposeCredit proposes crediting an invoice.
	ProposeCredit struct {
		Expect
		InvoiceID string     `json:"invoice_id"`
		Amount    string     `json:"amount" mask:"-"`
		Currency  string     `json:"currency"`
		Reason    string     `json:"reason"`
		HoldID    string     `json:"-"`
		Authority *Authority `json:"-"`
	}
	// Escalate asks a supervisor to take over or guide.
	Escalate struct {
		Expect
		Reason string `json:"reason"`
	}
	// DecideApproval approves or rejects an approval of the case.
	DecideApproval struct {
		Expect
		ApprovalID string `json:"approval_id"`
		Approve    bool   `json:"approve"`
		Comment    string `json:"comment"`
		// AssigneeID, on accepting an escalation, reassigns the case; empty
		// means the deciding supervisor takes it.
		AssigneeID string `json:"assignee_id,omitempty"`
	}
	// PostedMovement records that the ledger took a movement.
	PostedMovement struct {
		MovementID string `json:"movement_id"`
		EntryID    string `json:"entry_id"`
	}
	// FailedMovement records that a movement could not be posted.
	FailedMovement struct {
		MovementID string `json:"movement_id"`
		Reason     string `json:"reason"`
	}
	// ReleasedMovement records that a refused movement's hold was released.
	ReleasedMovement struct {
		MovementID string `json:"movement_id"`
	}
)

// Name implements Command.
func (ProposeRefund) Name() string { return "refunds" }

// Name implements Command.
func (ProposeCredit) Name() string { return "adjustments" }

// Name implements Command.
func (Escalate) Name() string { return "escalate" }

// Name implements Command.
func (DecideApproval) Name() string { return "decide-approval" }

// Name implements Command.
func (PostedMovement) Name() string { return "movement-posted" }

// Name implements Command.
func (FailedMovement) Name() string { return "movement-failed" }

// Name implements Command.
func (ReleasedMovement) Name() string { return "movement-released" }

// Movement returns the movement a proposal describes, checking its input.
func (p ProposeRefund) Movement() (Movement, error) {
	return newMovement(p.HoldID, KindRefund, "payment_id", p.PaymentID, p.Amount, p.Currency, p.Reason)
}

// Movement returns the movement a proposal describes, checking its input.
func (p ProposeCredit) Movement() (Movement, error) {
	return newMovement(p.HoldID, KindCredit, "invoice_id", p.InvoiceID, p.Amount, p.Currency, p.Reason)
}

// newMovement checks a proposal of kind on target (a payment or an invoice,
// named by targetField) and returns its movement.
func newMovement(holdID, kind, targetField, target, amount, currency, reason string) (Movement, error) {
	var v Validation
	target = strings.TrimSpace(target)
	if target == "" {
		v.Add(targetField, "is required")
	}
	m, err := ParseMoney(amount, currency, "amount", "currency")
	mergeInto(&v, err)
	reason = CleanText(reason)
	if reason == "" {
		v.Add("reason", "is required")
	} else if len([]rune(reason)) > MaxReasonLen {
		v.Add("reason", "is longer than %d characters", MaxReasonLen)
	}
	if err := v.Err(); err != nil {
		return Movement{}, err
	}
	mv := Movement{ID: holdID, Kind: kind, Amount: m, Reason: reason}
	if kind == KindRefund {
		mv.PaymentID = target
	} else {
		mv.InvoiceID = target
	}
	return mv, nil
}

// PendingApprovals returns the approvals of c still waiting for a decision.
func (c Case) PendingApprovals() []Approval {
	var out []Approval
	for _, a := range c.Approvals {
		if a.Status == ApprovalPending {
			out = append(out, a)
		}
	}
	return out
}

// MovementsToPost returns the approved movements not yet posted, and
// MovementsToRelease the refused ones whose hold is not yet released: the
// workflow runs an activity for each.
func (c Case) MovementsToPost() []Movement    { return c.movementsIn(MovementApproved) }
func (c Case) MovementsToRelease() []Movement { return c.movementsIn(MovementRefused) }

// FailedHoldsToRelease returns the movements that failed to post and whose
// hold is still held.
func (c Case) FailedHoldsToRelease() []Movement {
	var out []Movement
	for _, m := range c.movementsIn(MovementFailed) {
		if !m.HoldReleased {
			out = append(out, m)
		}
	}
	return out
}

func (c Case) movementsIn(status string) []Movement {
	var out []Movement
	for _, m := range c.Movements {
		if m.Status == status {
			out = append(out, m)
		}
	}
	return out
}

func (d *decision) cloneApprovals() {
	if d.approvalsCloned {
		return
	}
	d.approvalsCloned = true
	d.c.Approvals = slices.Clone(d.c.Approvals)
	for i := range d.c.Approvals {
		d.c.Approvals[i].Decisions = slices.Clone(d.c.Approvals[i].Decisions)
	}
	d.c.Movements = slices.Clone(d.c.Movements)
}

// approvalTimes returns when an approval opened at now is reminded about
// and when it expires, in business time of the case's calendar.
func (r Rules) approvalTimes(c Case, now time.Time) (remind, expire time.Time) {
	ar := r.approvalRules()
	if cl := r.clockFor(c.Type, c.Priority); cl != nil {
		return cl.cal.Add(now, ar.RemindAfter), cl.cal.Add(now, ar.ExpireAfter)
	}
	return now.Add(ar.RemindAfter), now.Add(ar.ExpireAfter)
}

// ApprovalRules returns the authority matrix and approval timers in force.
func (r Rules) ApprovalRules() ApprovalRules { return r.approvalRules() }

func (r Rules) approvalRules() ApprovalRules {
	if r.Approvals == nil {
		return DefaultApprovalRules()
	}
	return *r.Approvals
}

// openApproval adds a pending approval and moves the case to status.
func (d *decision) openApproval(r Rules, a Approval, status Status) (Approval, error) {
	d.cloneApprovals()
	a.ID = fmt.Sprintf("%s-A%d", d.c.ID, len(d.c.Approvals)+1)
	a.CaseID = d.c.ID
	a.Status = ApprovalPending
	a.RequestedBy = d.by.ID
	a.RequestedAt = d.now
	a.Decisions = []ApprovalDecision{}
	a.RemindAt, a.ExpiresAt = r.approvalTimes(d.c, d.now)
	a.ReturnTo = d.c.Status
	if a.ReturnTo == StatusPendingApproval || a.ReturnTo == StatusEscalated {
		// Another approval is open: return to where that one came from.
		for _, p := range d.c.Approvals {
			if p.Status == ApprovalPending {
				a.ReturnTo = p.ReturnTo
			}
		}
	}
	if err := d.moveTo(status, "open an approval on"); err != nil {
		return a, err
	}
	d.c.Approvals = append(d.c.Approvals, a)
	data := map[string]any{"approval_id": a.ID, "kind": a.Kind, "required": a.Required, "reason": a.Reason,
		"expires_at": a.ExpiresAt}
	if a.Amount != nil {
		data["amount"], data["currency"] = FormatAmount(a.Amount.Amount, a.Amount.Currency), a.Amount.Currency
	}
	d.emit(EventApprovalRequested, data)
	return a, nil
}

func (d *decision) proposeMovement(r Rules, cmd Proposal) error {
	mv, err := cmd.Movement()
	if err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	if mv.ID == "" {
		return Errorf(EINVALID, "the money must be held before it is proposed")
	}
	d.cloneApprovals()
	mv.RequestedBy, mv.RequestedAt = d.by.ID, d.now
	auth, err := d.authority(r, cmd, mv)
	if err != nil {
		return err
	}
	required := auth.Required
	data := map[string]any{"movement_id": mv.ID, "kind": mv.Kind, "amount": FormatAmount(mv.Amount.Amount, mv.Amount.Currency),
		"currency": mv.Amount.Currency, "reason": mv.Reason, "payment_id": mv.PaymentID, "invoice_id": mv.InvoiceID,
		"required_approvals": required}
	if auth.Reason != "" {
		data["authority_reason"] = auth.Reason
	}
	if required == 0 {
		mv.Status = MovementApproved
		d.c.Movements = append(d.c.Movements, mv)
		data["auto_approved"] = true
		d.emit(EventMoneyProposed, data)
		return nil
	}
	mv.Status = MovementPending
	amount := mv.Amount
	a, err := d.openApproval(r, Approval{Kind: mv.Kind, Amount: &amount, Required: required, Reason: mv.Reason,
		MovementID: mv.ID, Authority: &auth}, StatusPendingApproval)
	if err != nil {
		return err
	}
	mv.ApprovalID = a.ID
	d.c.Movements = append(d.c.Movements, mv)
	data["approval_id"] = a.ID
	d.emit(EventMoneyProposed, data)
	return nil
}

func (d *decision) escalate(r Rules, cmd Escalate) error {
	reason, err := checkBody("reason", cmd.Reason, MaxReasonLen)
	if err != nil {
		return err
	}
	if d.c.Status == StatusEscalated {
		return Errorf(ECONFLICT, "case %s is already escalated", d.c.ID)
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	d.c.WasEscalated = true
	_, err = d.openApproval(r, Approval{Kind: ApprovalEscalation, Required: 1, Reason: reason}, StatusEscalated)
	return err
}

// gate opens a one-supervisor approval in front of a chargeback action.
func (d *decision) gate(r Rules, kind, reason string) error {
	for _, a := range d.c.Approvals {
		if a.Status == ApprovalPending && (a.Kind == ApprovalChargebackResponse || a.Kind == ApprovalChargebackLoss) {
			return Errorf(ECONFLICT, "approval %s for the chargeback is already waiting for a supervisor", a.ID)
		}
	}
	_, err := d.openApproval(r, Approval{Kind: kind, Required: 1, Reason: reason}, StatusPendingApproval)
	return err
}

func (d *decision) decideApproval(r Rules, cmd DecideApproval) error {
	if !d.by.Role.CanApprove() {
		return Errorf(EFORBIDDEN, "only supervisors decide approvals")
	}
	idx := slices.IndexFunc(d.c.Approvals, func(a Approval) bool { return a.ID == cmd.ApprovalID })
	if idx < 0 {
		return Errorf(ENOTFOUND, "approval %s not found", cmd.ApprovalID)
	}
	a := d.c.Approvals[idx]
	comment := CleanText(cmd.Comment)
	switch {
	case a.Status != ApprovalPending:
		return Errorf(ECONFLICT, "approval %s is %s", a.ID, a.Status)
	case a.RequestedBy == d.by.ID:
		return Errorf(EFORBIDDEN, "nobody decides their own request")
	case slices.ContainsFunc(a.Decisions, func(x ApprovalDecision) bool { return x.By == d.by.ID }):
		return Errorf(ECONFLICT, "you already decided approval %s", a.ID)
	case !cmd.Approve && comment == "":
		return Invalid("reason", "is required when rejecting")
	case cmd.AssigneeID != "" && (a.Kind != ApprovalEscalation || !cmd.Approve):
		return Invalid("assignee_id", "only goes with accepting an escalation")
	}
	d.cloneApprovals()
	ap := &d.c.Approvals[idx]
	ap.Decisions = append(ap.Decisions, ApprovalDecision{By: d.by.ID, Approve: cmd.Approve, Comment: comment, At: d.now})
	data := map[string]any{"approval_id": a.ID, "kind": a.Kind, "approve": cmd.Approve, "comment": comment}
	if !cmd.Approve {
		d.emit(EventApprovalRejected, data)
		return d.endApproval(r, ap, ApprovalRejected, comment)
	}
	if ap.approvals() < ap.Required {
		data["approvals"], data["required"] = ap.approvals(), ap.Required
		d.emit(EventApprovalDecided, data)
		return nil
	}
	d.emit(EventApprovalApproved, data)
	if err := d.endApproval(r, ap, ApprovalApproved, comment); err != nil {
		return err
	}
	return d.applyApproved(r, *ap, cmd)
}

// endApproval closes ap with status and returns the case to where it was
// when no other approval stays open.
func (d *decision) endApproval(r Rules, ap *Approval, status, why string) error {
	ap.Status = status
	ap.DecidedAt = at(d.now)
	if ap.MovementID != "" {
		for i := range d.c.Movements {
			if d.c.Movements[i].ID == ap.MovementID && d.c.Movements[i].Status == MovementPending {
				if status == ApprovalApproved {
					d.c.Movements[i].Status = MovementApproved
				} else {
					d.c.Movements[i].Status = MovementRefused
					d.c.Movements[i].Failure = why
				}
			}
		}
	}
	if len(d.c.PendingApprovals()) > 0 || d.c.Status == StatusResolved || d.c.Status == StatusClosed {
		return nil
	}
	back := ap.ReturnTo
	if back == "" || back == StatusNew || back == StatusPendingApproval || back == StatusEscalated {
		back = StatusOpen
	}
	if d.c.AssigneeID == "" && back == StatusOpen {
		// An unassigned case waits as new.
		back = StatusNew
	}
	return d.moveTo(back, "return")
}

// applyApproved carries out what an approval allowed.
func (d *decision) applyApproved(r Rules, a Approval, cmd DecideApproval) error {
	switch a.Kind {
	case ApprovalEscalation:
		assignee := cmd.AssigneeID
		if assignee == "" {
			assignee = d.by.ID
		}
		if assignee != d.c.AssigneeID {
			prev := d.c.AssigneeID
			d.c.AssigneeID = assignee
			d.emit(EventAssigned, map[string]any{"assignee_id": assignee, "previous_assignee_id": prev})
		}
		if d.c.Status == StatusNew {
			return d.moveTo(StatusOpen, "accept the escalation of")
		}
	case ApprovalChargebackResponse:
		return d.submitResponse(a.Reason)
	case ApprovalChargebackLoss:
		d.chargeback().Stage = StageLost
		d.emit(EventLossAccepted, map[string]any{"reason": a.Reason})
		return d.resolveAs(OutcomeLost, a.Reason, r)
	}
	return nil
}

// withdrawApprovals ends every pending approval when the case resolves.
func (d *decision) withdrawApprovals(why string) {
	if len(d.c.PendingApprovals()) == 0 {
		return
	}
	d.cloneApprovals()
	for i := range d.c.Approvals {
		ap := &d.c.Approvals[i]
		if ap.Status != ApprovalPending {
			continue
		}
		ap.Status, ap.DecidedAt = ApprovalWithdrawn, at(d.now)
		for j := range d.c.Movements {
			if d.c.Movements[j].ID == ap.MovementID && d.c.Movements[j].Status == MovementPending {
				d.c.Movements[j].Status, d.c.Movements[j].Failure = MovementRefused, why
			}
		}
		d.emit(EventApprovalWithdrawn, map[string]any{"approval_id": ap.ID, "reason": why})
	}
}

// tickApprovals reminds supervisors and expires approvals that are due.
func (d *decision) tickApprovals(r Rules) error {
	for i := range d.c.Approvals {
		a := d.c.Approvals[i]
		if a.Status != ApprovalPending {
			continue
		}
		if !d.now.Before(a.ExpiresAt) {
			d.cloneApprovals()
			ap := &d.c.Approvals[i]
			d.emit(EventApprovalExpired, map[string]any{"approval_id": a.ID, "kind": a.Kind})
			if err := d.endApproval(r, ap, ApprovalExpired, "the approval expired"); err != nil {
				return err
			}
			continue
		}
		if !a.Reminded && !d.now.Before(a.RemindAt) {
			d.cloneApprovals()
			d.c.Approvals[i].Reminded = true
			d.emit(EventApprovalReminder, map[string]any{"approval_id": a.ID, "kind": a.Kind, "expires_at": a.ExpiresAt})
		}
	}
	return nil
}

// settling returns movement id, copied for change, when it is in status:
// settlement records only what the movement is waiting for.
func (d *decision) settling(id, status string) (*Movement, error) {
	i := slices.IndexFunc(d.c.Movements, func(m Movement) bool { return m.ID == id })
	if i < 0 {
		return nil, Errorf(ENOTFOUND, "movement %s not found", id)
	}
	if d.c.Movements[i].Status != status {
		return nil, Errorf(ECONFLICT, "movement %s is %s", id, d.c.Movements[i].Status)
	}
	d.cloneApprovals()
	return &d.c.Movements[i], nil
}

func (d *decision) movementPosted(r Rules, cmd PostedMovement) error {
	m, err := d.settling(cmd.MovementID, MovementApproved)
	if err != nil {
		return err
	}
	m.Status, m.EntryID, m.PostedAt = MovementPosted, cmd.EntryID, at(d.now)
	typ := EventRefundIssued
	if m.Kind == KindCredit {
		typ = EventCreditApplied
	}
	d.emit(typ, map[string]any{"movement_id": m.ID, "entry_id": cmd.EntryID, "amount": FormatAmount(m.Amount.Amount, m.Amount.Currency),
		"currency": m.Amount.Currency, "payment_id": m.PaymentID, "invoice_id": m.InvoiceID})
	// A refund case is done once its refund is issued.
	if d.c.Type == TypeRefund && m.Kind == KindRefund && slices.Contains([]Status{StatusNew, StatusOpen}, d.c.Status) &&
		len(d.c.PendingApprovals()) == 0 {
		return d.resolveAs(OutcomeRefunded, "Refunded "+m.Amount.String()+".", r)
	}
	return nil
}

func (d *decision) movementFailed(cmd FailedMovement) error {
	m, err := d.settling(cmd.MovementID, MovementApproved)
	if err != nil {
		return err
	}
	m.Status, m.Failure = MovementFailed, cmd.Reason
	d.emit(EventMoneyFailed, map[string]any{"movement_id": m.ID, "kind": m.Kind, "reason": cmd.Reason,
		"assignee_id": d.c.AssigneeID})
	return nil
}

func (d *decision) movementReleased(cmd ReleasedMovement) error {
	status := MovementRefused
	if i := slices.IndexFunc(d.c.Movements, func(m Movement) bool { return m.ID == cmd.MovementID }); i >= 0 &&
		d.c.Movements[i].Status == MovementFailed && !d.c.Movements[i].HoldReleased {
		status = MovementFailed
	}
	m, err := d.settling(cmd.MovementID, status)
	if err != nil {
		return err
	}
	if m.Status == MovementFailed {
		// A failed movement stays failed; its money is free again.
		m.HoldReleased = true
		d.emit(EventMoneyReleased, map[string]any{"movement_id": m.ID, "reason": m.Failure})
		return nil
	}
	m.Status = MovementReleased
	d.emit(EventMoneyReleased, map[string]any{"movement_id": m.ID, "reason": m.Failure})
	return nil
}

// Proposal is a command that moves money: the workflow holds the money in
// the store before the command is decided.
type Proposal interface {
	Command
	Movement() (Movement, error)
	WithHold(id string, a *Authority) Proposal
	authority() *Authority
}

// WithHold returns the proposal with the ID of its hold and, once the store
// decided it, the authority it needs (nil before).
func (p ProposeRefund) WithHold(id string, a *Authority) Proposal {
	p.HoldID, p.Authority = id, a
	return p
}

// WithHold returns the proposal with the ID of its hold and its authority.
func (p ProposeCredit) WithHold(id string, a *Authority) Proposal {
	p.HoldID, p.Authority = id, a
	return p
}

// authority returns the level the store decided for p, if it did.
func (p ProposeRefund) authority() *Authority { return p.Authority }
func (p ProposeCredit) authority() *Authority { return p.Authority }

// RecordRefusal records that money proposed with a case could not be held.
type RecordRefusal struct {
	Kind   string `json:"kind"`
	Reason string `json:"reason"`
}

// Name implements Command.
func (RecordRefusal) Name() string { return "record-refusal" }

func (d *decision) recordRefusal(cmd RecordRefusal) error {
	d.emit(EventMoneyRefused, map[string]any{"kind": cmd.Kind, "reason": cmd.Reason})
	return nil
}
