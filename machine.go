package casedesk

import (
	"slices"
	"strings"
	"time"
)

// transitions lists, for each status, the statuses a case may move to.
// Moves within a status (a note, a reply while open) are not transitions.
var transitions = map[Status][]Status{
	// A case can end unassigned: a chargeback that expires, a customer who never answers.
	StatusNew:               {StatusOpen, StatusEscalated, StatusPendingApproval, StatusResolved},
	StatusOpen:              {StatusWaitingOnCustomer, StatusPendingApproval, StatusEscalated, StatusResolved},
	StatusWaitingOnCustomer: {StatusOpen, StatusPendingApproval, StatusEscalated, StatusResolved},
	// An approval that ends on an unassigned case returns it to new.
	StatusPendingApproval: {StatusNew, StatusOpen, StatusWaitingOnCustomer, StatusEscalated, StatusResolved},
	StatusEscalated:       {StatusNew, StatusOpen, StatusWaitingOnCustomer, StatusPendingApproval, StatusResolved},
	StatusResolved:        {StatusOpen, StatusClosed},
	StatusClosed:          nil,
}

// activeStatuses are the statuses of a case still being worked;
// workedStatuses those of a case someone has taken on.
var (
	activeStatuses = []Status{StatusNew, StatusOpen, StatusWaitingOnCustomer, StatusPendingApproval, StatusEscalated}
	workedStatuses = activeStatuses[1:]
	notClosed      = append(slices.Clone(activeStatuses), StatusResolved)
)

// accepts is the one table of the statuses in which a case takes each
// command, with the words for refusing it. The commands not listed check
// their own state: approvals, money settlement and timers. A closed case
// takes nothing.
var accepts = map[string]struct {
	action string
	in     []Status
}{
	Assign{}.Name():         {"assign", activeStatuses},
	Reply{}.Name():          {"reply to", workedStatuses},
	AddNote{}.Name():        {"add a note to", notClosed},
	RequestInfo{}.Name():    {"request information on", []Status{StatusOpen}},
	CustomerReply{}.Name():  {"record a customer reply on", notClosed},
	Resolve{}.Name():        {"resolve", []Status{StatusOpen, StatusWaitingOnCustomer}},
	Reopen{}.Name():         {"reopen", []Status{StatusResolved}},
	Close{}.Name():          {"close", []Status{StatusResolved}},
	SetPriority{}.Name():    {"change the priority of", activeStatuses},
	AddEvidence{}.Name():    {"add evidence to", activeStatuses},
	Respond{}.Name():        {"respond on", workedStatuses},
	AcceptLoss{}.Name():     {"accept the loss on", activeStatuses},
	NetworkOutcome{}.Name(): {"record a network outcome on", notClosed},
	Escalate{}.Name():       {"escalate", []Status{StatusNew, StatusOpen, StatusWaitingOnCustomer}},
	ProposeRefund{}.Name():  {"propose a refund on", activeStatuses},
	ProposeCredit{}.Name():  {"propose a credit on", activeStatuses},
	UpdateCustomer{}.Name(): {"record a customer change on", notClosed},
	VerifyIdentity{}.Name(): {"verify the caller of", activeStatuses},
	// Inbound mail: anything but a closed case keeps what arrives.
	RecordAutoMail{}.Name():         {"record automatic mail on", notClosed},
	AttachUnverifiedReply{}.Name():  {"attach a reply to", notClosed},
	AcceptUnverifiedReply{}.Name():  {"accept a reply on", notClosed},
	DiscardUnverifiedReply{}.Name(): {"discard a reply on", notClosed},
}

// Accepts reports whether a case in status takes cmd.
func Accepts(status Status, cmd Command) bool {
	a, ok := accepts[cmd.Name()]
	return status != StatusClosed && (!ok || slices.Contains(a.in, status))
}

// CanTransition reports whether a case may move from one status to another.
func CanTransition(from, to Status) bool {
	return slices.Contains(transitions[from], to)
}

// Command is an action on a case. Name is the action's name in the API and
// the name of the workflow Update that carries it.
type Command interface {
	Name() string
}

// Expect lets an action carry the version of the case its sender saw: when
// the case has changed since, the action is refused as stale (ESTALE) and
// changes nothing, so nobody overwrites what they have not seen. Zero
// expects nothing. Staff commands embed it.
type Expect struct {
	ExpectedVersion int64 `json:"expected_version,omitempty"`
}

// SetExpected sets the version the sender saw, unless the body set one.
func (e *Expect) SetExpected(v int64) {
	if e.ExpectedVersion == 0 {
		e.ExpectedVersion = v
	}
}

func (e Expect) expected() int64 { return e.ExpectedVersion }

// checkExpected refuses cmd when it expects another version than c's.
func checkExpected(c Case, cmd Command) error {
	x, ok := cmd.(interface{ expected() int64 })
	if !ok || x.expected() == 0 || x.expected() == c.Version {
		return nil
	}
	return Errorf(ESTALE, "case %s changed since version %d (it is at version %d): read it again and resend", c.ID,
		x.expected(), c.Version)
}

// The commands of the case core.
type (
	Assign struct {
		Expect
		AssigneeID string `json:"assignee_id"`
	}
	Reply struct {
		Expect
		Body string `json:"body"`
	}
	AddNote struct {
		Expect
		Body string `json:"body"`
	}
	RequestInfo struct {
		Expect
		Body string `json:"body"`
	}
	CustomerReply struct {
		Body string `json:"body"`
	}
	Resolve struct {
		Expect
		Outcome string `json:"outcome"`
		Summary string `json:"summary"`
	}
	Reopen struct {
		Expect
		Reason string `json:"reason"`
	}
	Close struct {
		Expect
	}
)

func (Assign) Name() string        { return "assign" }
func (Reply) Name() string         { return "reply" }
func (AddNote) Name() string       { return "notes" }
func (RequestInfo) Name() string   { return "request-info" }
func (CustomerReply) Name() string { return "customer-reply" }
func (Resolve) Name() string       { return "resolve" }
func (Reopen) Name() string        { return "reopen" }
func (Close) Name() string         { return "close" }

// Limits on free text.
const (
	MaxSubjectLen = 200
	MaxBodyLen    = 20000
	MaxReasonLen  = 2000
)

// Rules are the settings a case is decided with. They travel with the
// workflow so that a running case keeps the rules it was opened under.
type Rules struct {
	ReopenWindow time.Duration `json:"reopen_window"`
	// SLA holds the policies per type and priority; without them the SLA
	// clocks are off.
	SLA []SLAPolicy `json:"sla,omitempty"`
	// WaitingReminder and WaitingTimeout are the business time a case waits
	// on the customer before a reminder and before it is resolved as
	// no_response; zero means 3 and 7 business days of the calendar.
	WaitingReminder time.Duration `json:"waiting_reminder,omitempty"`
	WaitingTimeout  time.Duration `json:"waiting_timeout,omitempty"`
	// Approvals is the authority matrix and approval timers; nil means
	// DESIGN.md's defaults.
	Approvals *ApprovalRules `json:"approvals,omitempty"`
	// Categories lists the categories a case may be filed under; nil
	// accepts any (cases opened before the list was configured).
	Categories []string `json:"categories,omitempty"`
	// Unbounded skips the bounds of bounds.go. Workflows set it to decide
	// again, on replay, an update accepted before the bounds existed.
	Unbounded bool `json:"-"`
	// ClosedRefusesSettlement and LateClocksWait decide as released code
	// did before a closed case recorded what became of its money, and
	// before a clock past due fired ahead of the action that found it so.
	// Workflows set them to replay histories recorded before those rules.
	ClosedRefusesSettlement bool `json:"-"`
	LateClocksWait          bool `json:"-"`
}

// settles reports whether cmd records what became of a movement's money:
// a fact the ledger already holds, which the case records even once it is
// closed (a refund approved and then posted after the agent closed the
// case is still posted).
func settles(cmd Command) bool {
	switch cmd.(type) {
	case PostedMovement, FailedMovement, ReleasedMovement:
		return true
	}
	return false
}

// DefaultRules returns the rules of DESIGN.md.
func DefaultRules() Rules {
	return Rules{ReopenWindow: DefaultReopenWindow, SLA: DefaultSLAConfig().Policies()}
}

// Decide applies cmd by actor at now to c. It returns the new case and the
// timeline events the change produced, or an error and leaves nothing changed:
// EINVALID for bad input, ECONFLICT for an action the status does not allow,
// EFORBIDDEN for an actor who may not act. Decide is pure: c is not modified.
func (r Rules) Decide(c Case, cmd Command, by Actor, now time.Time) (Case, []Event, error) {
	now = now.UTC().Truncate(time.Microsecond)
	if c.Status == StatusClosed && (r.ClosedRefusesSettlement || !settles(cmd)) {
		return c, nil, Errorf(ECONFLICT, "case %s is closed", c.ID)
	}
	if err := checkExpected(c, cmd); err != nil {
		return c, nil, err
	}
	if by.Role != RoleSystem && !by.Role.IsStaff() && (by.Role != RoleCustomer || !fromOutside(cmd)) {
		return c, nil, Errorf(EFORBIDDEN, "only staff may act on cases")
	}
	if !r.Unbounded {
		if err := checkLengths(cmd); err != nil {
			return c, nil, err
		}
	}
	d := decision{c: c, by: by, now: now}
	if _, tick := cmd.(Tick); !tick && !r.LateClocksWait {
		// A target passed before this action, however late its timer:
		// a reply after the first-response target is a late reply.
		d.fireOverdueClocks()
	}
	var err error
	switch cmd := cmd.(type) {
	case Assign:
		err = d.assign(cmd)
	case Reply:
		err = d.reply(cmd)
	case AddNote:
		err = d.note(cmd)
	case RequestInfo:
		err = d.requestInfo(cmd, r)
	case CustomerReply:
		err = d.customerReply(cmd, r)
	case RecordAutoMail:
		err = d.autoMail(cmd)
	case AttachUnverifiedReply:
		err = d.attachUnverified(cmd)
	case AcceptUnverifiedReply:
		err = d.acceptUnverified(cmd, r)
	case DiscardUnverifiedReply:
		err = d.discardUnverified(cmd)
	case Resolve:
		err = d.resolve(cmd, r)
	case Reopen:
		err = d.reopen(cmd)
	case Close:
		err = d.close("closed by staff")
	case SetPriority:
		err = d.setPriority(cmd)
	case VerifyIdentity:
		err = d.verifyIdentity(cmd)
	case SetCategory:
		err = d.setCategory(cmd, r)
	case AddEvidence:
		err = d.addEvidence(cmd)
	case Respond:
		err = d.respond(cmd, r)
	case AcceptLoss:
		err = d.acceptLoss(cmd, r)
	case Proposal:
		err = d.proposeMovement(r, cmd)
	case Escalate:
		err = d.escalate(r, cmd)
	case RecordRefusal:
		err = d.systemOnly(by, func() error { return d.recordRefusal(cmd) })
	case DecideApproval:
		err = d.decideApproval(r, cmd)
	case PostedMovement:
		err = d.systemOnly(by, func() error { return d.movementPosted(r, cmd) })
	case FailedMovement:
		err = d.systemOnly(by, func() error { return d.movementFailed(cmd) })
	case ReleasedMovement:
		err = d.systemOnly(by, func() error { return d.movementReleased(cmd) })
	case NetworkOutcome:
		err = d.networkOutcome(cmd, r)
	case UpdateCustomer:
		err = d.systemOnly(by, func() error { return d.updateCustomer(cmd) })
	case Tick:
		if by.Role != RoleSystem {
			return c, nil, Errorf(EFORBIDDEN, "only the system fires timers")
		}
		err = d.tick(r)
	default:
		return c, nil, Errorf(EINVALID, "unknown action %T", cmd)
	}
	if err != nil {
		return c, nil, err
	}
	if !r.Unbounded {
		if err := checkBounds(c, d.c, cmd, by, now); err != nil {
			return c, nil, err
		}
	}
	r.planClocks(&d.c, now)
	d.c.Version++
	d.c.UpdatedAt = now
	return d.c, d.events, nil
}

// decision accumulates one command's effect on a copy of the case.
type decision struct {
	c      Case
	by     Actor
	now    time.Time
	events []Event
	// cloned records that type-specific details were copied before change,
	// so the caller's case is never modified through a shared pointer.
	cloned bool
	// approvalsCloned records the same for approvals and movements.
	approvalsCloned bool
}

func (d *decision) systemOnly(by Actor, fn func() error) error {
	if by.Role != RoleSystem {
		return Errorf(EFORBIDDEN, "only the system records this")
	}
	return fn()
}

// chargeback returns the case's chargeback details, copied on first use.
func (d *decision) chargeback() *Chargeback {
	d.cloneDetails()
	return d.c.Chargeback
}

// dispute returns the case's dispute details, copied on first use.
func (d *decision) dispute() *Dispute {
	d.cloneDetails()
	return d.c.Dispute
}

func (d *decision) cloneDetails() {
	if d.cloned {
		return
	}
	d.cloned = true
	if d.c.Chargeback != nil {
		cb := *d.c.Chargeback
		cb.Evidence = slices.Clone(cb.Evidence)
		d.c.Chargeback = &cb
	}
	if d.c.Dispute != nil {
		dp := *d.c.Dispute
		d.c.Dispute = &dp
	}
}

func (d *decision) emit(typ string, data map[string]any) {
	d.c.LastSeq++
	if data == nil {
		data = map[string]any{}
	}
	d.events = append(d.events, Event{Seq: d.c.LastSeq, Type: typ, Actor: d.by.ID, At: d.now, Data: data})
}

func (d *decision) moveTo(to Status, action string) error {
	if d.c.Status == to {
		return nil
	}
	if !CanTransition(d.c.Status, to) {
		return Errorf(ECONFLICT, "cannot %s a case that is %s", action, d.c.Status)
	}
	d.c.Status = to
	return nil
}

// require refuses cmd unless the case is in a status that accepts it.
func (d *decision) require(cmd Command) error {
	if Accepts(d.c.Status, cmd) {
		return nil
	}
	a := accepts[cmd.Name()]
	if d.c.Status == StatusNew && slices.Contains(a.in, StatusOpen) {
		return Errorf(ECONFLICT, "assign case %s before you %s it", d.c.ID, a.action)
	}
	return Errorf(ECONFLICT, "cannot %s a case that is %s", a.action, d.c.Status)
}

func (d *decision) assign(cmd Assign) error {
	if strings.TrimSpace(cmd.AssigneeID) == "" {
		return Invalid("assignee_id", "is required")
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	if cmd.AssigneeID == d.c.AssigneeID {
		return Errorf(ECONFLICT, "case %s is already assigned to %s", d.c.ID, cmd.AssigneeID)
	}
	prev := d.c.AssigneeID
	d.c.AssigneeID = cmd.AssigneeID
	if d.c.Status == StatusNew {
		if err := d.moveTo(StatusOpen, "assign"); err != nil {
			return err
		}
	}
	d.emit(EventAssigned, map[string]any{"assignee_id": cmd.AssigneeID, "previous_assignee_id": prev})
	return nil
}

func checkBody(field, body string, max int) (string, error) {
	body = CleanText(body)
	if body == "" {
		return "", Invalid(field, "is required")
	}
	if n := len([]rune(body)); n > max {
		return "", Invalid(field, "is %d characters long; the limit is %d", n, max)
	}
	return body, nil
}

func (d *decision) reply(cmd Reply) error {
	body, err := checkBody("body", cmd.Body, MaxBodyLen)
	if err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	d.publicReply()
	d.emit(EventReplied, map[string]any{"body": body})
	return nil
}

// publicReply records a message to the customer, which meets first response.
func (d *decision) publicReply() {
	d.c.PublicReplies++
	if d.c.SLA.FirstResponseAt == nil {
		at := d.now
		d.c.SLA.FirstResponseAt = &at
	}
}

func (d *decision) note(cmd AddNote) error {
	body, err := checkBody("body", cmd.Body, MaxBodyLen)
	if err != nil {
		return err
	}
	noteAdded(&d.c, d.now)
	d.emit(EventNoteAdded, map[string]any{"body": body})
	return nil
}

func (d *decision) requestInfo(cmd RequestInfo, r Rules) error {
	body, err := checkBody("body", cmd.Body, MaxBodyLen)
	if err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	if err := d.moveTo(StatusWaitingOnCustomer, "request information on"); err != nil {
		return err
	}
	d.publicReply()
	d.c.CustomerWaited = true
	d.emit(EventInfoRequested, map[string]any{"body": body})
	d.pauseForCustomer(r)
	return nil
}

func (d *decision) customerReply(cmd CustomerReply, r Rules) error {
	body, err := checkBody("body", cmd.Body, MaxBodyLen)
	if err != nil {
		return err
	}
	return d.customerReplied(body, r, nil, "")
}

// customerReplied records the customer's reply body: a waiting case
// resumes, a resolved one reopens. accepted is the unverified reply it was,
// accepted by acceptedBy, if any.
func (d *decision) customerReplied(body string, r Rules, accepted *UnverifiedReply, acceptedBy string) error {
	from := d.c.Status
	reopens := from == StatusResolved && d.c.Chargeback == nil
	switch {
	case from == StatusWaitingOnCustomer:
		if err := d.moveTo(StatusOpen, "record a customer reply on"); err != nil {
			return err
		}
	case reopens:
		// A customer writing back about a resolved case reopens it, as long as
		// the reopen window has not ended. A chargeback's outcome is the
		// network's and stays.
		if err := d.reopenResolved(); err != nil {
			return err
		}
	}
	data := map[string]any{"body": body, "previous_status": string(from), "status": string(d.c.Status)}
	if accepted != nil {
		data["from"], data["reply_seq"], data["accepted_by"] = accepted.From, accepted.Seq, acceptedBy
	}
	d.emit(EventCustomerReplied, data)
	if from == StatusWaitingOnCustomer {
		d.resumeAfterCustomer(r)
	}
	if reopens {
		d.emit(EventReopened, map[string]any{"reason": "the customer replied"})
	}
	return nil
}

func (d *decision) resolve(cmd Resolve, r Rules) error {
	var v Validation
	allowed := outcomes[d.c.Type]
	if d.c.Type == TypeChargeback {
		return Errorf(ECONFLICT, "a chargeback is resolved by the network's outcome or by accepting the loss")
	}
	if cmd.Outcome == "" {
		v.Add("outcome", "is required")
	} else if !slices.Contains(allowed, cmd.Outcome) {
		v.Add("outcome", "must be one of %s for a %s case", strings.Join(allowed, ", "), d.c.Type)
	}
	summary := CleanText(cmd.Summary)
	if n := len([]rune(summary)); n > MaxBodyLen {
		v.Add("summary", "is %d characters long; the limit is %d", n, MaxBodyLen)
	}
	if d.c.Type == TypeDispute && cmd.Outcome != "" && cmd.Outcome != OutcomeNoResponse && summary == "" {
		v.Add("summary", "is required: the explanation the customer receives")
	}
	if err := v.Err(); err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	return d.resolveAs(cmd.Outcome, summary, r)
}

// resolveAs resolves the case with outcome: the clocks stop and the reopen
// window starts.
func (d *decision) resolveAs(outcome, summary string, r Rules) error {
	if err := d.moveTo(StatusResolved, "resolve"); err != nil {
		return err
	}
	at := d.now
	until := d.now.Add(r.ReopenWindow)
	d.c.Outcome = outcome
	d.c.ResolutionSummary = summary
	d.c.ResolvedAt = &at
	d.c.ReopenUntil = &until
	if d.c.SLA.FirstResponseAt == nil {
		d.c.SLA.FirstResponseAt = &at
	}
	if d.c.Dispute != nil {
		d.dispute().Explanation = d.c.ResolutionSummary
	}
	d.withdrawApprovals("the case was resolved")
	d.stopClocks()
	d.c.FirstContactResolution = outcome != OutcomeNoResponse && d.c.PublicReplies <= 1 &&
		!d.c.CustomerWaited && !d.c.WasEscalated && d.c.ReopenCount == 0
	d.emit(EventResolved, map[string]any{
		"outcome":                  outcome,
		"summary":                  d.c.ResolutionSummary,
		"first_contact_resolution": d.c.FirstContactResolution,
		"reopen_until":             until,
	})
	return nil
}

func (d *decision) reopen(cmd Reopen) error {
	reason, err := checkBody("reason", cmd.Reason, MaxReasonLen)
	if err != nil {
		return err
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	if d.c.Chargeback != nil {
		return Errorf(ECONFLICT, "a chargeback's outcome is final; open a new case")
	}
	if err := d.reopenResolved(); err != nil {
		return err
	}
	d.emit(EventReopened, map[string]any{"reason": reason})
	return nil
}

func (d *decision) reopenResolved() error {
	if d.c.ReopenUntil != nil && !d.now.Before(*d.c.ReopenUntil) {
		return Errorf(ECONFLICT, "the reopen window of case %s ended at %s", d.c.ID, d.c.ReopenUntil.Format(time.RFC3339))
	}
	if err := d.moveTo(StatusOpen, "reopen"); err != nil {
		return err
	}
	d.c.ReopenCount++
	d.c.Outcome = ""
	d.c.ResolutionSummary = ""
	d.c.ResolvedAt = nil
	d.c.ReopenUntil = nil
	d.c.FirstContactResolution = false
	d.startResolutionClock()
	return nil
}

func (d *decision) close(reason string) error {
	if err := d.require(Close{}); err != nil {
		return err
	}
	if err := d.moveTo(StatusClosed, "close"); err != nil {
		return err
	}
	at := d.now
	d.c.ClosedAt = &at
	d.c.ReopenUntil = nil
	d.emit(EventClosed, map[string]any{"reason": reason})
	return nil
}

// CleanText trims s and drops NUL characters, which PostgreSQL cannot store
// in text and which no person types.
func CleanText(s string) string {
	return strings.TrimSpace(strings.ReplaceAll(s, "\x00", ""))
}

// SetPriority changes a case's priority; its SLA deadlines follow.
type SetPriority struct {
	Expect
	Priority Priority `json:"priority"`
}

// Name implements Command.
func (SetPriority) Name() string { return "priority" }

func (d *decision) setPriority(cmd SetPriority) error {
	if cmd.Priority == "" {
		return Invalid("priority", "is required")
	}
	if !slices.Contains(Priorities, cmd.Priority) {
		return Invalid("priority", "must be one of %s", joinStrings(Priorities))
	}
	if cmd.Priority == d.c.Priority {
		return Errorf(ECONFLICT, "case %s is already %s priority", d.c.ID, cmd.Priority)
	}
	if err := d.require(cmd); err != nil {
		return err
	}
	from := d.c.Priority
	d.c.Priority = cmd.Priority
	// A new target may mean a warning or breach is no longer reached, or
	// already passed: the next tick decides.
	if !d.c.SLA.FirstResponseBreached {
		d.c.SLA.FirstResponseWarned = false
	}
	if !d.c.SLA.ResolutionBreached {
		d.c.SLA.ResolutionWarned = false
	}
	d.emit(EventPriorityChanged, map[string]any{"from": string(from), "to": string(cmd.Priority)})
	return nil
}
