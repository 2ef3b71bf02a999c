package worker

import (
	"strings"
	"testing"
	"time"
)

func TestOptionsFromEnv(t *testing.T) {
	env := func(kv map[string]string) func(string) string { return func(k string) string { return kv[k] } }

	o, err := OptionsFromEnv(env(nil))
	if err != nil || o != DefaultOptions() {
		t.Fatalf("no variables: %+v, %v; want the defaults %+v", o, err, DefaultOptions())
	}
	sdk := o.SDK()
	if sdk.WorkflowTaskPollerBehavior == nil || sdk.ActivityTaskPollerBehavior == nil || sdk.MaxConcurrentWorkflowTaskPollers != 0 {
		t.Errorf("the defaults should autoscale pollers: %+v", sdk)
	}
	if sdk.MaxConcurrentWorkflowTaskExecutionSize != DefaultWorkflowTaskSlots || sdk.StickyScheduleToStartTimeout != DefaultStickyTimeout {
		t.Errorf("slots or sticky timeout not passed on: %+v", sdk)
	}

	o, err = OptionsFromEnv(env(map[string]string{
		"CASEDESK_WORKER_STICKY_CACHE": "500", "CASEDESK_WORKER_WORKFLOW_SLOTS": "64", "CASEDESK_WORKER_ACTIVITY_SLOTS": "32",
		"CASEDESK_WORKER_WORKFLOW_POLLERS": "4", "CASEDESK_WORKER_ACTIVITY_POLLERS": "3",
		"CASEDESK_WORKER_STICKY_TIMEOUT": "30s", "CASEDESK_WORKER_POLLERS": "fixed",
	}))
	want := Options{StickyCacheSize: 500, WorkflowTaskSlots: 64, ActivitySlots: 32, WorkflowPollers: 4, ActivityPollers: 3,
		StickyScheduleToStartTimeout: 30 * time.Second, FixedPollers: true}
	if err != nil || o != want {
		t.Fatalf("got %+v, %v; want %+v", o, err, want)
	}
	sdk = o.SDK()
	if sdk.WorkflowTaskPollerBehavior != nil || sdk.MaxConcurrentWorkflowTaskPollers != 4 || sdk.MaxConcurrentActivityTaskPollers != 3 {
		t.Errorf("fixed pollers not passed on: %+v", sdk)
	}

	_, err = OptionsFromEnv(env(map[string]string{
		"CASEDESK_WORKER_STICKY_CACHE": "-1", "CASEDESK_WORKER_WORKFLOW_SLOTS": "1", "CASEDESK_WORKER_WORKFLOW_POLLERS": "many",
		"CASEDESK_WORKER_STICKY_TIMEOUT": "500ms", "CASEDESK_WORKER_POLLERS": "some",
	}))
	if err == nil {
		t.Fatal("bad values accepted")
	}
	for _, name := range []string{"CASEDESK_WORKER_STICKY_CACHE", "CASEDESK_WORKER_WORKFLOW_SLOTS", "CASEDESK_WORKER_WORKFLOW_POLLERS",
		"CASEDESK_WORKER_STICKY_TIMEOUT", "CASEDESK_WORKER_POLLERS"} {
		if !strings.Contains(err.Error(), name) {
			t.Errorf("the error does not name %s: %v", name, err)
		}
	}
}
