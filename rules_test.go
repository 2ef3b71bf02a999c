package casedesk_test

import (
	"net/url"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
)

func TestEachCommandIsTakenOnlyInTheStatusesOfTheTable(t *testing.T) {
	tests := []struct {
		cmd casedesk.Command
		in  []casedesk.Status
	}{
		{casedesk.Reply{}, []casedesk.Status{sOpen, sWaiting, sPending, sEscalated}},
		{casedesk.RequestInfo{}, []casedesk.Status{sOpen}},
		{casedesk.Resolve{}, []casedesk.Status{sOpen, sWaiting}},
		{casedesk.Reopen{}, []casedesk.Status{sResolved}},
		{casedesk.Close{}, []casedesk.Status{sResolved}},
		{casedesk.Escalate{}, []casedesk.Status{sNew, sOpen, sWaiting}},
		{casedesk.AddNote{}, []casedesk.Status{sNew, sOpen, sWaiting, sPending, sEscalated, sResolved}},
		{casedesk.ProposeRefund{}, []casedesk.Status{sNew, sOpen, sWaiting, sPending, sEscalated}},
	}
	for _, tt := range tests {
		for _, s := range casedesk.Statuses {
			want := false
			for _, in := range tt.in {
				want = want || in == s
			}
			if got := casedesk.Accepts(s, tt.cmd); got != want {
				t.Errorf("%s on a %s case: accepted %v, want %v", tt.cmd.Name(), s, got, want)
			}
		}
	}
}

func TestARatingIsTakenOnceTheCaseIsResolved(t *testing.T) {
	resolved := casedesk.Case{ID: "C-1", Status: sResolved}
	if _, err := casedesk.Rate(casedesk.Case{ID: "C-1", Status: sOpen}, 5, "", t0); casedesk.ErrorCode(err) != casedesk.ECONFLICT {
		t.Errorf("rating an open case: %v, want a conflict", err)
	}
	for _, rating := range []int{0, 6, -1} {
		wantFields(t, func() error { _, err := casedesk.Rate(resolved, rating, "", t0); return err }(), "rating")
	}
	long := make([]rune, casedesk.MaxCSATCommentLen+1)
	for i := range long {
		long[i] = 'x'
	}
	_, err := casedesk.Rate(resolved, 4, string(long), t0)
	wantFields(t, err, "comment")
	got, err := casedesk.Rate(casedesk.Case{ID: "C-1", Status: sClosed}, 4, "  card 4111 1111 1111 1111  ", t0.Add(time.Hour))
	if err != nil || got.Rating != 4 || got.Comment != "card **** **** **** 1111" {
		t.Errorf("Rate = %+v, %v", got, err)
	}
}

func TestCaseListFilters(t *testing.T) {
	parse := func(q string) (casedesk.CaseFilter, error) {
		v, _ := url.ParseQuery(q)
		return casedesk.ParseCaseFilter(v.Get)
	}
	f, err := parse("status=open&assignee=U-1&needs_supervisor=true&limit=10")
	if err != nil || f.Status != sOpen || f.AssigneeID != "U-1" || f.NeedsSupervisor == nil || !*f.NeedsSupervisor || f.Limit != 10 {
		t.Errorf("filter %+v, %v", f, err)
	}
	if f, err := parse("breached=false"); err != nil || f.NeedsSupervisor == nil || *f.NeedsSupervisor {
		t.Errorf("breached is an alias of needs_supervisor: %+v, %v", f, err)
	}
	_, err = parse("status=archived&type=x&priority=y&limit=0&needs_supervisor=maybe")
	wantFields(t, err, "status", "type", "priority", "limit", "needs_supervisor")
}
