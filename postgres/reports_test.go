package postgres_test

import (
	"context"
	"sync"
	"testing"
	"time"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

func TestCaseFactsFollowTheProjection(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	cust := newCustomer(t, db)
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: "Charged twice",
		Description: "Two debits", Channel: casedesk.ChannelPhone}
	other := "U-AGENT002"

	// A: answered and resolved at the first contact, then rated 5.
	a := project(t, db, history(t, "C-FACTSA1", req, opened,
		casedesk.Assign{AssigneeID: agent.ID}, casedesk.Reply{Body: "Refunded"},
		casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Refunded"}))
	if err := db.SaveCSAT(ctx, a.ID, 5, "Quick"); err != nil {
		t.Fatal(err)
	}
	// B: assigned, then handed to another agent; still open.
	b := history(t, "C-FACTSB1", req, opened.Add(time.Hour), casedesk.Assign{AssigneeID: agent.ID},
		casedesk.Assign{AssigneeID: other})
	project(t, db, b)
	// C: resolved and reopened; the resolved version arrives again, late.
	c := history(t, "C-FACTSC1", req, opened.Add(2*time.Hour), casedesk.Assign{AssigneeID: agent.ID},
		casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Done"}, casedesk.Reopen{Reason: "Charged again"})
	project(t, db, c)
	project(t, db, c[2:3])

	t.Run("case_facts is cases with their ratings, row for row", func(t *testing.T) {
		var differ, rows int
		err := db.Pool.QueryRow(ctx, `
			WITH want AS (
				SELECT c.id, c.type, c.channel, c.priority, c.category, c.assignee_id, c.outcome, c.first_contact_resolution,
					c.opened_at, c.resolved_at, c.first_response_at, c.first_response_s, c.first_response_business_s,
					c.resolution_s, c.resolution_business_s, c.handling_s, c.handling_business_s,
					c.first_response_due, c.first_response_met, c.resolution_due, c.resolution_met, r.rating
				FROM cases c LEFT JOIN csat r ON r.case_id = c.id),
			got AS (SELECT * FROM case_facts)
			SELECT (SELECT count(*) FROM ((SELECT * FROM want EXCEPT SELECT * FROM got)
				UNION ALL (SELECT * FROM got EXCEPT SELECT * FROM want)) d), (SELECT count(*) FROM got)`).Scan(&differ, &rows)
		if err != nil {
			t.Fatal(err)
		}
		if differ != 0 || rows != 3 {
			t.Fatalf("%d rows of case_facts differ from cases ⋈ csat; %d rows, want 3", differ, rows)
		}
	})

	t.Run("a projection that changes no fact leaves the row alone", func(t *testing.T) {
		xmin := func() uint32 {
			var x uint32
			if err := db.Pool.QueryRow(ctx, `SELECT xmin::text::bigint FROM case_facts WHERE case_id = $1`, b[0].c.ID).Scan(&x); err != nil {
				t.Fatal(err)
			}
			return x
		}
		before := xmin()
		last := b[len(b)-1].c
		noted, events, err := casedesk.DefaultRules().Decide(last, casedesk.AddNote{Body: "Called back"}, agent, opened.Add(3*time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		project(t, db, []version{{noted, events}})
		if after := xmin(); after != before {
			t.Fatalf("the note rewrote B's facts (xmin %d, was %d)", after, before)
		}
	})

	day := casedesk.ReportFilter{From: opened.Add(-time.Hour), To: opened.Add(24 * time.Hour)}
	t.Run("the report counts from case_facts", func(t *testing.T) {
		tot, groups, err := db.Report(ctx, day)
		if err != nil {
			t.Fatal(err)
		}
		if len(groups) != 0 {
			t.Fatalf("%d groups without group_by", len(groups))
		}
		if tot.Opened != 3 || tot.OpenedByChannel[casedesk.ChannelPhone] != 3 || tot.Resolved != 1 || tot.FCR != 1 ||
			tot.Backlog == nil || *tot.Backlog != 2 || tot.Reopened != 1 ||
			tot.Rated != 1 || tot.Satisfied != 1 || tot.RatingSum != 5 {
			t.Fatalf("totals %+v (backlog %v)", tot, tot.Backlog)
		}
		if tot.HandlingMean == nil || *tot.HandlingMean != (2*time.Minute).Seconds() {
			t.Fatalf("handling mean %v, want A's two minutes assigned", tot.HandlingMean)
		}
	})

	t.Run("grouped by agent, each case counts for its assignee as it is now", func(t *testing.T) {
		tot, groups, err := db.Report(ctx, func() casedesk.ReportFilter { f := day; f.GroupBy = casedesk.GroupAgent; return f }())
		if err != nil {
			t.Fatal(err)
		}
		opened := map[string]int64{}
		for _, g := range groups {
			opened[g.Key] = g.Opened
		}
		if tot.Opened != 3 || len(groups) != 2 || opened[agent.ID] != 2 || opened[other] != 1 {
			t.Fatalf("opened %d in total, by agent %v", tot.Opened, opened)
		}
	})
}

// A report's cohorts run on several connections; reports that together
// want more connections than the pool has still all finish, each on the
// connection it started with if it must.
func TestReportsOutnumberingThePoolAllFinish(t *testing.T) {
	t.Parallel()
	ctx, cancel := context.WithTimeout(t.Context(), time.Minute)
	defer cancel()
	db, err := postgres.Open(ctx, testenv.DatabaseURL(t)+"&pool_max_conns=3")
	if err != nil {
		t.Fatal(err)
	}
	defer db.Close()
	if _, err := db.Migrate(ctx); err != nil {
		t.Fatal(err)
	}
	cust := newCustomer(t, db)
	project(t, db, history(t, "C-POOLED1", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID,
		Subject: "Charged twice", Description: "Two debits", Channel: casedesk.ChannelEmail}, opened))
	f := casedesk.ReportFilter{From: opened.Add(-time.Hour), To: opened.Add(time.Hour), GroupBy: casedesk.GroupDay}
	var wg sync.WaitGroup
	errs := make([]error, 8)
	opened := make([]int64, len(errs))
	for i := range errs {
		wg.Go(func() {
			var tot casedesk.Aggregates
			tot, _, errs[i] = db.Report(ctx, f)
			opened[i] = tot.Opened
		})
	}
	wg.Wait()
	for i, err := range errs {
		if err != nil || opened[i] != 1 {
			t.Errorf("report %d: %v, %d opened, want 1", i, err, opened[i])
		}
	}
}
