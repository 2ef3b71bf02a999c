// Package workflows holds the case workflow: one durable workflow per case
// that owns its state, decides every action through the case rules and
// projects each change to the read model before the action returns.
package workflows

import (
	"go.temporal.io/sdk/temporal"
)

// TaskQueue is the task queue of case workflows and their activities.
const TaskQueue = "casedesk-cases"

// WorkflowID returns the workflow ID of case id.
func WorkflowID(caseID string) string { return "case-" + caseID }

// Update and query names beyond the case commands (whose names come from
// casedesk.Command.Name).
const (
	// UpdateOpen completes once the new case is projected and readable.
	UpdateOpen = "open"
	// UpdateIDOpen is the fixed update ID of the open update, so a retried
	// open is deduplicated by Temporal.
	UpdateIDOpen = "open"
	// QueryCase returns the live case.
	QueryCase = "case"
)

// Search attributes kept current on every case workflow. They must be
// registered on the Temporal namespace as Keyword attributes.
var (
	AttrType     = temporal.NewSearchAttributeKeyKeyword("CaseType")
	AttrStatus   = temporal.NewSearchAttributeKeyKeyword("CaseStatus")
	AttrPriority = temporal.NewSearchAttributeKeyKeyword("CasePriority")
	AttrCustomer = temporal.NewSearchAttributeKeyKeyword("CustomerId")
	AttrAssignee = temporal.NewSearchAttributeKeyKeyword("AssigneeId")
)

// SearchAttributeNames lists the custom search attributes to register.
var SearchAttributeNames = []string{"CaseType", "CaseStatus", "CasePriority", "CustomerId", "AssigneeId"}
