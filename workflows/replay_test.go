package workflows_test

import (
	"io"
	"io/fs"
	"log/slog"
	"path/filepath"
	"strings"
	"testing"

	tlog "go.temporal.io/sdk/log"
	sdkworker "go.temporal.io/sdk/worker"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk/workflows"
)

// TestReplayRecordedHistories replays every workflow history under testdata/
// (each *.json file, in any folder) against today's CaseWorkflow, so a change
// to workflow code that would break cases already running fails here. Those
// under testdata/chaos/ were exported by the chaos run (casedesk chaos
// --export, see docs/deploy.md); like the frozen ones, they are not edited.
//
// The histories in testdata/released/<commit>/ were recorded from the
// released code of that commit and are frozen: they are never re-recorded
// or edited, because each one stands for cases that may still be running
// with that code's history. A change that makes one of them fail must go
// behind workflow.GetVersion (see docs/architecture.md, "Versioning workflow
// code"); re-recording the history instead would only hide the break.
//
// To freeze the behaviour of a new release, record its histories from a
// checkout of the released commit with no local changes, into a new folder
// named after that commit, never over an existing folder:
//
//	c=$(git rev-parse --short HEAD)
//	mkdir workflows/testdata/released/$c   # fails if $c was recorded already
//	CASEDESK_RECORD_HISTORY=$PWD/workflows/testdata/released/$c make test ARGS=./e2e/
//
// Every end-to-end test that calls recordIfAsked (e2e/history_test.go)
// writes the history of its case there; commit the folder as it is.
func TestReplayRecordedHistories(t *testing.T) {
	var files []string
	released, chaos := 0, 0
	err := filepath.WalkDir("testdata", func(path string, d fs.DirEntry, err error) error {
		if err != nil {
			return err
		}
		if d.IsDir() || !strings.HasSuffix(d.Name(), ".json") {
			return nil
		}
		files = append(files, path)
		if strings.HasPrefix(filepath.ToSlash(path), "testdata/released/") {
			released++
		}
		if strings.HasPrefix(filepath.ToSlash(path), "testdata/chaos/") {
			chaos++
		}
		return nil
	})
	if err != nil {
		t.Fatalf("reading testdata: %v", err)
	}
	if len(files) == 0 {
		t.Fatal("no recorded histories under testdata")
	}
	if released == 0 {
		t.Fatal("no frozen histories under testdata/released/<commit>/")
	}
	// Histories of the chaos run (docs/deploy.md): cases that went through
	// killed workers, a killed Temporal server and PostgreSQL outages.
	if chaos == 0 {
		t.Fatal("no chaos-run histories under testdata/chaos/")
	}
	for _, file := range files {
		name, _ := filepath.Rel("testdata", file)
		t.Run(filepath.ToSlash(name), func(t *testing.T) {
			r := sdkworker.NewWorkflowReplayer()
			r.RegisterWorkflowWithOptions(workflows.CaseWorkflow, workflow.RegisterOptions{Name: "CaseWorkflow"})
			logger := tlog.NewStructuredLogger(slog.New(slog.NewTextHandler(io.Discard, nil)))
			if err := r.ReplayWorkflowHistoryFromJSONFile(logger, file); err != nil {
				t.Fatalf("replay %s: %v", file, err)
			}
		})
	}
}
