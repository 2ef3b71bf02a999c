// Package worker runs casedesk's Temporal worker: the case workflows and
// their activities on the case task queue.
package worker

import (
	"go.temporal.io/sdk/client"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/workflows"
)

// New returns a worker for taskQueue (workflows.TaskQueue in production)
// with every workflow and activity registered, sized by DefaultOptions.
func New(c client.Client, taskQueue string, acts *activities.Activities) sdkworker.Worker {
	return NewWithOptions(c, taskQueue, acts, DefaultOptions())
}

// NewWithOptions is New sized by o.
func NewWithOptions(c client.Client, taskQueue string, acts *activities.Activities, o Options) sdkworker.Worker {
	w := sdkworker.New(c, taskQueue, o.SDK())
	Register(w, acts)
	return w
}

// Register registers the workflows and activities on r; tests use it with
// the SDK's test environment.
func Register(r interface {
	RegisterWorkflowWithOptions(any, workflow.RegisterOptions)
	RegisterActivity(any)
}, acts *activities.Activities) {
	r.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: "CaseWorkflow"})
	r.RegisterActivity(acts)
}
