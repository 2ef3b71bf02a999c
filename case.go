// Package casedesk holds the case rules as plain Go: case types, statuses and
// their transitions, the actions that move a case, and the checks on their input.
// It imports nothing from Temporal, SQL or HTTP; workflows call it and the API
// reuses its validation.
package casedesk

import (
	"slices"
	"time"
)

// Type is the kind of a case.
type Type string

const (
	TypeInquiry    Type = "inquiry"
	TypeDispute    Type = "dispute"
	TypeChargeback Type = "chargeback"
	TypeRefund     Type = "refund"
)

// Types lists every case type of the product.
var Types = []Type{TypeInquiry, TypeDispute, TypeChargeback, TypeRefund}

// Status is where a case stands.
type Status string

const (
	StatusNew               Status = "new"
	StatusOpen              Status = "open"
	StatusWaitingOnCustomer Status = "waiting_on_customer"
	StatusPendingApproval   Status = "pending_approval"
	StatusEscalated         Status = "escalated"
	StatusResolved          Status = "resolved"
	StatusClosed            Status = "closed"
)

// Statuses lists every status in lifecycle order.
var Statuses = []Status{StatusNew, StatusOpen, StatusWaitingOnCustomer, StatusPendingApproval, StatusEscalated, StatusResolved, StatusClosed}

// Priority orders the work.
type Priority string

const (
	PriorityLow    Priority = "low"
	PriorityNormal Priority = "normal"
	PriorityHigh   Priority = "high"
	PriorityUrgent Priority = "urgent"
)

// Priorities lists every priority from lowest to highest.
var Priorities = []Priority{PriorityLow, PriorityNormal, PriorityHigh, PriorityUrgent}

// Channel is how the customer reached us.
type Channel string

const (
	ChannelPhone  Channel = "phone"
	ChannelEmail  Channel = "email"
	ChannelChat   Channel = "chat"
	ChannelSocial Channel = "social"
	ChannelWeb    Channel = "web"
)

// Channels lists every channel.
var Channels = []Channel{ChannelPhone, ChannelEmail, ChannelChat, ChannelSocial, ChannelWeb}

// Outcomes of a resolved case.
const (
	OutcomeAnswered   = "answered"
	OutcomeNoResponse = "no_response"
	OutcomeUpheld     = "upheld"
	OutcomeRejected   = "rejected"
	OutcomeRefunded   = "refunded"
	OutcomeDeclined   = "declined"
)

// outcomes lists the outcomes an agent may choose when resolving, per type.
var outcomes = map[Type][]string{
	TypeInquiry: {OutcomeAnswered, OutcomeNoResponse},
	TypeDispute: {OutcomeUpheld, OutcomeRejected, OutcomeNoResponse},
	TypeRefund:  {OutcomeRefunded, OutcomeDeclined, OutcomeNoResponse},
}

// Outcomes returns the outcomes a case of type t may be resolved with.
func Outcomes(t Type) []string { return slices.Clone(outcomes[t]) }

// DefaultReopenWindow is how long a resolved case may be reopened before it closes by itself.
const DefaultReopenWindow = 7 * 24 * time.Hour

// Case is the state of one case. The workflow owns it; the read model mirrors it.
type Case struct {
	ID               string   `json:"id"`
	Type             Type     `json:"type"`
	Status           Status   `json:"status"`
	Priority         Priority `json:"priority"`
	Channel          Channel  `json:"channel"`
	CustomerID       string   `json:"customer_id"`
	AssigneeID       string   `json:"assignee_id"`
	Subject          string   `json:"subject"`
	Description      string   `json:"description"`
	Category         string   `json:"category"`
	IdentityVerified bool     `json:"identity_verified"`
	// Identity says who verified the caller, how and when.
	Identity               *IdentityCheck `json:"identity,omitempty"`
	Outcome                string         `json:"outcome"`
	ResolutionSummary      string         `json:"resolution_summary"`
	FirstContactResolution bool           `json:"first_contact_resolution"`
	SLA                    SLA            `json:"sla"`
	OpenedBy               string         `json:"opened_by"`
	OpenedAt               time.Time      `json:"opened_at"`
	UpdatedAt              time.Time      `json:"updated_at"`
	ResolvedAt             *time.Time     `json:"resolved_at"`
	ClosedAt               *time.Time     `json:"closed_at"`
	// ReopenUntil is when a resolved case closes by itself.
	ReopenUntil *time.Time `json:"reopen_until"`
	Version     int64      `json:"version"`
	// LastSeq is the sequence number of the case's latest timeline event.
	LastSeq int64 `json:"last_seq"`

	// Type-specific details.
	Dispute    *Dispute    `json:"dispute,omitempty"`
	Chargeback *Chargeback `json:"chargeback,omitempty"`

	// Approvals asked of supervisors, and the refunds and credits proposed.
	Approvals []Approval `json:"approvals,omitempty"`
	Movements []Movement `json:"movements,omitempty"`

	// Facts kept for first-contact resolution and reporting.
	PublicReplies  int  `json:"public_replies"`
	CustomerWaited bool `json:"customer_waited"`
	WasEscalated   bool `json:"was_escalated"`
	ReopenCount    int  `json:"reopen_count"`

	// RecentNotes holds when the latest notes were added (at most
	// MaxNotesPerMinute), for the per-minute bound.
	RecentNotes []time.Time `json:"recent_notes,omitempty"`

	// FollowUpOf is the closed case this one follows up, if any.
	FollowUpOf string `json:"follow_up_of,omitempty"`
	// UnverifiedReplies are the replies from other addresses than the
	// customer's that wait for an agent to accept or discard them.
	UnverifiedReplies []UnverifiedReply `json:"unverified_replies,omitempty"`
}

// SLA is the case's service-level state: its two clocks and the customer
// wait. Times the workflow's timers fire at are kept here, computed when a
// clock starts, pauses, resumes or changes target, so finding the next timer
// needs no calendar arithmetic.
type SLA struct {
	Policy                string     `json:"policy"`
	FirstResponseDue      *time.Time `json:"first_response_due"`
	FirstResponseAt       *time.Time `json:"first_response_at"`
	FirstResponseBreached bool       `json:"first_response_breached"`
	ResolutionDue         *time.Time `json:"resolution_due"`
	ResolutionBreached    bool       `json:"resolution_breached"`
	Paused                bool       `json:"paused"`

	FirstResponseWarnAt *time.Time `json:"first_response_warn_at"`
	FirstResponseWarned bool       `json:"first_response_warned"`
	ResolutionWarnAt    *time.Time `json:"resolution_warn_at"`
	ResolutionWarned    bool       `json:"resolution_warned"`
	// ResolutionSince is when the resolution clock last started or resumed;
	// nil while it is paused or stopped.
	ResolutionSince *time.Time `json:"resolution_since"`
	// ResolutionUsed is the business time the resolution clock counted
	// before ResolutionSince.
	ResolutionUsed time.Duration `json:"resolution_used"`

	// The customer wait: since when, when to remind, when to give up.
	WaitingSince *time.Time `json:"waiting_since"`
	RemindAt     *time.Time `json:"remind_at"`
	Reminded     bool       `json:"reminded"`
	NoResponseAt *time.Time `json:"no_response_at"`
}

// Breached reports whether a clock of the case breached.
func (s SLA) Breached() bool { return s.FirstResponseBreached || s.ResolutionBreached }

// Event is one entry of a case's append-only timeline.
type Event struct {
	Seq   int64          `json:"seq"`
	Type  string         `json:"type"`
	Actor string         `json:"actor"`
	At    time.Time      `json:"at"`
	Data  map[string]any `json:"data"`
}

// Timeline event types.
const (
	EventOpened            = "case_opened"
	EventAssigned          = "assigned"
	EventReplied           = "replied"
	EventNoteAdded         = "note_added"
	EventInfoRequested     = "info_requested"
	EventCustomerReplied   = "customer_replied"
	EventResolved          = "resolved"
	EventReopened          = "reopened"
	EventClosed            = "closed"
	EventPriorityChanged   = "priority_changed"
	EventSLAWarning        = "sla_warning"
	EventSLABreached       = "sla_breached"
	EventSLAPaused         = "sla_paused"
	EventSLAResumed        = "sla_resumed"
	EventReminder          = "customer_reminder"
	EventEvidenceAdded     = "evidence_added"
	EventResponded         = "chargeback_responded"
	EventLossAccepted      = "chargeback_loss_accepted"
	EventNetworkOutcome    = "network_outcome"
	EventDeadlineWarning   = "chargeback_deadline_warning"
	EventDeadlineEscalated = "chargeback_escalated"
	EventChargebackExpired = "chargeback_expired"
	EventApprovalRequested = "approval_requested"
	EventApprovalDecided   = "approval_decision"
	EventApprovalApproved  = "approval_approved"
	EventApprovalRejected  = "approval_rejected"
	EventApprovalExpired   = "approval_expired"
	EventApprovalReminder  = "approval_reminder"
	EventApprovalWithdrawn = "approval_withdrawn"
	EventMoneyProposed     = "money_proposed"
	EventRefundIssued      = "refund_issued"
	EventCreditApplied     = "credit_applied"
	EventMoneyFailed       = "money_failed"
	EventMoneyReleased     = "money_released"
	EventMoneyRefused      = "money_refused"

	// Inbound mail (inboundmail.go).
	EventAutoReplyReceived   = "auto_reply_received"
	EventBounceReceived      = "bounce_received"
	EventUnverifiedReply     = "unverified_reply"
	EventUnverifiedAccepted  = "unverified_reply_accepted"
	EventUnverifiedDiscarded = "unverified_reply_discarded"
)

// NeedsSupervisor reports whether the case belongs in the supervisors'
// escalation queue: a breached clock, or a chargeback close to its deadline.
func (c Case) NeedsSupervisor() bool {
	if c.Status == StatusResolved || c.Status == StatusClosed {
		return false
	}
	return c.SLA.Breached() || (c.Chargeback != nil && c.Chargeback.Escalated)
}

// Role is what a user may do.
type Role string

const (
	RoleAgent      Role = "agent"
	RoleSupervisor Role = "supervisor"
	RoleAdmin      Role = "admin"
	// RoleIntegration is the billing system feeding casedesk customers,
	// payments and invoices; it does not work cases.
	RoleIntegration Role = "integration"
	// RoleSystem acts for timers inside the workflow.
	RoleSystem Role = "system"
	// RoleCustomer acts when a customer replies by email or signed link.
	RoleCustomer Role = "customer"
)

// CustomerActor is the actor of a customer's own replies.
var CustomerActor = Actor{ID: "customer", Role: RoleCustomer}

// Roles lists the roles a user can be given.
var Roles = []Role{RoleAgent, RoleSupervisor, RoleAdmin, RoleIntegration}

// Who may do what, by role, in one place: the API's route groups, the case
// rules and the store's recipient lists all read these.
var (
	// StaffRoles work cases.
	StaffRoles = []Role{RoleAgent, RoleSupervisor, RoleAdmin}
	// ApproverRoles decide approvals and see the approval queue.
	ApproverRoles = []Role{RoleSupervisor, RoleAdmin}
	// AssignableRoles may be given cases.
	AssignableRoles = []Role{RoleAgent, RoleSupervisor}
	// SupervisorRoles get the email meant for the supervisors.
	SupervisorRoles = []Role{RoleSupervisor}
	// AdminRoles manage users.
	AdminRoles = []Role{RoleAdmin}
	// BillingFeedRoles record payments and invoices: the billing system's
	// integration users, and admins to correct a record by hand.
	BillingFeedRoles = []Role{RoleIntegration, RoleAdmin}
	// CustomerRecordRoles create customers and read customers, payments and
	// invoices: staff, and the billing system that feeds them.
	CustomerRecordRoles = []Role{RoleAgent, RoleSupervisor, RoleAdmin, RoleIntegration}
)

// IsStaff reports whether r may work cases.
func (r Role) IsStaff() bool { return slices.Contains(StaffRoles, r) }

// CanApprove reports whether users of role r decide approvals.
func (r Role) CanApprove() bool { return slices.Contains(ApproverRoles, r) }

// CanRecordBilling reports whether users of role r record payments and invoices.
func (r Role) CanRecordBilling() bool { return slices.Contains(BillingFeedRoles, r) }

// CanAssignCases reports whether users of role r may be assigned cases.
func (r Role) CanAssignCases() bool { return slices.Contains(AssignableRoles, r) }

// CheckAssignee refuses u as the assignee of a case unless their role may
// be given cases.
func CheckAssignee(u User) error {
	if !u.Role.CanAssignCases() {
		return Invalid("assignee_id", "user %s is an %s; cases go to %s", u.ID, u.Role, joinStrings(AssignableRoles))
	}
	return nil
}

// Actor is who performs an action.
type Actor struct {
	ID   string `json:"id"`
	Role Role   `json:"role"`
}

// SystemActor is the actor of timer-driven changes.
var SystemActor = Actor{ID: "system", Role: RoleSystem}
