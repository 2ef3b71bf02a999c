package casedesk

import "time"

// Queue is one of the console's standing lists of cases: a named case
// filter, as the query parameters of GET /v1/cases.
type Queue struct {
	Name   string            `json:"name"`
	Label  string            `json:"label"`
	Params map[string]string `json:"params"`
	Filter CaseFilter        `json:"-"`
}

// Queues returns the queues of user id, in the order the console shows them.
func Queues(userID string) []Queue {
	yes := true
	return []Queue{
		{Name: "mine", Label: "My cases", Params: map[string]string{"assignee_id": userID},
			Filter: CaseFilter{AssigneeID: userID}},
		{Name: "unassigned", Label: "Unassigned", Params: map[string]string{"status": string(StatusNew)},
			Filter: CaseFilter{Status: StatusNew}},
		{Name: "waiting", Label: "Waiting on customer", Params: map[string]string{"status": string(StatusWaitingOnCustomer)},
			Filter: CaseFilter{Status: StatusWaitingOnCustomer}},
		{Name: "pending_approval", Label: "Pending approval", Params: map[string]string{"status": string(StatusPendingApproval)},
			Filter: CaseFilter{Status: StatusPendingApproval}},
		{Name: "needs_supervisor", Label: "Needs a supervisor", Params: map[string]string{"needs_supervisor": "true"},
			Filter: CaseFilter{NeedsSupervisor: &yes}},
		{Name: "all", Label: "All", Params: map[string]string{}},
	}
}

// NextBreach is the soonest deadline of the case that is still running, for
// sorting queues by what breaches next: the first response while none was
// sent, the resolution target unless its clock is paused, and a chargeback's
// due_by while the network waits for our response. A breached clock keeps
// its (past) due time, so the most overdue sorts first. Resolved and closed
// cases have none (nil). The projection stores it (cases.next_breach) for
// the queues sorted by it.
func (c Case) NextBreach() *time.Time {
	if c.Status == StatusResolved || c.Status == StatusClosed {
		return nil
	}
	var next *time.Time
	sooner := func(t *time.Time) {
		if t != nil && (next == nil || t.Before(*next)) {
			next = t
		}
	}
	if c.SLA.FirstResponseAt == nil {
		sooner(c.SLA.FirstResponseDue)
	}
	if !c.SLA.Paused {
		sooner(c.SLA.ResolutionDue)
	}
	if c.Chargeback != nil && c.Chargeback.awaitingResponse() {
		due := c.Chargeback.DueBy
		sooner(&due)
	}
	return next
}
