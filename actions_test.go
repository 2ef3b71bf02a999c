package casedesk

import (
	"slices"
	"testing"
	"time"
)

func TestAvailableActions(t *testing.T) {
	now := time.Date(2026, 6, 1, 10, 0, 0, 0, time.UTC)
	agent := Actor{ID: "U-AGENT001", Role: RoleAgent}
	base := Case{ID: "C-TEST01", Type: TypeInquiry, Priority: PriorityNormal, CustomerID: "CU-1", OpenedAt: now, Version: 1}
	tests := []struct {
		name    string
		edit    func(*Case)
		want    []string
		notWant []string
	}{
		{"a new inquiry is assigned, not replied to", func(c *Case) { c.Status = StatusNew },
			[]string{"assign", "notes", "escalate", "priority"}, []string{"reply", "resolve", "reopen", "close", "respond"}},
		{"an open inquiry takes replies and resolution", func(c *Case) { c.Status = StatusOpen; c.AssigneeID = agent.ID },
			[]string{"reply", "notes", "request-info", "resolve", "assign", "escalate", "refunds"}, []string{"reopen", "close", "evidence"}},
		{"a resolved inquiry is reopened or closed", func(c *Case) { c.Status = StatusResolved; r := now.Add(time.Hour); c.ReopenUntil = &r },
			[]string{"reopen", "close", "notes"}, []string{"reply", "resolve", "assign"}},
		{"a closed case takes nothing", func(c *Case) { c.Status = StatusClosed }, nil,
			[]string{"notes", "assign", "reopen", "close"}},
	}
	for _, tt := range tests {
		t.Run(tt.name, func(t *testing.T) {
			c := base
			tt.edit(&c)
			got := AvailableActions(c, agent)
			for _, w := range tt.want {
				if !slices.Contains(got, w) {
					t.Errorf("%s missing from %v", w, got)
				}
			}
			for _, w := range tt.notWant {
				if slices.Contains(got, w) {
					t.Errorf("%s offered in %v", w, got)
				}
			}
		})
	}
}
