package postgres_test

import (
	"encoding/base64"
	"encoding/json"
	"errors"
	"fmt"
	"reflect"
	"slices"
	"strings"
	"sync"
	"testing"
	"time"

	"github.com/jackc/pgx/v5"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/internal/testenv"
	"github.com/casedesk/casedesk/postgres"
)

var (
	agent    = casedesk.Actor{ID: "U-AGENT001", Role: casedesk.RoleAgent}
	opened   = time.Date(2026, 3, 2, 9, 0, 0, 0, time.UTC)
	sameHash = []byte("sha256 of the request")
)

func TestReserveCase(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	reserve := func(t *testing.T, req casedesk.CaseRequest, newID func() string) (string, bool) {
		t.Helper()
		id, existing, err := db.ReserveCase(ctx, req, newID)
		if err != nil {
			t.Fatalf("reserve %+v: %v", req, err)
		}
		return id, existing
	}

	t.Run("a first request reserves a new case ID", func(t *testing.T) {
		req := casedesk.CaseRequest{ActorID: agent.ID, IdempotencyKey: "first", RequestHash: sameHash}
		id, existing := reserve(t, req, func() string { return "C-FIRST1" })
		if id != "C-FIRST1" || existing {
			t.Fatalf("got (%s, existing=%v), want (C-FIRST1, existing=false)", id, existing)
		}
	})

	t.Run("a retry with the same key and request gets the same case back", func(t *testing.T) {
		req := casedesk.CaseRequest{ActorID: agent.ID, IdempotencyKey: "retry", RequestHash: sameHash}
		first, _ := reserve(t, req, casedesk.NewCaseID)
		for range 3 {
			id, existing := reserve(t, req, func() string {
				t.Fatal("a retry must not draw a new ID")
				return ""
			})
			if id != first || !existing {
				t.Fatalf("got (%s, existing=%v), want (%s, existing=true)", id, existing, first)
			}
		}
	})

	t.Run("the same key with a different request is a conflict", func(t *testing.T) {
		req := casedesk.CaseRequest{ActorID: agent.ID, IdempotencyKey: "reused", RequestHash: sameHash}
		reserve(t, req, casedesk.NewCaseID)
		req.RequestHash = []byte("another request")
		_, _, err := db.ReserveCase(ctx, req, casedesk.NewCaseID)
		wantCode(t, err, casedesk.ECONFLICT)
	})

	t.Run("the same key from another actor reserves another case", func(t *testing.T) {
		mine, _ := reserve(t, casedesk.CaseRequest{ActorID: "U-MINE0001", IdempotencyKey: "shared", RequestHash: sameHash}, casedesk.NewCaseID)
		// Even with a different request: keys are per actor.
		theirs, existing := reserve(t, casedesk.CaseRequest{ActorID: "U-THEIRS01", IdempotencyKey: "shared", RequestHash: []byte("other")}, casedesk.NewCaseID)
		if theirs == mine || existing {
			t.Fatalf("the other actor got (%s, existing=%v), want a new case other than %s", theirs, existing, mine)
		}
	})

	t.Run("requests without a key always reserve new cases", func(t *testing.T) {
		req := casedesk.CaseRequest{ActorID: agent.ID, RequestHash: sameHash}
		a, existingA := reserve(t, req, casedesk.NewCaseID)
		b, existingB := reserve(t, req, casedesk.NewCaseID)
		if a == b || existingA || existingB {
			t.Fatalf("got (%s, %v) and (%s, %v), want two new cases", a, existingA, b, existingB)
		}
	})

	for _, key := range []string{"", "collide"} {
		name := "an ID already taken is drawn again, with an Idempotency-Key"
		if key == "" {
			name = "an ID already taken is drawn again, without an Idempotency-Key"
		}
		t.Run(name, func(t *testing.T) {
			taken, _ := reserve(t, casedesk.CaseRequest{ActorID: "U-EARLIER1", RequestHash: sameHash}, casedesk.NewCaseID)
			fresh := casedesk.NewCaseID()
			ids := []string{taken, fresh}
			calls := 0
			newID := func() string {
				calls++
				return ids[min(calls, len(ids))-1]
			}
			id, existing := reserve(t, casedesk.CaseRequest{ActorID: agent.ID, IdempotencyKey: key, RequestHash: sameHash}, newID)
			if id != fresh || existing || calls != 2 {
				t.Fatalf("got (%s, existing=%v) after %d draws, want (%s, existing=false) after 2", id, existing, calls, fresh)
			}
		})
	}

	t.Run("an ID generator that only returns taken IDs ends in an error", func(t *testing.T) {
		taken, _ := reserve(t, casedesk.CaseRequest{ActorID: "U-EARLIER1", RequestHash: sameHash}, casedesk.NewCaseID)
		_, _, err := db.ReserveCase(ctx, casedesk.CaseRequest{ActorID: agent.ID, RequestHash: sameHash},
			func() string { return taken })
		if err == nil {
			t.Fatal("ReserveCase succeeded with a taken ID")
		}
	})

	t.Run("twenty concurrent retries of one request share one case", func(t *testing.T) {
		const n = 20
		req := casedesk.CaseRequest{ActorID: agent.ID, IdempotencyKey: "stampede", RequestHash: sameHash}
		ids := make([]string, n)
		existing := make([]bool, n)
		errs := make([]error, n)
		start := make(chan struct{})
		var wg sync.WaitGroup
		for i := range n {
			wg.Go(func() {
				<-start
				ids[i], existing[i], errs[i] = db.ReserveCase(ctx, req, casedesk.NewCaseID)
			})
		}
		close(start)
		wg.Wait()

		fresh := 0
		for i := range n {
			if errs[i] != nil {
				t.Fatalf("request %d: %v", i, errs[i])
			}
			if ids[i] != ids[0] {
				t.Fatalf("request %d got %s, request 0 got %s", i, ids[i], ids[0])
			}
			if !existing[i] {
				fresh++
			}
		}
		if fresh != 1 {
			t.Fatalf("%d requests reported a new case, want exactly 1", fresh)
		}
		var rows int
		err := db.Pool.QueryRow(ctx, `SELECT count(*) FROM case_requests WHERE actor_id = $1 AND idempotency_key = $2`,
			req.ActorID, req.IdempotencyKey).Scan(&rows)
		if err != nil {
			t.Fatal(err)
		}
		if rows != 1 {
			t.Fatalf("case_requests has %d rows for the key, want 1", rows)
		}
	})
}

// version is one projected state of a case with the events that produced it.
type version struct {
	c      casedesk.Case
	events []casedesk.Event
}

// history opens case id from req at `at` and has the agent apply cmds one
// minute apart, returning every version from the first.
func history(t *testing.T, id string, req casedesk.OpenRequest, at time.Time, cmds ...casedesk.Command) []version {
	t.Helper()
	c, events, err := casedesk.Open(id, req, agent, at)
	if err != nil {
		t.Fatalf("open %s: %v", id, err)
	}
	out := []version{{c, events}}
	for i, cmd := range cmds {
		c, events, err = casedesk.DefaultRules().Decide(c, cmd, agent, at.Add(time.Duration(i+1)*time.Minute))
		if err != nil {
			t.Fatalf("%s %s: %v", id, cmd.Name(), err)
		}
		out = append(out, version{c, events})
	}
	return out
}

// project writes every version of h in order and returns the last case.
func project(t *testing.T, db *postgres.DB, h []version) casedesk.Case {
	t.Helper()
	for _, v := range h {
		if err := db.ProjectCase(t.Context(), v.c, v.events, casedesk.ProjectionOrigin{}); err != nil {
			t.Fatalf("project %s v%d: %v", v.c.ID, v.c.Version, err)
		}
	}
	return h[len(h)-1].c
}

// stored returns events as the timeline gives them back: data goes through
// JSON (times become RFC 3339 strings, numbers float64) and times are UTC.
func stored(t *testing.T, h []version) []casedesk.Event {
	t.Helper()
	var out []casedesk.Event
	for _, v := range h {
		for _, e := range v.events {
			raw, err := json.Marshal(e.Data)
			if err != nil {
				t.Fatal(err)
			}
			e.Data = nil
			if err := json.Unmarshal(raw, &e.Data); err != nil {
				t.Fatal(err)
			}
			e.At = e.At.UTC()
			out = append(out, e)
		}
	}
	return out
}

func TestProjectCase(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	cust := newCustomer(t, db)
	// Sub-second digits show that times keep their microseconds.
	at := opened.Add(123456 * time.Microsecond)
	req := casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: "Charged twice", Description: "Two debits on 1 March", Channel: casedesk.ChannelPhone}
	lifecycle := []casedesk.Command{
		casedesk.Assign{AssigneeID: agent.ID},
		casedesk.Reply{Body: "Looking into it"},
		casedesk.AddNote{Body: "Refund issued"},
		casedesk.Resolve{Outcome: casedesk.OutcomeAnswered, Summary: "Duplicate debit refunded"},
	}

	events := func(t *testing.T, id string) []casedesk.Event {
		t.Helper()
		got, err := db.CaseEvents(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}
	read := func(t *testing.T, id string) casedesk.Case {
		t.Helper()
		got, err := db.Case(ctx, id)
		if err != nil {
			t.Fatal(err)
		}
		return got
	}

	t.Run("projecting the same version twice records each event once", func(t *testing.T) {
		h := history(t, "C-TWICE1", req, at)
		project(t, db, h)
		project(t, db, h)
		if got := events(t, "C-TWICE1"); len(got) != 1 {
			t.Fatalf("timeline has %d events, want 1: %+v", len(got), got)
		}
		if got, want := read(t, "C-TWICE1"), h[0].c; !reflect.DeepEqual(inUTC(got), inUTC(want)) {
			t.Fatalf("case = %+v, want %+v", got, want)
		}
	})

	t.Run("the case reads back exactly as projected, with its timeline in order", func(t *testing.T) {
		h := history(t, "C-WHOLE1", req, at, lifecycle...)
		resolved := project(t, db, h)
		if resolved.ResolvedAt == nil || resolved.ReopenUntil == nil || resolved.SLA.FirstResponseAt == nil {
			t.Fatalf("the lifecycle should fill the optional times: %+v", resolved)
		}
		if got := read(t, resolved.ID); !reflect.DeepEqual(inUTC(got), inUTC(resolved)) {
			t.Fatalf("case = %+v,\nwant %+v", got, resolved)
		}
		// The workflow's timer closes the case when the reopen window ends.
		closed, closing, err := casedesk.DefaultRules().Decide(resolved, casedesk.Tick{}, casedesk.SystemActor, *resolved.ReopenUntil)
		if err != nil {
			t.Fatal(err)
		}
		h = append(h, version{closed, closing})
		project(t, db, h[len(h)-1:])
		if got := read(t, closed.ID); !reflect.DeepEqual(inUTC(got), inUTC(closed)) {
			t.Fatalf("case = %+v,\nwant %+v", got, closed)
		}

		got := events(t, closed.ID)
		if want := stored(t, h); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
		for i, e := range got {
			if e.Seq != int64(i+1) || e.At.Location() != time.UTC || e.At.Nanosecond()%1000 != 0 {
				t.Fatalf("event %d = seq %d at %s", i, e.Seq, e.At)
			}
		}
		if first := got[0]; first.Type != casedesk.EventOpened || first.Actor != agent.ID ||
			!first.At.Equal(opened.Add(123456*time.Microsecond)) || first.Data["subject"] != req.Subject {
			t.Fatalf("first event = %+v, want case_opened by %s with its microseconds and subject", first, agent.ID)
		}
		if e := got[len(got)-2]; e.Type != casedesk.EventResolved || e.Data["outcome"] != casedesk.OutcomeAnswered ||
			e.Data["first_contact_resolution"] != true || e.Data["reopen_until"] != resolved.ReopenUntil.Format(time.RFC3339Nano) {
			t.Fatalf("resolved event = %+v", e)
		}
		if e := got[len(got)-1]; e.Type != casedesk.EventClosed || e.Actor != casedesk.SystemActor.ID || !e.At.Equal(*closed.ClosedAt) {
			t.Fatalf("last event = %+v, want closed by the system at %s", e, closed.ClosedAt)
		}
	})

	t.Run("versions projected concurrently in any order end at the latest with the whole timeline", func(t *testing.T) {
		h := history(t, "C-RACE01", req, at, lifecycle...)
		var wg sync.WaitGroup
		errs := make([]error, len(h))
		for i, v := range h {
			wg.Go(func() { errs[i] = db.ProjectCase(ctx, v.c, v.events, casedesk.ProjectionOrigin{}) })
		}
		wg.Wait()
		if err := errors.Join(errs...); err != nil {
			t.Fatal(err)
		}
		latest := h[len(h)-1].c
		if got := read(t, latest.ID); !reflect.DeepEqual(inUTC(got), inUTC(latest)) {
			t.Fatalf("case = %+v,\nwant %+v", got, latest)
		}
		if got, want := events(t, latest.ID), stored(t, h); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
	})

	t.Run("a version whose workflow task was lost is replaced by the one history kept", func(t *testing.T) {
		real := history(t, "C-LOST01", req, at, lifecycle[:2]...)
		project(t, db, real[:2])
		// The lost task had decided a note and a resolution on version 2;
		// the task that completed instead decided the reply.
		c, noted, err := casedesk.DefaultRules().Decide(real[1].c, casedesk.AddNote{Body: "phantom"}, agent, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		lost, resolved, err := casedesk.DefaultRules().Decide(c, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered}, agent, at.Add(time.Hour))
		if err != nil {
			t.Fatal(err)
		}
		if err := db.ProjectCase(ctx, lost, append(noted, resolved...), casedesk.ProjectionOrigin{RunID: "R1", HistoryLength: 10}); err != nil {
			t.Fatal(err)
		}
		// The task that completed ran on the longer history of the run.
		if err := db.ProjectCase(ctx, real[2].c, real[2].events, casedesk.ProjectionOrigin{RunID: "R1", HistoryLength: 14}); err != nil {
			t.Fatal(err)
		}
		// A retried projection of the lost task arriving late changes nothing.
		if err := db.ProjectCase(ctx, lost, append(noted, resolved...), casedesk.ProjectionOrigin{RunID: "R1", HistoryLength: 10}); err != nil {
			t.Fatal(err)
		}
		if got, want := read(t, "C-LOST01"), real[2].c; !reflect.DeepEqual(inUTC(got), inUTC(want)) {
			t.Fatalf("case = %+v,\nwant %+v", got, want)
		}
		if got, want := events(t, "C-LOST01"), stored(t, real); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
		// The replaced rows stay on record.
		var types []string
		if err := db.Pool.QueryRow(ctx, `SELECT array_agg(type ORDER BY seq) FROM case_events_superseded WHERE case_id = $1`,
			"C-LOST01").Scan(&types); err != nil {
			t.Fatal(err)
		}
		if want := []string{casedesk.EventNoteAdded, casedesk.EventResolved}; !slices.Equal(types, want) {
			t.Fatalf("superseded %v, want %v", types, want)
		}
		// And the timeline still refuses everyone else.
		_, err = db.Pool.Exec(ctx, `DELETE FROM case_events WHERE case_id = $1`, "C-LOST01")
		wantPgError(t, err, "P0001", "case_events is append-only")
	})

	t.Run("an approval only a lost workflow task had leaves the queue, one it redid takes its times", func(t *testing.T) {
		real := history(t, "C-LOST02", req, at, lifecycle[:2]...)
		project(t, db, real[:2])
		approval := func(id string, requested time.Time) casedesk.Approval {
			return casedesk.Approval{ID: id, CaseID: "C-LOST02", Kind: "chargeback_response", Required: 1,
				Decisions: []casedesk.ApprovalDecision{}, RequestedBy: agent.ID, RequestedAt: requested,
				Status: casedesk.ApprovalPending, ExpiresAt: requested.Add(24 * time.Hour)}
		}
		// The lost task requested two approvals; the task run in its place
		// requested the first again, two seconds later, and not the second.
		lost := real[1].c
		lost.Version++
		lost.Approvals = []casedesk.Approval{approval("C-LOST02-A1", at), approval("C-LOST02-A2", at)}
		if err := db.ProjectCase(ctx, lost, nil, casedesk.ProjectionOrigin{RunID: "R2", HistoryLength: 10}); err != nil {
			t.Fatal(err)
		}
		kept := real[1].c
		kept.Version++
		kept.Approvals = []casedesk.Approval{approval("C-LOST02-A1", at.Add(2*time.Second))}
		if err := db.ProjectCase(ctx, kept, nil, casedesk.ProjectionOrigin{RunID: "R2", HistoryLength: 12}); err != nil {
			t.Fatal(err)
		}
		rows, err := db.Pool.Query(ctx, `SELECT id, requested_at, expires_at FROM approvals WHERE case_id = $1 ORDER BY id`, "C-LOST02")
		if err != nil {
			t.Fatal(err)
		}
		type row struct {
			ID                   string
			Requested, ExpiresAt time.Time
		}
		got, err := pgx.CollectRows(rows, pgx.RowToStructByPos[row])
		if err != nil {
			t.Fatal(err)
		}
		want := kept.Approvals[0]
		if len(got) != 1 || got[0].ID != want.ID || !got[0].Requested.Equal(want.RequestedAt) || !got[0].ExpiresAt.Equal(want.ExpiresAt) {
			t.Fatalf("approvals of the case %+v, want only %s requested at %v", got, want.ID, want.RequestedAt)
		}
	})

	t.Run("the opening an API projected is not written again by its workflow's tasks", func(t *testing.T) {
		h := history(t, "C-OPENED", req, at, lifecycle[:1]...)
		xmin := func() string {
			var x string
			if err := db.Pool.QueryRow(ctx, `SELECT xmin::text FROM cases WHERE id = $1`, "C-OPENED").Scan(&x); err != nil {
				t.Fatal(err)
			}
			return x
		}
		if err := db.ProjectCase(ctx, h[0].c, h[0].events, casedesk.ProjectionOrigin{RunID: "R3", HistoryLength: 1}); err != nil {
			t.Fatal(err)
		}
		before := xmin()
		if err := db.ProjectCase(ctx, h[0].c, h[0].events, casedesk.ProjectionOrigin{RunID: "R3", HistoryLength: 3}); err != nil {
			t.Fatal(err)
		}
		if after := xmin(); after != before {
			t.Errorf("the workflow's first projection rewrote the case row (xmin %s, then %s)", before, after)
		}
		if err := db.ProjectCase(ctx, h[1].c, h[1].events, casedesk.ProjectionOrigin{RunID: "R3", HistoryLength: 8}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, "C-OPENED"); !reflect.DeepEqual(inUTC(got), inUTC(h[1].c)) {
			t.Fatalf("after the next version: %+v,\nwant %+v", got, h[1].c)
		}
		if got, want := events(t, "C-OPENED"), stored(t, h); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
	})

	t.Run("events projected out of order come back in seq order", func(t *testing.T) {
		h := history(t, "C-SHUFL1", req, at, lifecycle[:3]...)
		var all []casedesk.Event
		for _, v := range slices.Backward(h) {
			all = append(all, v.events...)
		}
		last := h[len(h)-1].c
		if err := db.ProjectCase(ctx, last, all, casedesk.ProjectionOrigin{}); err != nil {
			t.Fatal(err)
		}
		if got, want := events(t, last.ID), stored(t, h); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
	})

	t.Run("an older version projected late does not move the case back", func(t *testing.T) {
		h := history(t, "C-LATE01", req, at, lifecycle...)
		latest := project(t, db, h)
		// A retried activity delivering version 2 after version 5.
		if err := db.ProjectCase(ctx, h[1].c, h[1].events, casedesk.ProjectionOrigin{}); err != nil {
			t.Fatal(err)
		}
		if got := read(t, latest.ID); !reflect.DeepEqual(inUTC(got), inUTC(latest)) {
			t.Fatalf("case = %+v,\nwant %+v", got, latest)
		}
		// The filter columns stay with the latest version too.
		var status string
		var version int64
		err := db.Pool.QueryRow(ctx, `SELECT status, version FROM cases WHERE id = $1`, latest.ID).Scan(&status, &version)
		if err != nil {
			t.Fatal(err)
		}
		if status != string(casedesk.StatusResolved) || version != latest.Version {
			t.Fatalf("row is %s v%d, want %s v%d", status, version, casedesk.StatusResolved, latest.Version)
		}
		if got := events(t, latest.ID); len(got) != int(latest.LastSeq) {
			t.Fatalf("timeline has %d events, want %d", len(got), latest.LastSeq)
		}
	})

	t.Run("a version whose events were never projected fills the gap in the timeline", func(t *testing.T) {
		h := history(t, "C-GAP001", req, at, lifecycle[:2]...)
		project(t, db, []version{h[0], h[2]}) // version 2 lost, then retried late
		project(t, db, h[1:2])
		if got, want := events(t, "C-GAP001"), stored(t, h); !reflect.DeepEqual(got, want) {
			t.Fatalf("timeline = %+v,\nwant %+v", got, want)
		}
		if got := read(t, "C-GAP001"); got.Version != h[2].c.Version {
			t.Fatalf("case at version %d, want %d", got.Version, h[2].c.Version)
		}
	})

	for _, tc := range []struct {
		name string
		data map[string]any
	}{
		{"data Go cannot encode", map[string]any{"x": make(chan int)}},
		{"data PostgreSQL refuses", map[string]any{"body": "a NUL \x00 byte"}}, // jsonb has no \u0000
	} {
		t.Run("a projection failing on "+tc.name+" leaves neither the case nor any event behind", func(t *testing.T) {
			id := casedesk.NewCaseID()
			h := history(t, id, req, at, lifecycle[:1]...)
			project(t, db, h[:1])
			// The bad event comes last, after a good one was sent.
			bad := append(slices.Clone(h[1].events), casedesk.Event{Seq: 3, Type: "broken", Actor: agent.ID, At: at, Data: tc.data})
			if err := db.ProjectCase(ctx, h[1].c, bad, casedesk.ProjectionOrigin{}); err == nil {
				t.Fatal("the projection succeeded")
			}
			if got := read(t, id); got.Version != 1 {
				t.Fatalf("case moved to version %d by a failed projection", got.Version)
			}
			if got := events(t, id); len(got) != 1 {
				t.Fatalf("timeline has %d events after a failed projection, want 1", len(got))
			}
		})
	}

	t.Run("a case for an unknown customer is invalid", func(t *testing.T) {
		h := history(t, "C-ORPHN1", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: "CU-NOBODY00", Subject: "s", Channel: casedesk.ChannelEmail}, at)
		wantCode(t, db.ProjectCase(ctx, h[0].c, h[0].events, casedesk.ProjectionOrigin{}), casedesk.EINVALID)
	})

	t.Run("an unknown case is not found", func(t *testing.T) {
		_, err := db.Case(ctx, "C-NOPE00")
		wantCode(t, err, casedesk.ENOTFOUND)
	})

	t.Run("the timeline refuses updates and deletes", func(t *testing.T) {
		h := history(t, "C-APPND1", req, at, lifecycle[:1]...)
		project(t, db, h)
		before := events(t, "C-APPND1")
		for _, tc := range []struct{ name, sql string }{
			{"update", `UPDATE case_events SET data = '{}', actor = 'U-FORGER1' WHERE case_id = $1`},
			{"delete", `DELETE FROM case_events WHERE case_id = $1`},
			{"delete of one event", `DELETE FROM case_events WHERE case_id = $1 AND seq = 2`},
		} {
			_, err := db.Pool.Exec(ctx, tc.sql, "C-APPND1")
			wantPgError(t, err, "P0001", "case_events is append-only")
		}
		if after := events(t, "C-APPND1"); !reflect.DeepEqual(after, before) {
			t.Fatalf("timeline changed: %+v, was %+v", after, before)
		}
	})
}

func TestListCases(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	alice, bob := newCustomer(t, db), newCustomer(t, db)
	open := func(id string, cust casedesk.Customer, subject, description string, p casedesk.Priority, at time.Time, cmds ...casedesk.Command) casedesk.Case {
		t.Helper()
		return project(t, db, history(t, id, casedesk.OpenRequest{
			Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: subject, Description: description,
			Channel: casedesk.ChannelEmail, Priority: p,
		}, at, cmds...))
	}

	refund := open("C-REFND1", alice, "Refund for double charge", "The customer was charged twice in March", casedesk.PriorityHigh, opened)
	address := open("C-ADDR02", bob, "Invoice address change", "New billing address", casedesk.PriorityNormal, opened.Add(time.Minute),
		casedesk.Assign{AssigneeID: "U-AGENTA1"})
	declined := open("C-CARD03", alice, "Card declined", "Declined at checkout", casedesk.PriorityUrgent, opened.Add(2*time.Minute),
		casedesk.Assign{AssigneeID: "U-AGENTB1"}, casedesk.Resolve{Outcome: casedesk.OutcomeAnswered})
	// Two cases opened in the same microsecond: the ID breaks the tie.
	twinA := open("C-TWN0A4", bob, "Receipt missing", "", casedesk.PriorityLow, opened.Add(3*time.Minute))
	twinB := open("C-TWN0B5", bob, "Receipt missing", "", casedesk.PriorityLow, opened.Add(3*time.Minute))
	// Only inquiries can be opened today, so a dispute is projected as is.
	dispute := history(t, "C-DSPT06", casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: bob.ID, Subject: "Unknown merchant", Channel: casedesk.ChannelWeb}, opened.Add(-time.Hour))
	dispute[0].c.Type = casedesk.TypeDispute
	project(t, db, dispute)

	all := []string{twinB.ID, twinA.ID, declined.ID, address.ID, refund.ID, "C-DSPT06"}

	for _, tc := range []struct {
		name string
		f    casedesk.CaseFilter
		want []string
	}{
		{"no filter lists every case newest first", casedesk.CaseFilter{}, all},
		{"a status keeps the cases in it", casedesk.CaseFilter{Status: casedesk.StatusOpen}, []string{address.ID}},
		{"a status no case is in keeps none", casedesk.CaseFilter{Status: casedesk.StatusClosed}, nil},
		{"a type keeps the cases of that type", casedesk.CaseFilter{Type: casedesk.TypeDispute}, []string{"C-DSPT06"}},
		{"the inquiry type leaves out the dispute", casedesk.CaseFilter{Type: casedesk.TypeInquiry}, all[:5]},
		{"a priority keeps the cases with it", casedesk.CaseFilter{Priority: casedesk.PriorityUrgent}, []string{declined.ID}},
		{"an assignee keeps the cases assigned to them", casedesk.CaseFilter{AssigneeID: "U-AGENTA1"}, []string{address.ID}},
		{"a customer keeps their cases, newest first", casedesk.CaseFilter{CustomerID: alice.ID}, []string{declined.ID, refund.ID}},
		{"filters combine", casedesk.CaseFilter{CustomerID: bob.ID, Priority: casedesk.PriorityLow}, []string{twinB.ID, twinA.ID}},
		{"filters that exclude each other keep nothing", casedesk.CaseFilter{CustomerID: alice.ID, Status: casedesk.StatusOpen}, nil},
		{"a word of the subject finds the case", casedesk.CaseFilter{Query: "declined"}, []string{declined.ID}},
		{"a word of the description finds the case", casedesk.CaseFilter{Query: "twice"}, []string{refund.ID}},
		{"words match in any letter case and all must be present", casedesk.CaseFilter{Query: "REFUND Charge"}, []string{refund.ID}},
		{"a word that only one of several words matches finds nothing", casedesk.CaseFilter{Query: "refund zebra"}, nil},
		{"a word shared by cases finds them all", casedesk.CaseFilter{Query: "receipt"}, []string{twinB.ID, twinA.ID}},
		{"the case ID finds the case", casedesk.CaseFilter{Query: address.ID}, []string{address.ID}},
		{"the case ID in lower case finds the case", casedesk.CaseFilter{Query: strings.ToLower(address.ID)}, []string{address.ID}},
		{"free text combines with filters", casedesk.CaseFilter{Query: "missing", Priority: casedesk.PriorityHigh}, nil},
		{"surrounding spaces are ignored", casedesk.CaseFilter{Query: "  declined  "}, []string{declined.ID}},
	} {
		t.Run(tc.name, func(t *testing.T) {
			got, next, err := db.ListCases(ctx, tc.f)
			if err != nil {
				t.Fatal(err)
			}
			if ids := caseIDs(got); !slices.Equal(ids, tc.want) {
				t.Fatalf("cases = %v, want %v", ids, tc.want)
			}
			if got == nil || next != "" {
				t.Fatalf("got a nil list or a next cursor %q on a single page", next)
			}
		})
	}

	t.Run("listed cases are the projected cases", func(t *testing.T) {
		got, _, err := db.ListCases(ctx, casedesk.CaseFilter{Query: declined.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != 1 || !reflect.DeepEqual(inUTC(got[0]), inUTC(declined)) {
			t.Fatalf("got %+v, want %+v", got, declined)
		}
	})

	t.Run("search syntax in free text is never an error", func(t *testing.T) {
		for _, q := range []string{`"double charge`, `refund -march`, `a OR b`, `it's`, `(&|!)`, `:*`, `\`, `'; DROP TABLE cases; --`} {
			if _, _, err := db.ListCases(ctx, casedesk.CaseFilter{Query: q}); err != nil {
				t.Errorf("q %q: %v", q, err)
			}
		}
	})
}

func caseIDs(cs []casedesk.Case) []string {
	var ids []string
	for _, c := range cs {
		ids = append(ids, c.ID)
	}
	return ids
}

// walk lists every page of f and returns the IDs in order and the page count.
func walk(t *testing.T, db *postgres.DB, f casedesk.CaseFilter, between func(page int)) ([]string, int) {
	t.Helper()
	var ids []string
	for page := 1; ; page++ {
		if page > 100 {
			t.Fatalf("still paging after 100 pages: %v", ids)
		}
		got, next, err := db.ListCases(t.Context(), f)
		if err != nil {
			t.Fatalf("page %d: %v", page, err)
		}
		limit := f.Limit
		if limit == 0 {
			limit = casedesk.DefaultCaseLimit
		}
		if len(got) > limit || (next != "" && len(got) != limit) {
			t.Fatalf("page %d has %d cases (limit %d) and next %q", page, len(got), limit, next)
		}
		ids = append(ids, caseIDs(got)...)
		if next == "" {
			return ids, page
		}
		if between != nil {
			between(page)
		}
		f.Cursor = next
	}
}

func TestListCasesPages(t *testing.T) {
	t.Parallel()
	db := testenv.DB(t)
	ctx := t.Context()
	cust := newCustomer(t, db)

	// 27 cases, three to each opened_at, so that pages split ties.
	const n = 27
	var want []string
	for i := range n {
		id := fmt.Sprintf("C-PG%04d", i)
		at := opened.Add(time.Duration(i/3) * time.Minute)
		project(t, db, history(t, id, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: cust.ID, Subject: "Page", Channel: casedesk.ChannelChat}, at))
		want = append(want, id)
	}
	slices.Reverse(want) // newest first; within an opened_at, highest ID first

	for _, limit := range []int{1, 2, 3, 4, 10, 26, 27, 100} {
		t.Run(fmt.Sprintf("walking pages of %d visits every case once, newest first", limit), func(t *testing.T) {
			got, pages := walk(t, db, casedesk.CaseFilter{CustomerID: cust.ID, Limit: limit}, nil)
			if !slices.Equal(got, want) {
				t.Fatalf("walk = %v,\nwant %v", got, want)
			}
			if wantPages := max(1, (n+limit-1)/limit); pages != wantPages {
				t.Fatalf("%d pages, want %d", pages, wantPages)
			}
		})
	}

	t.Run("no limit means pages of the default size", func(t *testing.T) {
		got, next, err := db.ListCases(ctx, casedesk.CaseFilter{CustomerID: cust.ID})
		if err != nil {
			t.Fatal(err)
		}
		if len(got) != casedesk.DefaultCaseLimit || next == "" {
			t.Fatalf("first page has %d cases and next %q, want %d and a cursor", len(got), next, casedesk.DefaultCaseLimit)
		}
	})

	t.Run("pages combine with filters", func(t *testing.T) {
		other := newCustomer(t, db)
		var mine []string
		for i := range 5 {
			id := fmt.Sprintf("C-FL%04d", i)
			priority := casedesk.PriorityLow
			if i%2 == 0 {
				priority = casedesk.PriorityHigh
				mine = append([]string{id}, mine...)
			}
			project(t, db, history(t, id, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: other.ID, Subject: "Filtered",
				Channel: casedesk.ChannelChat, Priority: priority}, opened))
		}
		got, _ := walk(t, db, casedesk.CaseFilter{CustomerID: other.ID, Priority: casedesk.PriorityHigh, Limit: 1}, nil)
		if !slices.Equal(got, mine) {
			t.Fatalf("walk = %v, want %v", got, mine)
		}
	})

	t.Run("a case opened during the walk shifts no page", func(t *testing.T) {
		late := newCustomer(t, db)
		var before []string
		for i := range 5 {
			id := fmt.Sprintf("C-LT%04d", i)
			project(t, db, history(t, id, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: late.ID, Subject: "Late",
				Channel: casedesk.ChannelChat}, opened.Add(time.Duration(i)*time.Second)))
			before = append([]string{id}, before...)
		}
		got, _ := walk(t, db, casedesk.CaseFilter{CustomerID: late.ID, Limit: 2}, func(page int) {
			id := fmt.Sprintf("C-LTNEW%d", page)
			project(t, db, history(t, id, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: late.ID, Subject: "Late",
				Channel: casedesk.ChannelChat}, opened.Add(time.Hour)))
		})
		if !slices.Equal(got, before) {
			t.Fatalf("walk = %v, want %v", got, before)
		}
	})

	t.Run("a cursor that this server did not return is invalid", func(t *testing.T) {
		enc := func(s string) string { return base64.RawURLEncoding.EncodeToString([]byte(s)) }
		for _, tc := range []struct{ name, cursor string }{
			{"not base64", "%%%"},
			{"no separator", enc("2026-03-02T09:00:00Z")},
			{"no case ID", enc("2026-03-02T09:00:00Z|")},
			{"not a time", enc("yesterday|C-PG0001")},
			{"an empty payload", enc("|")},
		} {
			_, _, err := db.ListCases(ctx, casedesk.CaseFilter{Cursor: tc.cursor})
			var e *casedesk.Error
			if !errors.As(err, &e) || e.Code != casedesk.EINVALID || len(e.Fields) != 1 || e.Fields[0].Field != "cursor" {
				t.Errorf("%s: error = %v, want %s naming field cursor", tc.name, err, casedesk.EINVALID)
			}
		}
	})
}
