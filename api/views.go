package api

import (
	"time"

	"github.com/casedesk/casedesk"
)

// caseView is a case on the wire: absent values are null, not "".
type caseView struct {
	ID                     string       `json:"id"`
	Type                   string       `json:"type"`
	Status                 string       `json:"status"`
	Priority               string       `json:"priority"`
	Channel                string       `json:"channel"`
	CustomerID             string       `json:"customer_id"`
	AssigneeID             *string      `json:"assignee_id"`
	Subject                string       `json:"subject"`
	Description            string       `json:"description"`
	Category               *string      `json:"category"`
	IdentityVerified       bool         `json:"identity_verified"`
	Outcome                *string      `json:"outcome"`
	ResolutionSummary      *string      `json:"resolution_summary"`
	FirstContactResolution bool         `json:"first_contact_resolution"`
	SLA                    casedesk.SLA `json:"sla"`
	OpenedBy               string       `json:"opened_by"`
	OpenedAt               time.Time    `json:"opened_at"`
	UpdatedAt              time.Time    `json:"updated_at"`
	ResolvedAt             *time.Time   `json:"resolved_at"`
	ClosedAt               *time.Time   `json:"closed_at"`
	ReopenUntil            *time.Time   `json:"reopen_until"`
	Version                int64        `json:"version"`
}

func nullable(s string) *string {
	if s == "" {
		return nil
	}
	return &s
}

func viewCase(c casedesk.Case) caseView {
	return caseView{
		ID: c.ID, Type: string(c.Type), Status: string(c.Status), Priority: string(c.Priority),
		Channel: string(c.Channel), CustomerID: c.CustomerID, AssigneeID: nullable(c.AssigneeID),
		Subject: c.Subject, Description: c.Description, Category: nullable(c.Category),
		IdentityVerified: c.IdentityVerified, Outcome: nullable(c.Outcome),
		ResolutionSummary: nullable(c.ResolutionSummary), FirstContactResolution: c.FirstContactResolution,
		SLA: c.SLA, OpenedBy: c.OpenedBy, OpenedAt: c.OpenedAt, UpdatedAt: c.UpdatedAt,
		ResolvedAt: c.ResolvedAt, ClosedAt: c.ClosedAt, ReopenUntil: c.ReopenUntil, Version: c.Version,
	}
}
