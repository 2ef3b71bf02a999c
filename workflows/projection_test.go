package workflows_test

import (
	"context"
	"slices"
	"testing"
	"time"

	"go.temporal.io/sdk/activity"
	"go.temporal.io/sdk/converter"
	"go.temporal.io/sdk/workflow"

	"github.com/casedesk/casedesk"
)

// commands counts what a case workflow asked Temporal for: each of these
// is history.
type commands struct{ timers, local, activities int }

func (h *harness) countCommands() *commands {
	n := &commands{}
	h.env.SetOnTimerScheduledListener(func(_ string, d time.Duration) {
		// The test environment runs the local activity's own backoffs
		// (50 and 100 ms) as timers; a worker runs them in memory.
		if d >= time.Second {
			n.timers++
		}
	})
	h.env.SetOnLocalActivityStartedListener(func(info *activity.Info, _ context.Context, _ []any) {
		if info.Attempt == 1 {
			n.local++
		}
	})
	h.env.SetOnActivityStartedListener(func(info *activity.Info, _ context.Context, _ converter.EncodedValues) {
		if info.Attempt == 1 && info.ActivityType.Name == "ProjectCase" {
			n.activities++
		}
	})
	return n
}

// walk runs an inquiry from opening to closed whose first projection meets
// failures failed writes, as first released when old.
func walk(t *testing.T, failures int, old bool) (*harness, *commands) {
	t.Helper()
	h := newHarness(t)
	if old {
		h.env.OnGetVersion("projection-activity", workflow.DefaultVersion, 1).Return(workflow.DefaultVersion)
	}
	n := h.countCommands()
	h.rec.failNext = failures
	h.do(time.Hour, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.do(time.Minute, agent, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	h.do(time.Minute, agent, casedesk.Close{})
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, s := range h.steps {
		if s.err != nil || s.rejected != nil {
			t.Fatalf("%s: %v %v", s.name, s.err, s.rejected)
		}
	}
	if got := eventTypes(h.rec.timeline()); !slices.Equal(got, []string{"case_opened", "assigned", "resolved", "closed"}) {
		t.Fatalf("timeline %v", got)
	}
	return h, n
}

// A projection meeting a four-minute outage (the local activity's three
// attempts, then eight attempts of the activity, backing off from a second
// to a minute) costs one activity more than a walk without failures, and
// no timer or local activity per retry; as first released, every retry was
// a timer and a local activity. (The test environment stops retrying an
// activity after ten attempts; the server never does.)
func TestProjectionRetriesCostNoHistoryPerAttempt(t *testing.T) {
	const failures = 3 + 8
	_, quiet := walk(t, 0, false)
	h, outage := walk(t, failures, false)
	if h.rec.calls < failures {
		t.Fatalf("%d projection calls, want the %d failures retried", h.rec.calls, failures)
	}
	if *outage != (commands{timers: quiet.timers, local: quiet.local, activities: quiet.activities + 1}) {
		t.Errorf("with the outage %+v, without %+v: want one activity more and nothing else", *outage, *quiet)
	}

	_, oldQuiet := walk(t, 0, true)
	_, oldOutage := walk(t, failures, true)
	if retries := oldOutage.timers - oldQuiet.timers; retries < failures/3-1 {
		t.Errorf("as first released: %d timers more with the outage, want one per retry", retries)
	}
	t.Logf("commands of a walk: without failures %+v; %d failures: now %+v, as first released %+v",
		*quiet, failures, *outage, *oldOutage)
}

// Updates that arrive while a projection is stuck wait for it and are
// projected together, by one more projection of the latest state, instead
// of each sending its own copy of the backlog.
func TestUpdatesDuringAnOutageShareOneProjection(t *testing.T) {
	h := newHarness(t)
	n := h.countCommands()
	h.do(time.Minute, agent, casedesk.Assign{AssigneeID: agent.ID})
	h.env.RegisterDelayedCallback(func() {
		h.rec.mu.Lock()
		h.rec.failNext = 3 + 6
		h.rec.mu.Unlock()
	}, h.at+time.Second)
	h.do(2*time.Second, agent, casedesk.AddNote{Body: "first"})
	for i := range 4 {
		h.do(time.Second, agent, casedesk.AddNote{Body: "note " + string(rune('a'+i))})
	}
	h.end(time.Hour)
	if _, err := h.run(rules(time.Hour)); err != nil {
		t.Fatal(err)
	}
	for _, s := range h.steps {
		if s.err != nil || !s.done {
			t.Fatalf("%s: done %v, %v", s.name, s.done, s.err)
		}
	}
	if got := len(h.rec.timeline()); got != 7 {
		t.Fatalf("%d events projected, want 7", got)
	}
	// The first note's projection fails over to the activity; the four
	// notes that arrive meanwhile are projected by one more local activity.
	if n.activities != 1 || n.local > 4 {
		t.Errorf("%+v: want one activity and a local activity for the open, the assign, the first note and the rest", *n)
	}
}
