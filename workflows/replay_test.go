package workflows_test

import (
	"io"
	"log/slog"
	"testing"

	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the dev server,
// so a change to shipped workflow code that would break running cases fails
// here. Record a new one with the end-to-end test and CASEDESK_RECORD_HISTORY.
func TestReplayRecordedHistories(t *testing.T) {
	for _, file := range []string{"testdata/inquiry_history.json"} {
		t.Run(file, func(t *testing.T) {
			r := sdkworker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: "CaseWorkflow"})
			logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err := r.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
