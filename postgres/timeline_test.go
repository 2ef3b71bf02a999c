package postgres_test

import (
	"testing"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
)

func TestCaseEventPage(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	cust := newCustomer(t, db)
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: "Charged twice", Channel: casedesk.ChannelPhone}
	cmds := []casedesk.Command{casedesk.Assign{AssigneeID: agent.ID}}
	for range 6 {
		cmds = append(cmds, casedesk.Reply{Body: "an update"}, casedesk.AddNote{Body: "internal"})
	}
	project(t, db, history(t, "C-PAGED1", req, opened, cmds...)) // 14 events

	seqs := func(events []casedesk.Event) []int64 {
		out := make([]int64, len(events))
		for i, e := range events {
			out[i] = e.Seq
		}
		return out
	}
	page := func(t *testing.T, p casedesk.EventPage) ([]int64, bool) {
		t.Helper()
		events, more, err := db.CaseEventPage(ctx, "C-PAGED1", p)
		if err != nil {
			t.Fatal(err)
		}
		return seqs(events), more
	}

	t.Run("pages run oldest first and the last says so", func(t *testing.T) {
		var all []int64
		after := int64(0)
		for i := 0; ; i++ {
			got, more := page(t, casedesk.EventPage{Limit: 5, After: after})
			all = append(all, got...)
			if !more {
				break
			}
			after = got[len(got)-1]
			if i > 5 {
				t.Fatal("paging does not end")
			}
		}
		if len(all) != 14 || all[0] != 1 || all[13] != 14 {
			t.Fatalf("pages gave %v, want 1…14", all)
		}
	})
	t.Run("a page of exactly the rest has nothing more", func(t *testing.T) {
		if got, more := page(t, casedesk.EventPage{Limit: 4, After: 10}); len(got) != 4 || more {
			t.Fatalf("got %v more %v", got, more)
		}
	})
	t.Run("the latest page ends with the newest event and links earlier ones", func(t *testing.T) {
		got, more := page(t, casedesk.EventPage{Limit: 3, Latest: true})
		if len(got) != 3 || got[0] != 12 || got[2] != 14 || !more {
			t.Fatalf("got %v more %v", got, more)
		}
		got, more = page(t, casedesk.EventPage{Limit: 10, Latest: true, Before: 12})
		if len(got) != 10 || got[0] != 2 || got[9] != 11 || !more {
			t.Fatalf("earlier: got %v more %v", got, more)
		}
		if got, more = page(t, casedesk.EventPage{Limit: 10, Latest: true, Before: 2}); len(got) != 1 || more {
			t.Fatalf("earliest: got %v more %v", got, more)
		}
	})
	t.Run("types keep only those events", func(t *testing.T) {
		got, more := page(t, casedesk.EventPage{Limit: 100, Latest: true, Types: []string{casedesk.EventReplied}})
		if len(got) != 6 || more {
			t.Fatalf("replies: got %v more %v", got, more)
		}
	})
	t.Run("an unknown case has an empty timeline", func(t *testing.T) {
		events, more, err := db.CaseEventPage(ctx, "C-NOPE00", casedesk.EventPage{Limit: 10})
		if err != nil || len(events) != 0 || more {
			t.Fatalf("got %v %v %v", events, more, err)
		}
	})
}
