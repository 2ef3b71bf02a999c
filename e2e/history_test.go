package e2e_test

import (
	"context"
	"os"
	"path/filepath"
	"testing"

	"go.temporal.io/api/enums/v1"
	historypb "go.temporal.io/api/history/v1"
	"google.golang.org/protobuf/encoding/protojson"

	"github.com/casedesk/casedesk/workflows"
)

// recordIfAsked records the history of case id as NAME.json in the folder
// named by CASEDESK_RECORD_HISTORY, when it is set.
func recordIfAsked(t *testing.T, s *system, id, name string) {
	t.Helper()
	if dir := os.Getenv("CASEDESK_RECORD_HISTORY"); dir != "" {
		recordHistory(t, s, id, filepath.Join(dir, name+".json"))
	}
}

// workflowHistory reads the whole workflow history of case id.
func workflowHistory(t *testing.T, s *system, id string) *historypb.History {
	t.Helper()
	iter := s.temporal.GetWorkflowHistory(context.Background(), workflows.WorkflowID(id), "", false, enums.HISTORY_EVENT_FILTER_TYPE_ALL_EVENT)
	var h historypb.History
	for iter.HasNext() {
		e, err := iter.Next()
		if err != nil {
			t.Fatal(err)
		}
		h.Events = append(h.Events, e)
	}
	return &h
}

// recordHistory writes the workflow history of case id as JSON to path, for
// the replay test of the workflows package.
func recordHistory(t *testing.T, s *system, id, path string) {
	t.Helper()
	h := workflowHistory(t, s, id)
	buf, err := protojson.MarshalOptions{Multiline: true, Indent: "  "}.Marshal(h)
	if err != nil {
		t.Fatal(err)
	}
	if err := os.WriteFile(path, buf, 0o644); err != nil {
		t.Fatal(err)
	}
	t.Logf("recorded %d history events to %s", len(h.Events), path)
}
