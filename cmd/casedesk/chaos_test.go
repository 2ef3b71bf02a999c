package main

import (
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/shopspring/decimal"

	"github.com/casedesk/casedesk"
)

func TestChaosFaultScheduleInterleavesTheKinds(t *testing.T) {
	got, err := parseFaults("worker=3,api=2,temporal=1")
	if err != nil {
		t.Fatal(err)
	}
	want := []faultKind{faultWorker, faultAPI, faultTemporal, faultWorker, faultAPI, faultWorker}
	if !slices.Equal(got, want) {
		t.Errorf("schedule %v, want %v", got, want)
	}
	if got, err := parseFaults("none"); err != nil || len(got) != 0 {
		t.Errorf("none: %v, %v", got, err)
	}
	for _, bad := range []string{"worker", "worker=x", "worker=-1", "disk=1"} {
		if _, err := parseFaults(bad); err == nil {
			t.Errorf("%q was accepted", bad)
		}
	}
}

func TestChaosReadsTheClusterFile(t *testing.T) {
	env, err := parseClusterEnv(strings.NewReader("# comment\n\nCLUSTER_DIR=/tmp/c\nCLUSTER_API_URLS=http://a,http://b\n"))
	if err != nil {
		t.Fatal(err)
	}
	if env["CLUSTER_DIR"] != "/tmp/c" || env["CLUSTER_API_URLS"] != "http://a,http://b" || len(env) != 2 {
		t.Errorf("read %v", env)
	}
	if _, err := parseClusterEnv(strings.NewReader("no equals sign\n")); err == nil {
		t.Error("a line without = was accepted")
	}
}

func TestChaosRetriesOnlyWhatIsNotSettled(t *testing.T) {
	for status, want := range map[int]bool{0: false, 200: true, 201: true, 404: true, 409: true, 422: true, 429: false, 500: false, 503: false} {
		if got := definite(apiResult{status: status}); got != want {
			t.Errorf("status %d definite %v, want %v", status, got, want)
		}
	}
	if definite(apiResult{status: 409, raw: []byte(`{"detail":"a request with Idempotency-Key \"k\" is still being processed; retry shortly"}`)}) {
		t.Error("a request still in progress counts as settled")
	}
}

func TestChaosPercentiles(t *testing.T) {
	var d []time.Duration
	for i := 1; i <= 100; i++ {
		d = append(d, time.Duration(i)*time.Millisecond)
	}
	if p := chaosPercentile(d, 0.5); p != 50*time.Millisecond {
		t.Errorf("p50 %s", p)
	}
	if p := chaosPercentile(d, 0.99); p != 99*time.Millisecond {
		t.Errorf("p99 %s", p)
	}
	if p := chaosPercentile(d[:1], 0.99); p != time.Millisecond {
		t.Errorf("p99 of one %s", p)
	}
}

func TestChaosSeesDriftBetweenReadModelAndWorkflow(t *testing.T) {
	wf := casedesk.Case{Version: 7, Status: casedesk.StatusOpen,
		Movements: []casedesk.Movement{{ID: "M1", Status: casedesk.MovementPosted, EntryID: "L-M1",
			Amount: casedesk.Money{Amount: decimal.RequireFromString("40.00"), Currency: "USD"}}}}
	if d := caseDrift(wf, wf); d != "" {
		t.Errorf("a case differs from itself: %s", d)
	}
	row := wf
	row.Movements = []casedesk.Movement{wf.Movements[0]}
	row.Movements[0].Status = casedesk.MovementApproved
	if d := caseDrift(row, wf); !strings.Contains(d, "movement M1") {
		t.Errorf("a movement's status drift: %q", d)
	}
	row = wf
	row.Version = 6
	if d := caseDrift(row, wf); !strings.Contains(d, "version 6") {
		t.Errorf("a version drift: %q", d)
	}
}
