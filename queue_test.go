package casedesk_test

import (
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestNextBreach(t *testing.T) {
	base := time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	at := func(d time.Duration) *time.Time { x := base.Add(d); return &x }
	tests := []struct {
		name string
		c    casedesk.Case
		want *time.Time
	}{
		{"the sooner of two running clocks", casedesk.Case{Status: casedesk.StatusOpen,
			SLA: casedesk.SLA{FirstResponseDue: at(2 * time.Hour), ResolutionDue: at(time.Hour)}}, at(time.Hour)},
		{"a sent first response no longer counts", casedesk.Case{Status: casedesk.StatusOpen,
			SLA: casedesk.SLA{FirstResponseDue: at(time.Hour), FirstResponseAt: at(0), ResolutionDue: at(3 * time.Hour)}}, at(3 * time.Hour)},
		{"a paused resolution clock does not run", casedesk.Case{Status: casedesk.StatusWaitingOnCustomer,
			SLA: casedesk.SLA{FirstResponseAt: at(0), ResolutionDue: at(time.Hour), Paused: true}}, nil},
		{"a breached clock keeps its due time", casedesk.Case{Status: casedesk.StatusOpen,
			SLA: casedesk.SLA{FirstResponseDue: at(-time.Hour), FirstResponseBreached: true}}, at(-time.Hour)},
		{"a chargeback awaiting our response", casedesk.Case{Status: casedesk.StatusOpen, SLA: casedesk.SLA{ResolutionDue: at(5 * time.Hour)},
			Chargeback: &casedesk.Chargeback{Stage: casedesk.StagePreArbitration, DueBy: *at(time.Hour)}}, at(time.Hour)},
		{"a chargeback under review", casedesk.Case{Status: casedesk.StatusOpen, SLA: casedesk.SLA{ResolutionDue: at(5 * time.Hour)},
			Chargeback: &casedesk.Chargeback{Stage: casedesk.StageUnderReview, DueBy: *at(time.Hour)}}, at(5 * time.Hour)},
		{"resolved", casedesk.Case{Status: casedesk.StatusResolved, SLA: casedesk.SLA{ResolutionDue: at(time.Hour)}}, nil},
		{"closed", casedesk.Case{Status: casedesk.StatusClosed, SLA: casedesk.SLA{FirstResponseDue: at(time.Hour)}}, nil},
	}
	for _, tt := range tests {
		got := tt.c.NextBreach()
		if (got == nil) != (tt.want == nil) || (got != nil && !got.Equal(*tt.want)) {
			t.Errorf("%s: NextBreach = %v, want %v", tt.name, got, tt.want)
		}
	}
}

func TestParseCaseFilterSort(t *testing.T) {
	for sort, want := range map[string]string{"": casedesk.SortNewest, "newest": casedesk.SortNewest, "next_breach": casedesk.SortNextBreach} {
		f, err := casedesk.ParseCaseFilter(func(k string) string { return map[string]string{"sort": sort}[k] })
		if err != nil || f.Sort != want {
			t.Errorf("sort=%q: %q, %v; want %q", sort, f.Sort, err, want)
		}
	}
	_, err := casedesk.ParseCaseFilter(func(k string) string { return map[string]string{"sort": "oldest"}[k] })
	var e *casedesk.Error
	if !asError(err, &e) || e.Code != casedesk.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "sort" {
		t.Fatalf("sort=oldest: %v; want 422 naming sort", err)
	}
}
