package api

import (
	"time"

	"github.com/casedesk/casedesk"
)

// caseView is a case on the wire: absent values are null, not "".
type caseView struct {
	ID                     string                  `json:"id"`
	Type                   string                  `json:"type"`
	Status                 string                  `json:"status"`
	Priority               string                  `json:"priority"`
	Channel                string                  `json:"channel"`
	CustomerID             string                  `json:"customer_id"`
	AssigneeID             *string                 `json:"assignee_id"`
	Subject                string                  `json:"subject"`
	Description            string                  `json:"description"`
	Category               *string                 `json:"category"`
	IdentityVerified       bool                    `json:"identity_verified"`
	Identity               *casedesk.IdentityCheck `json:"identity"`
	Outcome                *string                 `json:"outcome"`
	ResolutionSummary      *string                 `json:"resolution_summary"`
	FirstContactResolution bool                    `json:"first_contact_resolution"`
	SLA                    slaView                 `json:"sla"`
	Dispute                *casedesk.Dispute       `json:"dispute,omitempty"`
	Chargeback             *casedesk.Chargeback    `json:"chargeback,omitempty"`
	NeedsSupervisor        bool                    `json:"needs_supervisor"`
	Approvals              []approvalView          `json:"approvals"`
	Movements              []casedesk.Movement     `json:"movements"`
	OpenedBy               string                  `json:"opened_by"`
	OpenedAt               time.Time               `json:"opened_at"`
	UpdatedAt              time.Time               `json:"updated_at"`
	ResolvedAt             *time.Time              `json:"resolved_at"`
	ClosedAt               *time.Time              `json:"closed_at"`
	ReopenUntil            *time.Time              `json:"reopen_until"`
	Version                int64                   `json:"version"`

	FollowUpOf        *string                    `json:"follow_up_of"`
	UnverifiedReplies []casedesk.UnverifiedReply `json:"unverified_replies"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

// viewAll shows every item with view, as a list that is never null.
func viewAll[T, V any](items []T, view func(T) V) []V {
	out := make([]V, len(items))
	for i, x := range items {
		out[i] = view(x)
	}
	return out
}

func viewCase(c casedesk.Case) caseView {
	approvals := viewAll(c.Approvals, viewApproval)
	movements := c.Movements
	if movements == nil {
		movements = []casedesk.Movement{}
	}
	return caseView{Approvals: approvals, Movements: movements,
		ID: c.ID, Type: string(c.Type), Status: string(c.Status), Priority: string(c.Priority),
		Channel: string(c.Channel), CustomerID: c.CustomerID, AssigneeID: nullable(c.AssigneeID),
		Subject: c.Subject, Description: c.Description, Category: nullable(c.Category),
		IdentityVerified: c.IdentityVerified, Identity: c.Identity, Outcome: nullable(c.Outcome),
		ResolutionSummary: nullable(c.ResolutionSummary), FirstContactResolution: c.FirstContactResolution,
		SLA: viewSLA(c.SLA), Dispute: c.Dispute, Chargeback: c.Chargeback, NeedsSupervisor: c.NeedsSupervisor(),
		OpenedBy: c.OpenedBy, OpenedAt: c.OpenedAt, UpdatedAt: c.UpdatedAt,
		ResolvedAt: c.ResolvedAt, ClosedAt: c.ClosedAt, ReopenUntil: c.ReopenUntil, Version: c.Version,
		FollowUpOf: nullable(c.FollowUpOf), UnverifiedReplies: pendingReplies(c),
	}
}

// slaView is the part of the SLA state a person reads.
type slaView struct {
	Policy                string     `json:"policy"`
	FirstResponseDue      *time.Time `json:"first_response_due"`
	FirstResponseAt       *time.Time `json:"first_response_at"`
	FirstResponseBreached bool       `json:"first_response_breached"`
	ResolutionDue         *time.Time `json:"resolution_due"`
	ResolutionBreached    bool       `json:"resolution_breached"`
	Paused                bool       `json:"paused"`
	WaitingSince          *time.Time `json:"waiting_since"`
	RemindAt              *time.Time `json:"remind_at"`
	NoResponseAt          *time.Time `json:"no_response_at"`
}

func viewSLA(s casedesk.SLA) slaView {
	return slaView{Policy: s.Policy, FirstResponseDue: s.FirstResponseDue, FirstResponseAt: s.FirstResponseAt,
		FirstResponseBreached: s.FirstResponseBreached, ResolutionDue: s.ResolutionDue,
		ResolutionBreached: s.ResolutionBreached, Paused: s.Paused, WaitingSince: s.WaitingSince,
		RemindAt: s.RemindAt, NoResponseAt: s.NoResponseAt}
}
