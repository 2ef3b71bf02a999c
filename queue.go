package casedesk

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
