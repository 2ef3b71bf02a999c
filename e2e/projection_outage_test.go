package e2e_test

import (
	"context"
	"errors"
	"os"
	"sync/atomic"
	"testing"
	"time"

	"google.golang.org/protobuf/proto"

	"github.com/casedesk/casedesk"
	"github.com/casedesk/casedesk/activities"
	"github.com/casedesk/casedesk/mail"
	"github.com/casedesk/casedesk/temporalclient"
	"github.com/casedesk/casedesk/worker"
)

// downProjector is the read model of a worker whose PostgreSQL went away:
// while down, every projection fails as a refused connection does.
type downProjector struct {
	activities.Projector
	down     atomic.Bool
	failures atomic.Int64
}

func (p *downProjector) ProjectCase(ctx context.Context, c casedesk.Case, events []casedesk.Event, from casedesk.ProjectionOrigin) error {
	if p.down.Load() {
		p.failures.Add(1)
		return errors.New("dial tcp 127.0.0.1:5432: connect: connection refused")
	}
	return p.Projector.ProjectCase(ctx, c, events, from)
}

// historyLength returns the number of events and the bytes of the history
// of case id.
func historyLength(t *testing.T, s *system, id string) (events, size int) {
	t.Helper()
	h := workflowHistory(t, s, id)
	for _, e := range h.Events {
		size += proto.Size(e)
	}
	return len(h.Events), size
}

// A note sent while the read model is down for CASEDESK_OUTAGE (default
// 4s; docs/architecture.md gives the figures of 10m) answers unavailable
// after the caller's timeout, lands in the timeline once the database is
// back, and the case's history does not grow while the projection is
// retried.
func TestAProjectionOutageCostsNoHistoryPerRetry(t *testing.T) {
	outage := 4 * time.Second
	if v := os.Getenv("CASEDESK_OUTAGE"); v != "" {
		d, err := time.ParseDuration(v)
		if err != nil {
			t.Fatalf("CASEDESK_OUTAGE: %v", err)
		}
		outage = d
	}
	t.Parallel()
	s := startSystem(t, casedesk.DefaultRules())
	store := &downProjector{Projector: s.db}
	queue := "casedesk-outage-" + randomHex(4)
	w := worker.New(s.temporal, queue, &activities.Activities{Store: store, Ledger: s.db, Outbox: s.db,
		Mail: activities.MailSettings{From: mail.Address{Email: "support@casedesk.test", Name: "casedesk support"},
			ReplyDomain: testReplyDomain, PublicURL: "http://casedesk.test", Links: testSigner}})
	if err := w.Start(); err != nil {
		t.Fatal(err)
	}
	t.Cleanup(w.Stop)
	cases := &temporalclient.Cases{Client: s.temporal, Rules: casedesk.DefaultRules(), TaskQueue: queue}
	agent := casedesk.Actor{ID: s.users[casedesk.RoleAgent].ID, Role: casedesk.RoleAgent}
	ctx := context.Background()

	id := casedesk.NewCaseID()
	if _, err := cases.Open(ctx, id, casedesk.OpenRequest{Type: casedesk.TypeInquiry, CustomerID: s.customer.ID,
		Subject: "Charged twice", Channel: casedesk.ChannelPhone, Priority: casedesk.PriorityNormal}, agent); err != nil {
		t.Fatal(err)
	}
	if _, err := cases.Act(ctx, id, casedesk.Assign{AssigneeID: agent.ID}, agent, ""); err != nil {
		t.Fatal(err)
	}
	before, beforeSize := historyLength(t, s, id)
	if _, err := cases.Act(ctx, id, casedesk.AddNote{Body: "a quiet note"}, agent, ""); err != nil {
		t.Fatal(err)
	}
	quiet, quietSize := historyLength(t, s, id)

	store.down.Store(true)
	start := time.Now()
	actx, cancel := context.WithTimeout(ctx, 2*time.Second)
	_, err := cases.Act(actx, id, casedesk.AddNote{Body: "written while PostgreSQL is down"}, agent, "outage-note")
	cancel()
	if casedesk.ErrorCode(err) != casedesk.EUNAVAILABLE {
		t.Fatalf("the note during the outage: %v, want unavailable", err)
	}
	// The local activity's three attempts, then the activity's first.
	eventually(t, time.Minute, "the projection falls back to the activity", func() bool { return store.failures.Load() >= 4 })
	early, _ := historyLength(t, s, id)
	// Hold the outage for its whole length: time passing, not an order.
	<-time.After(outage - time.Since(start))
	late, lateSize := historyLength(t, s, id)
	failures := store.failures.Load()
	store.down.Store(false)
	if late != early {
		t.Errorf("history grew from %d to %d events while the projection was retried", early, late)
	}

	eventually(t, 2*time.Minute, "the note reaches the timeline", func() bool {
		events, err := s.db.CaseEvents(ctx, id)
		return err == nil && len(events) == 4
	})
	if _, err := cases.Act(ctx, id, casedesk.AddNote{Body: "after the outage"}, agent, ""); err != nil {
		t.Fatal(err)
	}
	after, afterSize := historyLength(t, s, id)
	t.Logf("outage of %s, %d failed projections: history %d events (%d bytes) before the outage, %d (%d bytes) at its end, "+
		"%d (%d bytes) after; a quiet note costs %d events (%d bytes)", outage.Round(time.Second), failures,
		quiet, quietSize, late, lateSize, after, afterSize, quiet-before, quietSize-beforeSize)
	if limit := quiet + 3*(quiet-before) + 10; after > limit {
		t.Errorf("%d history events after the outage, want at most %d", after, limit)
	}
}
