package postgres_test

import (
	"fmt"
	"io/fs"
	"slices"
	"strings"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/migrations"
)

// TestListCasesByNextBreach projects cases whose deadlines run, pause, stop
// or tie, and walks sort=next_breach pages of every size: the order is the
// one Case.NextBreach gives (soonest first, cases with none last, ties by
// ID), as the projection stores it, and a page boundary on a tie or among
// the cases with none skips and repeats nothing.
func TestListCasesByNextBreach(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	cust := newCustomer(t, db)
	at := func(d time.Duration) *time.Time { x := opened.Add(d); return &x }

	variants := []func(c *casedesk.Case){
		// Both clocks run: the first response is sooner.
		func(c *casedesk.Case) { c.SLA.FirstResponseDue, c.SLA.ResolutionDue = at(2*time.Hour), at(9*time.Hour) },
		// The first response was sent: the resolution target counts.
		func(c *casedesk.Case) {
			c.SLA.FirstResponseDue, c.SLA.FirstResponseAt, c.SLA.ResolutionDue = at(time.Hour), at(30*time.Minute), at(5*time.Hour)
		},
		// A paused resolution clock has no running deadline.
		func(c *casedesk.Case) {
			c.SLA.FirstResponseAt, c.SLA.ResolutionDue, c.SLA.Paused = at(time.Minute), at(time.Minute), true
		},
		// Breached: the past due time sorts first.
		func(c *casedesk.Case) {
			c.SLA.FirstResponseDue, c.SLA.FirstResponseBreached, c.SLA.ResolutionDue = at(-time.Hour), true, at(3*time.Hour)
		},
		// Resolved: nothing runs.
		func(c *casedesk.Case) { c.Status, c.SLA.ResolutionDue = casedesk.StatusResolved, at(-2*time.Hour) },
		// A chargeback awaiting our response: the network's due_by.
		func(c *casedesk.Case) {
			c.SLA.ResolutionDue = at(8 * time.Hour)
			c.Chargeback = &casedesk.Chargeback{Network: "visa", Stage: casedesk.StageNeedsResponse, DueBy: *at(90 * time.Minute)}
		},
		// A chargeback under review: its due_by no longer runs.
		func(c *casedesk.Case) {
			c.SLA.ResolutionDue = at(7 * time.Hour)
			c.Chargeback = &casedesk.Chargeback{Network: "visa", Stage: casedesk.StageUnderReview, DueBy: *at(10 * time.Minute)}
		},
		// Ties on one due time: by ID.
		func(c *casedesk.Case) { c.SLA.FirstResponseDue = at(4 * time.Hour) },
		func(c *casedesk.Case) { c.SLA.FirstResponseDue = at(4 * time.Hour) },
		func(c *casedesk.Case) { c.SLA.FirstResponseDue = at(4 * time.Hour) },
		// No deadline at all.
		func(c *casedesk.Case) {},
		func(c *casedesk.Case) {},
	}
	var cases []casedesk.Case
	for i, variant := range variants {
		h := history(t, fmt.Sprintf("C-NB%04d", i), casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID,
			Subject: "Next breach", Channel: casedesk.ChannelEmail}, opened)
		c := h[0].c
		c.SLA = casedesk.SLA{}
		variant(&c)
		c.Version++
		project(t, db, h)
		if err := db.ProjectCase(t.Context(), c, nil, casedesk.ProjectionOrigin{}); err != nil {
			t.Fatal(err)
		}
		cases = append(cases, c)
	}
	slices.SortStableFunc(cases, func(a, b casedesk.Case) int {
		da, dbb := a.NextBreach(), b.NextBreach()
		switch {
		case da == nil && dbb == nil:
			return strings.Compare(a.ID, b.ID)
		case da == nil:
			return 1
		case dbb == nil:
			return -1
		case !da.Equal(*dbb):
			return da.Compare(*dbb)
		}
		return strings.Compare(a.ID, b.ID)
	})
	want := caseIDs(cases)
	if want[0] != "C-NB0003" || want[1] != "C-NB0005" || want[len(want)-1] != "C-NB0011" {
		t.Fatalf("the rule's order is %v: the breached case, then the chargeback, and the cases with none last", want)
	}
	for _, limit := range []int{1, 2, 3, 5, 12, 100} {
		got, _ := walk(t, db, casedesk.CaseFilter{CustomerID: cust.ID, Sort: casedesk.SortNextBreach, Limit: limit}, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("pages of %d: %v,\nwant %v", limit, got, want)
		}
	}

	t.Run("migration 016 fills in the same next breach for cases projected before it", func(t *testing.T) {
		raw, err := fs.ReadFile(migrations.FS, "016_next_breach.sql")
		if err != nil {
			t.Fatal(err)
		}
		sql := string(raw)
		start := strings.Index(sql, "UPDATE cases SET next_breach")
		if start < 0 {
			t.Fatal("016_next_breach.sql has no UPDATE of next_breach")
		}
		backfill := sql[start : start+strings.Index(sql[start:], ";")]
		if _, err := db.Pool.Exec(t.Context(), `UPDATE cases SET next_breach = NULL WHERE customer_id = $1`, cust.ID); err != nil {
			t.Fatal(err)
		}
		if _, err := db.Pool.Exec(t.Context(), backfill+" WHERE customer_id = $1", cust.ID); err != nil {
			t.Fatal(err)
		}
		got, _ := walk(t, db, casedesk.CaseFilter{CustomerID: cust.ID, Sort: casedesk.SortNextBreach, Limit: 5}, nil)
		if !slices.Equal(got, want) {
			t.Fatalf("after the backfill: %v,\nwant %v", got, want)
		}
	})

	t.Run("a newest-first cursor is refused under sort=next_breach", func(t *testing.T) {
		_, next, err := db.ListCases(t.Context(), casedesk.CaseFilter{CustomerID: cust.ID, Limit: 2})
		if err != nil || next == "" {
			t.Fatalf("first page: next %q, %v", next, err)
		}
		_, _, err = db.ListCases(t.Context(), casedesk.CaseFilter{CustomerID: cust.ID, Sort: casedesk.SortNextBreach, Cursor: next})
		wantCode(t, err, casedesk.EINVALID)
	})
}
