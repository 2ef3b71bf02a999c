package casedesk

import "time"

// Who a notice goes to.
const (
	AudienceCustomer    = "customer"
	AudienceAssignee    = "assignee"
	AudienceSupervisors = "supervisors"
)

// Email kinds (the templates of package mail have the same names).
const (
	MailCaseOpened        = "case_opened"
	MailAgentReply        = "agent_reply"
	MailInfoRequested     = "info_requested"
	MailReminder          = "reminder"
	MailRefundIssued      = "refund_issued"
	MailCreditApplied     = "credit_applied"
	MailDisputeOutcome    = "dispute_outcome"
	MailCaseResolved      = "case_resolved"
	MailApprovalRequested = "approval_requested"
	MailSLAWarning        = "sla_warning"
	MailSLABreach         = "sla_breach"
	MailApprovalExpiring  = "approval_expiring"
)

// Notice is an email a timeline event calls for.
type Notice struct {
	Kind     string
	Audience string
}

// customerMail is the email to the customer that each event calls for.
var customerMail = map[string]string{
	EventOpened:        MailCaseOpened,
	EventReplied:       MailAgentReply,
	EventInfoRequested: MailInfoRequested,
	EventReminder:      MailReminder,
	EventRefundIssued:  MailRefundIssued,
	EventCreditApplied: MailCreditApplied,
}

// Notices returns the emails event e of case c calls for, at most once per
// (event, kind, audience): the outbox deduplicates on that.
func Notices(c Case, e Event) []Notice {
	customer := func(kind string) []Notice { return []Notice{{kind, AudienceCustomer}} }
	if c.Type == TypeChargeback {
		// The cardholder argues with their bank, not with us: staff only.
		switch e.Type {
		case EventApprovalRequested, EventSLAWarning, EventSLABreached, EventApprovalReminder:
		default:
			return nil
		}
	}
	if kind, ok := customerMail[e.Type]; ok {
		return customer(kind)
	}
	switch e.Type {
	case EventResolved:
		if c.Type == TypeDispute && (e.Data["outcome"] == OutcomeUpheld || e.Data["outcome"] == OutcomeRejected) {
			return customer(MailDisputeOutcome)
		}
		return customer(MailCaseResolved)
	case EventApprovalRequested:
		return []Notice{{MailApprovalRequested, AudienceSupervisors}}
	case EventSLAWarning:
		if c.AssigneeID == "" {
			return []Notice{{MailSLAWarning, AudienceSupervisors}}
		}
		return []Notice{{MailSLAWarning, AudienceAssignee}}
	case EventSLABreached:
		n := []Notice{{MailSLABreach, AudienceSupervisors}}
		if c.AssigneeID != "" {
			n = append(n, Notice{MailSLABreach, AudienceAssignee})
		}
		return n
	case EventApprovalReminder:
		return []Notice{{MailApprovalExpiring, AudienceSupervisors}}
	}
	return nil
}

// Message is one email in the outbox.
type Message struct {
	ID             string     `json:"id"`
	CaseID         string     `json:"case_id"`
	EventSeq       int64      `json:"event_seq"`
	Kind           string     `json:"kind"`
	Audience       string     `json:"audience"` // customer or staff
	Recipient      string     `json:"recipient"`
	RecipientName  string     `json:"recipient_name"`
	DedupeKey      string     `json:"dedupe_key"`
	Subject        string     `json:"subject"`
	Text           string     `json:"text"`
	HTML           string     `json:"html"`
	Status         string     `json:"status"`
	SendGridID     string     `json:"sendgrid_message_id"`
	DeliveryStatus string     `json:"delivery_status"`
	Attempts       int        `json:"attempts"`
	LastError      string     `json:"last_error"`
	CreatedAt      time.Time  `json:"created_at"`
	SentAt         *time.Time `json:"sent_at"`
	// NextAttemptAt is when a pending message is due to be sent (again).
	NextAttemptAt time.Time `json:"next_attempt_at"`
	// BatchKey groups the messages sent in one request, one personalization
	// each (the recipients of one staff alert); "" for a message sent alone.
	BatchKey string `json:"-"`
	ReplyTo  string `json:"-"` // the reply-to address, if any
	UserID   string `json:"-"` // the staff recipient, if any
}

// OutboxLane is the state of one lane of the outbox (customer or staff):
// how many messages are in each status and how old the oldest message
// waiting to be sent (pending or sending) is.
type OutboxLane struct {
	Lane             string         `json:"lane"`
	Statuses         map[string]int `json:"statuses"`
	OldestPendingAt  *time.Time     `json:"oldest_pending_at"`
	OldestPendingAge float64        `json:"oldest_pending_age_seconds"`
}

// Message statuses.
const (
	MessageCaptured = "captured" // no SendGrid key: kept to be read, not sent
	MessageHeld     = "held"     // a staff alert waiting for its recipient's digest
	MessageDigested = "digested" // a held alert listed in a digest that was queued
	MessagePending  = "pending"
	MessageSending  = "sending"
	MessageSent     = "sent"
	MessageFailed   = "failed"
)

// Recipient is someone an email goes to. UserID and Modes are set for
// staff: how they chose to take each kind of alert.
type Recipient struct {
	Email  string
	Name   string
	UserID string
	Modes  map[string]string
}
