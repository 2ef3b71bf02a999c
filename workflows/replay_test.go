package workflows_test

import (
	"io"
	"log/slog"
	"path/filepath"
	"testing"

	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk/workflows"
)

// TestReplayRecordedHistories replays histories recorded from the dev server,
// so a change to shipped workflow code that would break running cases fails
// here. Record them with the end-to-end tests:
//
//	CASEDESK_RECORD_HISTORY=$PWD/workflows/testdata make test ARGS='-run "TestAnInquiryWalks|TestAChargebackWithNoResponse|TestRefundsFollow" ./e2e/'

func TestReplayRecordedHistories(t *testing.T) {
	files, err := filepath.Glob("testdata/*_history.json")
	if err != nil || len(files) == 0 {
		t.Fatalf("no recorded histories in testdata: %v", err)
	}
	for _, file := range files {
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
